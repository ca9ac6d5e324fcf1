package addressbook

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Book names one of the address books kept in Config.Dir.
type Book int

// The books, in lookup order (Published is not looked up).
const (
	Private   Book = iota // the user's names that are never published
	Local                 // the user's own names (Java's userhosts.txt)
	Router                // names learnt from subscriptions (Java's hosts.txt)
	Published             // what we serve to others: Local and Router
	numBooks
)

var bookFiles = [numBooks]string{
	Private:   "privatehosts.txt",
	Local:     "userhosts.txt",
	Router:    "hosts.txt",
	Published: "published.txt",
}

var bookNames = [numBooks]string{"private", "local", "router", "published"}

func (b Book) String() string {
	if b < 0 || b >= numBooks {
		return fmt.Sprintf("Book(%d)", int(b))
	}
	return bookNames[b]
}

// File returns the book's file name inside Config.Dir.
func (b Book) File() string {
	if b < 0 || b >= numBooks {
		return ""
	}
	return bookFiles[b]
}

// ErrTooLarge is returned when a book or feed exceeds its size limit.
var ErrTooLarge = errors.New("addressbook: too large")

// book is one name to destinations map. The first destination is the one
// names resolve to; the others were added by adddest.
//
// File form: one name=dest line per destination, sorted by name; for a
// name with several destinations the extra ones come first and the primary
// last (in reverse order, so that a read and a write keep the order),
// because Java's readers keep the last line of a name. Reading does the
// same: the last line of a name is its primary destination.
//
// Not safe for concurrent use: Resolver.mu guards every book.
type book struct {
	names map[string][]string
}

func newBook() *book { return &book{names: make(map[string][]string)} }

func (b *book) lookup(name string) (string, bool) {
	d := b.names[name]
	if len(d) == 0 {
		return "", false
	}
	return d[0], true
}

// add adds dest to name: as the primary when name is new, else as an extra
// destination. It reports whether anything changed.
func (b *book) add(name, dest string) bool {
	d := b.names[name]
	if slices.Contains(d, dest) {
		return false
	}
	b.names[name] = append(d, dest)
	return true
}

// set replaces all destinations of name with dest.
func (b *book) set(name, dest string) { b.names[name] = []string{dest} }

// remove removes dest from name, and the name when no destination is left.
func (b *book) remove(name, dest string) bool {
	d := b.names[name]
	i := slices.Index(d, dest)
	if i < 0 {
		return false
	}
	d = slices.Delete(slices.Clone(d), i, i+1)
	if len(d) == 0 {
		delete(b.names, name)
	} else {
		b.names[name] = d
	}
	return true
}

// namesFor returns the names with dest among their destinations, sorted.
func (b *book) namesFor(dest string) []string {
	var out []string
	for n, d := range b.names {
		if slices.Contains(d, dest) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// entries returns the book as lines in file order.
func (b *book) entries() []Entry {
	names := make([]string, 0, len(b.names))
	for n := range b.names {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []Entry
	for _, n := range names {
		d := b.names[n]
		for i := len(d) - 1; i > 0; i-- {
			out = append(out, Entry{Name: n, Dest: d[i]})
		}
		out = append(out, Entry{Name: n, Dest: d[0]})
	}
	return out
}

// encode returns the book's file contents.
func (b *book) encode(header string) ([]byte, error) {
	out := []byte(header)
	return AppendFile(out, b.entries())
}

// decodeBook reads a book file's contents: invalid names and destinations
// are skipped and counted, at most maxEntries names are kept.
func decodeBook(raw []byte, maxEntries int) (*book, int, error) {
	entries, bad := ParseFile(raw)
	b := newBook()
	for _, e := range entries {
		if e.IsCommand() || ValidName(e.Name) != nil || !validDestSyntax(e.Dest) {
			bad++
			continue
		}
		d := b.names[e.Name]
		if i := slices.Index(d, e.Dest); i >= 0 {
			d = slices.Delete(d, i, i+1)
		}
		if len(d) == 0 && len(b.names) >= maxEntries {
			return nil, bad, fmt.Errorf("%w: more than %d names", ErrTooLarge, maxEntries)
		}
		// The last line of a name is the primary: keep it first.
		b.names[e.Name] = append([]string{e.Dest}, d...)
	}
	return b, bad, nil
}

// readLimited reads the file at path, failing when it is longer than max.
// A missing file reads as empty with fs.ErrNotExist.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > max {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, path, max)
	}
	return raw, nil
}

// writeFileAtomic replaces path with what fill writes: into a temporary
// file in the same directory, synced, then renamed over path. On any error
// the old file is left as it was and the temporary file is removed.
func writeFileAtomic(path string, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename durable; best effort (not every system can sync a
	// directory).
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func writeBytesAtomic(path string, b []byte) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
