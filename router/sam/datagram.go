package sam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/i2pgo/i2pgo/router/data"
)

// maxDatagram bounds SIZE= and UDP payloads: "I2P Datagrams will never be
// larger than 65536" (samv3.html).
const maxDatagram = 65536

// sendProto is the protocol of datagrams sent by s.
func (s *session) sendProto() uint8 {
	switch s.style {
	case styleDatagram:
		return protoDatagram
	case styleDatagram2:
		return protoDatagram2
	case styleDatagram3:
		return protoDatagram3
	}
	return s.proto
}

// score rates how well s matches an incoming datagram: -1 no match, else
// 2 for an exact protocol plus 1 for an exact port (0 means any).
func (s *session) score(d *Datagram) int {
	sc := 0
	switch s.style {
	case styleDatagram, styleDatagram2, styleDatagram3:
		if d.Proto != s.sendProto() {
			return -1
		}
		sc += 2
	case styleRaw:
		switch {
		case d.Proto == protoStreaming:
			return -1
		case s.listenProto == d.Proto:
			sc += 2
		case s.listenProto != 0:
			return -1
		}
	default:
		return -1
	}
	switch s.listenPort {
	case d.ToPort:
		sc++
	case 0:
	default:
		return -1
	}
	return sc
}

// deliver is the datagram handler of a plain datagram session.
func (s *session) deliver(d Datagram) {
	if s.score(&d) >= 0 {
		s.enqueue(d)
	}
}

// route is the datagram handler of a primary session: the best matching
// subsession gets the datagram; without one it is dropped.
func (s *session) route(d Datagram) {
	var best *session
	bestScore := -1
	s.mu.Lock()
	for _, sub := range s.subs {
		if sc := sub.score(&d); sc > bestScore {
			best, bestScore = sub, sc
		}
	}
	s.mu.Unlock()
	if best != nil {
		best.enqueue(d)
	}
}

func (s *session) enqueue(d Datagram) {
	select {
	case s.dgq <- d:
	default:
		s.drops.Add(1)
	}
}

// datagramWriter hands queued datagrams to the client.
func (s *session) datagramWriter() {
	for {
		select {
		case d := <-s.dgq:
			if err := s.writeDatagram(&d); err != nil {
				s.log.Debug("datagram delivery failed", "err", err)
			}
		case <-s.ctx.Done():
			return
		}
	}
}

// sender is the text SAM shows for the sender of d: the base64
// destination, or for Datagram3 the base64 hash.
func sender(d *Datagram) string {
	if d.Proto == protoDatagram3 || d.From.IsZero() {
		return data.Base64Encode(d.FromHash[:])
	}
	return d.From.Base64()
}

func (s *session) writeDatagram(d *Datagram) error {
	var b bytes.Buffer
	if s.fwdAddr == nil {
		if s.style == styleRaw {
			fmt.Fprintf(&b, "RAW RECEIVED SIZE=%d", len(d.Payload))
			if s.cc.minor >= 2 {
				fmt.Fprintf(&b, " FROM_PORT=%d TO_PORT=%d PROTOCOL=%d", d.FromPort, d.ToPort, d.Proto)
			}
		} else {
			fmt.Fprintf(&b, "DATAGRAM RECEIVED DESTINATION=%s SIZE=%d%s", sender(d), len(d.Payload), s.cc.ports(d.FromPort, d.ToPort))
		}
		b.WriteByte('\n')
		b.Write(d.Payload)
		return s.cc.write(b.Bytes())
	}
	switch {
	case s.style.repliable():
		fmt.Fprintf(&b, "%s%s\n", sender(d), s.cc.ports(d.FromPort, d.ToPort))
	case s.header:
		fmt.Fprintf(&b, "FROM_PORT=%d TO_PORT=%d PROTOCOL=%d\n", d.FromPort, d.ToPort, d.Proto)
	}
	b.Write(d.Payload)
	pc := s.fwdConn
	if pc == nil {
		pc = s.b.udpConn()
	}
	if pc == nil {
		return errors.New("sam: no UDP socket to forward from")
	}
	_, err := pc.WriteTo(b.Bytes(), s.fwdAddr)
	return err
}

// resolveHash turns a datagram's destination (base64, b32 or host name)
// into the hash SendDatagram takes.
func (b *Bridge) resolveHash(ctx context.Context, v string) (data.Hash, error) {
	if strings.HasSuffix(v, data.B32Suffix) && len(v) == 52+len(data.B32Suffix) {
		h, err := data.ParseB32Address(v)
		if err != nil {
			return h, &Error{Result: ResultInvalidKey, Err: err}
		}
		return h, nil
	}
	d, err := b.resolve(ctx, v)
	if err != nil {
		return data.Hash{}, err
	}
	return d.Hash(), nil
}

