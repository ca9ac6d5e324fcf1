package httpproxy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"html"
	"net/http"
	"strings"
	"time"
)

type pageID int

const (
	pageBadRequest pageID = iota
	pageBadURI
	pageProtocol
	pageBadAddress
	pageUnknownName
	pageHelperNotFound
	pageHelperNew
	pageHelperConflict
	pageNoOutproxy
	pageDenied
	pageLocalhost
	pagePort
	pageUnreachable
	pageNoLeaseSet
	pageTimeout
	pageNotReady
	pageReset
	pageBadResponse
	pageForbidden
	pageNotFoundLocal
	pageMethod
)

// titles and texts after Java's *.ht pages.
var pages = map[pageID][2]string{
	pageBadRequest:     {"Bad Request", "The proxy could not understand the request."},
	pageBadURI:         {"Invalid Request URI", "The request URI is invalid, and probably contains illegal characters."},
	pageProtocol:       {"Non-HTTP Protocol", "The I2P HTTP proxy supports HTTP and HTTPS requests only."},
	pageBadAddress:     {"Invalid Destination", "The address is not a valid I2P host name, Base 32 or Base 64 address."},
	pageUnknownName:    {"Website Unknown", "The website was not found in your router's address book. Check the link or find a Base 32 or Base 64 address, an address helper link, or use a jump service link below."},
	pageHelperNotFound: {"Helper Key Not Resolvable", "The helper key you put for i2paddresshelper= is not resolvable. It seems to be garbage data, or a mistyped b32."},
	pageHelperNew:      {"New Host Name with Address Helper", "The address helper link you followed is for a new host name that is not in your address book. You may save it, or continue and have it remembered until the proxy restarts. If you do not wish to visit this host, go back."},
	pageHelperConflict: {"Destination Key Conflict", "The address helper link you followed specifies a different destination key than a host entry in your address book. Someone could be trying to impersonate another website, or people have given two websites identical names."},
	pageNoOutproxy:     {"No Outproxy Configured", "Your request was for a site outside of I2P, but you have no HTTP outproxy configured."},
	pageDenied:         {"Request Denied", "You attempted to connect to a non-I2P website or location."},
	pageLocalhost:      {"Request Denied", "Your browser is misconfigured. Do not use the proxy to access the router console or other localhost destinations."},
	pagePort:           {"Request Denied", "CONNECT to this port is not allowed."},
	pageUnreachable:    {"Website Unreachable", "The website was not reachable. It is offline, there is network congestion, or your router is not yet well-integrated with peers. You may want to retry."},
	pageNoLeaseSet:     {"Website Unreachable", "The website was not reachable, because its lease set was not found. The website is probably down, but there could also be network congestion."},
	pageTimeout:        {"Website Timed Out", "The website did not answer in time. You may want to retry."},
	pageNotReady:       {"Tunnels Not Ready", "The proxy's tunnels are not ready yet. Wait a minute and retry."},
	pageReset:          {"Connection Reset", "The connection to the website was reset."},
	pageBadResponse:    {"Bad Response", "The website sent a response the proxy could not understand."},
	pageForbidden:      {"Request Refused", "The form was not valid or has expired. Follow the address helper link again."},
	pageNotFoundLocal:  {"Not Found", "The proxy has no such page."},
	pageMethod:         {"Method Not Allowed", "This proxy only accepts CONNECT requests."},
}

const pageStyle = `body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em}` +
	`.warning{border:1px solid #c60;padding:1em}code,textarea{word-break:break-all}textarea{width:100%}`

// page is one HTML reply.
type page struct {
	status int
	title  string
	body   strings.Builder // trusted HTML: append values only through esc
	extra  [][2]string     // extra headers
}

var esc = html.EscapeString

func newPage(status int, id pageID) *page {
	t := pages[id]
	p := &page{status: status, title: t[0]}
	p.body.WriteString("<p>" + esc(t[1]) + "</p>\n")
	return p
}

