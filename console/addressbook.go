package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/i2pgo/i2pgo/addressbook"
)

// AddressBook is what the console reads and changes of the address book;
// *addressbook.Resolver implements it.
type AddressBook interface {
	Search(q string, limit int) []addressbook.Record
	List(b addressbook.Book) []addressbook.Record
	AddTo(b addressbook.Book, name, dest string) error
	Delete(b addressbook.Book, name string) error
	Status() []addressbook.FeedStatus
	Subscriptions() []string
	SetSubscriptions(urls []string) error
	FetchNow(ctx context.Context) error
}

// The address book's JSON API:
//
//	GET    /api/addressbook?q=&book=&limit=   names (search, or one book)
//	POST   /api/addressbook                   {"name","dest","book"} add
//	DELETE /api/addressbook/{book}/{name}     delete
//	GET    /api/addressbook/subscriptions     feeds with their last fetch
//	PUT    /api/addressbook/subscriptions     {"urls":[...]} replace the list
//	POST   /api/addressbook/fetch             fetch every feed now (202)
//
// Requests that change something need the X-CSRF-Token header (GET
// /api/csrf gives it).

// maxAPIBody bounds the JSON bodies the API reads.
const maxAPIBody = 256 << 10

// apiRecord is a name of the address book in the API.
type apiRecord struct {
	Name string `json:"name"`
	B32  string `json:"b32"`
	Dest string `json:"dest"`
	Book string `json:"book"`
}

// apiFeed is a subscription with its last fetch.
type apiFeed struct {
	URL           string    `json:"url"`
	Result        string    `json:"result"` // "", "ok", "not modified", "failed"
	Error         string    `json:"error,omitempty"`
	HTTPStatus    int       `json:"http_status,omitempty"`
	LastFetch     time.Time `json:"last_fetch,omitzero"`
	LastSuccess   time.Time `json:"last_success,omitzero"`
	Bytes         int64     `json:"bytes"`
	Added         int       `json:"added"`
	Changed       int       `json:"changed"`
	Removed       int       `json:"removed"`
	Skipped       int       `json:"skipped"`
	Invalid       int       `json:"invalid"`
	Conflicts     int       `json:"conflicts"`
	ConflictNames []string  `json:"conflict_names"`
	Refused       []string  `json:"refused"`
}

var bookByName = map[string]addressbook.Book{
	"private":   addressbook.Private,
	"local":     addressbook.Local,
	"router":    addressbook.Router,
	"published": addressbook.Published,
}

func (s *Server) addressbookRoutes(r chi.Router) {
	r.Get("/api/addressbook", s.apiBookList)
	r.Post("/api/addressbook", s.apiBookAdd)
	r.Delete("/api/addressbook/{book}/{name}", s.apiBookDelete)
	r.Get("/api/addressbook/subscriptions", s.apiSubscriptions)
	r.Put("/api/addressbook/subscriptions", s.apiSetSubscriptions)
	r.Post("/api/addressbook/fetch", s.apiFetch)
}

func records(rs []addressbook.Record) []apiRecord {
	out := make([]apiRecord, 0, len(rs))
	for _, r := range rs {
		out = append(out, apiRecord{Name: r.Name, B32: r.B32, Dest: r.Dest, Book: r.Book.String()})
	}
	return out
}

func (s *Server) apiBookList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			apiError(w, http.StatusBadRequest, "limit must be a number from 1 to 10000")
			return
		}
		limit = n
	}
	var rs []addressbook.Record
	if name := q.Get("book"); name != "" {
		b, ok := bookByName[name]
		if !ok {
			apiError(w, http.StatusBadRequest, "book must be private, local, router or published")
			return
		}
		all := s.book.List(b)
		needle := strings.ToLower(q.Get("q"))
		for _, rec := range all {
			if len(rs) == limit {
				break
			}
			if needle == "" || strings.Contains(rec.Name, needle) {
				rs = append(rs, rec)
			}
		}
	} else {
		rs = s.book.Search(q.Get("q"), limit)
	}
	s.writeJSON(w, map[string]any{"entries": records(rs)})
}

