package addressbook

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"maps"
	"os"
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
)

// sigEd25519 is I2P signature type 7 (EdDSA_SHA512_Ed25519).
const sigEd25519 = 7

type testKey struct {
	priv ed25519.PrivateKey
	dest string
}

func newKey(t testing.TB) testKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return keyFrom(t, pub, priv, rand.Reader)
}

// fixedKey is deterministic, for golden tests.
func fixedKey(t testing.TB, seed byte) testKey {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	return keyFrom(t, priv.Public().(ed25519.PublicKey), priv, bytes.NewReader(bytes.Repeat([]byte{seed}, 32)))
}

func keyFrom(t testing.TB, pub ed25519.PublicKey, priv ed25519.PrivateKey, pad interface{ Read([]byte) (int, error) }) testKey {
	t.Helper()
	d, err := data.NewDestination(sigEd25519, pub, pad)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{priv: priv, dest: d.Base64()}
}

func (k testKey) sign(msg []byte) string {
	return data.Base64Encode(ed25519.Sign(k.priv, msg))
}

// signed returns name=k.dest with props, signed as Java's HostTxtEntry.sign
// (and signInner with inner first, when inner is not nil).
func signed(name string, k testKey, props map[string]string, inner *testKey) Entry {
	e := Entry{Name: name, Dest: k.dest, Props: maps.Clone(props)}
	if e.Props == nil {
		e.Props = map[string]string{}
	}
	if inner != nil {
		e.Props[KeyOldDest] = inner.dest
		e.Props[KeyOldSig] = inner.sign(e.InnerSignedBytes())
	}
	e.Props[KeySig] = k.sign(e.SignedBytes())
	return e
}

// signedRemove returns a #!action=...#name=...#dest=... line signed by k.
func signedRemove(action, name string, k testKey) Entry {
	e := Entry{Props: map[string]string{KeyAction: action, KeyDest: k.dest}}
	if name != "" {
		e.Props[KeyName] = name
	}
	e.Props[KeySig] = k.sign(e.SignedBytes())
	return e
}

func feedText(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	b, err := AppendFile([]byte("# test feed\n"), entries)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMain starts every test's router book empty instead of from the
// shipped defaults (TestLoad/defaults checks those).
func TestMain(m *testing.M) {
	defaultBook = func() ([]byte, error) { return nil, nil }
	os.Exit(m.Run())
}
