package sam

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/i2pgo/i2pgo/router/data"
)

type style uint8

const (
	styleStream style = iota + 1
	styleDatagram
	styleRaw
	styleDatagram2
	styleDatagram3
	stylePrimary
)

var styleNames = map[string]style{
	"STREAM":    styleStream,
	"DATAGRAM":  styleDatagram,
	"RAW":       styleRaw,
	"DATAGRAM2": styleDatagram2,
	"DATAGRAM3": styleDatagram3,
	"PRIMARY":   stylePrimary,
	"MASTER":    stylePrimary, // the name before 0.9.47
}

func (st style) String() string {
	for n, s := range styleNames {
		if s == st && n != "MASTER" {
			return n
		}
	}
	return "style(" + strconv.Itoa(int(st)) + ")"
}

// datagrams reports whether st sends and receives datagrams.
func (st style) datagrams() bool { return st >= styleDatagram && st <= styleDatagram3 }

// repliable reports whether st's datagrams carry their sender.
func (st style) repliable() bool {
	return st == styleDatagram || st == styleDatagram2 || st == styleDatagram3
}

// session is a SAM session or subsession.
//
// Ownership: the handler of the control socket that created a plain or
// primary session closes it when that socket ends; a primary session
// closes its subsessions; close waits for the session's goroutines (the
// accept loop and the datagram writer).
type session struct {
	b      *Bridge
	id     string
	style  style
	cc     *ctlConn // the control socket
	keys   *PrivateKeys
	dest   Destination // shared with the parent for subsessions
	parent *session    // the primary session, for subsessions
	log    *slog.Logger

	// Options, fixed after creation.
	fromPort, toPort uint16
	proto            uint8 // RAW: the protocol sent
	listenPort       uint16
	listenProto      uint8 // RAW: the protocol received; 0 any
	header           bool  // RAW: HEADER=true
	fwdAddr          *net.UDPAddr
	fwdConn          net.PacketConn // own forwarding socket, when ServeUDP is not running

	ctx    context.Context // done when the session closes
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and the datagram writer

	// Streams.
	ln      net.Listener
	waiters chan *waiter // ACCEPT and FORWARD requests to the accept loop; never closed

	mu         sync.Mutex
	forwarding bool                // a STREAM FORWARD is active
	accepting  int                 // STREAM ACCEPTs waiting
	subs       map[string]*session // primary only: subsessions by ID
	closed     bool

	// Datagrams.
	dgq   chan Datagram // to the datagram writer; never closed
	drops atomic.Uint64

	ready bool // registered and started; guarded by b.mu
}

// samKeys are the SESSION options the bridge interprets; the others go to
// the router in DestinationConfig.Options.
var samKeys = map[string]bool{
	"STYLE": true, "ID": true, "DESTINATION": true, "SIGNATURE_TYPE": true,
	"CRYPTO_TYPE": true, "PORT": true, "HOST": true, "FROM_PORT": true,
	"TO_PORT": true, "PROTOCOL": true, "HEADER": true, "LISTEN_PORT": true,
	"LISTEN_PROTOCOL": true, "SILENT": true, "sam.udp.host": true,
	"sam.udp.port": true,
}

func parseUint(cmd *Command, key string, bits int, def uint64) (uint64, error) {
	v, ok := cmd.Get(key)
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, newError(ResultI2PError, "bad "+key+"="+v)
	}
	return n, nil
}

func parseBool(cmd *Command, key string) (bool, error) {
	switch v := cmd.Value(key); strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, newError(ResultI2PError, "bad "+key+"="+v)
	}
}

// validID reports whether id may name a session.
func validID(id string) bool {
	return id != "" && !strings.ContainsAny(id, " \t\r\n\"\\")
}