// readJSON decodes a bounded JSON body into v, refusing unknown fields.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		apiError(w, http.StatusUnsupportedMediaType, "the body must be application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		apiError(w, http.StatusBadRequest, "bad JSON body: data after the object")
		return false
	}
	return true
}

func (s *Server) apiBookAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
		Dest string `json:"dest"`
		Book string `json:"book"` // local (default) or private
	}
	if !readJSON(w, r, &req) {
		return
	}
	b := addressbook.Local
	switch req.Book {
	case "", "local":
	case "private":
		b = addressbook.Private
	default:
		apiError(w, http.StatusBadRequest, "book must be local or private")
		return
	}
	err := s.book.AddTo(b, req.Name, req.Dest)
	switch {
	case err == nil:
		rec := s.book.Search(req.Name, 1)
		s.writeJSONCode(w, http.StatusCreated, map[string]any{"entries": records(rec)})
	case errors.Is(err, addressbook.ErrConflict):
		apiError(w, http.StatusConflict, err.Error())
	case errors.Is(err, addressbook.ErrInvalidName), errors.Is(err, addressbook.ErrInvalidDest):
		apiError(w, http.StatusBadRequest, err.Error())
	default:
		s.log.Error("address book add failed", "err", err)
		apiError(w, http.StatusInternalServerError, err.Error())
	}
}

func (s *Server) apiBookDelete(w http.ResponseWriter, r *http.Request) {
	b, ok := bookByName[chi.URLParam(r, "book")]
	if !ok || b == addressbook.Published {
		apiError(w, http.StatusBadRequest, "book must be private, local or router")
		return
	}
	err := s.book.Delete(b, chi.URLParam(r, "name"))
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, addressbook.ErrUnknownName):
		apiError(w, http.StatusNotFound, err.Error())
	default:
		s.log.Error("address book delete failed", "err", err)
		apiError(w, http.StatusInternalServerError, err.Error())
	}
}

func (s *Server) apiSubscriptions(w http.ResponseWriter, r *http.Request) {
	st := s.book.Status()
	out := make([]apiFeed, 0, len(st))
	for _, f := range st {
		out = append(out, apiFeed{
			URL: f.URL, Result: string(f.Result), Error: f.Err, HTTPStatus: f.HTTPStatus,
			LastFetch: f.LastFetch, LastSuccess: f.LastSuccess, Bytes: f.Bytes,
			Added: f.Added, Changed: f.Changed, Removed: f.Removed, Skipped: f.Skipped,
			Invalid: f.Invalid, Conflicts: f.Conflicts,
			ConflictNames: nonNil(f.ConflictNames), Refused: nonNil(f.Refused),
		})
	}
	s.writeJSON(w, map[string]any{"subscriptions": out, "fetching": s.fetching.Load()})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) apiSetSubscriptions(w http.ResponseWriter, r *http.Request) {
	var req struct {
		URLs []string `json:"urls"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if err := s.book.SetSubscriptions(req.URLs); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.apiSubscriptions(w, r)
}

// apiFetch starts a fetch of every feed and answers at once (202); the
// results appear in GET /api/addressbook/subscriptions. A fetch already
// running is not started twice.
func (s *Server) apiFetch(w http.ResponseWriter, r *http.Request) {
	started := s.startFetch()
	s.writeJSONCode(w, http.StatusAccepted, map[string]any{"started": started, "fetching": true})
}

// startFetch starts a fetch of every feed unless one runs; it reports
// whether it started one.
func (s *Server) startFetch() bool {
	if !s.fetching.CompareAndSwap(false, true) {
		return false
	}
	ctx := *s.base.Load()
	s.bg.Go(func() {
		defer s.fetching.Store(false)
		if err := s.book.FetchNow(ctx); err != nil {
			s.log.Warn("address book fetch", "err", err)
		}
	})
	return true
}

// apiError writes a JSON error.
func apiError(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	b, _ := json.Marshal(map[string]string{"error": msg})
	fmt.Fprintf(w, "%s\n", b)
}
