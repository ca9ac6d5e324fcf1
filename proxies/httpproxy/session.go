package httpproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// session is one browser connection. Its methods run on the connection's
// goroutine, except copyBody, which runs on a helper goroutine the
// request's forward waits for.
type session struct {
	p   *Proxy
	ctx context.Context
	c   net.Conn
	in  *connIO
	br  *bufio.Reader
	out *connIO
}

const maxResponseHead = 64 << 10 // Java's HTTPResponseOutputStream MAX_HEADER_SIZE

func (p *Proxy) serveConn(ctx context.Context, c net.Conn) {
	p.active.Add(1)
	defer p.active.Add(-1)
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	s := &session{p: p, ctx: ctx, c: c}
	s.in = &connIO{c: c}
	s.out = &connIO{c: c, widle: p.cfg.ReadTimeout}
	s.br = bufio.NewReaderSize(s.in, 4096)
	for first := true; ; first = false {
		if !s.serveOne(first) {
			return
		}
	}
}

// write sends b to the browser.
func (s *session) write(b []byte) error {
	_, err := s.out.Write(b)
	return err
}

// reply sends a failure page; it returns whether the connection may stay.
func (s *session) reply(r *request, f *failure, target, outproxy string) bool {
	s.p.errs.Add(1)
	keep := r != nil && r.keepAlive && r.body == bodyNone
	pg := s.p.failurePage(f, target, outproxy)
	if f.page == pageMethod {
		pg.extra = append(pg.extra, [2]string{"Allow", "CONNECT"})
	}
	return s.write(pg.render(keep)) == nil && keep
}

func (s *session) sendPage(r *request, pg *page) bool {
	s.p.local.Add(1)
	keep := r.keepAlive && r.body == bodyNone
	return s.write(pg.render(keep)) == nil && keep
}

func (s *session) serveOne(first bool) bool {
	wait := s.p.cfg.HeaderTimeout
	if !first {
		wait = s.p.cfg.IdleTimeout
	}
	s.in.idle.Store(0)
	s.c.SetReadDeadline(time.Now().Add(wait))
	if _, err := s.br.Peek(1); err != nil {
		return false
	}
	s.c.SetReadDeadline(time.Now().Add(s.p.cfg.HeaderTimeout))
	start, fs, err := readHead(s.br, s.p.cfg.MaxHeaderBytes, s.p.cfg.MaxHeaderLines)
	if err != nil {
		switch {
		case errors.Is(err, errTooLarge), errors.Is(err, errTooMany):
			s.reply(nil, fail(431, pageBadRequest, err.Error()), "", "")
		case errors.Is(err, errMalformed):
			s.reply(nil, fail(400, pageBadRequest, err.Error()), "", "")
		case isTimeout(err):
			s.reply(nil, fail(408, pageBadRequest, "the request headers came too slowly"), "", "")
		}
		return false
	}
	s.c.SetReadDeadline(time.Time{})
	s.in.idle.Store(int64(s.p.cfg.ReadTimeout))
	r, f := parseRequest(start, fs)
	if f != nil {
		s.reply(nil, f, "", "")
		return false
	}
	if s.p.cfg.Mode == ModeConnect && !r.connect {
		return s.reply(r, fail(405, pageMethod, ""), "", "")
	}
	if r.connect {
		s.connect(r)
		return false
	}
	return s.httpRequest(r)
}

// target is where a request goes.
type target struct {
	dial      string // what to give Dialer.Dial
	port      uint16
	up        upstream
	pathQuery string
}

// resolveName maps a .i2p name to (dial, b32) through the Resolver, then
// the confirmed helpers. f is the unknown-name failure.
func (s *session) resolveName(name string) (dial, b32 string, f *failure) {
	if s.p.res != nil {
		ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.DialTimeout)
		d, err := s.p.res.Resolve(ctx, name)
		cancel()
		if err == nil {
			b, ok := destB32(d)
			if !ok {
				return "", "", fail(500, pageBadAddress, "the address book entry for "+name+" is not valid")
			}
			return d, b, nil
		}
		if !errors.Is(err, ErrUnknownName) {
			s.p.log.Debug("resolve failed", "err", err)
		}
	}
	if d, ok := s.p.helpers.get(name); ok {
		b, _ := destB32(d)
		return d, b, nil
	}
	return "", "", fail(500, pageUnknownName, "")
}

// resolveHost maps any I2P host (name, b32, b33) to (dial, b32).
func (s *session) resolveHost(host string) (dial, b32 string, f *failure) {
	if strings.HasSuffix(host, ".b32.i2p") {
		return checkI2PHost(host)
	}
	if !isName(host) {
		return "", "", fail(400, pageBadAddress, host)
	}
	return s.resolveName(host)
}