// parseOptions reads the session options of SESSION CREATE or ADD.
func (s *session) parseOptions(cmd *Command, remote net.Addr) error {
	n, err := parseUint(cmd, "FROM_PORT", 16, 0)
	if err != nil {
		return err
	}
	s.fromPort = uint16(n)
	if n, err = parseUint(cmd, "TO_PORT", 16, 0); err != nil {
		return err
	}
	s.toPort = uint16(n)
	if s.style == styleRaw {
		if n, err = parseUint(cmd, "PROTOCOL", 8, uint64(protoRaw)); err != nil {
			return err
		}
		switch uint8(n) {
		case protoStreaming, protoDatagram, protoDatagram2, protoDatagram3:
			return newError(ResultI2PError, fmt.Sprintf("PROTOCOL=%d not allowed", n))
		}
		s.proto = uint8(n)
		if n, err = parseUint(cmd, "LISTEN_PROTOCOL", 8, uint64(s.proto)); err != nil {
			return err
		}
		if uint8(n) == protoStreaming {
			return newError(ResultI2PError, "LISTEN_PROTOCOL=6 not allowed")
		}
		s.listenProto = uint8(n)
		if s.header, err = parseBool(cmd, "HEADER"); err != nil {
			return err
		}
	}
	def := uint64(0)
	if s.parent != nil {
		def = uint64(s.fromPort)
	}
	if n, err = parseUint(cmd, "LISTEN_PORT", 16, def); err != nil {
		return err
	}
	s.listenPort = uint16(n)
	if s.style == styleStream && s.listenPort != 0 && s.listenPort != s.fromPort {
		return newError(ResultI2PError, "LISTEN_PORT of a STREAM session must be 0 or FROM_PORT")
	}
	if s.style.datagrams() {
		port, err := parseUint(cmd, "PORT", 16, 0)
		if err != nil {
			return err
		}
		if port != 0 {
			host := cmd.Value("HOST")
			if host == "" {
				host = "127.0.0.1"
				if ta, ok := remote.(*net.TCPAddr); ok {
					host = ta.IP.String()
				}
			}
			a, err := net.ResolveUDPAddr("udp", net.JoinHostPort(host, strconv.Itoa(int(port))))
			if err != nil {
				return &Error{Result: ResultI2PError, Message: "bad HOST", Err: err}
			}
			s.fwdAddr = a
		}
	}
	return nil
}

// destOptions returns the options the router interprets.
func destOptions(cmd *Command) map[string]string {
	m := make(map[string]string)
	for _, a := range cmd.Args {
		if !samKeys[a.Key] {
			m[a.Key] = a.Value
		}
	}
	return m
}

// sessionKeys returns the keys of DESTINATION=.
func sessionKeys(cmd *Command, rand io.Reader) (keys *PrivateKeys, transient bool, err error) {
	v, ok := cmd.Get("DESTINATION")
	if !ok || v == "" {
		return nil, false, newError(ResultI2PError, "missing DESTINATION")
	}
	if v != "TRANSIENT" {
		k, err := PrivateKeysFromBase64(v)
		switch {
		case errors.Is(err, ErrOfflineKeys):
			return nil, false, &Error{Result: ResultI2PError, Err: err}
		case err != nil:
			return nil, false, &Error{Result: ResultInvalidKey, Err: err}
		}
		return k, false, nil
	}
	k, err := generate(cmd, rand)
	return k, true, err
}

// generate makes keys from SIGNATURE_TYPE and CRYPTO_TYPE (i2pd's option).
// The default signature type is Ed25519, not the spec's DSA_SHA1: this
// router signs with Ed25519 only.
func generate(cmd *Command, rand io.Reader) (*PrivateKeys, error) {
	sig := SigEd25519
	if v := cmd.Value("SIGNATURE_TYPE"); v != "" {
		t, err := ParseSigType(v)
		if err != nil {
			return nil, &Error{Result: ResultI2PError, Err: err}
		}
		sig = t
	}
	enc, err := parseUint(cmd, "CRYPTO_TYPE", 16, 0)
	if err != nil {
		return nil, err
	}
	k, err := GenerateKeys(sig, data.CryptoType(enc), rand)
	if err != nil {
		return nil, &Error{Result: ResultI2PError, Err: err}
	}
	return k, nil
}

