package ntcp2

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/i2pgo/i2pgo/router/crypto/noise"
	"golang.org/x/sync/errgroup"
)

// targetFrame is the plaintext size the writer aims for when it batches
// queued messages into one frame (ntcp2.rst recommends a few KB).
const targetFrame = 16 << 10

// Session is an established NTCP2 connection with one peer.
//
// It runs on two goroutines: the reader decrypts frames and hands blocks to
// the Handler; the writer drains the control queue first, then the message
// queue, batching messages into frames. Neither queue is ever closed; the
// done channel ends the writer.
type Session struct {
	t        *Transport
	conn     net.Conn
	remote   [32]byte
	outbound bool
	created  time.Time
	skew     time.Duration

	send, recv frameCipher // send is used only by the writer, recv only by the reader

	queue chan []byte // I2NP messages, short-header form
	ctrl  chan []byte // whole block sequences: termination, RouterInfo, DateTime

	framesRecv   atomic.Uint64
	bytesIn      atomic.Uint64
	bytesOut     atomic.Uint64
	lastActivity atomic.Int64 // unix nanos of the last I2NP or RouterInfo block either way

	closeOnce sync.Once
	done      chan struct{} // closed by fail
	errMu     sync.Mutex
	err       error
	reason    uint8 // termination reason to send, set with err
}

func (t *Transport) newSession(c net.Conn, res *handshakeResult, outbound bool) *Session {
	s := &Session{
		t: t, conn: c, remote: res.remote, outbound: outbound, created: time.Now(), skew: res.skew,
		send: res.send, recv: res.recv,
		queue: make(chan []byte, orInt(t.cfg.QueueLen, 512)),
		ctrl:  make(chan []byte, 8),
		done:  make(chan struct{}),
	}
	s.lastActivity.Store(time.Now().UnixNano())
	return s
}

// Remote is the peer's router ident hash.
func (s *Session) Remote() [32]byte { return s.remote }

// Outbound reports whether we initiated the session.
func (s *Session) Outbound() bool { return s.outbound }

// Created is when the session was established.
func (s *Session) Created() time.Time { return s.created }

// ClockSkew is the peer's clock minus ours as seen in the handshake
// (outbound sessions only; 0 for inbound).
func (s *Session) ClockSkew() time.Duration { return s.skew }

// BytesIn and BytesOut count the bytes on the wire.
func (s *Session) BytesIn() uint64  { return s.bytesIn.Load() }
func (s *Session) BytesOut() uint64 { return s.bytesOut.Load() }

// Done is closed when the session ends.
func (s *Session) Done() <-chan struct{} { return s.done }

func (s *Session) closedErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// fail records the first error and reason and signals the goroutines.
func (s *Session) fail(err error, reason uint8) {
	s.closeOnce.Do(func() {
		s.errMu.Lock()
		s.err, s.reason = err, reason
		s.errMu.Unlock()
		close(s.done)
	})
}

// Close ends the session, sending a termination block with reason first.
func (s *Session) Close(reason uint8) {
	s.fail(&TerminationError{Reason: reason}, reason)
}

// Send queues one I2NP message in short-header form (9-byte header plus
// body, at most 65516 bytes). It never blocks: when the queue is full the
// oldest queued message is dropped and counted. The session keeps msg.
func (s *Session) Send(msg []byte) error {
	if len(msg) < 9 || len(msg) > MaxPayload-3 {
		return fmt.Errorf("%w: I2NP message of %d bytes", ErrBlockSize, len(msg))
	}
	select {
	case <-s.done:
		return ErrClosed
	default:
	}
	for {
		select {
		case s.queue <- msg:
			return nil
		default:
		}
		select {
		case <-s.queue:
			s.t.dropped.Add(1)
		default:
		}
	}
}

// SendRouterInfo queues a RouterInfo block (e.g. our updated RouterInfo).
func (s *Session) SendRouterInfo(ri []byte, flood bool) error {
	var flag byte
	if flood {
		flag = 1
	}
	b := make([]byte, 0, 4+len(ri))
	b = append(b, byte(BlockRouterInfo), byte((len(ri)+1)>>8), byte(len(ri)+1), flag)
	b = append(b, ri...)
	if len(b) > MaxPayload-64 {
		return fmt.Errorf("%w: RouterInfo of %d bytes", ErrBlockSize, len(ri))
	}
	select {
	case s.ctrl <- b:
		return nil
	case <-s.done:
		return ErrClosed
	default:
		return ErrQueueFull
	}
}

func (s *Session) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.readLoop() })
	g.Go(func() error { return s.writeLoop(gctx) })
	g.Wait()
	s.conn.Close()
	return s.closedErr()
}

