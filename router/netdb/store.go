package netdb

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Limits on what is accepted.
const (
	MaxRouterInfoSize = 4096            // a RouterInfo is about 1 KB; Java caps at 4 KB too
	MaxRouters        = 20000           // memory cap: about 20 MB of RouterInfos
	MaxFutureSkew     = 2 * time.Minute // a published date further ahead is refused
	MaxAge            = 28 * time.Hour  // older RouterInfos are refused
)

// Errors that callers branch on.
var (
	ErrWrongNetID = errors.New("netdb: RouterInfo from another network")
	ErrTooOld     = errors.New("netdb: RouterInfo too old")
	ErrFuture     = errors.New("netdb: RouterInfo published in the future")
	ErrTooLarge   = errors.New("netdb: RouterInfo too large")
	ErrFull       = errors.New("netdb: store full")
)

// Config configures a Store.
type Config struct {
	NetID  int
	Dir    string // datadir/netDb; empty: memory only
	Self   data.Hash
	Logger *slog.Logger
	Now    func() time.Time
}

// Store holds RouterInfos.
type Store struct {
	cfg Config
	log *slog.Logger

	mu      sync.RWMutex
	routers map[data.Hash]*data.RouterInfo

	saveMu sync.Mutex // serialises disk writes
}

// New makes an empty Store. It does no I/O.
func New(cfg Config) *Store {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{cfg: cfg, log: log.With("component", "netdb"), routers: make(map[data.Hash]*data.RouterInfo)}
}

// Check parses b and checks a RouterInfo as the store does before keeping
// it: size, signature, network ID and dates.
func (s *Store) Check(b []byte) (*data.RouterInfo, error) {
	if len(b) > MaxRouterInfoSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		return nil, err
	}
	if err := ri.Verify(); err != nil {
		return nil, fmt.Errorf("netdb: RouterInfo %v: %w", ri.Hash(), err)
	}
	if id, ok := ri.NetID(); !ok || id != s.cfg.NetID {
		return nil, fmt.Errorf("%w: netId %d (ok=%v), want %d", ErrWrongNetID, id, ok, s.cfg.NetID)
	}
	now := s.cfg.Now()
	if ri.Published.After(now.Add(MaxFutureSkew)) {
		return nil, fmt.Errorf("%w: %v", ErrFuture, ri.Published)
	}
	if ri.Published.Before(now.Add(-MaxAge)) {
		return nil, fmt.Errorf("%w: published %v", ErrTooOld, ri.Published)
	}
	return ri, nil
}

// Put checks and stores a RouterInfo. It keeps the newest by published
// date. It returns the stored RouterInfo and whether it was new or newer.
func (s *Store) Put(b []byte) (*data.RouterInfo, bool, error) {
	ri, err := s.Check(b)
	if err != nil {
		return nil, false, err
	}
	return s.put(ri)
}

func (s *Store) put(ri *data.RouterInfo) (*data.RouterInfo, bool, error) {
	return s.putSave(ri, s.cfg.Dir != "")
}

// putSave stores ri and, if save, writes it to disk. Disk writes for one
// router are serialised by saveMu so that the newest always wins.
func (s *Store) putSave(ri *data.RouterInfo, save bool) (*data.RouterInfo, bool, error) {
	h := ri.Hash()
	if h == s.cfg.Self {
		return ri, false, nil // our own is not kept here
	}
	s.mu.Lock()
	old := s.routers[h]
	if old != nil && !ri.Published.After(old.Published) {
		s.mu.Unlock()
		return old, false, nil
	}
	if old == nil && len(s.routers) >= MaxRouters {
		s.mu.Unlock()
		return nil, false, ErrFull
	}
	s.routers[h] = ri
	s.mu.Unlock()
	if save {
		s.saveMu.Lock()
		// Another Put may have stored a newer one meanwhile: write
		// whatever is current.
		cur := s.Get(h)
		if cur != nil {
			if err := s.save(cur); err != nil {
				s.log.Warn("saving RouterInfo failed", "err", err)
			}
		}
		s.saveMu.Unlock()
	}
	return ri, true, nil
}

// Get returns the RouterInfo of h, or nil.
func (s *Store) Get(h data.Hash) *data.RouterInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.routers[h]
}

// Routers returns every RouterInfo held.
func (s *Store) Routers() []*data.RouterInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*data.RouterInfo, 0, len(s.routers))
	for _, ri := range s.routers {
		out = append(out, ri)
	}
	return out
}

// Counts returns the number of routers and of floodfills held.
func (s *Store) Counts() (routers, floodfills int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, ri := range s.routers {
		routers++
		if strings.ContainsRune(ri.Caps(), 'f') {
			floodfills++
		}
	}
	return
}

// FileName is the netDb file name of a RouterInfo, relative to the netDb
// directory: r<C>/routerInfo-<hash>.dat.
func FileName(h data.Hash) string {
	b64 := h.String()
	return filepath.Join("r"+b64[:1], "routerInfo-"+b64+".dat")
}

func (s *Store) save(ri *data.RouterInfo) error {
	p := filepath.Join(s.cfg.Dir, FileName(ri.Hash()))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, ri.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// Load reads every routerInfo-*.dat below Dir. Files that fail the checks
// are skipped (and removed, if they are expired or from another network).
func (s *Store) Load() (loaded int, err error) {
	if s.cfg.Dir == "" {
		return 0, nil
	}
	if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		return 0, fmt.Errorf("netdb: %w", err)
	}
	files, _ := filepath.Glob(filepath.Join(s.cfg.Dir, "r?", "routerInfo-*.dat"))
	for _, f := range files {
		b, err := readLimited(f, MaxRouterInfoSize)
		if err != nil {
			continue
		}
		ri, err := s.Check(b)
		if err != nil {
			s.log.Debug("skipping stored RouterInfo", "file", filepath.Base(f), "err", err)
			if errors.Is(err, ErrTooOld) || errors.Is(err, ErrWrongNetID) {
				os.Remove(f)
			}
			continue
		}
		if _, fresh, err := s.putSave(ri, false); err == nil && fresh {
			loaded++
		}
	}
	return loaded, nil
}

func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrTooLarge
	}
	return b, nil
}

// Expire removes RouterInfos by the policy of how-network-database.html
// ("RouterInfo Expiration"): nothing while 25 or fewer are known; else
// those published more than maxAge ago, where maxAge is 1 hour for a
// floodfill and 72 hours shrinking to 30 hours as the netDb grows past 120
// and 300 routers. It returns how many it removed. Files on disk go too.
func (s *Store) Expire(floodfill bool) int {
	now := s.cfg.Now()
	s.mu.Lock()
	n := len(s.routers)
	if n <= 25 {
		s.mu.Unlock()
		return 0
	}
	maxAge := 72 * time.Hour
	switch {
	case floodfill:
		maxAge = time.Hour
	case n >= 300:
		maxAge = 30 * time.Hour
	case n >= 120:
		maxAge = 48 * time.Hour
	}
	var gone []data.Hash
	for h, ri := range s.routers {
		if now.Sub(ri.Published) > maxAge {
			delete(s.routers, h)
			gone = append(gone, h)
		}
	}
	s.mu.Unlock()
	if s.cfg.Dir != "" {
		for _, h := range gone {
			os.Remove(filepath.Join(s.cfg.Dir, FileName(h)))
		}
	}
	return len(gone)
}
