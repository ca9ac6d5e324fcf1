package addressbook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"
	"unicode/utf8"
)

// ErrNotHostsTxt is the failure of a feed body that is not in hosts.txt
// form: not UTF-8 text, or not one usable entry among unusable lines.
var ErrNotHostsTxt = errors.New("addressbook: not a hosts.txt feed")

// Result is the outcome of a feed's last fetch.
type Result string

// The fetch results.
const (
	ResultNone        Result = ""             // not fetched yet
	ResultOK          Result = "ok"           // fetched and applied
	ResultNotModified Result = "not modified" // 304
	ResultFailed      Result = "failed"       // see FeedStatus.Err
)

// FeedStatus is a snapshot of one subscription.
type FeedStatus struct {
	URL         string
	LastFetch   time.Time // last attempt
	LastSuccess time.Time // last 200 or 304
	Result      Result
	Err         string // when Result is ResultFailed
	HTTPStatus  int    // 0 when no response came
	Bytes       int64  // body size of the last 200

	// What the last 200 did (zero after a 304 or a failure).
	Added     int // new names
	Changed   int // destinations changed or added (adddest, changedest)
	Removed   int // destinations removed (remove, removeall, changename)
	Skipped   int // already known, or names of the user's own books
	Invalid   int // bad lines, names, destinations, signatures, commands
	Conflicts int // known names the feed gives another destination
	// Samples of the conflicts and refused lines (at most 20 each):
	// "name (kept from the local book)", "name: sig: <error>".
	ConflictNames []string `json:",omitempty"`
	Refused       []string `json:",omitempty"`

	ETag         string // validators sent back on the next fetch
	LastModified string
}

// feed is the state of one subscription, guarded by Resolver.mu.
type feed struct {
	FeedStatus
}

// stateFile keeps the feeds' validators and fetch times across restarts.
const stateFile = "subscriptions.json"

// retryInterval is how soon a failed feed is fetched again (at most
// Config.Interval).
const retryInterval = time.Hour

type feedState struct {
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	LastFetch    time.Time `json:"last_fetch,omitzero"`
	LastSuccess  time.Time `json:"last_success,omitzero"`
}

func (r *Resolver) loadState() (map[string]feedState, error) {
	raw, err := readLimited(filepath.Join(r.cfg.Dir, stateFile), 1<<20)
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("addressbook: loading feed state: %w", err)
	}
	var m map[string]feedState
	if err := json.Unmarshal(raw, &m); err != nil {
		// Only validators and times: start again rather than fail.
		r.log.Warn("feed state unreadable, starting afresh", "err", err)
		return nil, nil
	}
	return m, nil
}

func (r *Resolver) saveState() error {
	r.mu.Lock()
	m := make(map[string]feedState, len(r.feeds))
	for _, f := range r.feeds {
		m[f.URL] = feedState{ETag: f.ETag, LastModified: f.LastModified, LastFetch: f.LastFetch, LastSuccess: f.LastSuccess}
	}
	r.mu.Unlock()
	raw, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		return err
	}
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	if err := writeBytesAtomic(filepath.Join(r.cfg.Dir, stateFile), append(raw, '\n')); err != nil {
		return fmt.Errorf("addressbook: writing feed state: %w", err)
	}
	return nil
}

// Status returns a snapshot of every subscription, in Config order.
func (r *Resolver) Status() []FeedStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]FeedStatus, len(r.feeds))
	for i, f := range r.feeds {
		out[i] = f.FeedStatus
	}
	return out
}

// Run loads the books (unless Load was called), then fetches each feed
// once its Interval has passed since its last fetch (a failed feed is tried
// again after an hour), until ctx is done; it returns ctx's error. The
// first round waits startDelay, so that the tunnels behind the injected
// client can come up. Without a client it only waits.
func (r *Resolver) Run(ctx context.Context) error {
	r.mu.Lock()
	loaded := r.loaded
	r.mu.Unlock()
	if !loaded {
		if err := r.Load(); err != nil {
			return err
		}
	}
	if r.client == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	t := time.NewTimer(startDelay)
	defer t.Stop()
	started := false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
			// The list changed: new feeds are due at once, but not
			// before the first round's delay.
			if started {
				t.Reset(max(time.Until(r.nextDue()), time.Second))
			}
			continue
		case <-t.C:
		}
		started = true
		r.fetchDue(ctx, false)
		t.Reset(max(time.Until(r.nextDue()), time.Second))
	}
}

// startDelay is how long Run waits before its first round.
const startDelay = 5 * time.Minute

// due reports when f should next be fetched. Called with r.mu held.
func (r *Resolver) dueLocked(f *feed) time.Time {
	if f.LastFetch.IsZero() {
		return time.Time{}
	}
	wait := r.cfg.Interval
	if f.Result == ResultFailed {
		wait = min(wait, retryInterval)
	}
	return f.LastFetch.Add(wait)
}

func (r *Resolver) nextDue() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.feeds) == 0 {
		return r.now().Add(r.cfg.Interval)
	}
	var next time.Time
	for i, f := range r.feeds {
		if d := r.dueLocked(f); i == 0 || d.Before(next) {
			next = d
		}
	}
	return next
}

