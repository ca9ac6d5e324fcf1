package reseed

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
	"github.com/i2pgo/i2pgo/router/su3"
)

// Defaults for the zero fields of Config.
const (
	DefaultNetID      = 2 // the main I2P network
	DefaultMinRouters = 100
	DefaultMinServers = 2
	DefaultMaxSize    = 8 << 20 // reseed files are about 100 KB
	DefaultTimeout    = 2 * time.Minute
	// UserAgent is sent with every request, as Java I2P and i2pd do.
	UserAgent = "Wget/1.11.4"
	// FileName is the reseed file on every server.
	FileName = "i2pseeds.su3"
)

// Config configures a Reseeder. The zero value of each field means its
// default.
type Config struct {
	// URLs are the servers' base URLs, each https:// and a directory: a
	// missing final "/" is added. Empty: Fetch fails, FromFile works.
	URLs []string
	// AllowHTTP permits http:// URLs, for test networks. The su3 signature
	// protects the content either way, but not the request from observers.
	AllowHTTP bool
	// Signers are the trusted reseed signers. nil: DefaultSigners().
	Signers *Signers
	// HTTPClient makes the requests. nil: a client of this package's own,
	// with connect, TLS and response-header timeouts, no proxy, and
	// redirects only to https.
	HTTPClient *http.Client
	// NetID is the network ID, sent to servers and required of the
	// RouterInfos. 0: DefaultNetID.
	NetID int
	// Logger receives a line per server. nil: discarded.
	Logger *slog.Logger
	// MinRouters and MinServers: Fetch stops when it holds MinRouters
	// distinct RouterInfos from at least MinServers servers (or every
	// server, if there are fewer). 0: DefaultMinRouters, DefaultMinServers.
	MinRouters int
	MinServers int
	// MaxSize caps a response body and a reseed file. 0: DefaultMaxSize.
	MaxSize int64
	// Timeout caps each server's request, body included. 0: DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for certificate validity and file age. nil: time.Now.
	Now func() time.Time
}

// Reseeder fetches RouterInfos from reseed servers and files. Its methods
// may be called from several goroutines at once.
type Reseeder struct {
	cfg     Config
	urls    []string // checked, each ending in "/"
	client  *http.Client
	ownHTTP bool // client is ours: close its idle connections after Fetch
	log     *slog.Logger
	check   checker
}

// New checks cfg and makes a Reseeder. It does no I/O.
func New(cfg Config) (*Reseeder, error) {
	if cfg.NetID == 0 {
		cfg.NetID = DefaultNetID
	}
	if cfg.NetID < 0 || cfg.NetID > 255 {
		return nil, fmt.Errorf("reseed: network ID %d out of range", cfg.NetID)
	}
	if cfg.MinRouters <= 0 {
		cfg.MinRouters = DefaultMinRouters
	}
	if cfg.MinServers <= 0 {
		cfg.MinServers = DefaultMinServers
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Signers == nil {
		s, err := DefaultSigners()
		if err != nil {
			return nil, err
		}
		cfg.Signers = s
	}
	if cfg.Signers.Len() == 0 {
		return nil, errNoSigners
	}
	r := &Reseeder{cfg: cfg, client: cfg.HTTPClient, log: cfg.Logger}
	for _, s := range cfg.URLs {
		u, err := checkURL(s, cfg.AllowHTTP)
		if err != nil {
			return nil, err
		}
		r.urls = append(r.urls, u)
	}
	if r.client == nil {
		r.client = defaultClient()
		r.ownHTTP = true
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.log = r.log.With("component", "reseed")
	r.check = checker{signers: cfg.Signers, netID: cfg.NetID, now: cfg.Now}
	return r, nil
}

// checkURL checks a server URL and returns it ending in "/".
func checkURL(s string, allowHTTP bool) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("reseed: server URL: %w", err)
	}
	switch {
	case u.Scheme != "https" && !(allowHTTP && u.Scheme == "http"):
		return "", fmt.Errorf("reseed: server URL %q: not https", s)
	case u.Host == "":
		return "", fmt.Errorf("reseed: server URL %q has no host", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("reseed: server URL %q: no user, query or fragment allowed", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

func defaultClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			// No Proxy: nothing here reads the environment.
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   30 * time.Second,
			ResponseHeaderTimeout: time.Minute,
			IdleConnTimeout:       30 * time.Second,
			MaxIdleConns:          4,
			ForceAttemptHTTP2:     true,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("reseed: more than 3 redirects")
			}
			if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" {
				return fmt.Errorf("reseed: redirect from https to %s", req.URL.Scheme)
			}
			return nil
		},
	}
}

