package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/i2pgo/i2pgo/proxies"
	"github.com/i2pgo/i2pgo/router"
)

// DefaultListen is the address the console listens on when Config.Listen
// is empty: Java I2P's console port, on loopback only.
const DefaultListen = "127.0.0.1:7657"

// shutdownTimeout bounds how long Run waits for requests in flight once
// its context is done.
const shutdownTimeout = 5 * time.Second

// Config configures the console. The zero value is valid.
type Config struct {
	// Listen is the TCP host:port to listen on. Empty means DefaultListen.
	// Port 0 picks a free port; Addr reports it after Listen.
	Listen string
	// Password is a bcrypt hash (console.password); when set every
	// request needs it (HTTP Basic). Required when Listen is not a
	// loopback address.
	Password string
}

// Deps are what the console reads from the rest of the program.
type Deps struct {
	// Status returns a snapshot of the router's state. Required. It is
	// called once per GET /api/status, from the request's goroutine.
	Status func() router.Status
	// Peers lists the transport sessions for GET /api/peers. Optional:
	// nil leaves that route out.
	Peers func() []router.PeerInfo
	// NetDBRouters lists the netDb's routers for GET /api/netdb/routers.
	// Optional: without it the route is absent.
	NetDBRouters func() []router.RouterEntry
	// Tunnels lists the router's tunnels for GET /api/router/tunnels.
	// Optional.
	Tunnels func() []router.TunnelInfo
	// I2PTunnels lists the I2PTunnel tunnels for GET /api/tunnels.
	// Optional.
	I2PTunnels func() []proxies.TunnelStatus
	// TunnelManager creates, edits, deletes, starts and stops them
	// (console/tunnels.go). Optional: without it the tunnel manager page
	// only lists them. It also serves as I2PTunnels if that is nil.
	TunnelManager TunnelManager
	// AddressBook serves /api/addressbook/... Optional.
	AddressBook AddressBook
	// Logs feeds the Logs page (GET /logs, /api/logs). Optional.
	Logs *LogRing
	// Shutdown stops the router (restart: and starts it again); the
	// console's shutdown and restart buttons call it. Optional.
	Shutdown func(restart bool)
	// Settings serves the Config page (GET/POST /config, /api/config).
	// Optional.
	Settings Settings
	// Logger receives the console's logs. nil discards them.
	Logger *slog.Logger
}

// Server is the console's HTTP server.
type Server struct {
	listen   string // configured address
	status   func() router.Status
	peers    func() []router.PeerInfo      // may be nil
	routers  func() []router.RouterEntry   // may be nil
	tunnels  func() []router.TunnelInfo    // may be nil
	i2ptun   func() []proxies.TunnelStatus // may be nil
	tunmgr   TunnelManager                 // may be nil
	book     AddressBook                   // may be nil
	logs     *LogRing                      // may be nil
	shutdown func(restart bool)            // may be nil
	settings Settings                      // may be nil
	auth     *auth                         // nil: no password
	hist     history
	thist    tunnelHistory
	log      *slog.Logger
	// csrf is the token requests that change something must carry in
	// the X-CSRF-Token header; it lives as long as the Server.
	csrf string

	// base is the context of background work started by requests (a
	// feed fetch): Serve's, or Background before it runs. bg waits for
	// that work; fetching is set while a fetch runs.
	base     atomic.Pointer[context.Context]
	bg       sync.WaitGroup
	fetching atomic.Bool
	handler  http.Handler

	// allowed is the set of Host header values requests may carry. It is
	// replaced, never modified, when Listen learns the bound port.
	allowed atomic.Pointer[map[string]bool]

	mu      sync.Mutex
	ln      net.Listener // bound by Listen, not yet taken by Run; guarded by mu
	addr    string       // the bound address once Listen succeeds; guarded by mu
	running bool         // Run or Serve is serving; guarded by mu
}

