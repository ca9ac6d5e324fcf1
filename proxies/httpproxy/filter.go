package httpproxy

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/i2pgo/i2pgo/router/data"
)

// The header rules of HEADERS.md. Pure functions, no I/O.

// hopByHop are removed in both directions; framing is redone by the proxy.
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true,
	"te": true, "trailer": true, "upgrade": true,
	"transfer-encoding": true, "content-length": true,
}

// identifying request headers removed though Java passes them.
var identifying = map[string]bool{
	"x-forwarded-for": true, "x-forwarded-host": true, "x-forwarded-server": true,
	"x-forwarded-proto": true, "x-forwarded-port": true, "forwarded": true,
	"x-real-ip": true, "client-ip": true, "true-client-ip": true, "x-client-ip": true,
	"x-originating-ip": true, "x-requested-with": true,
}

// Java's Accept replacements (I2PTunnelHTTPClient, PROP_ACCEPT unset).
const (
	acceptHTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	acceptImg  = "image/webp,image/apng,image/*,*/*;q=0.8"
	acceptCSS  = "text/css,*/*;q=0.1"
)

// upstream describes where a request goes.
type upstream struct {
	hostHeader string // Host for the server
	outproxy   bool   // absolute form, original Host, clearnet User-Agent
}

// filterRequest builds the request head sent toward I2P: the request line
// in origin form (absolute form for an outproxy), then the filtered headers,
// the body framing and Connection: close.
func filterRequest(r *request, up upstream, userAgent string, pathQuery string) []byte {
	var b strings.Builder
	b.WriteString(r.method)
	b.WriteByte(' ')
	switch {
	case r.connect:
		b.WriteString(r.target)
	case up.outproxy:
		b.WriteString(r.url.String())
	default:
		b.WriteString(pathQuery)
	}
	b.WriteByte(' ')
	b.WriteString(r.proto)
	b.WriteString("\r\n")
	add := func(k, v string) {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	if up.outproxy {
		if r.connect {
			add("Host", r.target)
		} else {
			add("Host", r.url.Host)
		}
	} else {
		add("Host", up.hostHeader)
	}
	for _, f := range filterRequestFields(r) {
		add(f.name, f.value)
	}
	shout := false
	for _, f := range r.fields {
		if len(f.name) >= 3 && strings.EqualFold(f.name[:3], "icy") {
			shout = true
		}
	}
	if !r.connect && !shout {
		if up.outproxy {
			add("User-Agent", OutproxyUserAgent)
		} else {
			add("User-Agent", userAgent)
		}
	}
	switch r.body {
	case bodyLength:
		add("Content-Length", strconv.FormatInt(r.length, 10))
	case bodyChunked:
		add("Transfer-Encoding", "chunked")
	}
	add("Connection", "close")
	b.WriteString("\r\n")
	return []byte(b.String())
}

// filterRequestFields applies the per-header rules to the browser's headers.
func filterRequestFields(r *request) fields {
	named := map[string]bool{}
	for _, t := range r.fields.tokens("Connection") {
		named[t] = true
	}
	var out fields
	for _, f := range r.fields {
		n := strings.ToLower(f.name)
		switch {
		case hopByHop[n], named[n], identifying[n]:
		case n == "host", n == "user-agent", n == "via", n == "from",
			n == "proxy-authorization", n == "expect":
		case strings.HasPrefix(n, "sec-ch-"):
			// client hints: browser, version, platform
		case n == "authorization" && len(f.value) >= 5 && strings.EqualFold(f.value[:5], "ntlm "):
		case n == "accept":
			out = append(out, field{f.name, normalizeAccept(f.value)})
		case strings.HasPrefix(n, "accept") && n != "accept-encoding":
			// Accept-Language, Accept-Charset, ...: vary by browser and locale
		case n == "referer":
			if v, ok := filterReferer(f.value, r.url); ok {
				out = append(out, field{f.name, v})
			}
		default:
			out = append(out, f)
		}
	}
	return out
}

func normalizeAccept(v string) string {
	l := strings.ToLower(v)
	html, css, img := strings.Contains(l, "text/html"), strings.Contains(l, "text/css"), strings.Contains(l, "image")
	switch {
	case html && !img && !css:
		return acceptHTML
	case img && !html && !css:
		return acceptImg
	case css && !html && !img:
		return acceptCSS
	}
	return v
}

// filterReferer keeps a Referer only for the same scheme, host and port,
// cut to path and query; a relative one stays as it is.
func filterReferer(v string, orig *url.URL) (string, bool) {
	ru, err := url.Parse(v)
	if err != nil {
		return "", false
	}
	if ru.Host == "" {
		return v, true
	}
	if !strings.EqualFold(ru.Hostname(), orig.Hostname()) || ru.Port() != orig.Port() ||
		!strings.EqualFold(ru.Scheme, orig.Scheme) {
		return "", false
	}
	p := ru.EscapedPath()
	if p == "" {
		p = "/"
	}
	if ru.RawQuery != "" {
		p += "?" + ru.RawQuery
	}
	return p, true
}

// filterResponseFields drops hop-by-hop headers and Proxy-Authenticate
// (Java's HTTPResponseOutputStream); the proxy adds its own Connection and
// framing.
func filterResponseFields(fs fields) fields {
	named := map[string]bool{}
	for _, t := range fs.tokens("Connection") {
		named[t] = true
	}
	var out fields
	for _, f := range fs {
		n := strings.ToLower(f.name)
		if hopByHop[n] || named[n] || n == "proxy-authenticate" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// checkI2PHost checks a .b32.i2p host: it returns the address to dial and
// the b32 form for Host. f is non-nil if host is not a valid b32 or b33
// address.
func checkI2PHost(host string) (dial, b32 string, f *failure) {
	h := strings.ToLower(host)
	name, ok := strings.CutSuffix(h, data.B32Suffix)
	if !ok {
		return "", "", fail(400, pageBadAddress, host)
	}
	switch {
	case len(name) == 52:
		if _, err := data.ParseB32Address(h); err != nil {
			return "", "", fail(400, pageBadAddress, host)
		}
	case len(name) >= 56:
		if _, err := data.ParseB33Address(h); err != nil {
			return "", "", fail(400, pageBadAddress, host)
		}
	default:
		return "", "", fail(400, pageBadAddress, host)
	}
	return h, h, nil
}

// destB32 gives the b32 address of what a Resolver or helper returned: a
// b32/b33 address or a base64 destination (padding may be missing).
func destB32(dest string) (string, bool) {
	if strings.HasSuffix(strings.ToLower(dest), ".i2p") {
		_, b32, f := checkI2PHost(dest)
		return b32, f == nil
	}
	for pad := 0; pad < 3; pad++ {
		if d, err := data.DestinationFromBase64(dest + strings.Repeat("=", pad)); err == nil {
			return d.B32(), true
		}
	}
	return "", false
}

// isName reports whether host looks like a hosts.txt name (not b32).
func isName(host string) bool {
	h := strings.ToLower(host)
	if !strings.HasSuffix(h, ".i2p") || strings.HasSuffix(h, data.B32Suffix) || len(h) > 67 {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(h, ".i2p"), ".")
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isLocal reports Java's localhost test (localhost, 127.0.0.1, 192.168.*,
// [::1]), widened to every loopback and private address.
func isLocal(host string) bool {
	switch {
	case host == "localhost", strings.HasSuffix(host, ".localhost"),
		strings.HasPrefix(host, "127."), strings.HasPrefix(host, "192.168."),
		strings.HasPrefix(host, "10."), host == "::1", host == "0.0.0.0":
		return true
	}
	if strings.HasPrefix(host, "172.") {
		parts := strings.SplitN(host, ".", 3)
		if len(parts) == 3 {
			n, err := strconv.Atoi(parts[1])
			return err == nil && n >= 16 && n <= 31
		}
	}
	return false
}

// removeHelper removes every i2paddresshelper parameter from a raw query,
// returning the rest and the first helper value (unescaped).
func removeHelper(raw string) (rest, key string, found bool) {
	var keep []string
	for part := range strings.SplitSeq(raw, "&") {
		name, val, _ := strings.Cut(part, "=")
		if name == "i2paddresshelper" {
			if !found {
				if v, err := url.QueryUnescape(val); err == nil {
					key = v
				} else {
					key = val
				}
				found = true
			}
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, "&"), key, found
}
