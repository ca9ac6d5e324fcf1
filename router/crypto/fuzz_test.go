package crypto

import (
	"testing"
)

// allSigTypes is every type in the table plus a few that are not.
var allSigTypes = []SigType{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 65535}

// fit pads b with zeros or cuts it to n bytes.
func fit(b []byte, n int) []byte {
	if n < 0 {
		return b
	}
	out := make([]byte, n)
	copy(out, b)
	return out
}

// FuzzVerify throws arbitrary bytes at Verify and VerifyHash: once as
// given, and once cut or padded to the lengths of the type picked by typ
// (typ modulo len(allSigTypes)), so that the input reaches the curve and
// modular arithmetic of every type. Neither function may panic. One type
// per input keeps the instrumented big-number code fast enough to fuzz.
func FuzzVerify(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, typ uint16, pub, msg, sig []byte) {
		_ = Verify(SigType(typ), pub, msg, sig)
		_ = VerifyHash(SigType(typ), pub, msg, sig)
		st := allSigTypes[int(typ)%len(allSigTypes)]
		p, s := fit(pub, st.PublicKeyLen()), fit(sig, st.SignatureLen())
		_ = Verify(st, p, msg, s)
		if st.Known() {
			_ = VerifyHash(st, p, fit(msg, st.HashFunc().Size()), s)
		}
		// Keys with the top and the low bit set pass the cheap RSA key
		// checks and reach the exponentiation.
		if len(p) > 0 {
			p[0] |= 0x80
			p[len(p)-1] |= 1
			_ = Verify(st, p, msg, s)
		}
	})
}

// addSeeds adds one valid vector per type, so that mutations start near
// valid inputs.
func addSeeds(f *testing.F) {
	var doc struct {
		Vectors []opensslVector `json:"vectors"`
	}
	readJSON(f, "openssl_vectors.json", &doc)
	done := map[int]bool{}
	for _, v := range doc.Vectors {
		if !done[v.Type] {
			done[v.Type] = true
			f.Add(uint16(v.Type), []byte(v.Pub), []byte(v.Msg), []byte(v.Sig))
		}
	}
	for _, v := range readRFC8032(f) {
		f.Add(uint16(SigEd25519), []byte(v.Pub), []byte(v.Msg), []byte(v.Sig))
	}
	s, err := GenerateRedDSA(nil)
	if err != nil {
		f.Fatal(err)
	}
	msg := []byte("seed")
	sig, _ := s.Sign(msg)
	f.Add(uint16(SigRedDSAEd25519), s.Public(), msg, sig)
	f.Add(uint16(0), []byte(nil), []byte(nil), []byte(nil))
}