// New validates cfg and deps and returns a Server. It does no I/O and
// starts no goroutines.
func New(cfg Config, deps Deps) (*Server, error) {
	listen := cfg.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("console: listen address %q is not host:port", listen)
	}
	if host == "" {
		return nil, fmt.Errorf("console: listen address %q has no host; name the interface, such as 127.0.0.1", listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return nil, fmt.Errorf("console: listen address %q: port is not a number in 0..65535", listen)
	}
	if deps.Status == nil {
		return nil, errors.New("console: Deps.Status is nil")
	}
	var pw *auth
	if cfg.Password != "" {
		if _, err := bcrypt.Cost([]byte(cfg.Password)); err != nil {
			return nil, fmt.Errorf("console: password is not a bcrypt hash (make one with: htpasswd -nbBC 10 admin PASSWORD): %w", err)
		}
		pw = &auth{hash: []byte(cfg.Password), ok: map[[32]byte]bool{}}
	} else if !isLoopback(strings.Trim(host, "[]")) {
		return nil, fmt.Errorf("console: listen address %q is not a loopback address: set console.password (a bcrypt hash) to listen there", listen)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		listen:   listen,
		status:   deps.Status,
		peers:    deps.Peers,
		routers:  deps.NetDBRouters,
		tunnels:  deps.Tunnels,
		i2ptun:   deps.I2PTunnels,
		tunmgr:   deps.TunnelManager,
		book:     deps.AddressBook,
		logs:     deps.Logs,
		shutdown: deps.Shutdown,
		settings: deps.Settings,
		auth:     pw,
		log:      log.With("component", "console"),
		csrf:     newToken(),
	}
	if s.i2ptun == nil && s.tunmgr != nil {
		s.i2ptun = s.tunmgr.Status
	}
	bgctx := context.Background()
	s.base.Store(&bgctx)
	allowed := allowedHosts(listen)
	s.allowed.Store(&allowed)
	s.handler = s.routes()
	return s, nil
}

// Handler returns the console's HTTP handler, security checks included.
// The Host check uses the configured address until Listen binds, and the
// bound one after.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr returns the address the server is bound to after Listen, and the
// configured address before.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr != "" {
		return s.addr
	}
	return s.listen
}

// Listen binds the listen address, so that a port already in use is
// reported before the caller starts anything else. Run then serves on this
// listener. The error names the address and wraps the system error, so
// errors.Is(err, syscall.EADDRINUSE) works.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil || s.running {
		return fmt.Errorf("console: already listening on %s", s.addr)
	}
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		if opErr, ok := errors.AsType[*net.OpError](err); ok {
			err = opErr.Err
		}
		return fmt.Errorf("console: cannot listen on %s: %w", s.listen, err)
	}
	s.ln = ln
	s.addr = ln.Addr().String()
	allowed := allowedHosts(s.listen)
	for h := range allowedHosts(s.addr) {
		allowed[h] = true
	}
	s.allowed.Store(&allowed)
	s.log.Info("console listening", "addr", s.addr)
	return nil
}

// Close releases a listener bound by Listen that Run has not taken. It is
// idempotent. It does not stop a running server: cancel Run's context.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	err := s.ln.Close()
	s.ln = nil
	return err
}

// Run serves until ctx is done, then shuts down gracefully, giving
// requests in flight 5 seconds, and returns nil. It serves on the listener
// bound by Listen, calling Listen first if needed; a bind error is
// returned as Listen returns it.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	ln := s.ln
	s.ln = nil
	s.mu.Unlock()
	if ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
		s.mu.Lock()
		ln, s.ln = s.ln, nil
		s.mu.Unlock()
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, then shuts down gracefully as Run
// does and returns nil. It closes ln. It returns an error if ln fails
// before ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		ln.Close()
		return errors.New("console: already running")
	}
	s.running = true
	s.mu.Unlock()
	s.base.Store(&ctx)
	defer s.bg.Wait()               // after the deferred reset below: background work sees ctx done
	sampling := make(chan struct{}) // closed when Serve returns
	defer close(sampling)
	s.bg.Go(func() { s.sampleLoop(sampling) })
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()

	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1) // written once by the Serve goroutine
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("console: serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("console: requests still running after shutdown timeout; closing them", "err", err)
		srv.Close()
	}
	<-served // http.ErrServerClosed
	return nil
}