// register reserves s's ID and, for plain and primary sessions, its
// destination. The session is not visible to lookups until started.
func (b *Bridge) register(s *session) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.sessions[s.id]; dup {
		return newError(ResultDuplicatedID, "")
	}
	if s.parent == nil {
		h := s.keys.Destination.Hash()
		if _, dup := b.dests[h]; dup {
			return newError(ResultDuplicatedDest, "")
		}
		b.dests[h] = s
	}
	b.sessions[s.id] = s
	return nil
}

func (b *Bridge) unregister(s *session) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sessions[s.id] == s {
		delete(b.sessions, s.id)
	}
	if s.parent == nil && s.keys != nil {
		h := s.keys.Destination.Hash()
		if b.dests[h] == s {
			delete(b.dests, h)
		}
	}
}

// start opens s's listener and goroutines and makes it visible.
func (s *session) start() error {
	s.ctx, s.cancel = context.WithCancel(context.Background())
	switch {
	case s.style == styleStream:
		port := s.listenPort
		ln, err := s.dest.Listen(port)
		if err != nil {
			s.cancel()
			return &Error{Result: ResultI2PError, Message: "listen", Err: err}
		}
		s.ln = ln
		s.waiters = make(chan *waiter)
		s.wg.Go(s.acceptLoop)
	case s.style.datagrams():
		if s.fwdAddr != nil && s.b.udpConn() == nil {
			pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				s.cancel()
				return &Error{Result: ResultI2PError, Message: "forwarding socket", Err: err}
			}
			s.fwdConn = pc
		}
		s.dgq = make(chan Datagram, s.b.cfg.DatagramQueue)
		s.wg.Go(s.datagramWriter)
		if s.parent == nil {
			s.dest.HandleDatagrams(s.deliver)
		}
	case s.style == stylePrimary:
		s.subs = make(map[string]*session)
		s.dest.HandleDatagrams(s.route)
	}
	s.b.mu.Lock()
	s.ready = true
	s.b.mu.Unlock()
	return nil
}

// close ends s: unregisters it, stops its listener and goroutines, closes
// its subsessions and (unless it is one) its destination. Idempotent.
func (s *session) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	subs := make([]*session, 0, len(s.subs))
	for _, sub := range s.subs {
		subs = append(subs, sub)
	}
	s.mu.Unlock()
	s.b.unregister(s)
	for _, sub := range subs {
		sub.close()
	}
	if s.cancel != nil {
		s.cancel()
	}
	if s.ln != nil {
		s.ln.Close()
	}
	if s.parent == nil && s.dest != nil {
		s.dest.HandleDatagrams(nil)
		s.dest.Close()
	}
	s.wg.Wait()
	if s.fwdConn != nil {
		s.fwdConn.Close()
	}
	s.log.Debug("session closed", "id", s.id, "dropped", s.drops.Load())
}

func (h *handler) newSession(cmd *Command, st style, parent *session) (*session, error) {
	id := cmd.Value("ID")
	if !validID(id) {
		return nil, newError(ResultI2PError, "missing or bad ID")
	}
	s := &session{b: h.b, id: id, style: st, cc: h.cc, parent: parent, log: h.log.With("session", id)}
	if err := s.parseOptions(cmd, h.cc.c.RemoteAddr()); err != nil {
		return nil, err
	}
	return s, nil
}

