package console

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/i2pgo/i2pgo/addressbook"
	"github.com/i2pgo/i2pgo/router"
	"github.com/i2pgo/i2pgo/static"
	"github.com/i2pgo/i2pgo/web"
)

// The HTML pages. Each reads the same snapshots as its /api route and
// turns them into a web view model. Forms post to /<page>/<action>; a
// success redirects (303) back to the page with a fixed message key
// ("?done=added"), a refusal renders the page again with the message and
// the values typed, status 400 (or 409).

func (s *Server) pageRoutes(r chi.Router) {
	assets, _ := fs.Sub(static.FS, ".")
	r.Handle("/static/*", http.StripPrefix("/static/", http.FileServerFS(assets)))
	r.Get("/", s.pageDashboard)
	if s.peers != nil {
		r.Get("/peers", s.pagePeers)
	}
	if s.routers != nil {
		r.Get("/netdb", s.pageNetDB)
	}
	if s.tunnels != nil {
		r.Get("/tunnels", s.pageTunnels)
	}
	if s.book != nil {
		r.Get("/addressbook", s.pageAddressBook)
		r.Post("/addressbook/add", s.formBookAdd)
		r.Post("/addressbook/delete", s.formBookDelete)
		r.Post("/addressbook/subscriptions", s.formSubscriptions)
		r.Post("/addressbook/fetch", s.formFetch)
	}
}

// render writes a component as an HTML page with status code.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.log.Error("rendering page", "path", r.URL.Path, "err", err)
		http.Error(w, "500 cannot render page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func (s *Server) page(title, active string) web.Page {
	return web.Page{Title: title, Active: active, CSRF: s.csrf}
}

// redirect sends the browser back to path with a message key.
func redirect(w http.ResponseWriter, r *http.Request, path, done string) {
	http.Redirect(w, r, path+"?done="+url.QueryEscape(done), http.StatusSeeOther)
}

// doneMessages are the success messages a redirect may name; anything
// else in ?done= is ignored, so no page shows text from a link.
var doneMessages = map[string]string{
	"added":   "The name was added.",
	"deleted": "The name was deleted.",
	"subs":    "The subscriptions were saved.",
	"fetch":   "Fetching every feed now; reload this page for the results.",
}

func flash(r *http.Request) string { return doneMessages[r.URL.Query().Get("done")] }

func duration(sec int64) string {
	d := time.Duration(sec) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", sec)
	case d < time.Hour:
		return fmt.Sprintf("%d min", sec/60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", sec/3600, sec%3600/60)
	}
	return fmt.Sprintf("%d days", sec/86400)
}

func rate(bps float64) string {
	switch {
	case bps >= 1<<20:
		return fmt.Sprintf("%.1f MB/s", bps/(1<<20))
	case bps >= 1<<10:
		return fmt.Sprintf("%.1f KB/s", bps/(1<<10))
	}
	return fmt.Sprintf("%.0f B/s", bps)
}

func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func itoa[T ~int | ~int64 | ~uint64](n T) string { return strconv.FormatInt(int64(n), 10) }

// networkState says how the router is doing, from what it knows.
func networkState(st router.Status) (state, class, help string) {
	peers := st.Peers.NTCP2 + st.Peers.SSU2
	switch {
	case peers == 0:
		return "Connecting", "warn", "No peer is connected yet. A new router needs a minute or two to reseed and connect; if this lasts, check that this machine can reach the Internet and that the clock is right."
	case st.Tunnels.Exploratory == 0 && st.NetDB.Routers < 10:
		return "Starting", "warn", "The router knows few other routers yet and is learning more. Browsing starts working once it has built its tunnels."
	case st.Tunnels.Exploratory == 0:
		return "Building tunnels", "warn", "Connected; the router is building its first tunnels. This usually takes under a minute."
	}
	switch st.Network.Status {
	case "firewalled":
		if st.Network.Forced {
			return "Firewalled", "warn", "The router works as a firewalled one because router.firewalled is true in its config: it publishes no address and is reached through " + itoa(st.Network.Introducers) + " introducer(s). Set it to false (and forward the router port, TCP and UDP) to be fully reachable."
		}
		return "Firewalled", "warn", "The router works, but peer tests found that other routers cannot reach it: it is reached through introducers and carries fewer tunnels. Forward the router port (TCP and UDP) on your router/NAT to this machine to be fully reachable."
	case "symmetric_nat":
		return "Symmetric NAT", "warn", "The router works, but it sits behind a NAT that changes its port for every peer, so other routers cannot reach it directly. Forward the router port (UDP and TCP) to this machine, or use another network."
	}
	return "OK", "ok", "The router is connected and has tunnels. Set your browser's HTTP proxy to the address below to open .i2p sites."
}