// allowedHosts returns the Host header values accepted for a server
// listening on addr (host:port): addr itself and the loopback names with
// its port. On port 80 the names without a port are accepted too, as
// browsers leave the default port out.
func allowedHosts(addr string) map[string]bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return map[string]bool{}
	}
	m := make(map[string]bool)
	for _, h := range []string{host, "localhost", "127.0.0.1", "::1"} {
		h = strings.ToLower(h)
		m[net.JoinHostPort(h, port)] = true
		if port == "80" {
			if strings.Contains(h, ":") {
				h = "[" + h + "]"
			}
			m[h] = true
		}
	}
	return m
}

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders, s.checkHost, s.requireAuth, s.checkCSRF)
	s.pageRoutes(r)
	s.controlRoutes(r)
	s.configRoutes(r)
	r.Get("/metrics", s.metrics)
	r.Get("/graph/bandwidth.svg", s.graphBandwidth)
	r.Get("/graph/tunnel/{name}.svg", s.graphTunnel)
	r.Get("/api/bandwidth", s.apiBandwidth)
	r.Get("/api/status", s.apiStatus)
	r.Get("/api/csrf", s.apiCSRF)
	if s.book != nil {
		s.addressbookRoutes(r)
	}
	if s.peers != nil {
		r.Get("/api/peers", s.apiPeers)
	}
	if s.routers != nil {
		r.Get("/api/netdb/routers", s.apiRouters)
	}
	if s.tunnels != nil {
		r.Get("/api/router/tunnels", s.apiTunnels)
	}
	s.tunnelRoutes(r)
	return r
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'")
		// same-origin, not no-referrer: under no-referrer browsers send
		// "Origin: null" on the console's own form posts, which checkCSRF
		// must refuse; pages of other origins still get no referrer.
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// checkHost refuses requests whose Host header is not one of ours, which
// defeats DNS rebinding.
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !(*s.allowed.Load())[strings.ToLower(r.Host)] {
			s.log.Debug("refused request with foreign Host header", "host", r.Host, "path", r.URL.Path)
			http.Error(w, "403 forbidden: this console only answers requests addressed to its own address", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, s.status())
}

func (s *Server) apiPeers(w http.ResponseWriter, r *http.Request) {
	peers := s.peers()
	if peers == nil {
		peers = []router.PeerInfo{} // [] rather than null
	}
	s.writeJSON(w, peers)
}

func (s *Server) apiRouters(w http.ResponseWriter, r *http.Request) {
	rs := s.routers()
	if rs == nil {
		rs = []router.RouterEntry{}
	}
	s.writeJSON(w, rs)
}

func (s *Server) apiTunnels(w http.ResponseWriter, r *http.Request) {
	ts := s.tunnels()
	if ts == nil {
		ts = []router.TunnelInfo{}
	}
	s.writeJSON(w, ts)
}

func (s *Server) apiI2PTunnels(w http.ResponseWriter, r *http.Request) {
	ts := s.i2ptun()
	if ts == nil {
		ts = []proxies.TunnelStatus{}
	}
	s.writeJSON(w, ts)
}

// writeJSON writes v as a JSON response.
func (s *Server) writeJSON(w http.ResponseWriter, v any) { s.writeJSONCode(w, http.StatusOK, v) }

// writeJSONCode writes v as a JSON response with status code.
func (s *Server) writeJSONCode(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a NaN or infinite float can get here: a router bug.
		s.log.Error("cannot encode JSON response", "err", err)
		http.Error(w, "500 cannot encode response", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
