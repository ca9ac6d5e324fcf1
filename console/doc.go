// Package console serves the router console over HTTP. For now that is a
// JSON API and a placeholder page at /; the browser console comes later:
//
//	GET /api/status  router.Status, whose field names are a public contract
//	GET /api/peers   []router.PeerInfo, one per transport session (if
//	                 Deps.Peers is set)
//
// There is no protocol spec to cite: the routes are i2pgo's own, and the
// JSON shape is defined by router.Status (router/status.go). The security
// measures follow common practice for local admin consoles (Java I2P's
// routerconsole and i2pd's web console serve the same role on the same
// port, 7657 and 7070):
//
//   - DNS-rebinding protection: a request is refused with 403 unless its
//     Host header is the listen address, or localhost, 127.0.0.1 or [::1]
//     with the listen port. A web page on another site that rebinds its
//     name to 127.0.0.1 therefore cannot read the API.
//   - Every response carries X-Content-Type-Options: nosniff,
//     X-Frame-Options: DENY, Content-Security-Policy: default-src 'self'
//     and Referrer-Policy: same-origin (under no-referrer browsers send
//     "Origin: null" with same-origin form posts).
//
// The console has no password: keep it on a loopback address.
//
// Lifecycle: New validates and allocates; Listen binds, so that the caller
// can fail fast on a port in use before starting anything else; Run serves
// until its context is done, then shuts down gracefully.
package console
