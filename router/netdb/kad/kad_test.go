package kad

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

type vector struct {
	line     int
	hash     data.Hash
	t        time.Time
	date     string
	key      data.Hash
	nextDate string
	nextKey  data.Hash
}

func readVectors(t *testing.T) []vector {
	t.Helper()
	f, err := os.Open("testdata/routingkey_vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 6 {
			t.Fatalf("line %d: %d fields, want 6", n, len(f))
		}
		ms, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		vs = append(vs, vector{
			line: n, hash: mustHex(t, f[0]), t: time.UnixMilli(ms),
			date: f[2], key: mustHex(t, f[3]), nextDate: f[4], nextKey: mustHex(t, f[5]),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 30 {
		t.Fatalf("only %d vectors", len(vs))
	}
	return vs
}

func mustHex(t *testing.T, s string) data.Hash {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad hash %q: %v", s, err)
	}
	return data.Hash(b)
}

// TestRoutingKeyVectors checks keys computed independently by
// testdata/gen_routingkey.py (and cross-checked with the JDK and libc).
func TestRoutingKeyVectors(t *testing.T) {
	for _, v := range readVectors(t) {
		var d [8]byte
		putDate(d[:], v.t)
		if string(d[:]) != v.date {
			t.Errorf("line %d: date %q, want %q", v.line, d[:], v.date)
		}
		if got := RoutingKey(v.hash, v.t); got != v.key {
			t.Errorf("line %d: RoutingKey = %x, want %x", v.line, got, v.key)
		}
		if got := NextRoutingKey(v.hash, v.t); got != v.nextKey {
			t.Errorf("line %d: NextRoutingKey = %x, want %x", v.line, got, v.nextKey)
		}
		// The same instant seen from another zone has the same key.
		east := time.FixedZone("UTC+14", 14*3600)
		if got := RoutingKey(v.hash, v.t.In(east)); got != v.key {
			t.Errorf("line %d: RoutingKey in UTC+14 = %x, want %x", v.line, got, v.key)
		}
	}
}

// TestRoutingKeyKnown pins one vector in the test itself, so a damaged
// vector file cannot make the suite pass vacuously.
func TestRoutingKeyKnown(t *testing.T) {
	h, err := data.HashFromBase64("TZ0OGOyzbMBk~2CMtWuxhQ~VKaBEmVWeozrYAiTphuU=")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)
	// python3 -c 'import hashlib,base64; print(hashlib.sha256(base64.b64decode(
	//   "TZ0OGOyzbMBk~2CMtWuxhQ~VKaBEmVWeozrYAiTphuU=", altchars=b"-~")+b"20261123").hexdigest())'
	want := mustHex(t, "7d7c531ab418c5d6306c5926da47a23338520118da4696a1877206fc6e0d26d0")
	if got := RoutingKey(h, at); got != want {
		t.Fatalf("RoutingKey = %x, want %x", got, want)
	}
}

func TestUntilMidnight(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want time.Duration
	}{
		{time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), 24 * time.Hour},
		{time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC), 30 * time.Minute},
		{time.Date(2026, 11, 23, 23, 59, 59, 999e6, time.UTC), time.Millisecond},
		// 01:00 in UTC+2 is 23:00 UTC the day before.
		{time.Date(2026, 11, 24, 1, 0, 0, 0, time.FixedZone("", 2*3600)), time.Hour},
	} {
		if got := UntilMidnight(c.t); got != c.want {
			t.Errorf("UntilMidnight(%v) = %v, want %v", c.t, got, c.want)
		}
	}
}

func TestRoutingKeys(t *testing.T) {
	h := data.HashOf([]byte("i2pgo"))
	midnight := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		t    time.Time
		want int
	}{
		{midnight, 1},
		{midnight.Add(-RouterInfoAdvance), 1},
		{midnight.Add(-RouterInfoAdvance + time.Millisecond), 2},
		{midnight.Add(-time.Nanosecond), 2},
		{midnight.Add(-12 * time.Hour), 1},
	} {
		keys := RoutingKeys(h, c.t)
		if len(keys) != c.want {
			t.Fatalf("RoutingKeys at %v: %d keys, want %d", c.t, len(keys), c.want)
		}
		if keys[0] != RoutingKey(h, c.t) {
			t.Errorf("RoutingKeys at %v: first is not today's key", c.t)
		}
		if len(keys) == 2 && keys[1] != RoutingKey(h, midnight) {
			t.Errorf("RoutingKeys at %v: second is not tomorrow's key", c.t)
		}
	}
}

func TestDistance(t *testing.T) {
	a := data.HashOf([]byte("a"))
	b := data.HashOf([]byte("b"))
	if Distance(a, a) != (data.Hash{}) {
		t.Error("Distance(a, a) != 0")
	}
	if Distance(a, b) != Distance(b, a) {
		t.Error("Distance not symmetric")
	}
	if Distance(Distance(a, b), b) != a {
		t.Error("XOR not involutive")
	}
	var one data.Hash
	one[31] = 1
	if d := Distance(a, Distance(a, one)); d != one {
		t.Errorf("Distance(a, a^1) = %x", d)
	}
}

func TestCompareCloser(t *testing.T) {
	var target, a, b data.Hash
	target[0] = 0x80
	a[0] = 0x81 // distance 0x01...
	b[0] = 0x00 // distance 0x80...
	if !Closer(target, a, b) || Closer(target, b, a) {
		t.Error("a should be closer than b")
	}
	if Compare(target, a, b) != -1 || Compare(target, b, a) != 1 || Compare(target, a, a) != 0 {
		t.Error("Compare")
	}
	if Closer(target, a, a) {
		t.Error("Closer(a, a) must be false")
	}
	// Only the last byte differs.
	a, b = target, target
	a[31], b[31] = 1, 2
	if !Closer(target, a, b) {
		t.Error("last-byte distance")
	}
}

func TestBucket(t *testing.T) {
	var a data.Hash
	if got := Bucket(a, a); got != 256 {
		t.Errorf("Bucket(a, a) = %d, want 256", got)
	}
	for bit := range 256 {
		b := a
		b[bit/8] ^= 0x80 >> (bit % 8)
		if got := Bucket(a, b); got != bit {
			t.Errorf("flip bit %d: Bucket = %d", bit, got)
		}
		// Lower bits do not change the bucket.
		b[31] ^= 0x01
		if bit < 255 {
			if got := Bucket(a, b); got != bit {
				t.Errorf("flip bit %d and 255: Bucket = %d", bit, got)
			}
		}
	}
}
