//go:build interop

package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/i2pgo/i2pgo/router/data"
)

// TestConsoleBrowser drives Debian's chromium (headless, through
// chromedp) against an i2pgo joined to the test network, as a user does:
// it creates an httpserver tunnel with the tunnel manager's form, sees it
// running with its b32, stops it and deletes it; it adds a name to the
// address book and finds it by search. It saves a screenshot of every
// page at 1280×800 and 390×844 into $I2PGO_SCREENSHOTS (default: the
// test's temp dir, printed).
func TestConsoleBrowser(t *testing.T) {
	browser := ""
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(b); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium: apt-get install -y chromium")
		}
		t.Skip("no chromium (apt-get install -y chromium)")
	}
	shots := os.Getenv("I2PGO_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)

	site := newHeaderSite(t, "browser-made-site")
	n := startNodeWith(t, t.TempDir(), freePort(t), options{topYAML: "tunnels: []\n"})
	base := "http://" + n.console

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser on ctx itself: a browser started by a Run on a
	// derived context dies with that context.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}

	// run runs the actions one by one, each within 45 s, so that a
	// failure names its step.
	run := func(what string, acts ...chromedp.Action) {
		t.Helper()
		for i, a := range acts {
			sctx, scancel := context.WithTimeout(ctx, 45*time.Second)
			err := chromedp.Run(sctx, a)
			scancel()
			if err != nil {
				var s string
				chromedp.Run(ctx, chromedp.Text("body", &s, chromedp.ByQuery))
				t.Fatalf("%s, step %d: %v; page:\n%.3000s", what, i+1, err, s)
			}
		}
	}
	shot := func(name string) {
		t.Helper()
		for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
			var png []byte
			run("screenshot "+name,
				chromedp.EmulateViewport(size[0], size[1]),
				chromedp.FullScreenshot(&png, 100)) // 100: PNG
			file := filepath.Join(shots, fmt.Sprintf("%s-%dx%d.png", name, size[0], size[1]))
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run("viewport back", chromedp.EmulateViewport(1280, 800))
	}
	// text returns the visible text of the page's main element.
	text := func() string {
		var s string
		run("read page", chromedp.Text("main", &s, chromedp.ByQuery))
		return s
	}
	// submit clicks sel and waits until the next page has loaded.
	submit := func(what, sel string) {
		t.Helper()
		var ignored any
		run(what+": mark the page", chromedp.Evaluate(`window.i2pgoOld = true`, &ignored))
		run(what, chromedp.Click(sel, chromedp.ByQuery))
		for deadline := time.Now().Add(30 * time.Second); ; {
			var loaded bool
			err := chromedp.Run(ctx, chromedp.Evaluate(`window.i2pgoOld === undefined && document.readyState === "complete"`, &loaded))
			if err == nil && loaded {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no new page within 30 s (%v)", what, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// waitText reloads url until main's text contains want.
	waitText := func(url, want string, within time.Duration) string {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			run("open "+url, chromedp.Navigate(url), chromedp.WaitVisible("main", chromedp.ByQuery))
			s := text()
			if strings.Contains(s, want) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no %q within %v; page:\n%s", url, want, within, s)
			}
			time.Sleep(time.Second)
		}
	}

	// Every page, as it is.
	for _, p := range []struct{ name, path, want string }{
		{"dashboard", "/", "Network:"},
		{"peers", "/peers", "Peers"},
		{"netdb", "/netdb", "routers"},
		{"tunnels", "/tunnels", "Tunnels"},
		{"logs", "/logs", "i2pgo started"},
		{"addressbook", "/addressbook", "Subscriptions"},
		{"i2ptunnels", "/i2ptunnels", "New tunnel"},
		{"config", "/config", "Reseed servers"},
	} {
		waitText(base+p.path, p.want, time.Minute)
		shot(p.name)
	}

	// Create an httpserver tunnel through the form.
	run("new tunnel form",
		chromedp.Navigate(base+"/i2ptunnels"),
		chromedp.WaitVisible("#new-type", chromedp.ByID),
		chromedp.SetValue("#new-type", "httpserver", chromedp.ByID),
		chromedp.Click(`form[action="/i2ptunnels/new"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible("#f-target", chromedp.ByID))
	shot("tunnel-new-httpserver")
	run("fill the form",
		chromedp.SendKeys("#f-name", "browsersite", chromedp.ByID),
		chromedp.SetValue("#f-target", fmt.Sprintf("127.0.0.1:%d", site.port), chromedp.ByID),
		chromedp.SetValue("#f-hostname", "browsersite.i2p", chromedp.ByID),
		chromedp.SetValue(`[id="f-inbound.length"]`, "1", chromedp.ByQuery),
		chromedp.SetValue(`[id="f-outbound.length"]`, "1", chromedp.ByQuery),
	)
	submit("create", `form.tunnel-form button[type=submit]`)
	if s := text(); !strings.Contains(s, "browsersite") || strings.Contains(s, "Create") {
		shot("tunnel-create-refused")
		t.Fatalf("after Create:\n%s", s)
	}
	page := waitText(base+"/i2ptunnels", "running", 3*time.Minute)
	var b32 string
	run("read the b32", chromedp.Evaluate(`(document.querySelector("code.b32") || {}).textContent || ""`, &b32))
	if !strings.Contains(page, "browsersite") || !strings.HasSuffix(b32, ".b32.i2p") {
		t.Fatalf("tunnel list after create:\n%s", page)
	}
	t.Logf("created browsersite through the form: running, %s", b32)
	var copies int
	run("copy buttons", chromedp.Evaluate(`document.querySelectorAll("button.copy").length`, &copies))
	if copies != 1 {
		t.Errorf("%d copy buttons, want 1", copies)
	}
	var wide bool
	run("phone width", chromedp.EmulateViewport(390, 844), chromedp.Evaluate(`document.documentElement.scrollWidth > 400`, &wide), chromedp.EmulateViewport(1280, 800))
	if wide {
		t.Error("the tunnel list is wider than a phone")
	}
	shot("i2ptunnels-running")

	// i2pd reaches it: the tunnel really runs.
	curlUntil(t, 4*time.Minute, "i2pd HTTP proxy → the browser-made tunnel", "hello from browser-made-site",
		"-x", fmt.Sprintf("http://127.0.0.1:%d", proxyPort(4)), "http://"+b32+"/")

	// Stop, then delete.
	run("list", chromedp.Navigate(base+"/i2ptunnels"), chromedp.WaitVisible("main", chromedp.ByQuery))
	submit("stop", `button[aria-label="Stop browsersite"]`)
	waitText(base+"/i2ptunnels", "stopped", time.Minute)
	shot("i2ptunnels-stopped")
	run("edit page", chromedp.Navigate(base+"/i2ptunnels/browsersite/edit"),
		chromedp.WaitVisible(`form.danger button`, chromedp.ByQuery))
	shot("tunnel-edit")
	submit("delete", `form.danger button`)
	if page := waitText(base+"/i2ptunnels", "New tunnel", time.Minute); strings.Contains(page, "browsersite") {
		t.Errorf("tunnel still listed after delete:\n%s", page)
	}

	// Address book: add a name, then find it by search.
	dest := strings.TrimSpace(mustDest(t))
	run("add a name",
		chromedp.Navigate(base+"/addressbook"),
		chromedp.WaitVisible("#add-name", chromedp.ByID),
		chromedp.SendKeys("#add-name", "browser-added.i2p", chromedp.ByID),
		chromedp.SetValue("#add-dest", dest, chromedp.ByID))
	submit("add", `form[action="/addressbook/add"] button[type=submit]`)
	if s := text(); !strings.Contains(s, "The name was added.") {
		t.Fatalf("after add:\n%s", s)
	}
	run("search", chromedp.SetValue("#q", "browser-added", chromedp.ByID))
	submit("search", `form[role=search] button[type=submit]`)
	if s := text(); !strings.Contains(s, "browser-added.i2p") || !strings.Contains(s, ".b32.i2p") {
		t.Fatalf("search:\n%s", s)
	}
	shot("addressbook-search")
	// A hostile name gets a message, and nothing is saved.
	run("hostile add",
		chromedp.SendKeys("#add-name", `<img src=x onerror=alert(1)>.i2p`, chromedp.ByID),
		chromedp.SetValue("#add-dest", dest, chromedp.ByID))
	submit("hostile add", `form[action="/addressbook/add"] button[type=submit]`)
	if s := text(); !strings.Contains(s, "not a valid name") {
		t.Errorf("hostile name: no message:\n%s", s)
	}
	var alerted bool
	run("no script ran", chromedp.Evaluate(`document.querySelector("img[src=x]") !== null`, &alerted))
	if alerted {
		t.Error("the hostile name became markup")
	}
	shot("addressbook-refused")
}

// mustDest returns the base64 destination of the test net's r4 HTTP
// proxy keys (any valid destination serves).
func mustDest(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(netDir, "r4", "proxy-keys.dat"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDest(raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func parseDest(raw []byte) (string, error) {
	d, _, err := data.ParseDestination(raw)
	if err != nil {
		return "", err
	}
	return d.Base64(), nil
}
