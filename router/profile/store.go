package profile

import (
	"cmp"
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Defaults for the zero Config fields.
const (
	DefaultMaxProfiles = 2000
	DefaultHalfLife    = time.Hour
	DefaultMaxAge      = 72 * time.Hour
)

// FileName is the name of the file Save writes and Load reads in its
// directory.
const FileName = "profiles.json"

// fileVersion is the "version" of the profiles file this code writes; Load
// accepts no other.
const fileVersion = 1

// maxFileSize bounds what Load reads; a real file is a few MB at most.
const maxFileSize = 64 << 20

// ErrCorrupt reports a profiles file that is not valid JSON, has an unknown
// version, or holds an invalid profile. Load then leaves the store empty.
var ErrCorrupt = errors.New("profile: corrupt profiles file")

// Config tunes a Store. The zero value means the defaults.
type Config struct {
	// MaxProfiles caps how many profiles are kept. Recording a new peer in a
	// full store evicts the profile recorded least recently. 0 means
	// DefaultMaxProfiles.
	MaxProfiles int
	// HalfLife is how long it takes an event's weight in the Recent counts
	// to halve. 0 means DefaultHalfLife.
	HalfLife time.Duration
	// MaxAge drops profiles not recorded for longer than this; Save does not
	// write them and Load does not read them. 0 means DefaultMaxAge.
	MaxAge time.Duration
}

// Store is the set of peer profiles. It is safe for concurrent use.
type Store struct {
	cfg Config
	now func() time.Time

	mu sync.RWMutex
	// byHash and lru hold the same profiles; both are guarded by mu.
	byHash map[data.Hash]*list.Element // Value is *Profile
	lru    *list.List                  // most recently recorded first
}

// New returns an empty Store. now is the clock (nil means time.Now). New
// does no I/O; call Load to read saved profiles.
func New(cfg Config, now func() time.Time) *Store {
	if cfg.MaxProfiles <= 0 {
		cfg.MaxProfiles = DefaultMaxProfiles
	}
	if cfg.HalfLife <= 0 {
		cfg.HalfLife = DefaultHalfLife
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if now == nil {
		now = time.Now
	}
	return &Store{cfg: cfg, now: now, byHash: make(map[data.Hash]*list.Element), lru: list.New()}
}

// RecordLookup records the end of a netDb lookup sent to h: ok if h
// answered (with the entry or a search reply) after latency, not ok if
// nothing came back in time (latency is then ignored).
func (s *Store) RecordLookup(h data.Hash, ok bool, latency time.Duration) {
	s.record(h, func(p *Profile, now time.Time) { p.recordLookup(now, ok, latency) })
}

// RecordStore records the end of a netDb store sent to h with a reply
// token: ok if it was confirmed.
func (s *Store) RecordStore(h data.Hash, ok bool) {
	s.record(h, func(p *Profile, now time.Time) { p.recordStore(now, ok) })
}

// RecordTunnelBuild records the outcome of a tunnel build request to hop h.
func (s *Store) RecordTunnelBuild(h data.Hash, r BuildResult) {
	s.record(h, func(p *Profile, now time.Time) { p.recordBuild(now, r) })
}

// RecordTunnelTest records a test of a tunnel through hop h: ok when it
// passed; a failure counts against every hop of the tunnel, as Java's
// TestJob does, since the test cannot tell which hop dropped it.
func (s *Store) RecordTunnelTest(h data.Hash, ok bool) {
	s.record(h, func(p *Profile, now time.Time) { p.recordTunnelTest(now, ok) })
}

// record applies fn to h's profile (created if need be) after decaying it
// to now. The zero hash is ignored.
func (s *Store) record(h data.Hash, fn func(*Profile, time.Time)) {
	if h.IsZero() {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.touchLocked(h)
	p.decayTo(now, s.cfg.HalfLife)
	fn(p, now)
	s.pruneLocked(now)
}

// touchLocked returns h's profile, moved to the front of the LRU list,
// creating it (and evicting the stalest if full) if absent.
func (s *Store) touchLocked(h data.Hash) *Profile {
	if e, ok := s.byHash[h]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*Profile)
	}
	for s.lru.Len() >= s.cfg.MaxProfiles {
		s.removeLocked(s.lru.Back())
	}
	p := &Profile{Hash: h}
	s.byHash[h] = s.lru.PushFront(p)
	return p
}

// pruneLocked drops profiles idle for longer than MaxAge from the back of
// the LRU list.
func (s *Store) pruneLocked(now time.Time) {
	for e := s.lru.Back(); e != nil; e = s.lru.Back() {
		if now.Sub(e.Value.(*Profile).AsOf) <= s.cfg.MaxAge {
			return
		}
		s.removeLocked(e)
	}
}

func (s *Store) removeLocked(e *list.Element) {
	delete(s.byHash, e.Value.(*Profile).Hash)
	s.lru.Remove(e)
}

// Get returns a copy of h's profile with its Recent counts decayed to now
// (AsOf is now). For a peer never recorded it returns an empty profile
// with Hash h.
func (s *Store) Get(h data.Hash) Profile {
	now := s.now()
	s.mu.RLock()
	var p Profile
	e, ok := s.byHash[h]
	if ok {
		p = *e.Value.(*Profile)
	}
	s.mu.RUnlock()
	if !ok {
		return Profile{Hash: h, AsOf: now}
	}
	p.decayTo(now, s.cfg.HalfLife)
	return p
}

// Score returns h's score now, in (0, 1); 0.5 for an unknown peer. See
// Profile.Score.
func (s *Store) Score(h data.Hash) float64 { return s.Get(h).Score() }

// IsBad reports whether h should be avoided now. See Profile.IsBad.
func (s *Store) IsBad(h data.Hash) bool { return s.Get(h).IsBad() }

// Len returns the number of profiles held.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lru.Len()
}

