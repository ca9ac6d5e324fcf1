// Package ssu2 is the SSU2 transport: Noise XK sessions over UDP with
// ChaCha20 header protection, Retry and tokens, a data phase with ACK
// ranges, fragmentation, retransmission and congestion control, path
// validation, peer testing and relaying (introducers and hole punching).
//
// Spec: ssu2.rst (i2p.www, accurate for 0.9.64), checked against i2pd
// 2.45.1 (libi2pd/SSU2*.cpp) on the test network.
//
// # Packets
//
// Every UDP datagram is one message. The first 16 bytes of every header are
// XORed with two 8-byte ChaCha20 keystreams (keys k_header_1 and
// k_header_2; nonces the 24th..13th and the 12th..1st bytes from the end of
// the datagram):
//
//	long header (32 bytes; SessionRequest, SessionCreated, Retry,
//	TokenRequest, PeerTest, HolePunch):
//	+--------+----+----+----+----+--------+--------+
//	| dst ID | pn (4)  |type|ver |net |flag| src ID | token  |
//	+--------+----+----+----+----+--------+--------+
//	short header (16 bytes; SessionConfirmed, Data):
//	+--------+---------+----+--------------+
//	| dst ID | pn (4)  |type| flags (3)    |
//	+--------+---------+----+--------------+
//
// Bytes 16..31 of a long header (and the 32-byte ephemeral key that follows
// in SessionRequest and SessionCreated) are ChaCha20-encrypted with
// k_header_2 and a zero nonce. k_header_1 is the receiver's intro key for
// every message except SessionCreated and Retry (the sender's), so an
// inbound datagram is classified by one header decryption and one lookup of
// the destination connection ID; SessionCreated and Retry are matched by
// source address against our pending outbound handshakes.
//
// # Sessions
//
// Each side indexes a session by the connection ID it receives in the
// headers (Alice: her source ID; Bob: Alice's destination ID). Data packets
// are numbered from 0 in each direction, never reused; lost information is
// resent in new packets. ACK blocks carry the highest packet number, a run
// below it, and nack/ack ranges. Congestion control counts packets in
// flight against a window (16..256 packets, as i2pd), with RTT and RTO
// estimated as in RFC 6298.
package ssu2