func (s *session) knownHost(h string) bool {
	if strings.HasSuffix(h, ".b32.i2p") {
		return true
	}
	_, _, f := s.resolveName(h)
	return f == nil
}

func (s *session) unknownNamePage(r *request, f *failure, targetURL string) bool {
	s.p.errs.Add(1)
	pg := s.p.failurePage(f, targetURL, "")
	if f.page == pageUnknownName {
		s.p.jumpLinks(pg, targetURL, s.knownHost)
	}
	keep := r.keepAlive && r.body == bodyNone
	return s.write(pg.render(keep)) == nil && keep
}

func (s *session) httpRequest(r *request) bool {
	h := r.host
	targetURL := r.url.String()
	var t target
	t.pathQuery = r.url.RequestURI()
	t.port = r.port
	if t.port == 0 {
		t.port = 80
		if r.url.Scheme == "https" {
			t.port = 443
		}
	}
	switch {
	case h == LocalHost:
		return s.local(r)
	case h == "i2p":
		// http://i2p/<base64 destination>/path (Java)
		seg, rest, _ := strings.Cut(strings.TrimPrefix(r.url.Path, "/"), "/")
		b32, ok := "", false
		if len(seg) >= 516 {
			b32, ok = destB32(seg)
		}
		if !ok {
			return s.reply(r, fail(400, pageBadAddress, "http://i2p/ needs a Base 64 destination"), "", "")
		}
		t.dial, t.up.hostHeader = seg, b32
		t.pathQuery = "/" + rest
		if r.url.RawQuery != "" {
			t.pathQuery += "?" + r.url.RawQuery
		}
	case strings.HasSuffix(h, ".i2p"):
		if done, keep := s.addressHelper(r); done {
			return keep
		}
		targetURL = r.url.String()
		t.pathQuery = r.url.RequestURI()
		dial, b32, f := s.resolveHost(h)
		if f != nil {
			return s.unknownNamePage(r, f, targetURL)
		}
		t.dial, t.up.hostHeader = dial, b32
	case isLocal(h):
		return s.reply(r, fail(403, pageLocalhost, ""), "", "")
	case strings.Contains(h, ".") || strings.Contains(h, ":"):
		if s.p.cfg.Outproxy == "" {
			return s.reply(r, fail(503, pageNoOutproxy, ""), "", "")
		}
		dial, _, f := s.resolveHost(strings.ToLower(s.p.cfg.Outproxy))
		if f != nil {
			return s.reply(r, fail(504, pageUnreachable, "the outproxy is not known"), targetURL, s.p.cfg.Outproxy)
		}
		t.dial, t.port, t.up.outproxy = dial, 0, true
	default:
		return s.reply(r, fail(403, pageDenied, ""), "", "")
	}
	return s.forward(r, t, targetURL)
}

// addressHelper handles ?i2paddresshelper= on a name; done means a reply
// was sent. Otherwise r.url has lost the helper.
func (s *session) addressHelper(r *request) (done, keep bool) {
	if s.p.cfg.DisableAddressHelper || !strings.Contains(r.url.RawQuery, "i2paddresshelper") {
		return false, false
	}
	rest, key, found := removeHelper(r.url.RawQuery)
	if !found {
		return false, false
	}
	orig := *r.url
	r.url.RawQuery = rest
	clean := r.url.String()
	if key == "" || !isName(r.host) {
		// b32 hosts and empty keys: just drop the parameter
		if r.method == "POST" {
			return false, false
		}
		s.p.local.Add(1)
		keep = r.keepAlive && r.body == bodyNone
		return true, s.write(redirect(301, clean, keep)) == nil && keep
	}
	dest := key
	if strings.HasSuffix(strings.ToLower(key), ".i2p") {
		d, _, f := s.resolveHost(strings.ToLower(key))
		if f != nil {
			return true, s.reply(r, fail(404, pageHelperNotFound, key), "", "")
		}
		dest = d
	}
	hb32, ok := destB32(dest)
	if !ok {
		return true, s.reply(r, fail(404, pageHelperNotFound, key), "", "")
	}
	_, known, f := s.resolveName(r.host)
	switch {
	case f == nil && known == hb32:
		if r.method == "POST" {
			return false, false
		}
		s.p.local.Add(1)
		keep = r.keepAlive && r.body == bodyNone
		return true, s.write(redirect(301, clean, keep)) == nil && keep
	case f == nil:
		c := *r.url
		c.Host = hb32
		if p := orig.Port(); p != "" {
			c.Host += ":" + p
		}
		s.p.errs.Add(1)
		return true, s.sendPage(r, s.p.helperConflictPage(clean, c.String()))
	}
	return true, s.sendPage(r, s.p.helperNewPage(r.host, dest, hb32, clean))
}