// sessionCreate handles SESSION CREATE.
func (h *handler) sessionCreate(cmd *Command) {
	const prefix = "SESSION STATUS"
	if h.sess != nil {
		h.cc.reply(prefix, newError(ResultI2PError, "a session already exists on this socket"))
		return
	}
	st, ok := styleNames[strings.ToUpper(cmd.Value("STYLE"))]
	if !ok {
		h.cc.reply(prefix, newError(ResultI2PError, "missing or bad STYLE"))
		return
	}
	s, err := h.newSession(cmd, st, nil)
	if err != nil {
		h.cc.reply(prefix, err)
		return
	}
	keys, transient, err := sessionKeys(cmd, h.b.cfg.Rand)
	if err != nil {
		h.cc.reply(prefix, err)
		return
	}
	s.keys = keys
	if err := h.b.register(s); err != nil {
		h.cc.reply(prefix, err)
		return
	}
	unwatch := h.watchClose()
	dest, err := h.b.net.NewDestination(h.ctx, DestinationConfig{
		Keys: keys, Transient: transient, Nickname: s.id, Options: destOptions(cmd),
	})
	unwatch()
	if err != nil {
		h.b.unregister(s)
		h.cc.reply(prefix, err)
		return
	}
	s.dest = dest
	if err := s.start(); err != nil {
		h.b.unregister(s)
		dest.Close()
		h.cc.reply(prefix, err)
		return
	}
	h.sess = s
	priv, err := keys.Base64()
	if err != nil { // cannot happen: the keys were parsed or generated
		h.cc.reply(prefix, err)
		return
	}
	h.log.Debug("session created", "id", s.id, "style", st, "dest", keys)
	h.cc.reply(prefix, nil, "DESTINATION="+priv)
}

// sessionAdd handles SESSION ADD on a primary session's control socket.
func (h *handler) sessionAdd(cmd *Command) {
	const prefix = "SESSION STATUS"
	p := h.sess
	if p == nil || p.style != stylePrimary {
		h.cc.reply(prefix, newError(ResultI2PError, "SESSION ADD needs a PRIMARY session on this socket"))
		return
	}
	if _, ok := cmd.Get("DESTINATION"); ok {
		h.cc.reply(prefix, newError(ResultI2PError, "DESTINATION not allowed in SESSION ADD"))
		return
	}
	st, ok := styleNames[strings.ToUpper(cmd.Value("STYLE"))]
	if !ok || st == stylePrimary {
		h.cc.reply(prefix, newError(ResultI2PError, "missing or bad STYLE"))
		return
	}
	s, err := h.newSession(cmd, st, p)
	if err != nil {
		h.cc.reply(prefix, err)
		return
	}
	s.keys, s.dest = p.keys, p.dest
	p.mu.Lock()
	for _, o := range p.subs {
		if o.conflicts(s) {
			p.mu.Unlock()
			h.cc.reply(prefix, newError(ResultI2PError, "a subsession "+o.id+" already listens on that port and protocol"))
			return
		}
	}
	p.mu.Unlock()
	if err := h.b.register(s); err != nil {
		h.cc.reply(prefix, err)
		return
	}
	if err := s.start(); err != nil {
		h.b.unregister(s)
		h.cc.reply(prefix, err)
		return
	}
	p.mu.Lock()
	if p.closed { // cannot happen: only this handler closes p
		p.mu.Unlock()
		s.close()
		return
	}
	p.subs[s.id] = s
	p.mu.Unlock()
	h.cc.reply(prefix, nil, "ID="+quote(s.id), "MESSAGE="+quote("ADD "+s.id))
}

// conflicts reports whether o and s would receive the same traffic.
func (o *session) conflicts(s *session) bool {
	if (o.style == styleStream) != (s.style == styleStream) || o.listenPort != s.listenPort {
		return false
	}
	if o.style == styleRaw && s.style == styleRaw {
		return o.listenProto == s.listenProto
	}
	return o.style == s.style
}

// sessionRemove handles SESSION REMOVE.
func (h *handler) sessionRemove(cmd *Command) {
	const prefix = "SESSION STATUS"
	p := h.sess
	id := cmd.Value("ID")
	if p == nil || p.style != stylePrimary {
		h.cc.reply(prefix, newError(ResultI2PError, "SESSION REMOVE needs a PRIMARY session on this socket"))
		return
	}
	p.mu.Lock()
	s := p.subs[id]
	delete(p.subs, id)
	p.mu.Unlock()
	if s == nil {
		h.cc.reply(prefix, newError(ResultInvalidID, ""))
		return
	}
	s.close()
	h.cc.reply(prefix, nil, "ID="+quote(id), "MESSAGE="+quote("REMOVE "+id))
}
