// Package httpproxy is I2PTunnel's HTTP client proxy (the "eepproxy",
// tunnel type httpclient) and its CONNECT proxy (type connectclient). It
// follows Java I2P's apps/i2ptunnel (I2PTunnelHTTPClient,
// I2PTunnelHTTPClientBase, I2PTunnelConnectClient, HTTPResponseOutputStream,
// localServer/LocalHTTPServer and the proxy error pages of
// installer/resources/proxy) as of I2P 2.x, with the differences listed
// below.
//
// A browser speaks HTTP/1.1 proxy requests to the listener given to Serve:
//
//	GET http://example.i2p/path?q HTTP/1.1        absolute form, as proxies get
//	GET /path HTTP/1.1 + Host: example.i2p        origin form (transparent use)
//	GET http://i2p/<base64 destination>/path      Java's form for a raw destination
//	CONNECT <b32>.b32.i2p:443 HTTP/1.1            TLS to an I2P site
//
// Host names are mapped as Java does: "<52 chars>.b32.i2p" (a hash) and
// "<56+ chars>.b32.i2p" (a b33 encrypted-LeaseSet address) are dialled
// directly; other ".i2p" names go through the Resolver (the address book),
// then through the names the user confirmed with an address helper link.
// The server sees the request in origin form with Host set to the b32
// address, so it never learns the name we use for it, and with the request
// headers filtered as listed in HEADERS.md. Toward I2P each request carries
// "Connection: close" as in Java; toward the browser the proxy keeps the
// connection alive, framing each response with Content-Length or chunked
// encoding (Java closes after every response).
//
// Non-I2P hosts go to Config.Outproxy when one is set, else they get the
// "outproxy not configured" page. localhost and private addresses are
// refused. http://proxy.i2p/ is served locally (Java's LocalHTTPServer): "/"
// says the proxy works and POST /add takes the address helper form.
//
// # Address helper
//
// A link http://name.i2p/path?i2paddresshelper=<dest> (base64, b32 or
// another name) is handled as Java does, with one change: Java remembers an
// unknown name's helper destination as soon as the link is followed, while
// we remember it only after the user confirms it on the "new host name"
// page. That page posts to http://proxy.i2p/add with a token, an HMAC over
// the time, the name and the destination under the proxy's secret (valid one
// hour), so no other page can add names. "Save" adds it through Book;
// "Continue" remembers it in memory until restart. A name already known with
// the same destination is redirected to the URL without the helper (301); a
// different destination gets the conflict page (409).
//
// # Errors the router must return
//
// Dialer.Dial should wrap one of ErrNotFound (no LeaseSet found), ErrTimeout
// (the destination did not answer), ErrNotReady (our tunnels or LeaseSet are
// not up yet) or ErrRefused (the stream was reset or refused); any other
// error gets the generic "website unreachable" page. context deadline errors
// count as ErrTimeout. Resolver.Resolve returns ErrUnknownName for a name it
// has not got.
//
// # Status codes
//
// As Java's pages: unknown name 500 ("Domain Not Found"), unreachable,
// LeaseSet not found and timeout 504, no outproxy and tunnels not ready 503,
// denied, localhost, bad protocol and bad URI 403, helper key not resolvable
// 404, new host name and helper conflict 409. Ours where Java has none:
// malformed request 400, bad address 400, reset 502, slow header 408, header
// too large or too many lines 431, unsupported Transfer-Encoding 501,
// HTTP version other than 1.0/1.1 505, a non-CONNECT method on a
// CONNECT-only proxy 405. Every page has Cache-Control: no-store and
// escapes every value it shows.
//
// # Not done
//
// Proxy authentication (Java's proxyAuth), the x-i2p-gzip transfer
// compression Java negotiates with X-Accept-Encoding, WebSocket upgrades
// (dropped with the other hop-by-hop headers, as in Java), local outproxy
// plugins, several outproxies with random choice, and translations.
//
// # Lifecycle
//
// New validates and allocates only. Serve accepts until its context is done,
// then closes every browser connection and stream it opened and waits for
// its goroutines. The logger never gets a browser's address, so a
// destination is never logged with a user's IP.
package httpproxy
