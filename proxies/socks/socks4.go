package socks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

// request4 is a parsed SOCKS 4 or 4a request.
type request4 struct {
	cmd  byte
	port uint16
	ip   [4]byte
	user string
	host string // 4a only
}

var errTooLong = errors.New("socks: over-long field")

// readRequest4 reads a SOCKS 4/4a request, version byte included, with
// every field bounded.
func readRequest4(br *bufio.Reader) (request4, error) {
	var h [8]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return request4{}, fmt.Errorf("socks: socks4 request: %w", err)
	}
	if h[0] != 4 {
		return request4{}, fmt.Errorf("%w: version %d", errProtocol, h[0])
	}
	r := request4{cmd: h[1], port: binary.BigEndian.Uint16(h[2:4])}
	copy(r.ip[:], h[4:8])
	var err error
	if r.user, err = readCString(br); err != nil {
		return r, err
	}
	if r.ip[0] == 0 && r.ip[1] == 0 && r.ip[2] == 0 && r.ip[3] != 0 {
		if r.host, err = readCString(br); err != nil {
			return r, err
		}
		if r.host == "" {
			return r, fmt.Errorf("%w: empty socks4a host", errProtocol)
		}
	}
	return r, nil
}

// readCString reads a NUL-terminated string of at most maxNameLen bytes.
func readCString(br *bufio.Reader) (string, error) {
	var b bytes.Buffer
	for {
		c, err := br.ReadByte()
		if err != nil {
			return "", fmt.Errorf("socks: socks4 request: %w", err)
		}
		if c == 0 {
			return b.String(), nil
		}
		if b.Len() == maxNameLen {
			return "", errTooLong
		}
		b.WriteByte(c)
	}
}

func reply4(w io.Writer, code byte) error {
	// Java replies 127.0.0.1 port 1 on success, port 0 on errors.
	b := []byte{0, code, 0, 0, 127, 0, 0, 1}
	if code == rep4Granted {
		b[3] = 1
	}
	_, err := w.Write(b)
	return err
}

// serve4 runs a SOCKS 4 or 4a session; br holds the peeked version byte.
func (s *Server) serve4(ctx context.Context, c net.Conn, br *bufio.Reader) error {
	req, err := readRequest4(br)
	if err != nil {
		if errors.Is(err, errTooLong) || errors.Is(err, errProtocol) {
			reply4(c, rep4Rejected)
		}
		return err
	}
	if s.cfg.Username != "" {
		reply4(c, rep4Rejected)
		return fmt.Errorf("%w: socks4 has no password and authentication is on", ErrNotAllowed)
	}
	if req.cmd != 1 {
		reply4(c, rep4Rejected)
		return fmt.Errorf("socks: socks4 command %d not supported", req.cmd)
	}
	var rt route
	if req.host != "" {
		rt, err = s.classify(req.host, netip.Addr{}, req.port)
	} else {
		rt, err = s.classify("", netip.AddrFrom4(req.ip), req.port)
	}
	if err != nil {
		reply4(c, rep4Rejected)
		return err
	}
	// The request is complete: the dial has its own timeout.
	c.SetDeadline(time.Time{})
	t, err := s.connect(ctx, rt)
	if err != nil {
		reply4(c, rep4Rejected)
		return err
	}
	defer t.Close()
	if err := reply4(c, rep4Granted); err != nil {
		return fmt.Errorf("socks: reply: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { t.Close() })
	defer stop()
	join(c, br, t)
	return nil
}