// file is the JSON layout of FileName.
type file struct {
	Version  int       `json:"version"`
	Saved    time.Time `json:"saved"`
	Profiles []Profile `json:"profiles"` // most recently recorded first
}

// Save writes every profile not older than MaxAge to dir/profiles.json,
// creating dir (mode 0700) if needed. The file (mode 0600) is replaced
// atomically: a reader or a crash sees the old file or the new one.
func (s *Store) Save(dir string) error {
	now := s.now()
	s.mu.RLock()
	f := file{Version: fileVersion, Saved: now, Profiles: make([]Profile, 0, s.lru.Len())}
	for e := s.lru.Front(); e != nil; e = e.Next() {
		p := e.Value.(*Profile)
		if now.Sub(p.AsOf) <= s.cfg.MaxAge {
			f.Profiles = append(f.Profiles, *p)
		}
	}
	s.mu.RUnlock()

	b, err := json.Marshal(&f)
	if err != nil {
		return fmt.Errorf("profile: save: %w", err)
	}
	if err := writeFileAtomic(dir, FileName, b); err != nil {
		return fmt.Errorf("profile: save: %w", err)
	}
	return nil
}

// Load replaces the store's profiles with those in dir/profiles.json,
// skipping those older than MaxAge and keeping the MaxProfiles most
// recently recorded. A missing file is not an error. On any error the
// store is left empty; a damaged file gives an error wrapping ErrCorrupt,
// and the caller may carry on with the empty store (the next Save
// overwrites the file). Call Load before the store is in use.
func (s *Store) Load(dir string) error {
	path := filepath.Join(dir, FileName)
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.byHash)
	s.lru.Init()

	b, err := readFileLimited(path, maxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("profile: load: %w", err)
	}
	profiles, err := decodeFile(b)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}

	now := s.now()
	profiles = slices.DeleteFunc(profiles, func(p Profile) bool { return now.Sub(p.AsOf) > s.cfg.MaxAge })
	slices.SortStableFunc(profiles, func(a, b Profile) int { return b.AsOf.Compare(a.AsOf) })
	profiles = profiles[:min(len(profiles), s.cfg.MaxProfiles)]
	for i := range profiles {
		p := &profiles[i]
		s.byHash[p.Hash] = s.lru.PushBack(p)
	}
	return nil
}

// decodeFile parses and checks a profiles file.
func decodeFile(b []byte) ([]Profile, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("version %d, want %d", f.Version, fileVersion)
	}
	seen := make(map[data.Hash]bool, len(f.Profiles))
	for i := range f.Profiles {
		p := &f.Profiles[i]
		if !p.valid() {
			return nil, fmt.Errorf("profile %d (%v): invalid values", i, p.Hash)
		}
		if seen[p.Hash] {
			return nil, fmt.Errorf("profile %d (%v): duplicate", i, p.Hash)
		}
		seen[p.Hash] = true
	}
	return f.Profiles, nil
}

// readFileLimited reads a file of at most limit bytes.
func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}

// writeFileAtomic writes b to dir/name through a temporary file in dir that
// is synced, made mode 0600 and renamed over the target.
func writeFileAtomic(dir, name string, b []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+name+"-*.tmp")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	werr := tmp.Chmod(0o600)
	if werr == nil {
		_, werr = tmp.Write(b)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	werr = cmp.Or(werr, tmp.Close())
	if werr == nil {
		werr = os.Rename(tmpName, filepath.Join(dir, name))
	}
	if werr != nil {
		os.Remove(tmpName)
		return werr
	}
	// Make the rename durable; not every system can sync a directory.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