// send sends payload from s with the options of cmd (DESTINATION,
// FROM_PORT, TO_PORT and, for RAW, PROTOCOL), which override the session's.
func (b *Bridge) send(ctx context.Context, s *session, cmd *Command, payload []byte) error {
	if len(payload) == 0 || len(payload) > maxDatagram {
		return newError(ResultI2PError, fmt.Sprintf("datagram of %d bytes", len(payload)))
	}
	from, err := parseUint(cmd, "FROM_PORT", 16, uint64(s.fromPort))
	if err != nil {
		return err
	}
	to, err := parseUint(cmd, "TO_PORT", 16, uint64(s.toPort))
	if err != nil {
		return err
	}
	proto := uint64(s.sendProto())
	if s.style == styleRaw {
		if proto, err = parseUint(cmd, "PROTOCOL", 8, proto); err != nil {
			return err
		}
		switch uint8(proto) {
		case protoStreaming, protoDatagram, protoDatagram2, protoDatagram3:
			return newError(ResultI2PError, fmt.Sprintf("PROTOCOL=%d not allowed", proto))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.LookupTimeout)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	h, err := b.resolveHash(ctx, cmd.Value("DESTINATION"))
	if err != nil {
		return err
	}
	return s.dest.SendDatagram(ctx, h, uint8(proto), uint16(from), uint16(to), payload)
}

// datagramSend handles DATAGRAM SEND and RAW SEND on the bridge socket
// (the v1/v2 way): "DATAGRAM SEND DESTINATION=... SIZE=n [FROM_PORT=...]
// [TO_PORT=...] [PROTOCOL=...]\n" and n bytes. The session is this
// socket's (or the one named by ID). Success has no reply; an error is
// answered with "DATAGRAM STATUS" or "RAW STATUS". false means the socket
// must close (bad SIZE: the stream cannot be resynchronized).
func (h *handler) datagramSend(cmd *Command) bool {
	prefix := cmd.Verb + " STATUS"
	size, err := parseUint(cmd, "SIZE", 32, 0)
	if err != nil || size == 0 || size > maxDatagram {
		h.cc.reply(prefix, newError(ResultI2PError, "missing or bad SIZE"))
		return false
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(h.cc.r, payload); err != nil {
		return false
	}
	s := h.sess
	if id, ok := cmd.Get("ID"); ok {
		s = h.b.lookupSession(id)
	}
	switch {
	case s == nil:
		err = newError(ResultInvalidID, "")
	case cmd.Verb == "RAW" && s.style != styleRaw,
		cmd.Verb == "DATAGRAM" && !s.style.repliable():
		err = newError(ResultI2PError, cmd.Verb+" SEND on a "+s.style.String()+" session")
	default:
		err = h.b.send(h.ctx, s, cmd, payload)
	}
	if err != nil {
		h.cc.reply(prefix, err)
	}
	return true
}

// ServeUDP reads datagrams to send from pc (the spec's port 7655) until
// ctx is done, and forwards received datagrams of sessions with PORT= from
// it. Each datagram starts with a line
//
//	3.x $nickname $destination [FROM_PORT=n] [TO_PORT=n] [PROTOCOL=n] ...
//
// followed by the payload. Bad datagrams are dropped. ServeUDP closes pc
// when ctx is done and returns ctx.Err() once its sends have finished.
func (b *Bridge) ServeUDP(ctx context.Context, pc net.PacketConn) error {
	b.mu.Lock()
	if b.udp != nil {
		b.mu.Unlock()
		return errors.New("sam: ServeUDP already running")
	}
	b.udp = pc
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.udp = nil
		b.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, b.cfg.UDPSendWorkers)
	buf := make([]byte, maxDatagram+b.cfg.MaxLineLen)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("sam: UDP: %w", err)
		}
		pkt := bytes.Clone(buf[:n])
		select {
		case sem <- struct{}{}:
			wg.Go(func() {
				defer func() { <-sem }()
				if err := b.sendUDP(ctx, pkt); err != nil {
					b.log.Debug("UDP datagram dropped", "err", err)
				}
			})
		default:
			b.log.Debug("UDP datagram dropped: too many sends")
		}
	}
}

// sendUDP sends one datagram read from the UDP socket.
func (b *Bridge) sendUDP(ctx context.Context, pkt []byte) error {
	line, payload, ok := bytes.Cut(pkt, []byte{'\n'})
	if !ok || len(line) > b.cfg.MaxLineLen {
		return errors.New("sam: UDP datagram without header line")
	}
	toks, err := tokenize(strings.TrimSuffix(string(line), "\r"))
	if err != nil {
		return err
	}
	if len(toks) < 3 || (toks[0].text != "3" && !strings.HasPrefix(toks[0].text, "3.")) {
		return fmt.Errorf("%w: UDP header %q", ErrSyntax, line)
	}
	s := b.lookupSession(toks[1].text)
	if s == nil {
		return fmt.Errorf("sam: UDP datagram for unknown session %q", toks[1].text)
	}
	if !s.style.datagrams() {
		return fmt.Errorf("sam: UDP datagram for %s session %q", s.style, s.id)
	}
	cmd := Command{Args: []Arg{{Key: "DESTINATION", Value: toks[2].text}}}
	for _, t := range toks[3:] {
		if t.eq > 0 {
			cmd.Args = append(cmd.Args, Arg{Key: t.text[:t.eq], Value: t.text[t.eq+1:]})
		}
	}
	if err := b.send(ctx, s, &cmd, payload); err != nil {
		return fmt.Errorf("sam: UDP datagram for %q: %w", s.id, err)
	}
	return nil
}