// FetchNow fetches every feed now, in order, and applies them. Per-feed
// outcomes are in Status (and the log); the error is ErrNoClient or ctx's.
func (r *Resolver) FetchNow(ctx context.Context) error {
	if r.client == nil {
		return ErrNoClient
	}
	r.fetchDue(ctx, true)
	return ctx.Err()
}

// fetchDue runs one round over the feeds that are due (all of them when
// all is set), in order, then saves the books and the feed state.
func (r *Resolver) fetchDue(ctx context.Context, all bool) {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	changed := false
	for i := range r.feeds {
		if ctx.Err() != nil {
			break
		}
		r.mu.Lock()
		f := r.feeds[i]
		due := all || !r.now().Before(r.dueLocked(f))
		r.mu.Unlock()
		if due && r.fetchOne(ctx, f) {
			changed = true
		}
	}
	if changed {
		if err := r.save(Router, Published); err != nil {
			r.log.Error("saving books", "err", err)
			// Forget the validators, so that the next fetches bring
			// the whole feeds again.
			r.mu.Lock()
			for _, f := range r.feeds {
				f.ETag, f.LastModified = "", ""
			}
			r.mu.Unlock()
		}
	}
	if err := r.saveState(); err != nil {
		r.log.Error("saving feed state", "err", err)
	}
}

// fetchOne fetches and applies one feed and records its status. It
// reports whether the router book changed.
func (r *Resolver) fetchOne(ctx context.Context, f *feed) bool {
	r.mu.Lock()
	url, etag, lastMod := f.URL, f.ETag, f.LastModified
	r.mu.Unlock()

	start := r.now()
	st := FeedStatus{URL: url, LastFetch: start, ETag: etag, LastModified: lastMod}
	body, status, newETag, newLastMod, err := r.get(ctx, url, etag, lastMod)
	st.HTTPStatus = status
	var c counts
	changed := false
	switch {
	case err != nil:
		st.Result, st.Err = ResultFailed, err.Error()
	case status == http.StatusNotModified:
		st.Result, st.LastSuccess = ResultNotModified, start
	default:
		entries, bad, cerr := checkFeed(body)
		if cerr != nil {
			st.Result, st.Err = ResultFailed, cerr.Error()
			break
		}
		st.Result, st.LastSuccess, st.Bytes = ResultOK, start, int64(len(body))
		st.ETag, st.LastModified = newETag, newLastMod
		c.Invalid = bad
		r.mu.Lock()
		changed = r.applyLocked(url, entries, &c)
		r.mu.Unlock()
	}
	st.Added, st.Changed, st.Removed, st.Skipped, st.Invalid, st.Conflicts =
		c.Added, c.Changed, c.Removed, c.Skipped, c.Invalid, c.Conflicts
	st.ConflictNames, st.Refused = c.ConflictNames, c.Refused

	r.mu.Lock()
	if st.Result != ResultOK && st.Result != ResultNotModified {
		st.LastSuccess = f.LastSuccess
	}
	f.FeedStatus = st
	r.mu.Unlock()

	if st.Result == ResultFailed {
		r.log.Warn("feed fetch failed", "feed", url, "status", status, "err", st.Err)
	} else {
		r.log.Info("feed fetched", "feed", url, "result", string(st.Result), "added", c.Added,
			"changed", c.Changed, "removed", c.Removed, "skipped", c.Skipped,
			"invalid", c.Invalid, "conflicts", c.Conflicts)
	}
	return changed
}

// get does the conditional GET. A body comes only with status 200.
func (r *Resolver) get(ctx context.Context, url, etag, lastMod string) (body []byte, status int, newETag, newLastMod string, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, "", "", fmt.Errorf("addressbook: %w", err)
	}
	// As Java's EepGet, so feeds cannot tell the implementations apart.
	req.Header.Set("User-Agent", "Wget/1.11.4")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastMod != "" {
		req.Header.Set("If-Modified-Since", lastMod)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, 0, "", "", fmt.Errorf("addressbook: fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	switch status {
	case http.StatusOK:
	case http.StatusNotModified:
		return nil, status, "", "", nil
	default:
		return nil, status, "", "", fmt.Errorf("addressbook: fetching %s: HTTP status %d", url, status)
	}
	max := r.cfg.MaxFeedSize
	if resp.ContentLength > max {
		return nil, status, "", "", fmt.Errorf("%w: %s is %d bytes, limit %d", ErrTooLarge, url, resp.ContentLength, max)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, status, "", "", fmt.Errorf("addressbook: reading %s: %w", url, err)
	}
	if int64(len(body)) > max {
		return nil, status, "", "", fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, url, max)
	}
	return body, status, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), nil
}

// checkFeed parses a feed body. It fails with ErrNotHostsTxt on binary
// data, and on a body with unusable lines but not one usable entry (an HTML
// error page, say). It returns the entries and the count of bad lines.
func checkFeed(body []byte) ([]Entry, int, error) {
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		return nil, 0, fmt.Errorf("%w: not UTF-8 text", ErrNotHostsTxt)
	}
	entries, bad := ParseFile(body)
	usable := 0
	for _, e := range entries {
		if e.IsCommand() || (ValidName(e.Name) == nil && validDestSyntax(e.Dest)) {
			usable++
		}
	}
	if usable == 0 && (bad > 0 || len(entries) > 0) {
		return nil, 0, fmt.Errorf("%w: no usable entry in %d lines", ErrNotHostsTxt, bad+len(entries))
	}
	return entries, bad, nil
}
