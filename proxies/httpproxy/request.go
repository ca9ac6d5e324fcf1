package httpproxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// This file is the wire side: reading a bounded message head and parsing a
// request or a status line. It does no I/O beyond the bufio.Reader given.

var (
	errTooLarge  = errors.New("httpproxy: header too large")
	errTooMany   = errors.New("httpproxy: too many header lines")
	errMalformed = errors.New("httpproxy: malformed message head")
)

type field struct{ name, value string }

type fields []field

// get returns the first value of name (case-insensitive).
func (fs fields) get(name string) (string, bool) {
	for _, f := range fs {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

// all returns every value of name.
func (fs fields) all(name string) []string {
	var vs []string
	for _, f := range fs {
		if strings.EqualFold(f.name, name) {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// tokens returns the lower-case comma-separated tokens of every name line.
func (fs fields) tokens(name string) []string {
	var ts []string
	for _, v := range fs.all(name) {
		for t := range strings.SplitSeq(v, ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				ts = append(ts, t)
			}
		}
	}
	return ts
}

// readLine reads a line ending in LF (CR LF or bare LF), taking its bytes
// from *budget. The returned string has no line end.
func readLine(br *bufio.Reader, budget *int) (string, error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(frag) > *budget {
			return "", errTooLarge
		}
		*budget -= len(frag)
		buf = append(buf, frag...)
		if err == nil {
			break
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(buf) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	buf = buf[:len(buf)-1]
	if n := len(buf); n > 0 && buf[n-1] == '\r' {
		buf = buf[:n-1]
	}
	return string(buf), nil
}

// readHead reads a start line and header fields, at most maxBytes bytes and
// maxLines fields. io.EOF means the peer closed before sending anything.
func readHead(br *bufio.Reader, maxBytes, maxLines int) (string, fields, error) {
	budget := maxBytes
	var start string
	for i := 0; ; i++ { // RFC 9112 2.2: ignore empty lines before a request
		line, err := readLine(br, &budget)
		if err != nil {
			return "", nil, err
		}
		if line != "" {
			start = line
			break
		}
		if i >= 4 {
			return "", nil, errMalformed
		}
	}
	if !validValue(start) {
		return "", nil, errMalformed
	}
	var fs fields
	for {
		line, err := readLine(br, &budget)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", nil, err
		}
		if line == "" {
			return start, fs, nil
		}
		if len(fs) >= maxLines {
			return "", nil, errTooMany
		}
		f, err := parseField(line)
		if err != nil {
			return "", nil, err
		}
		fs = append(fs, f)
	}
}

func parseField(line string) (field, error) {
	// No obs-fold, no space before the colon (RFC 9112 5.1, 5.2).
	i := strings.IndexByte(line, ':')
	if i <= 0 || !isToken(line[:i]) {
		return field{}, errMalformed
	}
	v := strings.Trim(line[i+1:], " \t")
	if !validValue(v) {
		return field{}, errMalformed
	}
	return field{line[:i], v}, nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validValue rejects control characters other than tab.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

type bodyKind int

const (
	bodyNone bodyKind = iota
	bodyLength
	bodyChunked
)

// request is a parsed browser request.
type request struct {
	method, target, proto string
	fields                fields

	connect bool
	// The URL the browser asked for (for CONNECT: scheme "https", Host
	// host:port, Path "/"). Userinfo and fragment are removed.
	url  *url.URL
	host string // lower-case host name without port
	port uint16 // explicit port, 0 if none

	body      bodyKind
	length    int64
	keepAlive bool
	expect    bool // Expect: 100-continue
}

// failure is a reply the proxy sends itself instead of forwarding.
type failure struct {
	status int
	page   pageID
	detail string // shown escaped; may be ""
}

func fail(status int, page pageID, detail string) *failure {
	return &failure{status: status, page: page, detail: detail}
}

// parseRequest checks a request head and works out its target and body.
func parseRequest(start string, fs fields) (*request, *failure) {
	parts := strings.Split(start, " ")
	if len(parts) != 3 || !isToken(parts[0]) || parts[1] == "" {
		return nil, fail(400, pageBadRequest, "malformed request line")
	}
	r := &request{method: parts[0], target: parts[1], proto: parts[2], fields: fs}
	switch r.proto {
	case "HTTP/1.1", "HTTP/1.0":
	default:
		if strings.HasPrefix(r.proto, "HTTP/") {
			return nil, fail(505, pageBadRequest, "HTTP version not supported")
		}
		return nil, fail(400, pageBadRequest, "malformed request line")
	}
	hosts := fs.all("Host")
	if len(hosts) > 1 {
		return nil, fail(400, pageBadRequest, "several Host headers")
	}
	r.connect = strings.EqualFold(r.method, "CONNECT")
	switch {
	case r.connect:
		r.method = "CONNECT"
		h, port, err := net.SplitHostPort(r.target)
		if err != nil || h == "" {
			return nil, fail(400, pageBadRequest, "CONNECT needs host:port")
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return nil, fail(400, pageBadRequest, "bad port")
		}
		r.url = &url.URL{Scheme: "https", Host: r.target, Path: "/"}
		r.port = uint16(n)
	case strings.HasPrefix(r.target, "/"):
		if len(hosts) == 0 || hosts[0] == "" {
			return nil, fail(400, pageBadRequest, "no Host header")
		}
		u, err := url.ParseRequestURI(r.target)
		if err != nil {
			return nil, fail(403, pageBadURI, err.Error())
		}
		u.Scheme, u.Host = "http", hosts[0]
		r.url = u
	default:
		u, err := url.Parse(r.target)
		if err != nil {
			return nil, fail(403, pageBadURI, err.Error())
		}
		if u.Scheme == "" || u.Host == "" || u.Opaque != "" {
			return nil, fail(403, pageBadURI, "not an absolute http URL")
		}
		u.Scheme = strings.ToLower(u.Scheme)
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fail(403, pageProtocol, u.Scheme)
		}
		r.url = u
	}
	r.url.User, r.url.Fragment, r.url.RawFragment = nil, "", ""
	if r.url.Path == "" {
		r.url.Path, r.url.RawPath = "/", ""
	}
	r.host = strings.ToLower(r.url.Hostname())
	if r.host == "" {
		return nil, fail(403, pageBadURI, "no host")
	}
	if ps := r.url.Port(); ps != "" && !r.connect {
		n, err := strconv.ParseUint(ps, 10, 16)
		if err != nil || n == 0 {
			return nil, fail(403, pageBadURI, "bad port")
		}
		r.port = uint16(n)
	}

	// Body framing, RFC 9112 6.
	te := fs.tokens("Transfer-Encoding")
	cls := fs.all("Content-Length")
	if len(te) > 0 {
		if len(cls) > 0 {
			return nil, fail(400, pageBadRequest, "both Transfer-Encoding and Content-Length")
		}
		if r.proto == "HTTP/1.0" {
			return nil, fail(400, pageBadRequest, "Transfer-Encoding in HTTP/1.0")
		}
		if len(te) != 1 || te[0] != "chunked" {
			return nil, fail(501, pageBadRequest, "unsupported Transfer-Encoding")
		}
		r.body = bodyChunked
	} else if len(cls) > 0 {
		n, ok := parseLength(cls)
		if !ok {
			return nil, fail(400, pageBadRequest, "bad Content-Length")
		}
		if n > 0 {
			r.body, r.length = bodyLength, n
		}
	}
	if r.connect && r.body != bodyNone {
		return nil, fail(400, pageBadRequest, "CONNECT with a body")
	}
	conn := fs.tokens("Connection")
	r.keepAlive = r.proto == "HTTP/1.1" && !hasToken(conn, "close")
	if v, ok := fs.get("Expect"); ok {
		if !strings.EqualFold(v, "100-continue") {
			return nil, fail(417, pageBadRequest, "unsupported Expect")
		}
		r.expect = r.body != bodyNone && r.proto == "HTTP/1.1"
	}
	return r, nil
}

// parseLength accepts one decimal length, repeated identically if at all.
func parseLength(vs []string) (int64, bool) {
	var n int64 = -1
	for _, v := range vs {
		if v == "" || len(v) > 18 {
			return 0, false
		}
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return 0, false
			}
		}
		m, _ := strconv.ParseInt(v, 10, 64)
		if n >= 0 && m != n {
			return 0, false
		}
		n = m
	}
	return n, true
}

func hasToken(ts []string, t string) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// parseStatus parses "HTTP/1.x NNN reason".
func parseStatus(line string) (int, string, bool) {
	proto, rest, ok := strings.Cut(line, " ")
	if !ok || (proto != "HTTP/1.1" && proto != "HTTP/1.0") || len(rest) < 3 {
		return 0, "", false
	}
	code, err := strconv.Atoi(rest[:3])
	if err != nil || code < 100 || code > 999 {
		return 0, "", false
	}
	reason := ""
	if len(rest) > 3 {
		if rest[3] != ' ' {
			return 0, "", false
		}
		reason = rest[4:]
	}
	return code, reason, true
}
