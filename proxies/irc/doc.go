// Package irc implements I2PTunnel's IRC tunnels: the client tunnel
// (i2ptunnel type ircclient) with its command filter, and the server tunnel
// (type ircserver). It follows Java I2P's I2PTunnelIRCClient,
// I2PTunnelIRCServer and irc/IRCFilter (i2p.i2p 2.x); where Java is silent,
// i2pd 2.45.1 (I2PTunnelConnectionIRC). Lines follow RFC 1459 section 2.3.
//
// # Filter
//
// FilterOutbound (client → server) and FilterInbound (server → client) are
// pure functions over one line without its terminator, sharing a *State for
// the PING/PONG rewrite. They keep Java's allow-lists and rewrites:
//
//   - outbound: an allow-list of about 90 commands; PRIVMSG and NOTICE pass
//     unless they carry CTCP, of which only ACTION passes; USER becomes
//     "USER <user> hostname localhost :<realname>"; PART and QUIT lose their
//     messages ("PART <chans> :leaving", "QUIT :leaving"); PING keeps only
//     its nonce; PONG becomes "PONG 127.0.0.1"; anything else (WEBIRC,
//     SERVER, PROTOCTL, tags, unknown commands) is dropped.
//   - inbound: numerics; MODE JOIN NICK QUIT PART WALLOPS ERROR KICK H TOPIC
//     AUTHENTICATE CAP; PRIVMSG and NOTICE with the same CTCP rule; PING
//     becomes "PING 127.0.0.1"; anything else is dropped.
//   - DCC is dropped unless State.DCC holds a DCCHelper, which rewrites
//     offers to and from I2P addresses as Java does. This package does not
//     provide a DCCHelper (Java's DCC server and client tunnels are not
//     ported), so DCC is off.
//
// Java quirks kept: CTCP must have exactly two \x01 markers and its verb is
// read from the third byte of the text (Java's substring(2) assumes
// ":\x01"). Quirks not kept, each a Java crash or bug: short lines that make
// Java throw are dropped; DCC RESUME/ACCEPT are compared by value; inbound
// CTCP is looked for in the whole text even without a prefix. The
// testdata/README lists the golden cases and their sources.
//
// # Lines
//
// CR, LF and CR LF each end a line, as with Java's BufferedReader.readLine
// (so a bare CR cannot smuggle a second command past the filter). Java reads
// lines of any length; here a line longer than MaxLine (512 bytes with CR
// LF, configurable) is dropped whole and never truncated, since a cut line
// may change meaning. Buffers are bounded (4 KiB each way per connection)
// and every complete line must arrive within the read timeout.
//
// # Client tunnel
//
// NewClient and (*Client).Serve: each local connection dials the targets
// through the Dialer, starting at a random one like Java and trying the
// next on failure, then copies filtered lines both ways on two goroutines.
// A failed dial is reported to the IRC client as a 499 numeric, as Java
// does.
//
// # Server tunnel
//
// NewServer and (*Server).Serve or ServeConn: the peer's destination hash
// comes from the stream's RemoteAddr ("<b32>.b32.i2p:port", see PeerHash).
// With WEBIRC configured the ircd first gets
// "WEBIRC <password> <gateway> <hostname> <ip>"; otherwise the host field of
// the client's USER line is replaced by the hostname. The hostname is the
// FakeHostname template ("%f.b32.i2p" by default; %c gives a keyed hash,
// Java's cloak). After registration bytes pass unfiltered, as in Java.
//
// # Lifecycle
//
// Constructors validate and do no I/O. Serve blocks until its context is
// done, then closes the listener and every connection, waits for all
// goroutines it started, and returns ctx.Err().
package irc
