package irc

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// LocalDialer connects to the local ircd. *net.Dialer implements it.
type LocalDialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Server tunnel methods (Java's ircserver.method).
const (
	MethodUser   = "user"   // rewrite the host field of USER
	MethodWebIRC = "webirc" // send WEBIRC first
)

// ServerConfig configures an IRC server tunnel (i2ptunnel type ircserver).
// Zero fields mean the default; the names in brackets are Java's custom
// options.
type ServerConfig struct {
	// Target is the local ircd, "host:port". Required.
	Target string
	// Method is MethodUser or MethodWebIRC [ircserver.method]. Empty means
	// MethodWebIRC when WebIRCPassword is set, else MethodUser.
	Method string
	// WebIRCPassword [ircserver.webircPassword]; required for MethodWebIRC.
	WebIRCPassword string
	// WebIRCGateway is the gateway name in the WEBIRC line (default
	// "cgiirc", fixed in Java and i2pd).
	WebIRCGateway string
	// WebIRCSpoofIP is the IP in the WEBIRC line (default "127.0.0.1")
	// [ircserver.webircSpoofIP].
	WebIRCSpoofIP string
	// CloakKey is the passphrase behind %c [ircserver.cloakKey]. Empty
	// means a random key for the life of this Server.
	CloakKey string
	// FakeHostname is the host name the ircd sees [ircserver.fakeHostname]
	// (default "%f.b32.i2p"): %f is the client's full base32 hash, %c its
	// cloaked hash.
	FakeHostname string
	// HeaderTimeout bounds reading the registration lines up to USER
	// (default DefaultHeaderTimeout).
	HeaderTimeout time.Duration
	// DialTimeout bounds the connect to Target (default DefaultDialTimeout).
	DialTimeout time.Duration
}

// ErrUnavailable is what a client hears when the ircd cannot be reached
// (Java I2PTunnelIRCServer.ERR_UNAVAILABLE, with its typo fixed).
const ErrUnavailable = ":ircserver.i2p 499 you :This I2P IRC server is unavailable. " +
	"It may be down or undergoing maintenance. Please try again later.\r\n"

// maxRegistrationLines is how many lines may come before USER or SERVER
// (Java filterRegistration).
const maxRegistrationLines = 10

// Server is an IRC server tunnel: it carries I2P streams to a local ircd,
// telling the ircd each client's destination as its host name.
type Server struct {
	cfg      ServerConfig
	cloakKey [32]byte
	local    LocalDialer
	log      *slog.Logger
}

// NewServer validates cfg. It does no I/O. A nil local uses a *net.Dialer;
// a nil log discards.
func NewServer(cfg ServerConfig, local LocalDialer, log *slog.Logger) (*Server, error) {
	if cfg.Target == "" {
		return nil, errors.New("irc: no target")
	}
	if cfg.Method == "" {
		cfg.Method = MethodUser
		if cfg.WebIRCPassword != "" {
			cfg.Method = MethodWebIRC
		}
	}
	switch cfg.Method {
	case MethodUser:
	case MethodWebIRC:
		if cfg.WebIRCPassword == "" || strings.ContainsAny(cfg.WebIRCPassword, " \r\n") {
			return nil, errors.New("irc: webirc needs a password without spaces")
		}
	default:
		return nil, fmt.Errorf("irc: unknown method %q", cfg.Method)
	}
	if cfg.WebIRCGateway == "" {
		cfg.WebIRCGateway = "cgiirc"
	}
	if cfg.WebIRCSpoofIP == "" {
		cfg.WebIRCSpoofIP = "127.0.0.1"
	}
	if cfg.FakeHostname == "" {
		cfg.FakeHostname = "%f.b32.i2p"
	}
	for _, f := range []string{cfg.WebIRCGateway, cfg.WebIRCSpoofIP, cfg.FakeHostname} {
		if strings.ContainsAny(f, " \r\n") {
			return nil, fmt.Errorf("irc: %q: spaces or newlines not allowed", f)
		}
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	s := &Server{cfg: cfg, local: local}
	if cfg.CloakKey != "" {
		s.cloakKey = sha256.Sum256([]byte(strings.TrimSpace(cfg.CloakKey)))
	} else {
		rand.Read(s.cloakKey[:])
	}
	if s.local == nil {
		s.local = &net.Dialer{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.log = log.With("component", "ircserver")
	return s, nil
}

// PeerHash returns the destination hash of the far end of an I2P stream.
// The router's stream conns have RemoteAddr().String() ==
// "<52 base32 chars>.b32.i2p:<port>"; the ":port" is optional here.
func PeerHash(stream net.Conn) (data.Hash, error) {
	var h data.Hash
	a := stream.RemoteAddr()
	if a == nil {
		return h, errors.New("irc: stream has no remote address")
	}
	s := a.String()
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	b32, ok := strings.CutSuffix(strings.ToLower(s), ".b32.i2p")
	if !ok || len(b32) != 52 {
		return h, fmt.Errorf("irc: remote address %q is not a b32 address", a.String())
	}
	b, err := data.Base32Decode(b32)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("irc: remote address %q is not a b32 address", a.String())
	}
	copy(h[:], b)
	return h, nil
}

// Hostname is the host name the ircd is told for a client: FakeHostname
// with %f replaced by the base32 of hash and %c by the base32 of
// SHA-256(hash || cloak key).
//
// Java hashes the full Destination with the key, but its arraycopy has the
// arguments swapped, so it hashes zeros || key and every client gets the
// same %c. Here the 32-byte hash stands in for the Destination (the stream
// gives us no more) and the copy is done right.
func (s *Server) Hostname(hash data.Hash) string {
	var b [64]byte
	copy(b[:32], hash[:])
	copy(b[32:], s.cloakKey[:])
	c := sha256.Sum256(b[:])
	r := strings.NewReplacer("%f", data.Base32Encode(hash[:]), "%c", data.Base32Encode(c[:]))
	return r.Replace(s.cfg.FakeHostname)
}

// Serve accepts I2P streams on ln until ctx is done and serves each with
// ServeConn; it then closes ln and every connection, waits and returns
// ctx.Err().
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return serveListener(ctx, ln, s.log, func(ctx context.Context, c net.Conn) {
		if err := s.ServeConn(ctx, c); err != nil {
			s.log.Debug("connection", "err", err)
		}
	})
}

// ServeConn carries one I2P stream to the ircd and blocks until either side
// closes or ctx is done. It always closes stream. With MethodUser it first
// reads the client's registration (at most 10 lines up to USER or SERVER,
// within HeaderTimeout) and rewrites the USER host field; with
// MethodWebIRC it sends "WEBIRC <password> <gateway> <hostname> <ip>"
// first. After that the bytes go through unfiltered, as in Java. If the
// ircd cannot be reached the client gets ErrUnavailable.
func (s *Server) ServeConn(ctx context.Context, stream net.Conn) error {
	defer stream.Close()
	stop := context.AfterFunc(ctx, func() { stream.Close() })
	defer stop()
	hash, err := PeerHash(stream)
	if err != nil {
		return err
	}
	host := s.Hostname(hash)
	var head []byte
	if s.cfg.Method == MethodWebIRC {
		head = []byte("WEBIRC " + s.cfg.WebIRCPassword + " " + s.cfg.WebIRCGateway + " " +
			host + " " + s.cfg.WebIRCSpoofIP + "\r\n")
	} else {
		stream.SetReadDeadline(time.Now().Add(s.cfg.HeaderTimeout))
		lr := newLineReader(stream, MaxLine-2)
		head, err = filterRegistration(lr, host)
		if err != nil {
			return fmt.Errorf("irc: registration from %s: %w", host, err)
		}
		stream.SetReadDeadline(time.Time{})
		head = append(head, lr.rest()...)
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	ircd, err := s.local.DialContext(dctx, "tcp", s.cfg.Target)
	cancel()
	if err != nil {
		stream.SetWriteDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(stream, ErrUnavailable)
		return fmt.Errorf("irc: connect to ircd %s: %w", s.cfg.Target, err)
	}
	defer ircd.Close()
	stopIrcd := context.AfterFunc(ctx, func() { ircd.Close() })
	defer stopIrcd()
	if _, err := ircd.Write(head); err != nil {
		return fmt.Errorf("irc: write to ircd: %w", err)
	}
	s.log.Debug("connected", "peer", host)
	var wg sync.WaitGroup
	wg.Go(func() {
		io.CopyBuffer(stream, ircd, make([]byte, 4096))
		stream.Close()
		ircd.Close()
	})
	io.CopyBuffer(ircd, stream, make([]byte, 4096))
	stream.Close()
	ircd.Close()
	wg.Wait()
	return nil
}

// javaTrim is Java's String.trim: it strips bytes <= ' ' at both ends.
func javaTrim(b []byte) []byte {
	return bytes.TrimFunc(b, func(r rune) bool { return r <= ' ' })
}

// filterRegistration reads lines up to USER or SERVER and returns them with
// CR LF, USER rewritten (Java I2PTunnelIRCServer.filterRegistration):
//
//	USER zzz1 hostname localhost :zzz  ->  USER zzz1 <host> localhost :zzz
//
// A ":prefix" before the command is dropped (Java would reject a prefixed
// USER as too short, a quirk of its split limit).
func filterRegistration(lr *lineReader, host string) ([]byte, error) {
	var buf []byte
	for n := 1; ; n++ {
		line, long, err := lr.next()
		if err != nil {
			if err == io.EOF {
				return nil, errors.New("EOF before USER")
			}
			return nil, err
		}
		if n > maxRegistrationLines {
			return nil, errors.New("too many lines before USER or SERVER")
		}
		if long {
			return nil, errors.New("registration line too long")
		}
		line = javaTrim(line)
		rest := line
		if len(rest) > 0 && rest[0] == ':' {
			i := bytes.IndexByte(rest, ' ')
			if i < 0 {
				return nil, errors.New("defective line")
			}
			rest = rest[i+1:]
		}
		field := strings.SplitN(string(rest), " ", 5)
		cmd := upperASCII(field[0])
		if cmd == "" {
			return nil, errors.New("defective line")
		}
		if cmd == "USER" {
			if len(field) < 5 {
				return nil, errors.New("too few parameters in USER")
			}
			buf = fmt.Appendf(buf, "USER %s %s %s %s\r\n", field[1], host, field[3], field[4])
			return buf, nil
		}
		buf = append(buf, line...)
		buf = append(buf, '\r', '\n')
		if cmd == "SERVER" {
			return buf, nil
		}
	}
}
