package addressbook

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// What the console changes: names deleted, names searched, the list of
// subscriptions edited. Edits of the list are kept in subscriptionsFile
// (the file Java's addressbook keeps it in, one URL a line), which then
// takes the place of Config.Subscriptions at the next start.

// subscriptionsFile holds the subscription list once it was edited.
const subscriptionsFile = "subscriptions.txt"

// MaxSubscriptions bounds the subscription list.
const MaxSubscriptions = 100

// Delete removes name (every destination of it) from book b: Private,
// Local or Router. Deleting from the router book lasts until a feed brings
// the name again, as in Java. It fails with ErrUnknownName when b does not
// have the name.
func (r *Resolver) Delete(b Book, name string) error {
	if b < Private || b >= Published {
		return fmt.Errorf("addressbook: cannot delete from the %s book", b)
	}
	name = normName(name)
	r.mu.Lock()
	if len(r.books[b].names[name]) == 0 {
		r.mu.Unlock()
		return fmt.Errorf("%w: %q is not in the %s book", ErrUnknownName, name, b)
	}
	delete(r.books[b].names, name)
	r.mu.Unlock()
	r.log.Info("name deleted", "book", b.String(), "name", name)
	if b == Private {
		return r.save(b)
	}
	return r.save(b, Published)
}

// Search returns the names of the private, local and router books that
// contain q (case-insensitive; "" matches all), or whose b32 address
// starts with it, sorted by name, at most limit of them (limit <= 0: 100).
// A name in several books is listed once, from the book lookups use.
func (r *Resolver) Search(q string, limit int) []Record {
	if limit <= 0 {
		limit = 100
	}
	q = strings.ToLower(strings.TrimSpace(q))
	qb32 := strings.TrimSuffix(q, ".b32.i2p")
	type hit struct {
		name, dest string
		b          Book
	}
	var hits []hit
	seen := make(map[string]bool)
	r.mu.Lock()
	for b := Private; b < Published; b++ {
		for n, ds := range r.books[b].names {
			if len(ds) == 0 || seen[n] {
				continue
			}
			seen[n] = true
			hits = append(hits, hit{n, ds[0], b})
		}
	}
	r.mu.Unlock()
	slices.SortFunc(hits, func(x, y hit) int { return strings.Compare(x.name, y.name) })
	var out []Record
	for _, h := range hits {
		if len(out) == limit {
			break
		}
		b32, _ := DestB32(h.dest)
		if q != "" && !strings.Contains(h.name, q) && !(len(qb32) >= 4 && strings.HasPrefix(b32, qb32)) {
			continue
		}
		out = append(out, Record{Name: h.name, Dest: h.dest, B32: b32, Book: h.b})
	}
	return out
}

// Subscriptions returns the subscription URLs, in order.
func (r *Resolver) Subscriptions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.feeds))
	for i, f := range r.feeds {
		out[i] = f.URL
	}
	return out
}

// checkSubscriptions validates and de-duplicates a subscription list.
func checkSubscriptions(urls []string) ([]string, error) {
	var out []string
	for _, u := range urls {
		u = strings.TrimSpace(u)
		if u == "" || slices.Contains(out, u) {
			continue
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("addressbook: subscription %q is not an http URL", u)
		}
		if len(u) > 2000 || strings.ContainsAny(u, " \t\r\n") {
			return nil, fmt.Errorf("addressbook: subscription %.40q... is not a URL", u)
		}
		out = append(out, u)
	}
	if len(out) > MaxSubscriptions {
		return nil, fmt.Errorf("addressbook: %d subscriptions, at most %d", len(out), MaxSubscriptions)
	}
	return out, nil
}

// SetSubscriptions replaces the subscription list (most trusted first) and
// keeps it in datadir/addressbook/subscriptions.txt, which from then on
// takes the place of Config.Subscriptions. Feeds already in the list keep
// their status and validators; new ones are fetched at Run's next round.
func (r *Resolver) SetSubscriptions(urls []string) error {
	urls, err := checkSubscriptions(urls)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.setFeedsLocked(urls)
	r.mu.Unlock()
	var buf bytes.Buffer
	buf.WriteString("# i2pgo address book subscriptions, most trusted first (edited in the console).\n")
	for _, u := range urls {
		buf.WriteString(u + "\n")
	}
	r.saveMu.Lock()
	err = writeBytesAtomic(filepath.Join(r.cfg.Dir, subscriptionsFile), buf.Bytes())
	r.saveMu.Unlock()
	if err != nil {
		return fmt.Errorf("addressbook: writing subscriptions: %w", err)
	}
	r.log.Info("subscriptions changed", "feeds", len(urls))
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// setFeedsLocked makes the feed list urls, keeping the state of the feeds
// that stay.
func (r *Resolver) setFeedsLocked(urls []string) {
	old := make(map[string]*feed, len(r.feeds))
	for _, f := range r.feeds {
		old[f.URL] = f
	}
	feeds := make([]*feed, 0, len(urls))
	for _, u := range urls {
		f := old[u]
		if f == nil {
			f = &feed{FeedStatus: FeedStatus{URL: u}}
		}
		feeds = append(feeds, f)
	}
	r.feeds = feeds
}

// loadSubscriptions reads subscriptionsFile; ok is false when there is
// none.
func (r *Resolver) loadSubscriptions() (urls []string, ok bool, err error) {
	raw, err := readLimited(filepath.Join(r.cfg.Dir, subscriptionsFile), 1<<20)
	if isNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("addressbook: loading subscriptions: %w", err)
	}
	var lines []string
	for l := range strings.Lines(string(raw)) {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, ";") {
			lines = append(lines, l)
		}
	}
	urls, err = checkSubscriptions(lines)
	if err != nil {
		return nil, false, errors.Join(fmt.Errorf("addressbook: %s", subscriptionsFile), err)
	}
	return urls, true, nil
}
