package addressbook

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Sentinel errors of the Resolver.
var (
	// ErrUnknownName: no book has the name.
	ErrUnknownName = errors.New("addressbook: unknown host name")
	// ErrConflict: the name is known with a different destination.
	ErrConflict = errors.New("addressbook: name already has a different destination")
	// ErrNoClient: fetching needs the injected *http.Client.
	ErrNoClient = errors.New("addressbook: no HTTP client")
)

//go:embed defaults/hosts.txt
var defaultsFS embed.FS

// defaultBook returns the router book a new datadir starts with (tests
// replace it, to start from an empty book).
var defaultBook = func() ([]byte, error) { return defaultsFS.ReadFile("defaults/hosts.txt") }

// Defaults, as Java's addressbook (Daemon.java, SubscriptionList).
const (
	DefaultInterval       = 12 * time.Hour
	DefaultMaxFeedSize    = 10 << 20
	DefaultFetchTimeout   = 5 * time.Minute
	DefaultMaxBookEntries = 200_000
	DefaultMaxBookSize    = 64 << 20
)

// DefaultSubscriptions returns the feeds used when Config.Subscriptions is
// nil. Java's Daemon ships http://i2p-projekt.i2p/hosts.txt alone; the other
// two are the widely used full and incremental (ETag-aware) registries.
func DefaultSubscriptions() []string {
	return []string{
		"http://i2p-projekt.i2p/hosts.txt",
		"http://stats.i2p/cgi-bin/newhosts.txt",
		"http://notbob.i2p/hosts-all.txt",
	}
}

// Config configures a Resolver. The zero value of every field but Dir
// means its default.
type Config struct {
	// Dir holds the books and the feed state: the router's
	// datadir/addressbook. Required.
	Dir string
	// Subscriptions lists the feed URLs, most trusted first (on a
	// conflict the first feed to bring a name keeps it). nil means
	// DefaultSubscriptions; an empty non-nil slice means none.
	Subscriptions []string
	// Interval between two fetches of a feed (DefaultInterval).
	Interval time.Duration
	// MaxFeedSize is the largest feed body accepted, in bytes
	// (DefaultMaxFeedSize); a larger feed fails and is not applied.
	MaxFeedSize int64
	// FetchTimeout bounds one feed fetch, body included
	// (DefaultFetchTimeout).
	FetchTimeout time.Duration
	// MaxBookEntries bounds the names of each book (DefaultMaxBookEntries);
	// feed entries beyond it are skipped.
	MaxBookEntries int
	// MaxBookSize bounds a book file read at Load (DefaultMaxBookSize).
	MaxBookSize int64
}