// local serves http://proxy.i2p/ (Java's LocalHTTPServer).
func (s *session) local(r *request) bool {
	switch r.url.Path {
	case "/":
		if r.method != "GET" && r.method != "HEAD" {
			return s.reply(r, fail(405, pageBadRequest, "method not allowed"), "", "")
		}
		pg := &page{status: 200, title: "I2P HTTP Proxy"}
		pg.body.WriteString("<p>I2P HTTP proxy OK</p>\n")
		return s.sendPage(r, pg)
	case "/add":
		return s.add(r)
	}
	return s.reply(r, fail(404, pageNotFoundLocal, ""), "", "")
}

const maxForm = 16 << 10

// add takes the POST of the helper form.
func (s *session) add(r *request) bool {
	if r.method != "POST" {
		return s.reply(r, fail(405, pageBadRequest, "use the form"), "", "")
	}
	if r.body != bodyLength || r.length > maxForm {
		return s.reply(r, fail(400, pageBadRequest, "bad form"), "", "")
	}
	buf := make([]byte, r.length)
	if _, err := io.ReadFull(s.br, buf); err != nil {
		return false
	}
	r.body = bodyNone // consumed
	form, err := url.ParseQuery(string(buf))
	if err != nil {
		return s.reply(r, fail(400, pageBadRequest, "bad form"), "", "")
	}
	host, dest := strings.ToLower(form.Get("host")), form.Get("dest")
	if !s.p.checkToken(form.Get("token"), host, dest) {
		s.p.log.Warn("address helper form refused: bad or missing token")
		return s.reply(r, fail(403, pageForbidden, ""), "", "")
	}
	if !isName(host) {
		return s.reply(r, fail(400, pageBadAddress, host), "", "")
	}
	if _, ok := destB32(dest); !ok {
		return s.reply(r, fail(400, pageBadAddress, "bad destination"), "", "")
	}
	if form.Get("action") == "save" && s.p.book != nil {
		if err := s.p.book.Add(host, dest); err != nil {
			return s.reply(r, fail(500, pageBadRequest, "could not save: "+err.Error()), "", "")
		}
	}
	s.p.helpers.put(host, dest)
	loc := "http://" + host + "/"
	if u, err := url.Parse(form.Get("url")); err == nil && (u.Scheme == "http" || u.Scheme == "https") &&
		strings.EqualFold(u.Hostname(), host) {
		loc = u.String()
	}
	s.p.local.Add(1)
	keep := r.keepAlive
	return s.write(redirect(303, loc, keep)) == nil && keep
}

// dialFailure maps a Dial or stream error to a page.
func dialFailure(err error) *failure {
	switch {
	case errors.Is(err, ErrNotReady):
		return fail(503, pageNotReady, "")
	case errors.Is(err, ErrNotFound):
		return fail(504, pageNoLeaseSet, "")
	case errors.Is(err, ErrTimeout), isTimeout(err):
		return fail(504, pageTimeout, "")
	case errors.Is(err, ErrRefused):
		return fail(502, pageReset, "")
	}
	return fail(504, pageUnreachable, "")
}

func (s *session) dial(t target) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.DialTimeout)
	defer cancel()
	return s.p.dialer.Dial(ctx, t.dial, t.port)
}

func (s *session) outproxyName(t target) string {
	if t.up.outproxy {
		return s.p.cfg.Outproxy
	}
	return ""
}