// Fetch gets RouterInfos from the servers in random order, each one's su3
// file checked as the package doc says, until it holds Config.MinRouters
// distinct RouterInfos from Config.MinServers servers or has tried them
// all. It returns the RouterInfos' bytes, not yet checked by the netDb.
//
// It fails only if no server gave a RouterInfo; the error then joins every
// server's error (test with errors.Is: ErrUnknownSigner, ErrBadSignature,
// context.DeadlineExceeded, ...). When some servers worked, the others'
// errors are logged instead.
func (r *Reseeder) Fetch(ctx context.Context) ([][]byte, error) {
	if len(r.urls) == 0 {
		return nil, errors.New("reseed: no servers configured")
	}
	if r.ownHTTP {
		defer r.client.CloseIdleConnections()
	}
	urls := append([]string(nil), r.urls...)
	rand.Shuffle(len(urls), func(i, j int) { urls[i], urls[j] = urls[j], urls[i] })
	minServers := min(r.cfg.MinServers, len(urls))

	var (
		out     [][]byte
		have    = make(map[data.Hash]bool)
		servers int
		errs    []error
	)
	for _, u := range urls {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("reseed: %w", context.Cause(ctx)))
			break
		}
		ris, skipped, err := r.fetchOne(ctx, u)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w (server %s)", err, u))
			continue
		}
		added := 0
		for _, ri := range ris {
			if !have[ri.hash] {
				have[ri.hash] = true
				out = append(out, ri.b)
				added++
			}
		}
		servers++
		r.log.Info("reseeded from server", "url", u, "routers", len(ris), "new", added, "refused", skipped)
		if len(out) >= r.cfg.MinRouters && servers >= minServers {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reseed: no RouterInfos from %s: %w", plural(len(urls), "server"), errors.Join(errs...))
	}
	for _, err := range errs {
		r.log.Warn("reseed server failed", "err", err)
	}
	if len(out) < r.cfg.MinRouters {
		r.log.Warn("reseed got fewer RouterInfos than wanted", "routers", len(out), "wanted", r.cfg.MinRouters)
	}
	return out, nil
}

// fetchOne gets and checks one server's reseed file.
func (r *Reseeder) fetchOne(ctx context.Context, base string) ([]routerInfo, int, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	u := base + FileName + "?netid=" + strconv.Itoa(r.cfg.NetID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("reseed: %w", err)
	}
	req.Header.Set("User-Agent", UserAgent)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("reseed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("reseed: HTTP status %s", resp.Status)
	}
	if resp.ContentLength > r.cfg.MaxSize {
		return nil, 0, fmt.Errorf("%w: response of %d bytes, limit %d", ErrTooLarge, resp.ContentLength, r.cfg.MaxSize)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.MaxSize+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reseed: reading response: %w", err)
	}
	if int64(len(b)) > r.cfg.MaxSize {
		return nil, 0, fmt.Errorf("%w: response longer than %d bytes", ErrTooLarge, r.cfg.MaxSize)
	}
	zb, err := r.check.open(b)
	if err != nil {
		return nil, 0, err
	}
	return r.check.unzip(zb)
}

// FromFile reads RouterInfos from a local reseed file (router.reseed.file):
// an su3 reseed file, checked as one from a server, or a zip of
// routerInfo-*.dat files, which is trusted as it is. It returns the
// RouterInfos' bytes, not yet checked by the netDb.
func (r *Reseeder) FromFile(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reseed: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, r.cfg.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reseed: %w", err)
	}
	if int64(len(b)) > r.cfg.MaxSize {
		return nil, fmt.Errorf("%w: file %s is larger than %d bytes", ErrTooLarge, path, r.cfg.MaxSize)
	}
	var zb []byte
	switch {
	case bytes.HasPrefix(b, []byte(su3.Magic)):
		zb, err = r.check.open(b)
		if err != nil {
			return nil, fmt.Errorf("%w (file %s)", err, path)
		}
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		zb = b
	default:
		return nil, fmt.Errorf("%w: %s", ErrNotReseedFile, path)
	}
	ris, skipped, err := r.check.unzip(zb)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	r.log.Info("reseeded from file", "file", path, "routers", len(ris), "refused", skipped)
	out := make([][]byte, len(ris))
	for i, ri := range ris {
		out[i] = ri.b
	}
	return out, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
