package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HTTPConfig configures an HTTP server tunnel.
type HTTPConfig struct {
	Config
	// Hostname, if set, is the Host the web server sees (Java's
	// spoofedHost); empty keeps the client's.
	Hostname string
	// HeaderTimeout bounds reading the whole request head (against slow
	// clients). Zero: 15 s (Java's HEADER_TIMEOUT).
	HeaderTimeout time.Duration
	// MaxRequestLine bounds the request line (else 414). Zero: 8 KiB.
	MaxRequestLine int
	// MaxHeaderBytes bounds the header fields together (else 431).
	// Zero: 16 KiB.
	MaxHeaderBytes int
	// MaxHeaders bounds the number of header fields (else 431). Zero: 60
	// (Java's MAX_HEADERS).
	MaxHeaders int
	// RejectInproxy answers 403 to requests with X-Forwarded-For,
	// X-Forwarded-Server, X-Forwarded-Host or Forwarded (Java's
	// rejectInproxy).
	RejectInproxy bool
}

const (
	defaultHeaderTimeout = 15 * time.Second
	defaultRequestLine   = 8 << 10
	defaultHeaderBytes   = 16 << 10
	defaultMaxHeaders    = 60
	maxChunkLine         = 1024
)

// HTTPServer is an HTTP server tunnel.
type HTTPServer struct {
	b   base
	cfg HTTPConfig
	lim headLimits
}

// NewHTTP checks cfg. It does no I/O.
func NewHTTP(cfg HTTPConfig, log *slog.Logger) (*HTTPServer, error) {
	if err := cfg.check("httpserver"); err != nil {
		return nil, err
	}
	cfg.Hostname = strings.TrimSpace(cfg.Hostname)
	for i := 0; i < len(cfg.Hostname); i++ {
		if c := cfg.Hostname[i]; c <= ' ' || c >= 0x7f {
			return nil, fmt.Errorf("server: httpserver: bad hostname %q", cfg.Hostname)
		}
	}
	if cfg.HeaderTimeout < 0 || cfg.MaxRequestLine < 0 || cfg.MaxHeaderBytes < 0 || cfg.MaxHeaders < 0 {
		return nil, errors.New("server: httpserver: negative limit")
	}
	if cfg.HeaderTimeout == 0 {
		cfg.HeaderTimeout = defaultHeaderTimeout
	}
	if cfg.MaxRequestLine == 0 {
		cfg.MaxRequestLine = defaultRequestLine
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = defaultHeaderBytes
	}
	if cfg.MaxHeaders == 0 {
		cfg.MaxHeaders = defaultMaxHeaders
	}
	s := &HTTPServer{cfg: cfg, lim: headLimits{cfg.MaxRequestLine, cfg.MaxHeaderBytes, cfg.MaxHeaders}}
	s.b.init(cfg.Config, log, "httpserver")
	s.b.handle = s.handle
	return s, nil
}

// Serve serves streams from ln until ctx is done (then it returns nil) or
// Accept fails; it closes ln and waits for every stream.
func (s *HTTPServer) Serve(ctx context.Context, ln net.Listener) error { return s.b.serve(ctx, ln) }

// ServeConn serves one request on stream (see the package doc) and closes
// stream.
func (s *HTTPServer) ServeConn(ctx context.Context, stream net.Conn) error {
	return s.b.serveConn(ctx, stream)
}

func (s *HTTPServer) handle(ctx context.Context, stream net.Conn, p peer, refuse error) error {
	switch {
	case errors.Is(refuse, ErrThrottled):
		writeStatus(stream, http.StatusTooManyRequests, "Too many requests from your destination; try again later.")
		return refuse
	case refuse != nil:
		writeStatus(stream, http.StatusServiceUnavailable, "This site is busy; try again later.")
		return refuse
	}
	if err := stream.SetReadDeadline(time.Now().Add(s.cfg.HeaderTimeout)); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	br := bufio.NewReaderSize(stream, 4096)
	h, err := readHead(br, s.lim)
	if err != nil {
		var se *StatusError
		var ne net.Error
		switch {
		case errors.As(err, &se):
			writeStatus(stream, se.Code, se.Reason)
		case errors.As(err, &ne) && ne.Timeout():
			writeStatus(stream, http.StatusRequestTimeout, "The request head took too long.")
		}
		return err
	}
	out, bd, serr := h.filter(p, filterConfig{hostname: s.cfg.Hostname, rejectInproxy: s.cfg.RejectInproxy})
	if serr != nil {
		writeStatus(stream, serr.Code, serr.Reason)
		return serr
	}
	stream.SetReadDeadline(time.Time{})
	t, err := s.b.dial(ctx)
	if err != nil {
		writeStatus(stream, http.StatusServiceUnavailable, "This site is unavailable. It may be down or undergoing maintenance.")
		return err
	}
	defer t.Close()
	stop := context.AfterFunc(ctx, func() { t.Close() })
	defer stop()
	if _, err := t.Write(out); err != nil {
		return fmt.Errorf("server: target: %w", err)
	}
	// The response goes back as it comes; the web server closes after
	// it (Connection: close).
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(stream, t)
		stream.Close()
		t.Close()
	}()
	if bd.chunked {
		err = copyChunked(t, br)
	} else if bd.length > 0 {
		_, err = io.CopyN(t, br, bd.length)
	}
	if err != nil {
		// A broken body: the web server must not take it for whole.
		t.Close()
		stream.Close()
		err = fmt.Errorf("server: request body: %w", err)
	}
	wg.Wait()
	return err
}

// writeStatus answers an error and gives up on the stream's reply.
func writeStatus(c net.Conn, code int, msg string) {
	body := fmt.Sprintf("%d %s\n\n%s\n", code, http.StatusText(code), msg)
	h := fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Length: %d\r\n",
		code, http.StatusText(code), len(body))
	if code == http.StatusTooManyRequests {
		h += "Retry-After: 60\r\n"
	}
	c.SetWriteDeadline(time.Now().Add(errorWriteTimeout))
	c.Write([]byte(h + "\r\n" + body))
}

// copyChunked copies a chunked body from br to w, re-encoding each chunk
// size line without extensions and dropping trailers (which web servers
// may merge into the header, bypassing the filter).
func copyChunked(w io.Writer, br *bufio.Reader) error {
	for {
		line, err := readLine(br, maxChunkLine)
		if err != nil {
			return err
		}
		s := string(line)
		if i := strings.IndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimRight(s, " \t")
		if s == "" || len(s) > 15 {
			return errors.New("bad chunk size")
		}
		n, err := strconv.ParseUint(s, 16, 64)
		if err != nil {
			return errors.New("bad chunk size")
		}
		if _, err := fmt.Fprintf(w, "%x\r\n", n); err != nil {
			return err
		}
		if n == 0 {
			for range defaultMaxHeaders + 1 {
				line, err := readLine(br, maxChunkLine)
				if err != nil {
					return err
				}
				if len(line) == 0 {
					_, err := io.WriteString(w, "\r\n")
					return err
				}
			}
			return errors.New("too many trailers")
		}
		if _, err := io.CopyN(w, br, int64(n)); err != nil {
			return err
		}
		crlf, err := readLine(br, 0)
		if err != nil || len(crlf) != 0 {
			return errors.New("chunk not followed by CRLF")
		}
		if _, err := io.WriteString(w, "\r\n"); err != nil {
			return err
		}
	}
}
