// Package bob is the BOB bridge ("Basic Open Bridge"), the older text
// protocol for I2P applications, version 00.00.10 as described by
// docs/api-bob.html (i2p.www, lastupdated 2025-05). Java I2P dropped BOB
// in 1.7.0; i2pd keeps it. Where the page is vague we follow i2pd 2.45.1
// (libi2pd_client/BOB.cpp), whose replies real clients were tested
// against.
//
// # Protocol
//
// A client connects to the command port (127.0.0.1:2827 by default) and
// is greeted with "BOB 00.00.10" and "OK". Each command is one line
// ("\n" or "\r\n"); each reply is one line beginning "OK" or "ERROR",
// except list, which sends a "DATA ..." line per tunnel before its "OK".
// A line is at most Config.MaxLineLen bytes (64 KiB); a longer one, a
// line with control characters and an unknown command are answered with
// ERROR and the session goes on.
//
// A tunnel is a nickname (setnick, getnick) with keys (newkeys, setkeys;
// getkeys, getdest), an inbound side (inhost, inport: a local TCP
// listener; a client that connects there sends a destination, base64 or a
// name, on one line, and is then connected to it over I2P), an outbound
// side (outhost, outport: each stream that reaches the destination is
// connected to that TCP address; unless quiet, the peer's base64
// destination and a newline come first), and I2CP options (option
// key=value ..., passed to the destination: i2cp.*, inbound.*,
// outbound.*). start and stop run it, clear forgets it, status and list
// show it. Tunnels outlive the command session that made them (quit does
// not stop them), as in Java and i2pd; they stop when Serve returns.
//
// # Where we follow i2pd and where we differ
//
//   - Reply texts are i2pd's ("OK Nickname set to x", "OK Tunnel
//     starting", "ERROR tunnel is active", "OK Listing done", the DATA
//     line with "not_set" for unset hosts and ports, status's
//     "OK DATA NICKNAME: ...", help's "OK COMMANDS: ...").
//   - zap ends the session only (i2pd); Java's BOB shut itself down.
//   - clear stops a running tunnel and forgets it (i2pd); Java refused
//     with "ERROR tunnel is active". The lenient form serves both kinds
//     of client.
//   - Nicknames live in one table shared by all sessions, as in Java:
//     setnick creates the entry at once, list shows it, and settings
//     changes go to the entry (refused while it runs). An entry that was
//     never started is dropped when the session that made it ends, which
//     is what i2pd's session-local settings amount to.
//   - i2pd's commands and operands are read with "command operand": only
//     the first word of the operand. We keep the whole rest of the line,
//     so option takes several key=value pairs (as the spec's table says)
//     and newkeys its two operands. Commands match without regard to
//     case.
//   - newkeys [SIGTYPE [CRYPTOTYPE]] defaults to Ed25519 (7) with
//     ElGamal (0) crypto: i2pd's default, DSA_SHA1, and any type other
//     than Ed25519 are refused, since the router signs only with Ed25519.
//     setkeys likewise refuses keys of other signature types (i2pd
//     takes them).
//   - start answers "OK Tunnel starting" at once, like i2pd, but binds
//     inhost:inport first, so a port in use is an ERROR of start. The
//     tunnel shows STARTING: true until its destination has tunnels and
//     a published LeaseSet, then RUNNING: true (i2pd shows RUNNING at
//     once).
//   - An empty inhost or outhost means 127.0.0.1 (i2pd listens on every
//     address); hostnames are accepted as well as IP addresses.
//   - stop waits until the tunnel's listener, streams and destination
//     are closed, then answers "OK Tunnel stopping"; so STOPPING is only
//     seen by other sessions.
//   - quiet takes an optional true or false (i2pd ignores its operand and
//     sets quiet).
//   - Added from Java: verify, visit (answers OK and does nothing), show
//     and showprops. lookuplocal is i2pd's; it needs a Network that
//     implements LocalLookuper and answers ERROR otherwise.
//   - Inbound connections whose destination line does not resolve or
//     cannot be reached are closed without a word, as i2pd does.
//
// The bridge needs of the router only the Network interface, which has
// the methods of sam.Network, so that the router's SAM adapter serves it;
// keys are SAM's PrivateKeys (the I2P private key file format in I2P
// base64).
package bob
