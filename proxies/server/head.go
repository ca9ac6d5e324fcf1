package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/i2pgo/i2pgo/router/data"
)

// This file is the request-head codec of the HTTP tunnel: readHead parses,
// filter rewrites. No I/O beyond the reader, no logging.

// StatusError is an HTTP error the tunnel answers with.
type StatusError struct {
	Code   int
	Reason string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("server: %d %s: %s", e.Code, http.StatusText(e.Code), e.Reason)
}

func statusf(code int, format string, args ...any) *StatusError {
	return &StatusError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// errNoRequest: the stream ended before the first byte of a request.
var errNoRequest = errors.New("server: no request")

type headLimits struct {
	maxRequestLine, maxHeaderBytes, maxHeaders int
}

type field struct{ name, value string }

// head is a parsed request head.
type head struct {
	method, target, proto string
	fields                []field
}

// readLine reads one line of at most max bytes (without its CRLF or LF).
// It fails with errTooLong past max, io.EOF at a clean end before the
// line, io.ErrUnexpectedEOF inside it.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > max+2 {
			return nil, errTooLong
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) > max {
				return nil, errTooLong
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) == 0:
			return nil, io.EOF
		case errors.Is(err, io.EOF):
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

var errTooLong = errors.New("server: line too long")

// readHead reads a request head. Errors other than a *StatusError are
// I/O errors (a timeout, or errNoRequest at a clean EOF).
func readHead(br *bufio.Reader, lim headLimits) (*head, error) {
	var line []byte
	var err error
	for range 4 { // RFC 9112 2.2: ignore empty lines before the request
		line, err = readLine(br, lim.maxRequestLine)
		if err != nil || len(line) > 0 {
			break
		}
	}
	switch {
	case errors.Is(err, errTooLong):
		return nil, statusf(http.StatusRequestURITooLong, "request line over %d bytes", lim.maxRequestLine)
	case errors.Is(err, io.EOF):
		return nil, errNoRequest
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, statusf(http.StatusBadRequest, "truncated request line")
	case err != nil:
		return nil, err
	case len(line) == 0:
		return nil, statusf(http.StatusBadRequest, "no request line")
	}
	h, serr := parseRequestLine(line)
	if serr != nil {
		return nil, serr
	}
	total := 0
	for {
		line, err := readLine(br, lim.maxHeaderBytes)
		switch {
		case errors.Is(err, errTooLong):
			return nil, statusf(http.StatusRequestHeaderFieldsTooLarge, "header over %d bytes", lim.maxHeaderBytes)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, statusf(http.StatusBadRequest, "truncated head")
		case err != nil:
			return nil, err
		}
		if len(line) == 0 {
			return h, nil
		}
		total += len(line) + 2
		if total > lim.maxHeaderBytes {
			return nil, statusf(http.StatusRequestHeaderFieldsTooLarge, "head over %d bytes", lim.maxHeaderBytes)
		}
		if len(h.fields) == lim.maxHeaders {
			return nil, statusf(http.StatusRequestHeaderFieldsTooLarge, "over %d header fields", lim.maxHeaders)
		}
		f, serr := parseField(line)
		if serr != nil {
			return nil, serr
		}
		h.fields = append(h.fields, f)
	}
}

func parseRequestLine(line []byte) (*head, *StatusError) {
	parts := strings.Split(string(line), " ")
	if len(parts) != 3 {
		return nil, statusf(http.StatusBadRequest, "malformed request line")
	}
	m, target, proto := parts[0], parts[1], parts[2]
	if !isToken(m) {
		return nil, statusf(http.StatusBadRequest, "bad method")
	}
	if target == "" {
		return nil, statusf(http.StatusBadRequest, "empty request target")
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c >= 0x7f {
			return nil, statusf(http.StatusBadRequest, "bad request target")
		}
	}
	if len(proto) != 8 || !strings.HasPrefix(proto, "HTTP/") || proto[6] != '.' ||
		proto[5] < '0' || proto[5] > '9' || proto[7] < '0' || proto[7] > '9' {
		return nil, statusf(http.StatusBadRequest, "bad protocol version")
	}
	if proto[5] != '1' {
		return nil, statusf(http.StatusHTTPVersionNotSupported, "%s", proto)
	}
	return &head{method: m, target: target, proto: proto}, nil
}

func parseField(line []byte) (field, *StatusError) {
	if line[0] == ' ' || line[0] == '\t' {
		return field{}, statusf(http.StatusBadRequest, "obsolete line folding")
	}
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return field{}, statusf(http.StatusBadRequest, "header without colon")
	}
	name := string(line[:i])
	if !isToken(name) {
		return field{}, statusf(http.StatusBadRequest, "bad header name")
	}
	value := strings.Trim(string(line[i+1:]), " \t")
	for j := 0; j < len(value); j++ {
		if c := value[j]; (c < ' ' && c != '\t') || c == 0x7f {
			return field{}, statusf(http.StatusBadRequest, "control character in header %s", name)
		}
	}
	return field{name: name, value: value}, nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x7f || c <= ' ' || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// Header names (lower case).