// hiddenHelp is added to the state's help when the router publishes no
// address: it works, but only through connections it opens itself.
const hiddenHelp = " It publishes no address, so other routers cannot connect to it and it carries fewer tunnels: to be reachable, set your public IPv4 address and open the NTCP2 port on the Config page."

// proxyHelp is the one-line help of a client tunnel type.
func proxyHelp(typ string) string {
	switch typ {
	case "httpclient":
		return "Set your browser's HTTP proxy (and HTTPS proxy) to this address to open .i2p sites."
	case "connectclient":
		return "An HTTPS CONNECT proxy for applications that only speak CONNECT."
	case "sockstunnel":
		return "A SOCKS 4a/5 proxy: use it with remote name resolution (socks5h)."
	case "ircclient":
		return "Point your IRC client at this address (no TLS); it is filtered so that it leaks nothing about you."
	case "client":
		return "Connect to this address to reach the tunnel's destination."
	}
	return ""
}

func (s *Server) pageDashboard(w http.ResponseWriter, r *http.Request) {
	st := s.status()
	d := web.Dashboard{Page: s.page("Dashboard", "home")}
	d.State, d.StateClass, d.StateHelp = networkState(st)
	if s.settings != nil && s.settings.Current().Host == "" && d.StateClass == "ok" {
		d.State, d.StateHelp = "OK, outbound only", d.StateHelp+hiddenHelp
	}
	d.Graph, d.Control = true, s.shutdown != nil
	d.Cards = []web.Card{
		card("Router",
			kv("Version", st.Version+" (I2P "+st.RouterVersion+")"),
			kv("Uptime", duration(st.UptimeS)),
			kv("Network ID", itoa(st.NetID)),
			kv("Router hash", shortHash(st.RouterHash)),
		),
		card("Peers",
			kv("NTCP2", itoa(st.Peers.NTCP2)),
			kv("SSU2", itoa(st.Peers.SSU2)),
			kv("Inbound / outbound", itoa(st.Peers.Inbound)+" / "+itoa(st.Peers.Outbound)),
		),
		card("NetDB",
			kv("Routers", itoa(st.NetDB.Routers)),
			kv("Floodfills", itoa(st.NetDB.Floodfills)),
			kv("LeaseSets", itoa(st.NetDB.LeaseSets)),
		),
		card("Tunnels",
			kv("Exploratory", itoa(st.Tunnels.Exploratory)),
			kv("Client", itoa(st.Tunnels.Client)),
			kv("Participating", itoa(st.Tunnels.Participating)),
			kv("Build success", fmt.Sprintf("%.0f %%", 100*st.Tunnels.BuildSuccess)),
		),
		card("Bandwidth",
			kv("In", rate(float64(st.Bandwidth.InBps))),
			kv("Out", rate(float64(st.Bandwidth.OutBps))),
		),
	}
	if s.i2ptun != nil {
		for _, t := range s.i2ptun() {
			if t.Listen == "" {
				continue
			}
			d.Proxies = append(d.Proxies, web.Proxy{Name: t.Name, Addr: t.Listen, State: t.State, Help: proxyHelp(t.Type)})
		}
	}
	s.render(w, r, http.StatusOK, web.DashboardPage(d))
}

func kv(k, v string) web.KV { return web.KV{Key: k, Value: v} }

func card(title string, rows ...web.KV) web.Card { return web.Card{Title: title, Rows: rows} }

// shortHash shows the first 12 characters of a base64 hash.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

