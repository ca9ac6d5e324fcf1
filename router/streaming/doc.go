// Package streaming implements the I2P streaming protocol: reliable,
// ordered, TCP-like streams carried in I2CP protocol 6 payloads. It
// follows streaming.rst (last updated 2023-10, accurate for 0.9.59) under
// /work/shared/specs/spec, with the behaviour of Java I2P
// (net.i2p.client.streaming.impl) and i2pd 2.45.1 (libi2pd/Streaming.cpp)
// where the spec leaves room.
//
// # Packet layout
//
//	+----+----+----+----+----+----+----+----+
//	| send Stream ID    | rcv Stream ID     |
//	+----+----+----+----+----+----+----+----+
//	| sequence  Num     | ack Through       |
//	+----+----+----+----+----+----+----+----+
//	| nc |  nc*4 bytes of NACKs (optional)
//	+----+----+----+----+----+----+----+----+
//	     | rd |  flags  | opt size| opt data
//	+----+----+----+----+----+----+----+----+
//	   ...  (optional, see below)           |
//	+----+----+----+----+----+----+----+----+
//	|   payload ...
//	+----+----+----+-//
//
// Option data, in this order, each present when its flag is set:
// DELAY_REQUESTED (2 bytes, ms; >60000 = choke), FROM_INCLUDED (a
// Destination), MAX_PACKET_SIZE_INCLUDED (2 bytes), OFFLINE_SIGNATURE (the
// LS2 offline block), SIGNATURE_INCLUDED (a Signature over the whole packet
// with this field zeroed). There is no length field: the layer below
// frames packets.
//
// # Codec
//
// Packet, ParsePacket and Packet.AppendBinary are pure. ParsePacket
// aliases its input in Payload and Signature (the receive path copies what
// it keeps) and never allocates more than the input can hold. AppendSigned
// signs; VerifySignature and VerifyFrom check a signature over the bytes
// received, never over a re-encoding. We parse and verify
// OFFLINE_SIGNATURE, but our own packets are always signed with the
// Session's key (we do not send offline signatures).
//
// # Connections
//
// A Manager sits on a Session (the client layer's view of one local
// destination). Dial sends a SYN (SYNCHRONIZE, FROM, SIGNATURE,
// MAX_PACKET_SIZE, NO_ACK, sequence 0, the peer's hash in the NACKs for
// replay prevention) and returns when the signed SYN reply arrives. An
// incoming SYN must verify before it may create a connection; cheap
// checks (listener backlog, MaxConns, duplicate stream ID) come first, so
// a flood of SYNs, forged or not, costs at most one verification each and
// holds at most Backlog connections per listener. A verified SYN to a port
// nobody listens on is answered with a signed RESET. Packets are matched
// to connections by our stream ID (their sendStreamId); packets for
// unknown streams are dropped, since without FROM we could not even
// address a RESET. Follow-on packets that arrive before our SYN reply
// (sendStreamId 0, as Java may send) are dropped too and resent by the
// peer.
//
// Both sides number their packets from 0 (the SYN and the SYN reply);
// plain ACKs carry sequence 0 and are never acknowledged. We ACK after
// four in-order packets or after min(RTT/10, AckDelay) (at least 2 ms, as
// i2pd), and at once on a duplicate, a gap (with NACKs for every missing
// packet, at most 255), a CLOSE, or DELAY_REQUESTED 0. Out-of-order
// packets are kept up to 255 ahead within the receive buffer.
//
// The sender keeps at most min(cwnd, 128) packets in flight. The RTO
// follows RFC 6298 as Java's ConnectionOptions does (initial 9 s, bounds
// 100 ms..45 s, Karn's rule, doubling on timeout); resendDelay carries it
// in seconds. Slow start adds a packet per ACKed packet up to ssthresh,
// congestion avoidance 1/cwnd; a loss, seen as a timeout or as two NACKs
// after a later packet got through (fast retransmit, streaming.rst
// "NACKs"), halves the window once per window. A packet sent MaxResends
// times without an ACK resets the connection with ErrTimeout.
//
// When the reader falls behind and the receive buffer fills, every packet
// we send carries DELAY_REQUESTED 60001 (choke) and packets that do not
// fit are dropped unacknowledged; once half the buffer is free we send
// DELAY_REQUESTED 0. A choked sender keeps one packet in flight as a
// window probe, whose resends do not count towards MaxResends. i2pd
// 2.45.1 ignores the choke and relies on resends, which the drop handles.
//
// CLOSE (signed) takes a sequence number after the data; Close and
// CloseWrite send it, Read returns io.EOF after the peer's. The two halves
// close independently; a connection ends when both CLOSEs are
// acknowledged, or Linger after Close. RESET (signed) ends a connection at
// once, either way. KeepAlive sends an empty sequenced packet after a
// quiet spell, so a dead peer is found by the resend limit; IdleTimeout
// resets a connection that received nothing. Pings (ECHO) are answered
// after their signature verifies; Manager.Ping sends one.
//
// # Concurrency
//
// The Manager starts no goroutines. Each Conn has one mutex guarding its
// state, and three timers (resend, delayed ACK, idle/keepalive/linger)
// whose functions take that mutex; endLocked stops them. Packets are
// built under the mutex and handed to Session.Send after it is released.
// Manager.mu is a leaf lock: it may be taken with a Conn's mutex held, but
// never the other way round.
//
// Deviations worth knowing: a SYN arriving on a full backlog is dropped,
// not answered with RESET (so a flood costs no signing), and a connection
// that has ended forgets its peer at once, so a lost final ACK leaves the
// peer resending its CLOSE until its own limit (no TIME-WAIT state).
package streaming
