package noise

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"testing"

	flynn "github.com/flynn/noise"
)

// xkInitiator drives a standard Noise_XK_25519_ChaChaPoly_SHA256 initiator
// with this package, against flynn/noise's responder, to show that the
// SymmetricState is Noise-exact.
func TestXKAgainstFlynn(t *testing.T) {
	cs := flynn.NewCipherSuite(flynn.DH25519, flynn.CipherChaChaPoly, flynn.HashSHA256)
	rs, err := cs.GenerateKeypair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := flynn.NewHandshakeState(flynn.Config{CipherSuite: cs, Pattern: flynn.HandshakeXK, Initiator: false, StaticKeypair: rs, Prologue: []byte("p")})
	if err != nil {
		t.Fatal(err)
	}
	curve := ecdh.X25519()
	s, _ := curve.GenerateKey(rand.Reader)
	e, _ := curve.GenerateKey(rand.Reader)
	rsPub, _ := curve.NewPublicKey(rs.Public)

	var ss SymmetricState
	ss.Init("Noise_XK_25519_ChaChaPoly_SHA256")
	ss.MixHash([]byte("p"))
	ss.MixHash(rs.Public)
	// -> e, es
	msg1 := append([]byte{}, e.PublicKey().Bytes()...)
	ss.MixHash(e.PublicKey().Bytes())
	dh, _ := e.ECDH(rsPub)
	ss.MixKey(dh)
	msg1, err = ss.EncryptAndHash(msg1, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	p, _, _, err := resp.ReadMessage(nil, msg1)
	if err != nil || string(p) != "hello" {
		t.Fatalf("flynn read msg1: %q %v", p, err)
	}
	// <- e, ee
	msg2, _, _, err := resp.WriteMessage(nil, []byte("world"))
	if err != nil {
		t.Fatal(err)
	}
	re := msg2[:32]
	ss.MixHash(re)
	rePub, err := curve.NewPublicKey(re)
	if err != nil {
		t.Fatal(err)
	}
	dh, _ = e.ECDH(rePub)
	ss.MixKey(dh)
	p, err = ss.DecryptAndHash(nil, msg2[32:])
	if err != nil || string(p) != "world" {
		t.Fatalf("msg2: %q %v", p, err)
	}
	// -> s, se
	msg3, err := ss.EncryptAndHash(nil, s.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	dh, _ = s.ECDH(rePub)
	ss.MixKey(dh)
	msg3, err = ss.EncryptAndHash(msg3, []byte("done"))
	if err != nil {
		t.Fatal(err)
	}
	p, rcs1, rcs2, err := resp.ReadMessage(nil, msg3)
	if err != nil || string(p) != "done" {
		t.Fatalf("flynn read msg3: %q %v", p, err)
	}
	if !bytes.Equal(resp.PeerStatic(), s.PublicKey().Bytes()) {
		t.Fatal("peer static mismatch")
	}
	if h := ss.Hash(); !bytes.Equal(h[:], resp.ChannelBinding()) {
		t.Fatal("handshake hash differs from flynn/noise")
	}
	c1, c2 := ss.Split()
	ct, _ := c1.Encrypt(nil, nil, []byte("a->b"))
	if p, err := rcs1.Decrypt(nil, nil, ct); err != nil || string(p) != "a->b" {
		t.Fatalf("transport i->r: %q %v", p, err)
	}
	ct, _ = rcs2.Encrypt(nil, nil, []byte("b->a"))
	if p, err := c2.Decrypt(nil, nil, ct); err != nil || string(p) != "b->a" {
		t.Fatalf("transport r->i: %q %v", p, err)
	}
	// A tampered frame must not decrypt, and must not advance the nonce.
	ct, _ = rcs2.Encrypt(nil, nil, []byte("x"))
	ct[0] ^= 1
	if _, err := c2.Decrypt(nil, nil, ct); err != ErrAuth {
		t.Fatalf("tampered: %v", err)
	}
}