func (s *Session) readLoop() error {
	defer s.conn.Close()
	var buf []byte
	t := s.t
	for {
		s.conn.SetReadDeadline(time.Now().Add(t.cfg.idle() + t.cfg.keepAlive()))
		p, nb, err := s.recv.readFrame(s.conn, buf)
		buf = nb
		if err != nil {
			select {
			case <-s.done: // we closed it
				return nil
			default:
			}
			var te *TerminationError
			switch {
			case errors.Is(err, ErrFrameLength):
				s.fail(fmt.Errorf("ntcp2: %x: %w", s.remote[:4], err), ReasonFramingError)
			case errors.Is(err, noise.ErrAuth):
				s.fail(fmt.Errorf("ntcp2: %x: data phase AEAD failure", s.remote[:4]), ReasonAEADFailure)
			case errors.As(err, &te):
				s.fail(err, ReasonNormal)
			default:
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					s.fail(fmt.Errorf("ntcp2: %x: idle", s.remote[:4]), ReasonIdleTimeout)
				} else {
					s.fail(fmt.Errorf("ntcp2: %x: read: %w", s.remote[:4], err), 255)
				}
			}
			return nil
		}
		n := uint64(len(p) + 18)
		s.bytesIn.Add(n)
		t.bytesIn.Add(n)
		t.framesIn.Add(1)
		s.framesRecv.Add(1)
		blocks, err := ParseBlocks(p)
		if err != nil {
			s.fail(fmt.Errorf("ntcp2: %x: %w", s.remote[:4], err), ReasonPayloadFormat)
			return nil
		}
		for _, b := range blocks {
			switch b.Type {
			case BlockI2NP:
				s.lastActivity.Store(time.Now().UnixNano())
				t.cfg.Handler.HandleI2NP(s.remote, append([]byte(nil), b.Data...))
			case BlockRouterInfo:
				s.lastActivity.Store(time.Now().UnixNano())
				t.cfg.Handler.HandleRouterInfo(s.remote, append([]byte(nil), b.Data[1:]...), b.Data[0]&1 != 0)
			case BlockTermination:
				te := parseTermination(b.Data)
				s.fail(te, 255) // no termination is sent back
				return nil
			}
		}
	}
}

func (s *Session) writeLoop(ctx context.Context) error {
	t := s.t
	defer s.conn.Close()
	ka := time.NewTimer(t.cfg.keepAlive())
	defer ka.Stop()
	frame := make([]byte, 0, targetFrame+64)
	plain := make([]byte, 0, targetFrame+64)
	for {
		plain = plain[:0]
		select {
		case <-s.done:
			s.sendTermination(frame[:0], plain)
			return nil
		case b := <-s.ctrl:
			plain = append(plain, b...)
			if b[0] == byte(BlockRouterInfo) {
				s.lastActivity.Store(time.Now().UnixNano())
			}
		case m := <-s.queue:
			plain = appendI2NP(plain, m)
			s.lastActivity.Store(time.Now().UnixNano())
		batch:
			for len(plain) < targetFrame {
				select {
				case m := <-s.queue:
					if len(plain)+len(m)+3+16+3 > MaxPayload {
						// too big for this frame: send alone next.
						f, err := s.writeFrame(frame[:0], appendPadding(plain))
						if err != nil {
							return nil
						}
						frame = f
						plain = appendI2NP(plain[:0], m)
						continue
					}
					plain = appendI2NP(plain, m)
				default:
					break batch
				}
			}
		case <-ka.C:
			idle := time.Since(time.Unix(0, s.lastActivity.Load()))
			if idle > t.cfg.idle() {
				s.fail(fmt.Errorf("ntcp2: %x: idle for %v", s.remote[:4], idle.Round(time.Second)), ReasonIdleTimeout)
				continue
			}
			// Keepalive: a DateTime block keeps the peer's idle timer
			// (i2pd: 120 s) from closing a session we still want.
			plain = binary.BigEndian.AppendUint32(append(plain, byte(BlockDateTime), 0, 4), nowSeconds(t.cfg.now()))
		case <-ctx.Done():
			s.fail(&TerminationError{Reason: ReasonShutdown}, ReasonShutdown)
			s.sendTermination(frame[:0], plain)
			return nil
		}
		f, err := s.writeFrame(frame[:0], appendPadding(plain))
		if err != nil {
			return nil
		}
		frame = f
		ka.Reset(t.cfg.keepAlive())
	}
}

// sendTermination sends the termination block for the reason recorded by
// fail (255: none) and closes the connection, which also ends the reader.
func (s *Session) sendTermination(frame, plain []byte) {
	defer s.conn.Close()
	s.errMu.Lock()
	reason := s.reason
	s.errMu.Unlock()
	if reason == 255 {
		return
	}
	p := appendPadding(appendTermination(plain[:0], s.framesRecv.Load(), reason))
	if f, err := s.send.seal(frame, p); err == nil {
		s.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		s.conn.Write(f)
	}
}

func (s *Session) writeFrame(dst, p []byte) ([]byte, error) {
	f, err := s.send.seal(dst, p)
	if err != nil {
		s.fail(err, ReasonNormal)
		return dst, err
	}
	s.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.conn.Write(f); err != nil {
		s.fail(fmt.Errorf("ntcp2: %x: write: %w", s.remote[:4], err), 255)
		return f, err
	}
	n := uint64(len(f))
	s.bytesOut.Add(n)
	s.t.bytesOut.Add(n)
	s.t.framesOut.Add(1)
	return f, nil
}

func appendI2NP(b, msg []byte) []byte {
	b = append(b, byte(BlockI2NP), byte(len(msg)>>8), byte(len(msg)))
	return append(b, msg...)
}

// appendPadding adds a padding block of 0..15 bytes plus about 3 % of the
// frame, within the limits i2pd uses (NTCP2_MAX_PADDING_RATIO 6 %).
func appendPadding(b []byte) []byte {
	n := mrand.IntN(16) + mrand.IntN(len(b)/32+1)
	if len(b)+3+n > MaxPayload {
		n = MaxPayload - len(b) - 3
		if n < 0 {
			return b
		}
	}
	b = append(b, byte(BlockPadding), byte(n>>8), byte(n))
	start := len(b)
	b = append(b, make([]byte, n)...)
	rand.Read(b[start:])
	return b
}
