package sim

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/i2pgo/i2pgo/router/transport/memnet"
)

// simLink is the link of the benchmark runs: 20 ms one way, 1 MB/s per
// connection and direction, 0.1 % segment loss.
var simLink = memnet.Link{Latency: 20 * time.Millisecond, Bandwidth: 1 << 20, Loss: 0.001}

// TestSmall runs a small net, in simulated time, as a check of the
// harness: it converges, publishes and finds a LeaseSet, and churns.
func TestSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	synctest.Test(t, func(t *testing.T) {
		res, err := Run(context.Background(), Config{Dir: t.TempDir(), N: 6, Floodfills: 2, Lookups: 2,
			Link: memnet.Link{Latency: 10 * time.Millisecond}, Churn: 0.25, ChurnFor: time.Minute, Log: testLog(t)})
		drainStrays()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		WriteTable(&b, memnet.Link{Latency: 10 * time.Millisecond}, []Result{res})
		t.Log("\n" + b.String())
		if res.Convergence < 0 {
			t.Errorf("did not converge: %.0f%% of floodfills known", 100*res.KnownFloodfills)
		}
		if res.Lookups == 0 {
			t.Errorf("no LeaseSet lookup succeeded")
		}
		if res.Joined == 0 {
			t.Errorf("no churn")
		}
	})
}

// drainStrays lets simulated time run on until the goroutines a router
// leaves behind when its Run returns have ended: the dials that
// router/send.go starts for a message to a peer without a session are
// not waited for, and end on their 15 s timeout. The bubble would
// otherwise end with them blocked, and panic.
func drainStrays() { time.Sleep(20 * time.Second) }

func testLog(t *testing.T) *slog.Logger {
	if os.Getenv("I2PGO_SIM_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// TestSimulation is the simulation benchmark of issue 12: it prints the
// figures for N = 10, 50 and 100 routers (I2PGO_SIM_N: a comma-separated
// list instead), one run each (I2PGO_SIM_RUNS: that many, a row each; the
// keys and the routers' random choices differ from run to run). It runs
// only with I2PGO_SIM=1 (I2PGO_SIM_SETTLE: the longest wait for
// convergence, 45m by default):
//
//	I2PGO_SIM=1 go test -run TestSimulation -v -timeout 2h ./router/sim/
func TestSimulation(t *testing.T) {
	if os.Getenv("I2PGO_SIM") == "" {
		t.Skip("set I2PGO_SIM=1 to run the simulation benchmark")
	}
	ns := []int{10, 50, 100}
	if s := os.Getenv("I2PGO_SIM_N"); s != "" {
		ns = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				t.Fatalf("I2PGO_SIM_N: %v", err)
			}
			ns = append(ns, n)
		}
	}
	runs := 1
	if s := os.Getenv("I2PGO_SIM_RUNS"); s != "" {
		var err error
		if runs, err = strconv.Atoi(s); err != nil || runs < 1 {
			t.Fatalf("I2PGO_SIM_RUNS: %q", s)
		}
	}
	var settle time.Duration
	if s := os.Getenv("I2PGO_SIM_SETTLE"); s != "" {
		var err error
		if settle, err = time.ParseDuration(s); err != nil {
			t.Fatalf("I2PGO_SIM_SETTLE: %v", err)
		}
	}
	var rs []Result
	for _, n := range ns {
		for run := range runs {
			var res Result
			wall := time.Now()
			synctest.Test(t, func(t *testing.T) {
				var err error
				res, err = Run(context.Background(), Config{Dir: t.TempDir(), N: n, Link: simLink, Seed: uint64(1 + run), Settle: settle, Log: testLog(t)})
				drainStrays()
				if err != nil {
					t.Fatal(err)
				}
			})
			rs = append(rs, res)
			var b strings.Builder
			WriteTable(&b, simLink, []Result{res})
			t.Logf("N=%d run %d: %v of real time; network: %+v; transit requests accepted %d, rejected %d\n%s", n, run+1,
				time.Since(wall).Round(time.Second), res.Net, res.TransitAccepted, res.TransitRejected, b.String())
		}
	}
	var b strings.Builder
	WriteTable(&b, simLink, rs)
	t.Log("\n" + b.String())
}
