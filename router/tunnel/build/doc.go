// Package build creates and answers ECIES-X25519 tunnel build requests
// (tunnel-creation-ecies.rst, "lastupdated 2025-06", accurate for 0.9.66;
// the message flow of tunnel-creation.rst). It does both record formats:
//
//   - long: 528-byte records in VariableTunnelBuild (type 23) and
//     VariableTunnelBuildReply (type 24), deprecated by the spec but still
//     sent;
//   - short: 218-byte records in ShortTunnelBuild (type 25) and
//     OutboundTunnelBuildReply (type 26).
//
// The hop's side is NewHopKey (once), FindRecord, HopKey.DecryptRecord and
// HopState.EncryptReply (short: FindShortRecord, DecryptShortRecord,
// ShortHopState.EncryptReply). The creator's side is NewRequest or
// NewShortRequest from a Config, Message to get the records to send, and
// ProcessReply on the records that come back.
//
// ElGamal records are not supported, on either side. The package is pure
// crypto and codec: no I/O, no goroutines, no logging; the only clock read
// is time.Now for a zero Config.RequestTime. Deciding whether to accept,
// replay and request-time checks, and sending the message on are the
// caller's.
//
// # Request records
//
// A request record is the Noise_N_25519_ChaChaPoly_SHA256 message "e, es"
// from the creator to the hop's static X25519 encryption key (the one in
// its RouterIdentity):
//
//	0   toPeer: first 16 bytes of the hop's router hash
//	16  creator's ephemeral X25519 public key, unique per hop and record
//	48  ChaCha20-Poly1305 ciphertext of the cleartext request (464 long,
//	    154 short; i2np.BuildRequest, i2np.ShortBuildRequest)
//	512 or 202: Poly1305 tag
//
// The KDF is Noise N's: h = SHA256("Noise_N_25519_ChaChaPoly_SHA256"||0),
// ck = the padded name; MixHash(empty prologue), MixHash(hop static key),
// MixHash(ephemeral key), MixKey(DH), EncryptAndHash(cleartext). The final
// h is the associated data of the hop's reply record.
//
// For short records the layer key, IV key and reply key are not in the
// record; both sides derive them from the final ck with HKDF(ck, ZEROLEN,
// info, 64), keeping the first half as the next ck:
//
//	ck, replyKey = HKDF(ck, "SMTunnelReplyKey")
//	ck, layerKey = HKDF(ck, "SMTunnelLayerKey")
//	not OBEP: ivKey = ck
//	OBEP:     ck, ivKey = HKDF(ck, "TunnelLayerIVKey")
//	          ck, garlicKey = HKDF(ck, "RGarlicKeyAndTag"); garlicTag = ck[0:8]
//
// The OBEP garlic key and tag seal the OutboundTunnelBuildReply as an
// Existing Session message to the creator.
//
// # Replies
//
// A hop writes its reply into its own record slot and encrypts every
// other slot, so the records it received before it (already answered) and
// the records of the hops after it (still requests) all change:
//
//	long, own slot:   ChaCha20-Poly1305(k = ck, n = 0, ad = h), 512 + 16
//	long, others:     AES-256-CBC encryption, key and IV = the reply key
//	                  and reply IV in the cleartext request, each record
//	                  on its own (no chaining across records)
//	short, own slot:  ChaCha20-Poly1305(k = replyKey, n = slot, ad = h),
//	                  202 + 16
//	short, others:    ChaCha20(k = replyKey, iv = 12 zero bytes but
//	                  iv[4] = slot), initial block counter 1 (the STREAM
//	                  cipher of encryptedleaseset.rst; i2pd's ChaCha20
//	                  does the same)
//
// The long-record rule is what i2pd 2.45.1 does (HandleBuildRequestRecords,
// libi2pd/I2NPProtocol.cpp) and what the spec means by "each hop will use
// its own encryption type for ... the other records": an ECIES hop of a
// long build uses AES-CBC for the other records, not ChaCha20.
//
// # Creator processing
//
// Records go into random slots; unused slots are random bytes. Since every
// hop before hop k encrypts slot k on the way, the creator first
// "decrypts" slot k with the other-record cipher of hops k-1, ..., 0 (in
// that order), so that hop k finds its record intact. On the reply it
// walks the hops from the last to the first: open the hop's own slot
// with the AEAD, then undo that hop's other-record cipher on the slots of
// every earlier hop.
//
// For an inbound build the spec requires one more record, addressed to
// the creator itself (correct toPeer, a real ephemeral key, the rest
// random), so that the last hop cannot tell that the next router is the
// creator. Config.Originator asks for it; the creator pre-decrypts it
// through every hop and, on the reply, checks that it came back unchanged
// (ErrTampered otherwise).
//
// # Sizes and limits
//
// 1 to 8 hops; 4 records when the hops (and originator record) fit, else 8,
// as i2pd sends, unless Config.Records says otherwise. The request options
// Mapping holds at most 296 bytes (long) or 98 bytes (short) with its
// length field.
package build