const (
	hdrHash = "x-i2p-desthash"
	hdrB64  = "x-i2p-destb64"
	hdrB32  = "x-i2p-destb32"
)

// hopByHop are dropped from every request; Connection's own tokens too.
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true,
	"proxy-authorization": true, "proxy-authenticate": true, "te": true,
	"upgrade": true, "http2-settings": true, "x-accept-encoding": true,
	hdrHash: true, hdrB64: true, hdrB32: true,
}

// protected may not be dropped by naming them in Connection: the body's
// framing and Host.
var protected = map[string]bool{"content-length": true, "transfer-encoding": true, "host": true}

var inproxyFields = map[string]bool{"x-forwarded-for": true, "x-forwarded-server": true, "x-forwarded-host": true, "forwarded": true}

type filterConfig struct {
	hostname      string
	rejectInproxy bool
}

// body is how the request body is framed: chunked, or length bytes.
type body struct {
	chunked bool
	length  int64
}

// filter gives the head to send to the web server for peer p.
func (h *head) filter(p peer, cfg filterConfig) ([]byte, body, *StatusError) {
	var bd body
	drop := map[string]bool{}
	for _, f := range h.fields {
		if strings.EqualFold(f.name, "connection") {
			for tok := range strings.SplitSeq(f.value, ",") {
				tok = strings.ToLower(strings.Trim(tok, " \t"))
				if tok != "" && !protected[tok] {
					drop[tok] = true
				}
			}
		}
	}
	var kept []field
	hosts, lengths, codings := 0, 0, 0
	for _, f := range h.fields {
		ln := strings.ToLower(f.name)
		switch {
		case hopByHop[ln] || drop[ln]:
			continue
		case cfg.rejectInproxy && inproxyFields[ln]:
			return nil, bd, statusf(http.StatusForbidden, "inproxy access refused")
		case ln == "host":
			hosts++
			if cfg.hostname != "" {
				continue
			}
		case ln == "content-length":
			n, err := strconv.ParseInt(f.value, 10, 64)
			if err != nil || n < 0 || f.value[0] == '+' {
				return nil, bd, statusf(http.StatusBadRequest, "bad Content-Length")
			}
			if lengths > 0 && n != bd.length {
				return nil, bd, statusf(http.StatusBadRequest, "differing Content-Length")
			}
			bd.length = n
			lengths++
			if lengths > 1 {
				continue
			}
			f.value = strconv.FormatInt(n, 10)
		case ln == "transfer-encoding":
			codings++
			if !strings.EqualFold(f.value, "chunked") || codings > 1 {
				return nil, bd, statusf(http.StatusNotImplemented, "transfer coding %q", f.value)
			}
			f.value = "chunked"
			bd.chunked = true
		}
		kept = append(kept, f)
	}
	if hosts > 1 {
		return nil, bd, statusf(http.StatusBadRequest, "more than one Host")
	}
	if hosts == 0 && cfg.hostname == "" && h.proto == "HTTP/1.1" {
		return nil, bd, statusf(http.StatusBadRequest, "no Host")
	}
	if bd.chunked && (lengths > 0 || h.proto == "HTTP/1.0") {
		return nil, bd, statusf(http.StatusBadRequest, "Transfer-Encoding with Content-Length or HTTP/1.0")
	}
	if bd.chunked {
		bd.length = 0
	}
	target := h.target
	if cfg.hostname != "" {
		target = originForm(target)
	}
	var b bytes.Buffer
	b.Grow(256 + 32*len(kept))
	b.WriteString(h.method + " " + target + " " + h.proto + "\r\n")
	if cfg.hostname != "" {
		b.WriteString("Host: " + cfg.hostname + "\r\n")
	}
	for _, f := range kept {
		b.WriteString(f.name + ": " + f.value + "\r\n")
	}
	b.WriteString("X-I2P-DestHash: " + data.Base64Encode(p.hash[:]) + "\r\n")
	if p.b64 != "" {
		b.WriteString("X-I2P-DestB64: " + p.b64 + "\r\n")
	}
	b.WriteString("X-I2P-DestB32: " + p.b32 + "\r\n")
	b.WriteString("Connection: close\r\n\r\n")
	return b.Bytes(), bd, nil
}

// originForm turns "http://host/path?q" into "/path?q".
func originForm(t string) string {
	l := strings.ToLower(t)
	for _, s := range []string{"http://", "https://"} {
		if strings.HasPrefix(l, s) {
			rest := t[len(s):]
			if i := strings.IndexAny(rest, "/?"); i >= 0 {
				if rest[i] == '?' {
					return "/" + rest[i:]
				}
				return rest[i:]
			}
			return "/"
		}
	}
	return t
}
