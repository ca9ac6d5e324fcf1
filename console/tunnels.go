package console

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/i2pgo/i2pgo/configs"
	"github.com/i2pgo/i2pgo/proxies"
	"github.com/i2pgo/i2pgo/web"
)

// The tunnel manager: the I2PTunnel tunnels of the config's `tunnels:`
// list, with their state, and forms to create, edit, delete, start, stop
// and restart them.
//
//	GET  /i2ptunnels                    the list, and a "new tunnel" chooser
//	GET  /i2ptunnels/new?type=T         the form of type T
//	POST /i2ptunnels/new                create (the type in a hidden field)
//	GET  /i2ptunnels/{name}/edit        the form of a tunnel
//	POST /i2ptunnels/{name}/edit        save it (a running tunnel restarts)
//	POST /i2ptunnels/{name}/delete      stop and delete it
//	POST /i2ptunnels/{name}/start|stop|restart
//
// and the JSON API behind them:
//
//	GET    /api/tunnels                 []proxies.TunnelStatus
//	GET    /api/tunnels/{name}          {"status":…, "config":…}
//	POST   /api/tunnels                 create from a config object (201)
//	PUT    /api/tunnels/{name}          replace its config
//	DELETE /api/tunnels/{name}          delete (204)
//	POST   /api/tunnels/{name}/start|stop|restart
//
// A config object has the keys of a `tunnels:` entry (name, type, listen,
// destination, target, keys, inbound, outbound, encrypted, hostname,
// outproxy, webircpassword, enabled); keys left out take the config
// file's defaults (enabled, 3 hops and 2 tunnels each way). Errors are
// {"error": "...", "field": "listen"} with 400 (bad value, port in use,
// duplicate name), 404 (no such tunnel) or 500 (config not written).
//
// The console checks each value first (lengths, characters, addresses)
// so that hostile input gets a clear message; the TunnelManager then
// validates the whole config as the loader does, binds the tunnel's port
// (a port in use is an error, and nothing is saved) and saves the file.

// TunnelManager is what the tunnel manager pages read and change. cmd's
// adapter implements it over proxies.Manager, saving each change to the
// config file.
type TunnelManager interface {
	Status() []proxies.TunnelStatus
	// Configs are the `tunnels:` entries, in list order.
	Configs() []configs.Tunnel
	// Add, Update and Remove change the list, apply the change to the
	// running tunnels and save the config file; an error changes
	// nothing. They wrap proxies.ErrNoTunnel for an unknown name,
	// proxies.ErrExists for a name in use, ErrNotSaved when the file
	// could not be written.
	Add(t configs.Tunnel) error
	Update(name string, t configs.Tunnel) error
	Remove(name string) error
	// Start, Stop and Restart change what runs, not the config.
	Start(name string) error
	Stop(name string) error
	Restart(name string) error
	// SavePath is the config file changes are written to.
	SavePath() string
}

// ErrNotSaved is what a TunnelManager wraps when the config file could
// not be written (the console answers 500 rather than 400).
var ErrNotSaved = errors.New("console: the config file could not be written")

// Form limits.
const (
	maxTunnelName  = 64
	maxTunnelValue = 4 << 10 // a destination list of an ircclient, a base64 destination
	maxKeysName    = 64
)

var (
	tunnelNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]*$`)
	keysNameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	// destinations: b32 or hosts.txt names, base64 (I2P alphabet), ports,
	// lists.
	destRE     = regexp.MustCompile(`^[A-Za-z0-9.~=:, _-]+$`)
	hostnameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.i2p$`)
)

// tunnelKind is what the forms know of a tunnel type.
type tunnelKind struct {
	label, help string
	listen      bool // a local port to listen on
	destination bool // a destination to connect to (required)
	target      bool // a local target
	outproxy    bool
	hostname    bool
	webirc      bool
	encrypted   bool
}