func (s *Server) pagePeers(w http.ResponseWriter, r *http.Request) {
	t := web.Table{Page: s.page("Peers", "peers"), Empty: "No transport sessions.",
		Columns: []string{"Router", "Transport", "Direction", "Age", "Received", "Sent"}}
	peers := s.peers()
	slices.SortFunc(peers, func(a, b router.PeerInfo) int { return strings.Compare(a.Router, b.Router) })
	for _, p := range peers {
		dir := "inbound"
		if p.Outbound {
			dir = "outbound"
		}
		t.Rows = append(t.Rows, []string{shortHash(p.Router), p.Transport, dir, duration(p.AgeS), bytesText(p.BytesIn), bytesText(p.BytesOut)})
	}
	s.render(w, r, http.StatusOK, web.TablePage(t))
}

func (s *Server) pageNetDB(w http.ResponseWriter, r *http.Request) {
	st := s.status()
	t := web.Table{Page: s.page("NetDB", "netdb"), Empty: "The netDb holds no routers yet.",
		Intro:   fmt.Sprintf("%d routers, %d floodfills, %d LeaseSets.", st.NetDB.Routers, st.NetDB.Floodfills, st.NetDB.LeaseSets),
		Columns: []string{"Router", "Caps", "Version", "Published", "Addresses", "Score"}}
	now := time.Now().Unix()
	for _, e := range s.routers() {
		t.Rows = append(t.Rows, []string{shortHash(e.Hash), e.Caps, e.Version, duration(max(0, now-e.Published)) + " ago",
			strings.Join(e.Addresses, " "), fmt.Sprintf("%.2f", e.Profile.Score)})
	}
	s.render(w, r, http.StatusOK, web.TablePage(t))
}

func (s *Server) pageTunnels(w http.ResponseWriter, r *http.Request) {
	t := web.Table{Page: s.page("Tunnels", "tunnels"), Empty: "No tunnels yet.",
		Columns: []string{"Direction", "Pool", "Hops", "Age", "Data", "State"}}
	for _, ti := range s.tunnels() {
		hops := make([]string, len(ti.Hops))
		for i, h := range ti.Hops {
			hops[i] = shortHash(h)
		}
		t.Rows = append(t.Rows, []string{ti.Direction, ti.Pool, strings.Join(hops, " → "), duration(ti.AgeS), bytesText(ti.Bytes), ti.State})
	}
	s.render(w, r, http.StatusOK, web.TablePage(t))
}

// bookPage builds the address book page for the query of r.
func (s *Server) bookPage(r *http.Request) web.AddressBook {
	q := r.URL.Query()
	a := web.AddressBook{Page: s.page("Address book", "addressbook"), Query: q.Get("q"), Book: q.Get("book"), AddBook: "local"}
	const limit = 200
	var rs []addressbook.Record
	if b, ok := bookByName[a.Book]; ok {
		needle := strings.ToLower(a.Query)
		for _, rec := range s.book.List(b) {
			if needle == "" || strings.Contains(rec.Name, needle) {
				rs = append(rs, rec)
			}
		}
	} else {
		a.Book = ""
		rs = s.book.Search(a.Query, limit+1)
	}
	if len(rs) > limit {
		rs, a.More = rs[:limit], true
	}
	for _, rec := range rs {
		a.Entries = append(a.Entries, web.BookEntry{Name: rec.Name, B32: rec.B32, Dest: rec.Dest, Book: rec.Book.String()})
	}
	for _, f := range s.book.Status() {
		wf := web.Feed{URL: f.URL, Result: string(f.Result), Error: f.Err, Added: f.Added, Invalid: f.Invalid,
			Conflicts: f.Conflicts, ConflictNames: f.ConflictNames, Refused: f.Refused}
		switch f.Result {
		case addressbook.ResultOK, addressbook.ResultNotModified:
			wf.ResultClass = "ok"
		case addressbook.ResultFailed:
			wf.ResultClass = "bad"
		default:
			wf.Result, wf.ResultClass = "not fetched yet", "warn"
		}
		if !f.LastFetch.IsZero() {
			wf.LastFetch = f.LastFetch.UTC().Format("2006-01-02 15:04 UTC")
		}
		a.Feeds = append(a.Feeds, wf)
	}
	a.Subscriptions = strings.Join(s.book.Subscriptions(), "\n")
	a.Fetching = s.fetching.Load()
	return a
}

