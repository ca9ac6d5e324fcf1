// Package sam is the SAM v3 bridge: the text protocol through which
// non-Java applications use I2P streams and datagrams. It implements
// samv3.html (i2p.www, "lastupdated 2025-04, accurate for API 0.9.66"),
// versions 3.0 to 3.3, compared against i2pd 2.45.1 (libi2pd_client/SAM.cpp)
// and Java I2P (apps/sam).
//
// # Scope
//
// The control socket (Bridge.Serve): HELLO VERSION (MIN and MAX optional,
// USER and PASSWORD when Config.User is set); SESSION CREATE with STYLE=
// STREAM, DATAGRAM, RAW, DATAGRAM2, DATAGRAM3 and PRIMARY (alias MASTER),
// DESTINATION=TRANSIENT or a $privkey, SIGNATURE_TYPE, CRYPTO_TYPE (i2pd's),
// PORT/HOST forwarding, FROM_PORT, TO_PORT, PROTOCOL, HEADER, LISTEN_PORT,
// LISTEN_PROTOCOL; SESSION ADD and REMOVE; STREAM CONNECT, ACCEPT
// (concurrent) and FORWARD, each with SILENT; DATAGRAM SEND and RAW SEND on
// the bridge socket; NAMING LOOKUP; DEST GENERATE; PING/PONG; QUIT, STOP,
// EXIT. The datagram socket (Bridge.ServeUDP): "3.x $nickname $destination
// [options]\n$payload" sends, and it is the source of forwarded datagrams.
//
// # Lines
//
// Commands end with "\n" (a "\r" before it is dropped). Tokens are
// separated by runs of spaces or tabs; values may be double-quoted, with
// \" and \\ escapes (SAM 3.2); verbs are mapped to upper case, keys and
// values are not. A line longer than Config.MaxLineLen (64 KiB) is
// answered with RESULT=I2P_ERROR and the socket closed. Replies use the
// spec's words: "HELLO REPLY", "SESSION STATUS", "STREAM STATUS",
// "NAMING REPLY", "DEST REPLY", "DATAGRAM RECEIVED", "RAW RECEIVED", with
// a MESSAGE="..." after every non-OK RESULT that has an explanation.
// Errors of this package are *Error values carrying the RESULT code.
//
// # Deviations, and why
//
//   - The default SIGNATURE_TYPE is Ed25519 (7), not the spec's DSA_SHA1:
//     our router signs only with Ed25519, and the spec itself calls
//     DSA_SHA1 "NOT what you want". Other types are refused with
//     RESULT=I2P_ERROR.
//   - For DESTINATION=TRANSIENT the bridge generates the keys itself, so
//     that SESSION STATUS can return them; DestinationConfig.Keys is never
//     nil and Transient says the keys are throwaway.
//   - Network.NewDestination takes a context, so that a bridge shutdown
//     can abandon a tunnel build.
//   - Offline-signed $privkeys are refused (ErrOfflineKeys).
//   - NAMING LOOKUP OPTIONS=true is accepted, but no OPTION: pairs are
//     returned: Network.Lookup returns no leaseset options.
//   - DATAGRAM SEND and RAW SEND reply only on error ("DATAGRAM STATUS
//     RESULT=..."), as v1/v2 had no success reply; a bad SIZE closes the
//     socket, which cannot be resynchronized.
//   - SSL=true in STREAM FORWARD and the AUTH commands are refused.
//
// # Sessions and goroutines
//
// A session lives as long as the control socket that created it. Each
// control socket runs on one goroutine owned by Serve; a STREAM session
// owns one accept loop (streams are accepted only when an ACCEPT or a
// FORWARD waits for one), a datagram session one writer that drains a
// bounded queue (Config.DatagramQueue; overflow is dropped and counted).
// Closing a session cancels them and waits. A client that stops reading
// its socket for Config.WriteTimeout is disconnected, so that a datagram
// writer never blocks a session's close for long. While a command waits
// on the network (SESSION CREATE for tunnels, STREAM CONNECT for the
// peer, NAMING LOOKUP), a goroutine of that socket peeks at it, so that a
// client that closes its socket meanwhile ends the wait at once; the
// command's goroutine waits for it before reading on. The bridge has no
// Close: cancelling the context of Serve (and ServeUDP) stops it, closing
// every socket and session it owns. Incoming datagrams of a PRIMARY
// session go to the subsession whose protocol and LISTEN_PORT match best
// (exact beats wildcard 0); streams of a STREAM subsession arrive through
// its own Listen(LISTEN_PORT).
package sam
