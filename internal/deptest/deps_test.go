// Package deptest enforces the import rules of ../shared/STYLE.md
// (section 2): which project packages each package may import.
package deptest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/i2pgo/i2pgo/"

// allowed maps a package (relative to the module) to the project packages it
// may import. A package missing here may import nothing from the project.
// "router/..." means any package below router.
var allowed = map[string][]string{
	"router/crypto":                  {},
	"router/crypto/noise":            {"router/crypto"},
	"router/data":                    {"router/crypto"},
	"router/i2np":                    {"router/data", "router/crypto"},
	"router/su3":                     {"router/data", "router/crypto"},
	"router/netdb/kad":               {"router/data", "router/crypto"},
	"router/profile":                 {"router/data", "router/crypto"},
	"router/garlic":                  {"router/i2np", "router/data", "router/crypto", "router/crypto/noise"},
	"router/transport/ntcp2":         {"router/i2np", "router/data", "router/crypto", "router/crypto/noise"},
	"router/transport/ssu2":          {"router/i2np", "router/data", "router/crypto", "router/crypto/noise"},
	"router/transport":               {"router/transport/ntcp2", "router/transport/ssu2", "router/i2np", "router/data", "router/profile"},
	"router/netdb":                   {"router/i2np", "router/data", "router/netdb/kad", "router/su3", "router/profile", "router/crypto"},
	"router/netdb/reseed":            {"router/i2np", "router/data", "router/netdb/kad", "router/su3", "router/profile", "router/crypto"},
	"router/tunnel":                  {"router/i2np", "router/garlic", "router/data", "router/crypto", "router/crypto/noise"},
	"router/tunnel/build":            {"router/tunnel", "router/i2np", "router/garlic", "router/data", "router/crypto", "router/crypto/noise"},
	"router/tunnel/pool":             {"router/tunnel", "router/tunnel/build", "router/profile", "router/data", "router/i2np", "router/garlic"},
	"router/tunnel/pool/pooltest":    {"router/..."},
	"router/client":                  {"router/tunnel/pool", "router/tunnel", "router/garlic", "router/i2np", "router/data", "router/crypto"},
	"router/client/clienttest":       {"router/..."},
	"router/streaming":               {"router/data", "router/crypto"},
	"router/datagram":                {"router/data", "router/crypto"},
	"router/i2cp":                    {"router/client", "router/streaming", "router/datagram", "router/data", "router/acceptor"},
	"router/sam":                     {"router/client", "router/streaming", "router/datagram", "router/data", "router/acceptor"},
	"router/acceptor":                {},
	"router/bob":                     {"router/sam", "router/data", "router/acceptor"},
	"router":                         {"router/..."},
	"web":                            {},
	"static":                         {},
	"configs":                        {"router", "console", "proxies", "addressbook"},
	"console":                        {"web", "static", "configs", "router", "proxies", "addressbook"},
	"addressbook":                    {"router/data"},
	"proxies":                        {"router/data", "proxies/..."},
	"proxies/proxytest":              {},
	"cmd/i2pgo":                      {"..."},
	"interop":                        {"..."},
	"internal/deptest":               {},
	"router/transport/transporttest": {"router/..."},
	"router/transport/memnet":        {},
	"router/sim":                     {"router", "router/..."},
}

func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports", "-tags", "interop", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(p.ImportPath, mod)
		rules, known := allowed[name]
		if !known && strings.HasPrefix(name, "proxies/") {
			// Each tunnel type's package: router/data only (the
			// manager in proxies may import them, not they each other).
			rules, known = []string{"router/data"}, true
		}
		if !known {
			t.Errorf("%s: no import rule; add it to STYLE.md and this table", name)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			if !permitted(rules, dep) {
				t.Errorf("%s imports %s, which STYLE.md does not allow", name, dep)
			}
		}
	}
}

func permitted(rules []string, dep string) bool {
	for _, r := range rules {
		switch {
		case r == "...":
			return true
		case strings.HasSuffix(r, "/..."):
			if strings.HasPrefix(dep, strings.TrimSuffix(r, "...")) {
				return true
			}
		case r == dep:
			return true
		}
	}
	return false
}

func TestPermitted(t *testing.T) {
	cases := []struct {
		pkg, dep string
		want     bool
	}{
		{"router/data", "router/crypto", true},
		{"router/data", "router/transport/ntcp2", false},
		{"router", "router/netdb/kad", true},
		{"console", "router/netdb", false},
		{"proxies", "router/data", true},
		{"web", "router", false},
	}
	for _, c := range cases {
		if got := permitted(allowed[c.pkg], c.dep); got != c.want {
			t.Errorf("%s -> %s: permitted = %v, want %v", c.pkg, c.dep, got, c.want)
		}
	}
}
