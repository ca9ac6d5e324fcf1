# i2pgo — see README.md.
GO        ?= go
TESTNET   ?= $(abspath ../shared/testnet)
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
PKGS      := ./...

.PHONY: all build run test unit interop check fuzz bench bench-net clean templ

all: build

build:
	$(GO) build -o bin/i2pgo ./cmd/i2pgo

# Runs the router with the config in $(CONFIG) if set, else the defaults
# (console on 127.0.0.1:7657, datadir ~/.i2pgo).
run: build
	./bin/i2pgo $(if $(CONFIG),-config $(CONFIG))

# Unit tests with the race detector, then the interop tests against the
# i2pd routers of ../shared/testnet (started if not running, and stopped
# again if this run started them).
test: unit interop

unit:
	$(GO) test -race -count=1 $(PKGS)

interop:
	I2PGO_TESTNET=$(TESTNET) $(GO) test -tags interop -count=1 -timeout 50m -v ./interop/

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags interop ./interop/
	$(GO) test -count=1 -run 'TestDeps' ./internal/deptest/
	@$(GO) tool templ generate -path web >/dev/null 2>&1
	@git diff --quiet -- web || { echo "the generated templ files are stale: run 'go tool templ generate -path web' and commit them"; git diff --stat -- web; exit 1; }

# Every Fuzz target for $(FUZZTIME) each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

# Transfers over the i2pd test network, i2pgo next to i2pd (issue 6).
bench-net:
	I2PGO_TESTNET=$(TESTNET) I2PGO_BENCH_NET=1 $(GO) test -tags interop -count=1 -timeout 40m -v -run 'TestBenchNet' -bench 'SSU2Transfer' ./interop/

# Regenerates the console's HTML components (web/*_templ.go).
templ:
	$(GO) tool templ generate -path web

clean:
	rm -rf bin

# Simulation benchmark (issue 12): N = 10, 50, 100 routers over memnet in
# simulated time; SIM_N="10,50,100,200" and SIM_RUNS=3 change the runs.
SIM_N ?= 10,50,100
SIM_RUNS ?= 1
sim:
	I2PGO_SIM=1 I2PGO_SIM_N=$(SIM_N) I2PGO_SIM_RUNS=$(SIM_RUNS) $(GO) test -count=1 -timeout 2h -v -run 'TestSimulation' ./router/sim/