// forward sends r to t and relays the response.
func (s *session) forward(r *request, t target, targetURL string) bool {
	stream, err := s.dial(t)
	if err != nil {
		s.p.log.Debug("dial failed", "dest", t.up.hostHeader, "err", err)
		return s.reply(r, dialFailure(err), targetURL, s.outproxyName(t))
	}
	s.p.requests.Add(1)
	var once sync.Once
	closeStream := func() { once.Do(func() { stream.Close() }) }
	defer closeStream()
	stop := context.AfterFunc(s.ctx, closeStream)
	defer stop()

	sw := bufio.NewWriterSize(stream, 4096)
	sw.Write(filterRequest(r, t.up, s.p.cfg.UserAgent, t.pathQuery))
	var bodyDone chan error
	var bodyRead atomic.Bool
	if r.body == bodyNone {
		if err := sw.Flush(); err != nil {
			return s.reply(r, dialFailure(err), targetURL, s.outproxyName(t))
		}
	} else {
		if r.expect {
			if s.write([]byte("HTTP/1.1 100 Continue\r\n\r\n")) != nil {
				return false
			}
		}
		bodyDone = make(chan error, 1)
		go func() { bodyDone <- s.copyBody(sw, r, &bodyRead) }()
	}
	keep := s.relayResponse(r, stream, targetURL, t)
	closeStream()
	if bodyDone != nil {
		if !bodyRead.Load() {
			s.in.interrupt()
		}
		<-bodyDone
		s.in.resume()
		if !bodyRead.Load() {
			keep = false
		}
	}
	return keep
}