func (c Config) withDefaults() Config {
	if c.Subscriptions == nil {
		c.Subscriptions = DefaultSubscriptions()
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.MaxFeedSize <= 0 {
		c.MaxFeedSize = DefaultMaxFeedSize
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = DefaultFetchTimeout
	}
	if c.MaxBookEntries <= 0 {
		c.MaxBookEntries = DefaultMaxBookEntries
	}
	if c.MaxBookSize <= 0 {
		c.MaxBookSize = DefaultMaxBookSize
	}
	return c
}

// Resolver keeps the address books and feeds the router book from the
// subscriptions. Its methods are safe for concurrent use.
type Resolver struct {
	cfg    Config
	client *http.Client // nil: no fetching
	log    *slog.Logger
	now    func() time.Time

	// saveMu serialises book writes (encode and write, in that order), so
	// that a later state never loses to an earlier one. Held across I/O;
	// taken before mu, never while holding it.
	saveMu sync.Mutex

	// fetchMu serialises fetch rounds (Run and FetchNow). Held across I/O.
	fetchMu sync.Mutex

	// wake tells Run that the subscription list changed (buffered 1,
	// never closed).
	wake chan struct{}

	mu     sync.Mutex
	loaded bool
	books  [Published]*book // Private, Local, Router; Published is derived
	feeds  []*feed          // one per Config.Subscriptions URL, same order
}

// New validates cfg and allocates a Resolver. It does no I/O: call Load
// (or Run, which calls it) to read the books. client fetches the feeds and
// should go through the router's HTTP proxy; nil disables fetching. A nil
// log discards.
func New(cfg Config, client *http.Client, log *slog.Logger) (*Resolver, error) {
	if cfg.Dir == "" {
		return nil, errors.New("addressbook: Config.Dir is required")
	}
	cfg = cfg.withDefaults()
	for _, u := range cfg.Subscriptions {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("addressbook: subscription %q is not an http URL", u)
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Resolver{cfg: cfg, client: client, log: log.With("component", "addressbook"), now: time.Now, wake: make(chan struct{}, 1)}
	for i := range r.books {
		r.books[i] = newBook()
	}
	for _, u := range cfg.Subscriptions {
		r.feeds = append(r.feeds, &feed{FeedStatus: FeedStatus{URL: u}})
	}
	return r, nil
}

func (r *Resolver) path(b Book) string { return filepath.Join(r.cfg.Dir, b.File()) }

// PublishedPath is the file of the published book (hosts.txt format),
// rewritten whenever the local or router book changes.
func (r *Resolver) PublishedPath() string { return r.path(Published) }

// Load reads the private, local and router books, the feed state and
// the edited subscription list (see SetSubscriptions) from Config.Dir. A missing router book is started from the shipped defaults
// (defaults/hosts.txt). Lines with invalid names or destinations are
// skipped (and dropped at the next write of that book). A book that cannot
// be read, or is over MaxBookSize or MaxBookEntries, is an error, and the
// books stay as they were.
func (r *Resolver) Load() error {
	var books [Published]*book
	for b := Private; b < Published; b++ {
		raw, err := readLimited(r.path(b), r.cfg.MaxBookSize)
		if isNotExist(err) {
			raw, err = nil, nil
			if b == Router {
				raw, err = defaultBook()
			}
		}
		if err != nil {
			return fmt.Errorf("addressbook: loading %s book: %w", b, err)
		}
		bk, bad, err := decodeBook(raw, r.cfg.MaxBookEntries)
		if err != nil {
			return fmt.Errorf("addressbook: loading %s book: %w", b, err)
		}
		if bad > 0 {
			r.log.Warn("skipped invalid lines", "book", b.String(), "lines", bad)
		}
		books[b] = bk
	}
	states, err := r.loadState()
	if err != nil {
		return err
	}
	subs, edited, err := r.loadSubscriptions()
	if err != nil {
		return err
	}
	if edited {
		r.log.Info("subscriptions read from "+subscriptionsFile+" (edited in the console); addressbook.subscriptions is not used", "feeds", len(subs))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if edited {
		r.setFeedsLocked(subs)
	}
	r.books = books
	for _, f := range r.feeds {
		if s, ok := states[f.URL]; ok {
			f.ETag, f.LastModified, f.LastFetch, f.LastSuccess = s.ETag, s.LastModified, s.LastFetch, s.LastSuccess
		}
	}
	r.loaded = true
	return nil
}

// normName lower-cases a host name and drops a final '.'.
func normName(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// Resolve returns the base64 destination of name, looking in the private,
// local and router books in that order. It fails with ErrUnknownName.
func (r *Resolver) Resolve(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	n := normName(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, _, ok := r.lookupLocked(n); ok {
		return d, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownName, name)
}

// lookupLocked returns the primary destination of name and its book.
func (r *Resolver) lookupLocked(name string) (string, Book, bool) {
	for b := Private; b < Published; b++ {
		if d, ok := r.books[b].lookup(name); ok {
			return d, b, true
		}
	}
	return "", 0, false
}

// B32 returns the "<52 chars>.b32.i2p" address of a name in the books.
func (r *Resolver) B32(name string) (string, error) {
	d, err := r.Resolve(context.Background(), name)
	if err != nil {
		return "", err
	}
	return DestB32(d)
}

// DestB32 returns the "<52 chars>.b32.i2p" address of a base64 destination.
func DestB32(dest string) (string, error) {
	d, err := ParseDest(dest)
	if err != nil {
		return "", err
	}
	return data.B32Address(d.Hash()), nil
}

// Add saves name with dest in the local book, for the HTTP proxy's
// address-helper "Save". It is a no-op when a book already has name with
// dest, and fails with ErrConflict when a book has it with another
// destination; with ErrInvalidName or ErrInvalidDest on bad input.
func (r *Resolver) Add(name, dest string) error { return r.AddTo(Local, name, dest) }

// AddTo is Add for the Private or Local book.
func (r *Resolver) AddTo(b Book, name, dest string) error {
	if b != Private && b != Local {
		return fmt.Errorf("addressbook: cannot add to the %s book", b)
	}
	name = normName(name)
	if err := ValidName(name); err != nil {
		return err
	}
	if _, err := ParseDest(dest); err != nil {
		return err
	}
	r.mu.Lock()
	for x := Private; x < Published; x++ {
		ds := r.books[x].names[name]
		if len(ds) == 0 {
			continue
		}
		if ds[0] == dest {
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
		return fmt.Errorf("%w: %q is in the %s book", ErrConflict, name, x)
	}
	if len(r.books[b].names) >= r.cfg.MaxBookEntries {
		r.mu.Unlock()
		return fmt.Errorf("%w: the %s book has %d names", ErrTooLarge, b, r.cfg.MaxBookEntries)
	}
	r.books[b].add(name, dest)
	r.mu.Unlock()
	r.log.Info("name added", "book", b.String(), "name", name)
	if b == Local {
		return r.save(Local, Published)
	}
	return r.save(b)
}

// Record is one name of a book, for listings.
type Record struct {
	Name string
	Dest string // base64
	B32  string
	Book Book
}

// List returns the names of book b (Published: what we serve), sorted, with
// their primary destinations and b32 addresses.
func (r *Resolver) List(b Book) []Record {
	r.mu.Lock()
	var entries []Entry
	switch {
	case b == Published:
		entries = r.publishedLocked().entries()
	case b >= 0 && b < Published:
		entries = r.books[b].entries()
	}
	r.mu.Unlock()
	var out []Record
	for _, e := range entries {
		if n := len(out); n > 0 && out[n-1].Name == e.Name {
			out = out[:n-1] // extra destinations come first: keep the last
		}
		rec := Record{Name: e.Name, Dest: e.Dest, Book: b}
		rec.B32, _ = DestB32(e.Dest)
		out = append(out, rec)
	}
	return out
}

// publishedLocked builds the published book: the local book, plus the
// router names the local book does not have. The private book is never in it.
func (r *Resolver) publishedLocked() *book {
	p := newBook()
	for n, d := range r.books[Router].names {
		p.names[n] = d
	}
	for n, d := range r.books[Local].names {
		p.names[n] = d
	}
	return p
}

var bookHeaders = [numBooks]string{
	Private:   "# i2pgo private address book: names that are never published.\n",
	Local:     "# i2pgo local address book: your own names.\n",
	Router:    "# i2pgo router address book: names from the subscriptions.\n",
	Published: "# i2pgo published address book (hosts.txt format).\n",
}

// save writes the given books atomically.
func (r *Resolver) save(books ...Book) error {
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	var errs []error
	for _, b := range books {
		r.mu.Lock()
		bk := r.publishedLocked()
		if b != Published {
			bk = r.books[b]
		}
		raw, err := bk.encode(bookHeaders[b])
		r.mu.Unlock()
		if err == nil {
			err = writeBytesAtomic(r.path(b), raw)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("addressbook: writing %s book: %w", b, err))
		}
	}
	return errors.Join(errs...)
}
