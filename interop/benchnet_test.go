//go:build interop

package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchNet is `make bench-net` (issue 6): on one test network, the
// MB/s of 10 MiB transfers, 3 runs each, for i2pd client → i2pd server,
// i2pgo client → i2pd server and i2pd client → i2pgo server, each as a
// ratio of the i2pd → i2pd figure, and the peak RSS of i2pgo next to the
// i2pd routers that did the same work. It runs only with
// I2PGO_BENCH_NET=1, with an i2pgo built without the race detector.
func TestBenchNet(t *testing.T) {
	if os.Getenv("I2PGO_BENCH_NET") == "" {
		t.Skip("set I2PGO_BENCH_NET=1 (make bench-net)")
	}
	runs := 3
	if v, err := strconv.Atoi(os.Getenv("I2PGO_BENCH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	bin := filepath.Join(t.TempDir(), "i2pgo")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/i2pgo").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, sum := webServer(t)
	site, err := i2pdServer(3, "bench", port)
	if err != nil {
		t.Fatal(err)
	}
	toSite := freePort(t)
	ours := freePort(t)
	n := startNodeWith(t, t.TempDir(), freePort(t), options{bin: bin, topYAML: fmt.Sprintf(`tunnels:
  - name: to-i2pd
    type: client
    listen: 127.0.0.1:%d
    destination: %s
  - name: site
    type: server
    target: 127.0.0.1:%d
    keys: site.keys.json
`, ours, site, port)})
	ts := waitTunnels(t, n, 3*time.Minute)
	if err := netCmd("client", netDir, "4", "bench-site", fmt.Sprint(toSite), site, "80").Run(); err != nil {
		t.Fatalf("i2pd-net client to the i2pd site: %v", err)
	}
	toUs := freePort(t)
	if err := netCmd("client", netDir, "4", "bench-us", fmt.Sprint(toUs), ts["site"].B32, "80").Run(); err != nil {
		t.Fatalf("i2pd-net client to the i2pgo site: %v", err)
	}
	cases := []struct{ name, url, host string }{
		{"i2pd client → i2pd server", fmt.Sprintf("http://127.0.0.1:%d/file", toSite), site},
		{"i2pgo client → i2pd server", fmt.Sprintf("http://127.0.0.1:%d/file", ours), site},
		{"i2pd client → i2pgo server", fmt.Sprintf("http://127.0.0.1:%d/file", toUs), ts["site"].B32},
	}
	// Warm up each path once (LeaseSet lookups, first sessions).
	for _, c := range cases {
		fetchUntil(t, 5*time.Minute, c.name+" (warm-up)", c.url, "", c.host, sum)
	}
	rates := make([][]float64, len(cases))
	for r := range runs {
		for i, c := range cases {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			got, size, took, err := fetch(ctx, c.url, "", c.host)
			cancel()
			if err != nil || size != fileSize || got != sum {
				t.Fatalf("%s run %d: %d bytes, err %v, sha256 ok %v", c.name, r+1, size, err, got == sum)
			}
			rates[i] = append(rates[i], float64(fileSize)/1e6/took.Seconds())
		}
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	base := mean(rates[0])
	t.Logf("10 MiB transfers, %d runs each (MB/s):", runs)
	for i, c := range cases {
		var f []string
		for _, x := range rates[i] {
			f = append(f, fmt.Sprintf("%.2f", x))
		}
		t.Logf("  %-28s %s  mean %.2f  ratio to i2pd→i2pd %.2f", c.name, strings.Join(f, " "), mean(rates[i]), mean(rates[i])/base)
	}
	t.Logf("peak RSS: i2pgo %s; i2pd r3 (server) %s, r4 (client) %s", peakRSS(n.cmd.Process.Pid), peakRSS(i2pdPID(3)), peakRSS(i2pdPID(4)))
}

// i2pdPID is the PID of i2pd router k.
func i2pdPID(k int) int {
	b, _ := os.ReadFile(filepath.Join(netDir, "pids"))
	pid := 0
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == fmt.Sprintf("r%d", k) {
			pid, _ = strconv.Atoi(f[1])
		}
	}
	return pid
}

// peakRSS is a process's VmHWM.
func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.Join(strings.Fields(line)[1:], " ")
		}
	}
	return "?"
}