var tunnelKinds = map[string]tunnelKind{
	proxies.TypeHTTPClient:    {label: "HTTP proxy", help: "A browser's HTTP proxy for .i2p sites, and an outproxy for the rest if you name one.", listen: true, outproxy: true},
	proxies.TypeConnectClient: {label: "CONNECT proxy", help: "An HTTPS CONNECT proxy for applications that speak only CONNECT.", listen: true, outproxy: true},
	proxies.TypeSOCKS:         {label: "SOCKS 4a/5 proxy", help: "A SOCKS proxy; use it with remote name resolution (socks5h).", listen: true, outproxy: true},
	proxies.TypeIRCClient:     {label: "IRC client", help: "A filtered IRC connection to one of a list of I2P IRC servers.", listen: true, destination: true},
	proxies.TypeClient:        {label: "Standard client", help: "Local TCP connections go to one I2P destination.", listen: true, destination: true},
	proxies.TypeServer:        {label: "Standard server", help: "I2P streams to the tunnel's destination go to a local TCP service.", target: true, encrypted: true},
	proxies.TypeHTTPServer:    {label: "HTTP server", help: "Publishes a local web server as an eepsite, with its headers filtered.", target: true, hostname: true, encrypted: true},
	proxies.TypeIRCServer:     {label: "IRC server", help: "Publishes a local ircd to I2P.", target: true, webirc: true, encrypted: true},
}

// tunnelDone are the success messages of ?done= on the list.
var tunnelDone = map[string]string{
	"created":   "The tunnel was created and saved to the config file.",
	"saved":     "The tunnel was saved to the config file.",
	"deleted":   "The tunnel was deleted and removed from the config file.",
	"started":   "The tunnel was started.",
	"stopped":   "The tunnel was stopped.",
	"restarted": "The tunnel was restarted.",
}

func (s *Server) tunnelRoutes(r chi.Router) {
	if s.i2ptun == nil {
		return
	}
	r.Get("/i2ptunnels", s.pageTunnelList)
	r.Get("/api/tunnels", s.apiI2PTunnels)
	if s.tunmgr == nil {
		return
	}
	r.Get("/i2ptunnels/new", s.pageTunnelNew)
	r.Post("/i2ptunnels/new", s.formTunnelCreate)
	r.Get("/i2ptunnels/{name}/edit", s.pageTunnelEdit)
	r.Post("/i2ptunnels/{name}/edit", s.formTunnelUpdate)
	r.Post("/i2ptunnels/{name}/delete", s.formTunnelAction)
	r.Post("/i2ptunnels/{name}/start", s.formTunnelAction)
	r.Post("/i2ptunnels/{name}/stop", s.formTunnelAction)
	r.Post("/i2ptunnels/{name}/restart", s.formTunnelAction)
	r.Get("/api/tunnels/{name}", s.apiTunnelGet)
	r.Post("/api/tunnels", s.apiTunnelCreate)
	r.Put("/api/tunnels/{name}", s.apiTunnelUpdate)
	r.Delete("/api/tunnels/{name}", s.apiTunnelDelete)
	r.Post("/api/tunnels/{name}/start", s.apiTunnelAction)
	r.Post("/api/tunnels/{name}/stop", s.apiTunnelAction)
	r.Post("/api/tunnels/{name}/restart", s.apiTunnelAction)
}

// tunnelName is the {name} of the path, unescaped.
func tunnelName(r *http.Request) string {
	name := chi.URLParam(r, "name")
	if r.URL.RawPath != "" {
		if n, err := url.PathUnescape(name); err == nil {
			name = n
		}
	}
	return name
}

// tunnelPath is the page path of a tunnel, with action.
func tunnelPath(name, action string) string {
	return "/i2ptunnels/" + url.PathEscape(name) + "/" + action
}

// fieldError is a bad value of a tunnel form or API request.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.msg }

