package configs

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func FuzzParse(f *testing.F) {
	f.Add(defaultYAML)
	f.Add([]byte("router:\n  netid: 300\n"))
	f.Add([]byte("router:\n  reseed:\n    urls: [https://a/, http://b/]\n    file: x\n"))
	f.Add([]byte("log: &a {level: info}\nconsole: *a\n"))
	f.Add([]byte("a: b\n---\nc: d\n"))
	f.Add([]byte("router: {netid: 0x10, port: 1_000, floodfill: true}\n"))
	f.Add([]byte("\t- [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		t.Setenv("HOME", "/home/fuzz")
		got, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("Parse succeeded but Validate fails: %v", err)
		}
		// What parses must survive a trip through yaml.Marshal.
		out, err := yaml.Marshal(got)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse(out, "again.yaml")
		if err != nil {
			t.Fatalf("reparse of\n%s: %v", out, err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("reparse = %+v, want %+v", again, got)
		}
	})
}