// copyBody sends the request body to w, re-framed as in the head. read is
// set once the browser's body has been read to its end.
func (s *session) copyBody(w *bufio.Writer, r *request, read *atomic.Bool) error {
	buf := make([]byte, 16<<10)
	switch r.body {
	case bodyLength:
		left := r.length
		for left > 0 {
			n, err := s.br.Read(buf[:min(int64(len(buf)), left)])
			left -= int64(n)
			s.p.up.Add(uint64(n))
			if left == 0 {
				read.Store(true)
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if err != nil && left > 0 {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
	case bodyChunked:
		cr := httputil.NewChunkedReader(s.br)
		cw := httputil.NewChunkedWriter(w)
		for {
			n, err := cr.Read(buf)
			s.p.up.Add(uint64(n))
			if n > 0 {
				if _, werr := cw.Write(buf[:n]); werr != nil {
					return werr
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
		}
		if err := s.readTrailer(); err != nil {
			return err
		}
		read.Store(true)
		cw.Close()
		w.WriteString("\r\n")
	}
	return w.Flush()
}

// readTrailer skips a chunked body's trailer section.
func (s *session) readTrailer() error {
	budget := s.p.cfg.MaxHeaderBytes
	for i := 0; ; i++ {
		line, err := readLine(s.br, &budget)
		if err != nil {
			return err
		}
		if line == "" {
			return nil
		}
		if i >= s.p.cfg.MaxHeaderLines {
			return errTooMany
		}
	}
}

// relayResponse reads the server's response and sends it to the browser,
// framed for keep-alive. It returns whether the browser connection may
// stay open.
func (s *session) relayResponse(r *request, stream net.Conn, targetURL string, t target) bool {
	sin := &connIO{c: stream}
	sin.idle.Store(int64(s.p.cfg.ReadTimeout))
	sbr := bufio.NewReaderSize(sin, 4096)
	var status int
	var reason string
	var fs fields
	for {
		start, hf, err := readHead(sbr, maxResponseHead, 500)
		if err != nil {
			f := fail(502, pageBadResponse, "")
			if !errors.Is(err, errMalformed) && !errors.Is(err, errTooLarge) && !errors.Is(err, errTooMany) {
				f = dialFailure(err)
			}
			s.p.log.Debug("bad response", "dest", t.up.hostHeader, "err", err)
			s.reply(r, f, targetURL, s.outproxyName(t))
			return false
		}
		code, rs, ok := parseStatus(start)
		if !ok || code == 101 {
			s.reply(r, fail(502, pageBadResponse, ""), targetURL, s.outproxyName(t))
			return false
		}
		if code >= 200 {
			status, reason, fs = code, rs, hf
			break
		}
		// 1xx: we answered Expect ourselves; drop interim responses.
	}

	noBody := r.method == "HEAD" || status == 204 || status == 304
	te := fs.tokens("Transfer-Encoding")
	chunked := len(te) > 0 && te[len(te)-1] == "chunked"
	length := int64(-1)
	if cls := fs.all("Content-Length"); len(cls) > 0 && !chunked {
		n, ok := parseLength(cls)
		if !ok {
			s.reply(r, fail(502, pageBadResponse, "bad Content-Length"), targetURL, s.outproxyName(t))
			return false
		}
		length = n
	}
	keep := r.keepAlive

	var b strings.Builder
	b.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + reason + "\r\n")
	for _, f := range filterResponseFields(fs) {
		b.WriteString(f.name + ": " + f.value + "\r\n")
	}
	var body io.Reader
	var framing string
	switch {
	case noBody:
		if length >= 0 {
			framing = "Content-Length: " + strconv.FormatInt(length, 10) + "\r\n"
		}
	case chunked:
		body = httputil.NewChunkedReader(sbr)
	case length >= 0:
		body = io.LimitReader(sbr, length)
		framing = "Content-Length: " + strconv.FormatInt(length, 10) + "\r\n"
	default:
		body = sbr
	}
	rechunk := body != nil && length < 0
	if rechunk {
		if r.proto == "HTTP/1.1" {
			framing = "Transfer-Encoding: chunked\r\n"
		} else {
			rechunk, keep = false, false
		}
	}
	b.WriteString(framing)
	if keep {
		b.WriteString("Connection: keep-alive\r\n\r\n")
	} else {
		b.WriteString("Connection: close\r\n\r\n")
	}
	bw := bufio.NewWriterSize(s.out, 16<<10)
	bw.WriteString(b.String())
	if body == nil {
		return bw.Flush() == nil && keep
	}
	var w io.Writer = bw
	var cw io.WriteCloser
	if rechunk {
		cw = httputil.NewChunkedWriter(bw)
		w = cw
	}
	n, err := copyFlush(w, bw, body)
	s.p.down.Add(uint64(n))
	if err != nil || (length >= 0 && n != length) {
		bw.Flush()
		return false
	}
	if chunked {
		// Drop the server's trailers, as the browser gets a fresh framing.
		budget := maxResponseHead
		for {
			line, err := readLine(sbr, &budget)
			if err != nil {
				return false
			}
			if line == "" {
				break
			}
		}
	}
	if cw != nil {
		cw.Close()
		bw.WriteString("\r\n")
	}
	return bw.Flush() == nil && keep
}

// copyFlush copies src to w, flushing bw whenever src has nothing ready,
// so that streamed responses reach the browser without waiting.
func copyFlush(w io.Writer, bw *bufio.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 16<<10)
	var total int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
			if werr := bw.Flush(); werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// connect handles CONNECT: to an I2P host on an allowed port, or through
// the outproxy.
func (s *session) connect(r *request) {
	h := r.host
	var t target
	t.port = r.port
	switch {
	case strings.HasSuffix(h, ".i2p"):
		if !s.p.ports[r.port] {
			s.reply(r, fail(403, pagePort, strconv.Itoa(int(r.port))), "", "")
			return
		}
		dial, b32, f := s.resolveHost(h)
		if f != nil {
			s.unknownNamePage(r, f, "https://"+r.target+"/")
			return
		}
		t.dial, t.up.hostHeader = dial, b32
	case isLocal(h):
		s.reply(r, fail(403, pageLocalhost, ""), "", "")
		return
	case strings.Contains(h, ".") || strings.Contains(h, ":"):
		if s.p.cfg.Outproxy == "" {
			s.reply(r, fail(503, pageNoOutproxy, ""), "", "")
			return
		}
		dial, _, f := s.resolveHost(strings.ToLower(s.p.cfg.Outproxy))
		if f != nil {
			s.reply(r, fail(504, pageUnreachable, "the outproxy is not known"), "", s.p.cfg.Outproxy)
			return
		}
		t.dial, t.port, t.up.outproxy = dial, 0, true
	default:
		s.reply(r, fail(403, pageDenied, ""), "", "")
		return
	}
	stream, err := s.dial(t)
	if err != nil {
		s.reply(r, dialFailure(err), "https://"+r.target+"/", s.outproxyName(t))
		return
	}
	defer stream.Close()
	stop := context.AfterFunc(s.ctx, func() { stream.Close() })
	defer stop()
	s.p.connects.Add(1)
	if t.up.outproxy {
		// The outproxy answers the CONNECT itself (Java sends it the request).
		if _, err := stream.Write(filterRequest(r, t.up, "", "")); err != nil {
			return
		}
	} else if s.write([]byte("HTTP/1.1 200 Connection established\r\nProxy-agent: I2P\r\n\r\n")) != nil {
		return
	}
	s.splice(stream)
}

// splice copies both ways until both directions end.
func (s *session) splice(stream net.Conn) {
	var wg sync.WaitGroup
	s.in.idle.Store(int64(s.p.cfg.ReadTimeout))
	wg.Go(func() {
		n, _ := io.Copy(stream, s.br) // the bytes read ahead first
		s.p.up.Add(uint64(n))
		closeWrite(stream)
	})
	sin := &connIO{c: stream}
	sin.idle.Store(int64(s.p.cfg.ReadTimeout))
	n, _ := io.Copy(s.out, sin)
	s.p.down.Add(uint64(n))
	closeWrite(s.c)
	wg.Wait()
}

// closeWrite half-closes c if it can, else closes it.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}