// checkTunnel checks the values of t as the console takes them. old is
// the tunnel edited, or nil: a value it keeps unchanged from a
// hand-written config (a name or keys path this form would refuse) is
// not checked again here; the TunnelManager still validates it as the
// config loader does.
func checkTunnel(t configs.Tunnel, old *configs.Tunnel) []fieldError {
	var errs []fieldError
	var prev configs.Tunnel
	if old != nil {
		prev = *old
	}
	oldName := prev.Name
	kept := func(v, was string) bool { return old != nil && v != "" && v == was }
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldError{field, fmt.Sprintf(format, args...)})
	}
	k, ok := tunnelKinds[t.Type]
	if !ok {
		bad("type", "Unknown tunnel type: choose one of %s.", strings.Join(proxies.Types, ", "))
		return errs
	}
	switch {
	case t.Name == "":
		bad("name", "Name: a tunnel needs a name.")
	case t.Name == oldName:
	case len(t.Name) > maxTunnelName:
		bad("name", "Name: at most %d characters.", maxTunnelName)
	case !tunnelNameRE.MatchString(t.Name) || strings.Contains(t.Name, ".."):
		bad("name", "Name: use letters, digits, spaces, dots, hyphens and underscores, starting with a letter or digit (no slashes, no \"..\").")
	}
	for _, v := range []struct{ field, label, value string }{
		{"listen", "Local address", t.Listen}, {"destination", "Destination", t.Destination}, {"target", "Target", t.Target},
		{"outproxy", "Outproxy", t.Outproxy}, {"hostname", "Host name", t.Hostname}, {"webircpassword", "WEBIRC password", t.WebIRCPassword},
		{"keys", "Keys file", t.Keys},
	} {
		if len(v.value) > maxTunnelValue {
			bad(v.field, "%s: far too long (at most %d characters).", v.label, maxTunnelValue)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if k.listen && !kept(t.Listen, prev.Listen) {
		if msg := checkAddr(t.Listen); msg != "" {
			bad("listen", "Local address: %s", msg)
		}
	}
	if k.target && !kept(t.Target, prev.Target) {
		if msg := checkAddr(t.Target); msg != "" {
			bad("target", "Target: %s", msg)
		}
	}
	switch {
	case k.destination && t.Destination == "":
		bad("destination", "Destination: a %s tunnel needs one (a name such as irc.postman.i2p, a b32.i2p address or a base64 destination, with an optional :port).", t.Type)
	case t.Destination != "" && !kept(t.Destination, prev.Destination) && !destRE.MatchString(t.Destination):
		bad("destination", "Destination: only names, b32.i2p addresses or base64 destinations, with an optional :port (commas between several).")
	}
	if t.Outproxy != "" && !kept(t.Outproxy, prev.Outproxy) && !destRE.MatchString(t.Outproxy) {
		bad("outproxy", "Outproxy: only .i2p host names with an optional :port, comma-separated.")
	}
	if t.Hostname != "" && (len(t.Hostname) > 67 || !hostnameRE.MatchString(t.Hostname)) {
		bad("hostname", "Host name: a lower-case name ending in .i2p, such as mysite.i2p.")
	}
	if t.WebIRCPassword != "" && (len(t.WebIRCPassword) > 256 || strings.ContainsFunc(t.WebIRCPassword, func(r rune) bool { return r <= ' ' || r == 0x7f })) {
		bad("webircpassword", "WEBIRC password: up to 256 characters without spaces or control characters.")
	}
	if t.Keys != "" && !kept(t.Keys, prev.Keys) && (len(t.Keys) > maxKeysName || !keysNameRE.MatchString(t.Keys) || strings.Contains(t.Keys, "..")) {
		bad("keys", "Keys file: a file name in the data directory (letters, digits, dots, hyphens, underscores; no slashes, no \"..\").")
	}
	for _, d := range []struct {
		field, label string
		s            configs.TunnelSettings
	}{{"inbound", "Inbound", t.Inbound}, {"outbound", "Outbound", t.Outbound}} {
		if d.s.Length < 1 || d.s.Length > 7 {
			bad(d.field+".length", "%s hops: a number from 1 to 7.", d.label)
		}
		if d.s.Quantity < 1 || d.s.Quantity > 16 {
			bad(d.field+".quantity", "%s tunnels: a number from 1 to 16.", d.label)
		}
		if d.s.Variance < -3 || d.s.Variance > 3 {
			bad(d.field+".variance", "%s variance: a number from -3 to 3.", d.label)
		}
		if d.s.Backup < 0 || d.s.Backup > 16 {
			bad(d.field+".backup", "%s backup tunnels: a number from 0 to 16.", d.label)
		}
	}
	return errs
}

// checkAddr returns what is wrong with a local host:port, or "".
func checkAddr(s string) string {
	if s == "" {
		return "required, as 127.0.0.1:port."
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("%q is not host:port (such as 127.0.0.1:8080).", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("the port of %q is not a number from 1 to 65535.", s)
	}
	if host == "localhost" {
		return ""
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return fmt.Sprintf("the host of %q is not an IP address (use 127.0.0.1 for this machine only).", s)
	}
	return ""
}

// tunnelForm reads the form of type typ into a config: only the fields
// that type has, so that values a type has not are never saved. old is
// the tunnel edited (its variance and backup, which the form has not,
// are kept), or nil.
func tunnelForm(r *http.Request, typ string, old *configs.Tunnel) (configs.Tunnel, []fieldError) {
	k := tunnelKinds[typ]
	t := configs.Tunnel{Type: typ, Inbound: configs.TunnelSettings{Length: 3, Quantity: 2}, Outbound: configs.TunnelSettings{Length: 3, Quantity: 2}}
	if old != nil {
		t.Inbound, t.Outbound = old.Inbound, old.Outbound
	}
	val := func(key string) string { return strings.TrimSpace(r.PostFormValue(key)) }
	t.Name = val("name")
	t.Keys = val("keys")
	if k.listen {
		t.Listen = val("listen")
	}
	if k.destination {
		t.Destination = val("destination")
	}
	if k.target {
		t.Target = val("target")
	}
	if k.outproxy {
		t.Outproxy = val("outproxy")
	}
	if k.hostname {
		t.Hostname = val("hostname")
	}
	if k.webirc {
		t.WebIRCPassword = val("webircpassword")
	}
	if k.encrypted {
		t.Encrypted = r.PostFormValue("encrypted") != ""
	}
	t.Enabled = r.PostFormValue("enabled") != ""
	var errs []fieldError
	num := func(key, label string, dst *int) {
		v := val(key)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || len(v) > 3 {
			errs = append(errs, fieldError{key, label + ": not a number."})
			return
		}
		*dst = n
	}
	num("inbound.length", "Inbound hops", &t.Inbound.Length)
	num("inbound.quantity", "Inbound tunnels", &t.Inbound.Quantity)
	num("outbound.length", "Outbound hops", &t.Outbound.Length)
	num("outbound.quantity", "Outbound tunnels", &t.Outbound.Quantity)
	return t, errs
}

// tunnelErr maps a TunnelManager error to a status code, a field and a
// message.
func tunnelErr(err error) (code int, field, msg string) {
	var ce *configs.Error
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest, fe.field, fe.msg
	case errors.Is(err, proxies.ErrNoTunnel):
		return http.StatusNotFound, "", "There is no tunnel of that name (any more)."
	case errors.Is(err, proxies.ErrSameListen):
		return http.StatusBadRequest, "listen", "Local address: another tunnel that starts with the router listens there (" + err.Error() + ")."
	case errors.Is(err, proxies.ErrExists):
		return http.StatusBadRequest, "name", "Name: another tunnel has this name."
	case errors.Is(err, ErrNotSaved):
		return http.StatusInternalServerError, "", "The change was not applied: " + err.Error()
	case errors.As(err, &ce):
		field := ce.Key
		if i := strings.IndexByte(field, '.'); i >= 0 && strings.HasPrefix(field, "tunnels[") {
			field = field[i+1:]
		}
		return http.StatusBadRequest, field, "Not saved: " + ce.Msg + "."
	}
	if errors.Is(err, proxies.ErrClosed) {
		return http.StatusServiceUnavailable, "", "The router is shutting down."
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return http.StatusBadRequest, "listen", "Local address: cannot listen there (" + oe.Err.Error() + "); the port may be in use by another program or tunnel."
	}
	return http.StatusBadRequest, "", strings.TrimPrefix(err.Error(), "proxies: ")
}

// tunnelConfig returns the config of the tunnel named name.
func (s *Server) tunnelConfig(name string) (configs.Tunnel, bool) {
	for _, c := range s.tunmgr.Configs() {
		if c.Name == name {
			return c, true
		}
	}
	return configs.Tunnel{}, false
}

func typeLabel(typ string) string {
	if k, ok := tunnelKinds[typ]; ok {
		return k.label
	}
	return typ
}

// tunnelTypes are the types, clients first, for the chooser.
func tunnelTypes() []web.TunnelType {
	out := make([]web.TunnelType, 0, len(proxies.Types))
	for _, t := range proxies.Types {
		out = append(out, web.TunnelType{Key: t, Label: tunnelKinds[t].label, Help: tunnelKinds[t].help})
	}
	slices.SortStableFunc(out, func(a, b web.TunnelType) int {
		return boolInt(tunnelKinds[a.Key].target) - boolInt(tunnelKinds[b.Key].target)
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tunnelList builds the list page.
func (s *Server) tunnelList() web.TunnelList {
	l := web.TunnelList{Page: s.page("Tunnel manager", "i2ptunnels"), Manage: s.tunmgr != nil, Types: tunnelTypes()}
	if s.tunmgr != nil {
		l.SavePath = s.tunmgr.SavePath()
	}
	for _, ts := range s.i2ptun() {
		row := web.TunnelRow{Name: ts.Name, Type: ts.Type, TypeLabel: typeLabel(ts.Type), State: ts.State, Error: ts.Error,
			B32: ts.B32, B33: ts.B33, Enabled: ts.Enabled,
			Connections: itoa(ts.Connections), BytesIn: bytesText(ts.BytesIn), BytesOut: bytesText(ts.BytesOut),
			Edit: tunnelPath(ts.Name, "edit"), Base: "/i2ptunnels/" + url.PathEscape(ts.Name) + "/",
			Graph: "/graph/tunnel/" + url.PathEscape(ts.Name) + ".svg"}
		row.Local = ts.Listen
		if row.Local == "" {
			row.Local = ts.Target
		}
		switch ts.State {
		case proxies.StateRunning:
			row.StateClass, row.Running = "ok", true
		case proxies.StateStarting:
			row.StateClass, row.Running = "warn", true
		case proxies.StateFailed:
			row.StateClass = "bad"
		}
		l.Rows = append(l.Rows, row)
	}
	return l
}

func (s *Server) pageTunnelList(w http.ResponseWriter, r *http.Request) {
	l := s.tunnelList()
	l.Flash = tunnelDone[r.URL.Query().Get("done")]
	s.render(w, r, http.StatusOK, web.TunnelListPage(l))
}

// listError renders the list with msg.
func (s *Server) listError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	l := s.tunnelList()
	l.Error = msg
	s.render(w, r, code, web.TunnelListPage(l))
}

// formView is the form page of t.
func (s *Server) formView(t configs.Tunnel, oldName string) web.TunnelForm {
	k := tunnelKinds[t.Type]
	f := web.TunnelForm{Type: t.Type, TypeLabel: k.label, TypeHelp: k.help, New: oldName == "",
		Listen: k.listen, Destination: k.destination, Target: k.target,
		Outproxy: k.outproxy, Hostname: k.hostname, WebIRC: k.webirc, EncryptedField: k.encrypted,
		Values: web.TunnelValues{Name: t.Name, Listen: t.Listen, Destination: t.Destination, Target: t.Target, Keys: t.Keys,
			Outproxy: t.Outproxy, Hostname: t.Hostname, WebIRCPassword: t.WebIRCPassword,
			InLength: itoa(t.Inbound.Length), InQuantity: itoa(t.Inbound.Quantity),
			OutLength: itoa(t.Outbound.Length), OutQuantity: itoa(t.Outbound.Quantity),
			Encrypted: t.Encrypted, Enabled: t.Enabled},
		FieldErrors: map[string]string{}}
	if f.New {
		f.Page = s.page("New "+k.label+" tunnel", "i2ptunnels")
		f.Action = "/i2ptunnels/new"
	} else {
		f.Page = s.page("Edit tunnel "+oldName, "i2ptunnels")
		f.Action = tunnelPath(oldName, "edit")
		f.Delete = tunnelPath(oldName, "delete")
	}
	if s.tunmgr != nil {
		f.SavePath = s.tunmgr.SavePath()
	}
	return f
}

// formError renders the form of t again with errs, keeping the values
// typed except the far too long ones.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, code int, t configs.Tunnel, oldName string, errs []fieldError) {
	for _, p := range []*string{&t.Name, &t.Listen, &t.Destination, &t.Target, &t.Keys, &t.Outproxy, &t.Hostname, &t.WebIRCPassword} {
		if len(*p) > maxTunnelValue {
			*p = ""
		}
	}
	f := s.formView(t, oldName)
	var msgs []string
	for _, e := range errs {
		if e.field != "" {
			if _, dup := f.FieldErrors[e.field]; !dup {
				f.FieldErrors[e.field] = e.msg
			}
		}
		msgs = append(msgs, e.msg)
	}
	f.Error = "The tunnel was not saved. " + strings.Join(msgs, " ")
	s.render(w, r, code, web.TunnelFormPage(f))
}

func (s *Server) pageTunnelNew(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("type")
	if _, ok := tunnelKinds[typ]; !ok {
		msg := "Choose the type of the new tunnel."
		if typ != "" {
			msg = "Unknown tunnel type: choose one of the list."
		}
		s.listError(w, r, http.StatusBadRequest, msg)
		return
	}
	t := configs.Tunnel{Type: typ, Enabled: true, Inbound: configs.TunnelSettings{Length: 3, Quantity: 2}, Outbound: configs.TunnelSettings{Length: 3, Quantity: 2}}
	if tunnelKinds[typ].listen {
		t.Listen = "127.0.0.1:"
	} else {
		t.Target = "127.0.0.1:"
	}
	s.render(w, r, http.StatusOK, web.TunnelFormPage(s.formView(t, "")))
}

func (s *Server) pageTunnelEdit(w http.ResponseWriter, r *http.Request) {
	name := tunnelName(r)
	t, ok := s.tunnelConfig(name)
	if !ok {
		s.listError(w, r, http.StatusNotFound, "There is no tunnel of that name (any more).")
		return
	}
	if _, ok := tunnelKinds[t.Type]; !ok {
		s.listError(w, r, http.StatusBadRequest, "That tunnel's type cannot be edited here.")
		return
	}
	s.render(w, r, http.StatusOK, web.TunnelFormPage(s.formView(t, name)))
}

func (s *Server) formTunnelCreate(w http.ResponseWriter, r *http.Request) {
	typ := r.PostFormValue("type")
	if _, ok := tunnelKinds[typ]; !ok {
		s.listError(w, r, http.StatusBadRequest, "Unknown tunnel type: choose one of the list. Nothing was saved.")
		return
	}
	t, errs := tunnelForm(r, typ, nil)
	errs = append(errs, checkTunnel(t, nil)...)
	if len(errs) > 0 {
		s.formError(w, r, http.StatusBadRequest, t, "", errs)
		return
	}
	if err := s.tunmgr.Add(t); err != nil {
		code, field, msg := tunnelErr(err)
		s.log.Info("tunnel not created", "tunnel", t.Name, "err", err)
		s.formError(w, r, code, t, "", []fieldError{{field, msg}})
		return
	}
	redirect(w, r, "/i2ptunnels", "created")
}

func (s *Server) formTunnelUpdate(w http.ResponseWriter, r *http.Request) {
	name := tunnelName(r)
	old, ok := s.tunnelConfig(name)
	if !ok {
		s.listError(w, r, http.StatusNotFound, "There is no tunnel of that name (any more). Nothing was saved.")
		return
	}
	if _, ok := tunnelKinds[old.Type]; !ok {
		s.listError(w, r, http.StatusBadRequest, "That tunnel's type cannot be edited here.")
		return
	}
	t, errs := tunnelForm(r, old.Type, &old) // the type is not changed by a form
	errs = append(errs, checkTunnel(t, &old)...)
	if len(errs) > 0 {
		s.formError(w, r, http.StatusBadRequest, t, name, errs)
		return
	}
	if err := s.tunmgr.Update(name, t); err != nil {
		code, field, msg := tunnelErr(err)
		s.log.Info("tunnel not saved", "tunnel", name, "err", err)
		s.formError(w, r, code, t, name, []fieldError{{field, msg}})
		return
	}
	redirect(w, r, "/i2ptunnels", "saved")
}

// formTunnelAction serves POST /i2ptunnels/{name}/delete|start|stop|restart.
func (s *Server) formTunnelAction(w http.ResponseWriter, r *http.Request) {
	name := tunnelName(r)
	action := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	op, done := s.tunnelOp(action)
	if err := op(name); err != nil {
		code, _, msg := tunnelErr(err)
		s.log.Info("tunnel action failed", "tunnel", name, "action", action, "err", err)
		s.listError(w, r, code, msg)
		return
	}
	redirect(w, r, "/i2ptunnels", done)
}

// tunnelOp is the TunnelManager method of an action and its done key.
func (s *Server) tunnelOp(action string) (func(string) error, string) {
	switch action {
	case "delete":
		return s.tunmgr.Remove, "deleted"
	case "start":
		return s.tunmgr.Start, "started"
	case "stop":
		return s.tunmgr.Stop, "stopped"
	}
	return s.tunmgr.Restart, "restarted"
}

// apiTunnelConfig is a `tunnels:` entry in the API (the config's keys).
type apiTunnelConfig struct {
	Name           string       `json:"name"`
	Type           string       `json:"type"`
	Listen         string       `json:"listen,omitempty"`
	Destination    string       `json:"destination,omitempty"`
	Target         string       `json:"target,omitempty"`
	Keys           string       `json:"keys,omitempty"`
	Inbound        *apiSettings `json:"inbound,omitempty"`
	Outbound       *apiSettings `json:"outbound,omitempty"`
	Encrypted      bool         `json:"encrypted"`
	Hostname       string       `json:"hostname,omitempty"`
	Outproxy       string       `json:"outproxy,omitempty"`
	WebIRCPassword string       `json:"webircpassword,omitempty"`
	Enabled        *bool        `json:"enabled,omitempty"`
}

type apiSettings struct {
	Length   int `json:"length"`
	Variance int `json:"variance"`
	Quantity int `json:"quantity"`
	Backup   int `json:"backup"`
}

func (a apiTunnelConfig) tunnel() configs.Tunnel {
	t := configs.Tunnel{Name: a.Name, Type: a.Type, Listen: a.Listen, Destination: a.Destination, Target: a.Target, Keys: a.Keys,
		Encrypted: a.Encrypted, Hostname: a.Hostname, Outproxy: a.Outproxy, WebIRCPassword: a.WebIRCPassword, Enabled: true,
		Inbound: configs.TunnelSettings{Length: 3, Quantity: 2}, Outbound: configs.TunnelSettings{Length: 3, Quantity: 2}}
	if a.Enabled != nil {
		t.Enabled = *a.Enabled
	}
	if a.Inbound != nil {
		t.Inbound = configs.TunnelSettings(*a.Inbound)
	}
	if a.Outbound != nil {
		t.Outbound = configs.TunnelSettings(*a.Outbound)
	}
	return t
}

func apiConfig(t configs.Tunnel) apiTunnelConfig {
	in, out := apiSettings(t.Inbound), apiSettings(t.Outbound)
	return apiTunnelConfig{Name: t.Name, Type: t.Type, Listen: t.Listen, Destination: t.Destination, Target: t.Target, Keys: t.Keys,
		Inbound: &in, Outbound: &out, Encrypted: t.Encrypted, Hostname: t.Hostname, Outproxy: t.Outproxy,
		WebIRCPassword: t.WebIRCPassword, Enabled: &t.Enabled}
}

// apiFieldError writes a JSON error naming the field at fault.
func apiFieldError(w http.ResponseWriter, s *Server, code int, field, msg string) {
	body := map[string]string{"error": msg}
	if field != "" {
		body["field"] = field
	}
	s.writeJSONCode(w, code, body)
}

// apiTunnelStatus writes the status of the tunnel named name.
func (s *Server) apiTunnelStatus(w http.ResponseWriter, code int, name string) {
	for _, st := range s.tunmgr.Status() {
		if st.Name == name {
			s.writeJSONCode(w, code, st)
			return
		}
	}
	apiFieldError(w, s, http.StatusNotFound, "", "no tunnel named "+strconv.Quote(name))
}

func (s *Server) apiTunnelGet(w http.ResponseWriter, r *http.Request) {
	name := tunnelName(r)
	c, ok := s.tunnelConfig(name)
	if !ok {
		apiFieldError(w, s, http.StatusNotFound, "", "no tunnel named "+strconv.Quote(name))
		return
	}
	var st proxies.TunnelStatus
	for _, x := range s.tunmgr.Status() {
		if x.Name == name {
			st = x
		}
	}
	s.writeJSON(w, map[string]any{"status": st, "config": apiConfig(c)})
}

// apiTunnelBody reads and checks a config object.
func (s *Server) apiTunnelBody(w http.ResponseWriter, r *http.Request, old *configs.Tunnel) (configs.Tunnel, bool) {
	var req apiTunnelConfig
	if !readJSON(w, r, &req) {
		return configs.Tunnel{}, false
	}
	t := req.tunnel()
	if errs := checkTunnel(t, old); len(errs) > 0 {
		apiFieldError(w, s, http.StatusBadRequest, errs[0].field, errs[0].msg)
		return configs.Tunnel{}, false
	}
	return t, true
}

func (s *Server) apiTunnelCreate(w http.ResponseWriter, r *http.Request) {
	t, ok := s.apiTunnelBody(w, r, nil)
	if !ok {
		return
	}
	if err := s.tunmgr.Add(t); err != nil {
		code, field, msg := tunnelErr(err)
		apiFieldError(w, s, code, field, msg)
		return
	}
	s.apiTunnelStatus(w, http.StatusCreated, t.Name)
}

func (s *Server) apiTunnelUpdate(w http.ResponseWriter, r *http.Request) {
	name := tunnelName(r)
	old, ok := s.tunnelConfig(name)
	if !ok {
		apiFieldError(w, s, http.StatusNotFound, "", "no tunnel named "+strconv.Quote(name))
		return
	}
	t, ok := s.apiTunnelBody(w, r, &old)
	if !ok {
		return
	}
	if t.Type != old.Type {
		apiFieldError(w, s, http.StatusBadRequest, "type", "the type of a tunnel cannot be changed: delete it and create a new one")
		return
	}
	if err := s.tunmgr.Update(name, t); err != nil {
		code, field, msg := tunnelErr(err)
		apiFieldError(w, s, code, field, msg)
		return
	}
	s.apiTunnelStatus(w, http.StatusOK, t.Name)
}

func (s *Server) apiTunnelDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.tunmgr.Remove(tunnelName(r)); err != nil {
		code, field, msg := tunnelErr(err)
		apiFieldError(w, s, code, field, msg)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiTunnelAction serves POST /api/tunnels/{name}/start|stop|restart.
func (s *Server) apiTunnelAction(w http.ResponseWriter, r *http.Request) {
	name := tunnelName(r)
	op, _ := s.tunnelOp(r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:])
	if err := op(name); err != nil {
		code, field, msg := tunnelErr(err)
		apiFieldError(w, s, code, field, msg)
		return
	}
	s.apiTunnelStatus(w, http.StatusOK, name)
}
