package sam

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// handler runs the commands of one control socket after HELLO.
type handler struct {
	b   *Bridge
	cc  *ctlConn
	ctx context.Context // done when the socket's handler returns
	// cancel ends ctx (and closes the socket); watchClose calls it.
	cancel context.CancelFunc
	log    *slog.Logger
	sess   *session // the session this socket created, if any
}

// watchClose watches the socket while a command waits on the network
// (SESSION CREATE for tunnels, STREAM CONNECT for the peer, NAMING LOOKUP
// for the netdb): if the client closes it, h.ctx is cancelled, which
// abandons the wait at once instead of building tunnels for nobody. It
// peeks and consumes nothing, so bytes that the client sends meanwhile
// (the next command, or a SILENT CONNECT's data) end the watch and stay
// buffered. unwatch ends the watch and waits for its goroutine; it must
// be called before the socket is read again.
func (h *handler) watchClose() (unwatch func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := h.cc.r.Peek(1); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return // unwatch's deadline
			}
			h.cancel()
		}
	}()
	return func() {
		h.cc.c.SetReadDeadline(time.Now()) // wakes the Peek
		<-done
		h.cc.c.SetReadDeadline(time.Time{})
	}
}

func (h *handler) closeSession() {
	if h.sess != nil {
		h.sess.close()
		h.sess = nil
	}
}

// dispatch runs cmd; true means the socket is done (closed, or handed to a
// stream and finished).
func (h *handler) dispatch(cmd Command) bool {
	switch cmd.Verb + " " + cmd.Sub {
	case "HELLO VERSION":
		h.cc.reply("HELLO REPLY", newError(ResultI2PError, "HELLO already done"))
	case "SESSION CREATE":
		h.sessionCreate(&cmd)
	case "SESSION ADD":
		h.sessionAdd(&cmd)
	case "SESSION REMOVE":
		h.sessionRemove(&cmd)
	case "STREAM CONNECT", "STREAM ACCEPT", "STREAM FORWARD":
		if h.sess != nil {
			h.cc.reply("STREAM STATUS", newError(ResultI2PError, "STREAM commands need their own socket, not the session's"))
			return false
		}
		switch cmd.Sub {
		case "CONNECT":
			h.streamConnect(&cmd)
		case "ACCEPT":
			h.streamAccept(&cmd)
		default:
			h.streamForward(&cmd)
		}
		return true
	case "DATAGRAM SEND", "RAW SEND":
		return !h.datagramSend(&cmd)
	case "NAMING LOOKUP":
		h.namingLookup(&cmd)
	case "DEST GENERATE":
		h.destGenerate(&cmd)
	case "PING ":
		h.cc.writeLine("PONG" + cmd.Text)
	case "PONG ":
	case "QUIT ", "STOP ", "EXIT ":
		return true
	default:
		h.cc.reply(statusPrefix(cmd.Verb), newError(ResultI2PError, "unknown command "+strings.TrimSpace(cmd.Verb+" "+cmd.Sub)))
	}
	return false
}

// namingLookup handles NAMING LOOKUP. OPTIONS=true is accepted, but the
// Network interface carries no leaseset options, so none are returned.
func (h *handler) namingLookup(cmd *Command) {
	const prefix = "NAMING REPLY"
	name, ok := cmd.Get("NAME")
	nameArg := "NAME=" + quoteIfNeeded(name)
	if !ok || name == "" {
		h.cc.reply(prefix, newError(ResultInvalidKey, "missing NAME"), nameArg)
		return
	}
	var d data.Destination
	var err error
	switch {
	case name == "ME":
		if h.sess == nil {
			h.cc.reply(prefix, newError(ResultI2PError, "NAME=ME needs a session on this socket"), nameArg)
			return
		}
		d = h.sess.keys.Destination
	case len(name) >= 516 && !strings.Contains(name, "."):
		d, err = data.DestinationFromBase64(name)
		if err != nil {
			err = &Error{Result: ResultInvalidKey, Err: err}
		}
	default:
		unwatch := h.watchClose()
		d, err = h.b.lookup(h.ctx, name)
		unwatch()
	}
	if err != nil {
		h.cc.reply(prefix, err, nameArg)
		return
	}
	h.cc.reply(prefix, nil, nameArg, "VALUE="+d.Base64())
}

// lookup resolves a name with the Network, mapping untyped failures to
// KEY_NOT_FOUND.
func (b *Bridge) lookup(ctx context.Context, name string) (data.Destination, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.LookupTimeout)
	defer cancel()
	d, err := b.net.Lookup(ctx, name)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return d, err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return d, &Error{Result: ResultTimeout, Err: err}
		}
		return d, &Error{Result: ResultKeyNotFound, Err: err}
	}
	if d.IsZero() {
		return d, newError(ResultKeyNotFound, "")
	}
	return d, nil
}

// destGenerate handles DEST GENERATE.
func (h *handler) destGenerate(cmd *Command) {
	const prefix = "DEST REPLY"
	k, err := generate(cmd, h.b.cfg.Rand)
	if err != nil {
		h.cc.reply(prefix, err)
		return
	}
	priv, err := k.Base64()
	if err != nil {
		h.cc.reply(prefix, err)
		return
	}
	h.cc.writeLine(prefix + " PUB=" + k.Destination.Base64() + " PRIV=" + priv)
}
