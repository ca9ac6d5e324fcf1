module github.com/i2pgo/i2pgo

go 1.26.8

require (
	filippo.io/edwards25519 v1.2.0
	github.com/armon/go-socks5 v0.0.0-20160902184237-e75332964ef5
	github.com/flynn/noise v1.1.0
	github.com/go-chi/chi/v5 v5.5.0
	golang.org/x/crypto v0.58.0
	golang.org/x/sync v0.24.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