func (p *page) render(keepAlive bool) []byte {
	body := "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(p.title) +
		"</title><style>" + pageStyle + "</style></head>\n<body><div class=\"warning\"><h3>" +
		esc(p.title) + "</h3>\n" + p.body.String() + "</div></body></html>\n"
	var b strings.Builder
	b.WriteString("HTTP/1.1 " + itoa(p.status) + " " + http.StatusText(p.status) + "\r\n")
	b.WriteString("Content-Type: text/html; charset=UTF-8\r\n")
	b.WriteString("Cache-Control: no-store\r\n")
	b.WriteString("Referrer-Policy: no-referrer\r\n")
	b.WriteString("X-Content-Type-Options: nosniff\r\n")
	for _, h := range p.extra {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("Content-Length: " + itoa(len(body)) + "\r\n")
	if keepAlive {
		b.WriteString("Connection: keep-alive\r\n\r\n")
	} else {
		b.WriteString("Connection: close\r\n\r\n")
	}
	b.WriteString(body)
	return []byte(b.String())
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// link writes an escaped link; href must be one we built (http URL).
func (p *page) link(href, text string) {
	p.body.WriteString("<a href=\"" + esc(href) + "\">" + esc(text) + "</a>")
}

// failurePage renders f for the request URL target ("" if none).
func (px *Proxy) failurePage(f *failure, target string, outproxy string) *page {
	pg := newPage(f.status, f.page)
	if f.detail != "" {
		pg.body.WriteString("<p><b>" + esc(f.detail) + "</b></p>\n")
	}
	if target != "" {
		pg.body.WriteString("<hr><p><b>Could not find the following destination:</b><br>\n")
		pg.link(target, target)
		pg.body.WriteString("</p>\n")
	}
	if outproxy != "" {
		pg.body.WriteString("<p><b>HTTP Outproxy:</b> " + esc(outproxy) + "</p>\n")
	}
	return pg
}

// jumpLinks adds Java's jump service links for target (an http URL).
func (px *Proxy) jumpLinks(pg *page, target string, ok func(host string) bool) {
	rest := strings.TrimPrefix(target, "http://")
	first := true
	for _, j := range px.cfg.JumpServers {
		h, okp := strings.CutPrefix(strings.ToLower(j), "http://")
		if !okp {
			continue
		}
		h, _, _ = strings.Cut(h, "/")
		h, _, _ = strings.Cut(h, "?")
		if !strings.HasSuffix(h, ".i2p") || !ok(h) {
			continue
		}
		if first {
			pg.body.WriteString("<div id=\"jumplinks\"><h4>Click a link below for an address helper from a jump service</h4>\n")
			first = false
		}
		pg.link(j+rest, h+" jump service")
		pg.body.WriteString("<br>\n")
	}
	if !first {
		pg.body.WriteString("</div>\n")
	}
}

// Address helper form tokens: base64url(8-byte Unix time || first 16
// bytes of HMAC-SHA256(secret, label || time || host || 0 || dest)).
const tokenLife = time.Hour

func (px *Proxy) token(host, dest string, t time.Time) string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(t.Unix()))
	return base64.RawURLEncoding.EncodeToString(append(ts[:], px.tokenMAC(ts, host, dest)...))
}

func (px *Proxy) tokenMAC(ts [8]byte, host, dest string) []byte {
	m := hmac.New(sha256.New, px.secret)
	m.Write([]byte("i2pgo httpproxy addresshelper\x00"))
	m.Write(ts[:])
	m.Write([]byte(strings.ToLower(host)))
	m.Write([]byte{0})
	m.Write([]byte(dest))
	return m.Sum(nil)[:16]
}

func (px *Proxy) checkToken(tok, host, dest string) bool {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 24 {
		return false
	}
	var ts [8]byte
	copy(ts[:], b)
	t := time.Unix(int64(binary.BigEndian.Uint64(ts[:])), 0)
	now := px.now()
	if now.Sub(t) > tokenLife || t.Sub(now) > 5*time.Minute {
		return false
	}
	return hmac.Equal(b[8:], px.tokenMAC(ts, host, dest))
}

// helperNewPage is the confirmation form for an unknown name.
func (px *Proxy) helperNewPage(host, dest, b32, target string) *page {
	pg := newPage(409, pageHelperNew)
	pg.body.WriteString("<table><tr><td>Host</td><td>" + esc(host) + "</td></tr>\n<tr><td>Base 32</td><td>")
	pg.link("http://"+b32+"/", b32)
	pg.body.WriteString("</td></tr>\n<tr><td>Destination</td><td><textarea rows=\"4\" readonly>" + esc(dest) +
		"</textarea></td></tr></table>\n<hr>\n")
	pg.body.WriteString("<form method=\"POST\" action=\"http://" + LocalHost + "/add\">\n")
	hidden := func(k, v string) {
		pg.body.WriteString("<input type=\"hidden\" name=\"" + k + "\" value=\"" + esc(v) + "\">\n")
	}
	hidden("host", host)
	hidden("dest", dest)
	hidden("url", target)
	hidden("token", px.token(host, dest, px.now()))
	pg.body.WriteString("<p><button type=\"submit\" name=\"action\" value=\"continue\">Continue to " + esc(host) +
		" without saving</button></p>\n")
	if px.book != nil {
		pg.body.WriteString("<p><button type=\"submit\" name=\"action\" value=\"save\">Save " + esc(host) +
			" to the address book and continue</button></p>\n")
	}
	pg.body.WriteString("</form>\n")
	return pg
}

// helperConflictPage offers both destinations.
func (px *Proxy) helperConflictPage(trusted, conflict string) *page {
	pg := newPage(409, pageHelperConflict)
	pg.body.WriteString("<p>To visit the destination in your address book, click ")
	pg.link(trusted, "here")
	pg.body.WriteString(". To visit the conflicting address helper destination, click ")
	pg.link(conflict, "here")
	pg.body.WriteString(".</p>\n")
	return pg
}

// redirect is a 301/303 reply without a page body worth showing.
func redirect(status int, location string, keepAlive bool) []byte {
	pg := &page{status: status, title: http.StatusText(status)}
	pg.extra = append(pg.extra, [2]string{"Location", location})
	pg.link(location, location)
	return pg.render(keepAlive)
}
