package crypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// TestChaCha20RFC7539 is the encryption test vector of RFC 7539 section
// 2.4.2 (key 00..1f, nonce 00000000 0000004a 00000000, counter 1).
func TestChaCha20RFC7539(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	nonce, _ := hex.DecodeString("000000000000004a00000000")
	pt := []byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
	want, _ := hex.DecodeString("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d")
	got := make([]byte, len(pt))
	if err := ChaCha20(got, pt, key, nonce); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("ChaCha20 = %x\nwant      %x", got, want)
	}
	// In place, and back.
	if err := ChaCha20(got, got, key, nonce); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, pt) {
		t.Fatal("in-place decryption does not give the plaintext back")
	}
	if err := ChaCha20(got, pt, key[:31], nonce); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short key: %v, want ErrKeyLength", err)
	}
	if err := ChaCha20(got[:3], pt, key, nonce); err == nil {
		t.Error("short dst accepted")
	}
}
