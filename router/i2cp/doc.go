// Package i2cp is the router side of the I2P Control Protocol: the
// server that Java I2P client applications (I2PTunnel, the streaming
// library, i2psnark, …) connect to, by default on 127.0.0.1:7654.
//
// Spec: i2cp.rst (lastupdated 2025-07, accurate for API 0.9.67) and the
// I2CP overview; structures from common-structures.rst. We announce API
// 0.9.66 in SetDate.
//
// # Wire
//
// The client first sends the protocol byte 0x2a. Then each message, both
// ways, is
//
//	+----+----+----+----+----+-------------------------+
//	|   body length (4)  |type|  body (length bytes)    |
//	+----+----+----+----+----+-------------------------+
//
// message.go is the pure codec: Parse(type, body) and AppendBinary per
// message, AppendFrame/ReadFrame for the header. Bodies over
// MaxMessageLen (64 KiB + 2 KiB) are refused before they are read.
//
// # What the router does and does not hold
//
// The client keeps its signing key: CreateSession carries the public
// Destination, the options and a date, signed by the client; we verify
// that signature over the received bytes and the date (±30 s). Once the
// destination has inbound tunnels, the router sends
// RequestVariableLeaseSet with their leases, and the client answers
// CreateLeaseSet2 with the LeaseSet2 it signed and the private keys of
// its encryption keys (X25519 and/or ElGamal), which the router needs to
// open garlic messages. router/client does the rest (pools, garlic,
// LeaseSet publishing) through its Config.SignLeaseSet hook.
//
// SendMessage payloads are I2CP payloads (gzip, protocol and ports in
// the header) made by the client's own streaming or datagram code: we
// send them as they are, and give every payload that arrives to the
// client in a MessagePayload (fast receive).
//
// # Sessions and flow
//
// Several sessions per connection, each its own destination with its own
// tunnels (Java subsessions share the primary session's tunnels; we do
// not: simpler, and it only costs tunnels). Session IDs are unique on
// the server. Each connection has a reader (the ServeConn goroutine) and
// a writer draining two bounded queues: replies (waited for) and
// MessagePayloads (dropped when full or over 4 MiB, counted). A session's
// unsent messages are bounded too (64 per remote, 64 remotes, 4 MiB);
// past that a send gets status 13 (overflow). SendMessages go out in
// order per remote destination, on a goroutine per remote that exits when
// idle, so that a LeaseSet lookup does not hold up the other peers.
// Message statuses: Accepted (1) at once unless
// i2cp.messageReliability=none, then Guaranteed Success (4: handed to
// one of our outbound tunnels, garlic-encrypted; no end-to-end
// acknowledgement stands behind it) or a failure
// code (21 no LeaseSet, 16 no tunnels, 14 expired, 13 queue full, 10 bad
// session, 23 loopback, …); nothing when the nonce is 0.
//
// # Deviations, and why
//
//   - CreateLeaseSet (type 4, deprecated): refused with Disconnect "use
//     CreateLeaseSet2". CreateLeaseSet2 with an EncryptedLeaseSet or
//     MetaLeaseSet: Disconnect. Clients of API 0.9.39+ use LeaseSet2.
//   - Offline-signed destinations (i2cp.leaseSetTransientPublicKey):
//     SessionStatus Invalid, then Disconnect.
//   - Fast receive is the default here even without the option (Java's
//     router defaults to slow when i2cp.fastReceive is absent; Java
//     clients always send true; i2pd has only fast). With
//     i2cp.fastReceive=false (deprecated) payloads are announced by
//     MessageStatus Available and held (at most 256, 4 MiB; the oldest
//     go first) until ReceiveMessageBegin/End.
//   - HostLookup types 2-4 (options, API 0.9.66, proposal 167) fetch
//     the LeaseSet and return its options; result 6 when it is not
//     found. Other types: result 7. BlindingInfo is ignored (no b33
//     per-client auth).
//   - ReconfigureSession merges the options and answers Updated, but
//     only i2cp.messageReliability takes effect; tunnel options apply to
//     new sessions only.
//   - DestroySession: as Java, no SessionStatus; a Disconnect when no
//     session is left or the primary one was destroyed (which takes the
//     others with it).
//   - inbound/outbound.length 0 is raised to 1: our pools build no
//     zero-hop tunnels.
//   - No authentication (i2cp.username/password are ignored): listen on
//     loopback only.
//   - LeaseSet encryption keys: the X25519 (4) and ElGamal (0) private
//     keys are used; others (ML-KEM hybrids 5-7) are ignored, and a
//     LeaseSet with neither of ours is refused (logged; the session then
//     has no LeaseSet). An unpublished LeaseSet (LS2 flag, from
//     i2cp.dontPublishLeaseSet) is not stored at floodfills, only sent
//     in our garlic messages.
//   - Java sends only a Disconnect on a bad CreateSession; we send
//     SessionStatus Invalid first, as the spec describes, then the
//     Disconnect. A second session for a destination already in use, or
//     past the per-connection limit, gets SessionStatus Refused and the
//     connection stays (Java disconnects).
//
// # Against i2pd 2.45.1 (interop/i2cp_test.go)
//
// The same spec-written client (Client, testclient.go) talks to both
// servers. i2pd keeps the connection after a bad signature, accepts a
// config dated 10 minutes off, drops a SendMessage for an unknown session
// and unknown message types silently, and closes on an oversize length
// without a Disconnect. Raw datagrams and streams (our router/streaming
// in the test client) pass between I2CP sessions on i2pgo and on i2pd.
//   - Bad input (garbage, oversize length, unknown type, malformed body,
//     bad signature, unknown session in CreateLeaseSet2) ends the
//     connection with a Disconnect that says why. SendMessage for an
//     unknown session gets MessageStatus 10, as in Java.
package i2cp