func (s *Server) pageAddressBook(w http.ResponseWriter, r *http.Request) {
	a := s.bookPage(r)
	a.Flash = flash(r)
	s.render(w, r, http.StatusOK, web.AddressBookPage(a))
}

// bookError renders the address book page again with msg.
func (s *Server) bookError(w http.ResponseWriter, r *http.Request, code int, msg string, fill func(*web.AddressBook)) {
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: "/addressbook"}
	a := s.bookPage(r2)
	a.Error = msg
	if fill != nil {
		fill(&a)
	}
	s.render(w, r, code, web.AddressBookPage(a))
}

// maxFormValue bounds a single form value (a destination with a big
// certificate is under 1 KB in base64; a subscription list of 100 URLs
// under 200 KB).
const maxFormValue = 1 << 10

func (s *Server) formBookAdd(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	dest := strings.TrimSpace(r.PostFormValue("dest"))
	bookName := r.PostFormValue("book")
	keep := func(a *web.AddressBook) {
		if len(name) <= maxFormValue {
			a.AddName = name
		}
		if len(dest) <= 4*maxFormValue {
			a.AddDest = dest
		}
		a.AddBook = bookName
	}
	b := addressbook.Local
	switch bookName {
	case "", "local":
	case "private":
		b = addressbook.Private
	default:
		s.bookError(w, r, http.StatusBadRequest, "Choose the local or the private book.", keep)
		return
	}
	if len(name) > maxFormValue || len(dest) > 4*maxFormValue {
		s.bookError(w, r, http.StatusBadRequest, "The name or the destination is far too long.", keep)
		return
	}
	err := s.book.AddTo(b, name, dest)
	switch {
	case err == nil:
		redirect(w, r, "/addressbook", "added")
	case errors.Is(err, addressbook.ErrConflict):
		s.bookError(w, r, http.StatusConflict, "This name is already in the address book with another destination; delete it first to change it.", keep)
	case errors.Is(err, addressbook.ErrInvalidName):
		s.bookError(w, r, http.StatusBadRequest, "That is not a valid name: use lower-case letters, digits and hyphens, with dots between labels, ending in .i2p (as example.i2p), at most 67 characters.", keep)
	case errors.Is(err, addressbook.ErrInvalidDest):
		s.bookError(w, r, http.StatusBadRequest, "That is not a valid destination: paste the whole base64 destination (516 characters or more).", keep)
	default:
		s.log.Error("address book add failed", "err", err)
		s.bookError(w, r, http.StatusInternalServerError, "The name could not be saved: "+err.Error(), keep)
	}
}

func (s *Server) formBookDelete(w http.ResponseWriter, r *http.Request) {
	b, ok := bookByName[r.PostFormValue("book")]
	if !ok || b == addressbook.Published {
		s.bookError(w, r, http.StatusBadRequest, "Names can be deleted from the private, local and router books only.", nil)
		return
	}
	err := s.book.Delete(b, r.PostFormValue("name"))
	switch {
	case err == nil:
		redirect(w, r, "/addressbook", "deleted")
	case errors.Is(err, addressbook.ErrUnknownName):
		s.bookError(w, r, http.StatusNotFound, "That name is not in that book (any more).", nil)
	default:
		s.log.Error("address book delete failed", "err", err)
		s.bookError(w, r, http.StatusInternalServerError, "The name could not be deleted: "+err.Error(), nil)
	}
}

func (s *Server) formSubscriptions(w http.ResponseWriter, r *http.Request) {
	text := r.PostFormValue("urls")
	keep := func(a *web.AddressBook) {
		if len(text) <= 256*maxFormValue {
			a.Subscriptions = text
		}
	}
	var urls []string
	for l := range strings.Lines(text) {
		if l = strings.TrimSpace(l); l != "" {
			urls = append(urls, l)
		}
	}
	if err := s.book.SetSubscriptions(urls); err != nil {
		s.bookError(w, r, http.StatusBadRequest, "The subscriptions were not saved: "+strings.TrimPrefix(err.Error(), "addressbook: "), keep)
		return
	}
	redirect(w, r, "/addressbook", "subs")
}

func (s *Server) formFetch(w http.ResponseWriter, r *http.Request) {
	s.startFetch()
	redirect(w, r, "/addressbook", "fetch")
}
