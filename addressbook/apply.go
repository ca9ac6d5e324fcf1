package addressbook

import (
	"log/slog"
	"slices"
	"strings"
)

// counts are what one feed body did to the books.
type counts struct {
	Added     int // new names
	Changed   int // destinations changed or added to a known name
	Removed   int // destinations removed
	Skipped   int // already known (same destination), or left alone
	Invalid   int // bad lines, names, destinations, signatures, commands
	Conflicts int // known names a feed gives another destination

	// Samples for the fetch status, at most maxSamples each.
	ConflictNames []string // "name (kept from the <book> book)"
	Refused       []string // "name: why"
}

// maxSamples bounds the conflict and refusal samples kept per fetch, and
// the Warn logs of refused signatures.
const maxSamples = 20

// destsLocked returns every destination of name in the first book that has
// it, and that book.
func (r *Resolver) destsLocked(name string) ([]string, Book, bool) {
	for b := Private; b < Published; b++ {
		if d := r.books[b].names[name]; len(d) > 0 {
			return d, b, true
		}
	}
	return nil, 0, false
}

// applyLocked applies the entries of one feed to the router book, in order.
// It follows Java's Daemon.update: a plain line only adds a name nobody has
// (first come, first served); a line with #! fields must carry a valid
// "sig" by its destination; each command is applied only after its checks.
// Feeds never change the private or local books: a command about a name in
// them is skipped. It reports whether the router book changed.
func (r *Resolver) applyLocked(url string, entries []Entry, c *counts) bool {
	a := applier{r: r, url: url, c: c, log: r.log.With("feed", url)}
	for _, e := range entries {
		a.apply(e)
	}
	return a.changed
}

type applier struct {
	r       *Resolver
	url     string
	c       *counts
	log     *slog.Logger
	changed bool
}

func (a *applier) invalid(e Entry, why string, err error) {
	a.c.Invalid++
	name := e.Name
	if name == "" {
		name = e.Props[KeyName]
	}
	sample := len(a.c.Refused) < maxSamples
	if sample {
		note := name + ": " + why
		if err != nil {
			note += ": " + err.Error()
		}
		a.c.Refused = append(a.c.Refused, note)
	}
	args := []any{"name", name, "action", e.Action(), "why", why}
	if err != nil {
		args = append(args, "err", err)
	}
	// A bad signature is someone's forgery or a broken registry: say so
	// (bounded per fetch). Other bad lines are common and stay Debug.
	if sample && (why == "sig" || why == "oldsig") {
		a.log.Warn("feed entry refused: bad signature", args...)
		return
	}
	a.log.Debug("feed entry refused", args...)
}

// known handles a name that is already in a book, for the actions that only
// create names: same destination is skipped, another one is a conflict.
func (a *applier) known(e Entry, cur []string, where Book) {
	if slices.Contains(cur, e.Dest) {
		a.c.Skipped++
		return
	}
	a.c.Conflicts++
	if len(a.c.ConflictNames) < maxSamples {
		a.c.ConflictNames = append(a.c.ConflictNames, e.Name+" (kept from the "+where.String()+" book)")
	}
	a.log.Info("conflict: name kept, feed's destination refused", "name", e.Name, "book", where.String())
}

// add puts a new name in the router book, within MaxBookEntries.
func (a *applier) add(name, dest string) {
	rb := a.r.books[Router]
	if len(rb.names) >= a.r.cfg.MaxBookEntries {
		a.c.Skipped++
		a.log.Debug("router book full: name skipped", "name", name)
		return
	}
	rb.add(name, dest)
	a.c.Added++
	a.changed = true
}

func (a *applier) apply(e Entry) {
	if e.IsCommand() {
		a.applyCommand(e)
		return
	}
	if err := ValidName(e.Name); err != nil {
		a.invalid(e, "name", err)
		return
	}
	if _, err := ParseDest(e.Dest); err != nil {
		a.invalid(e, "destination", err)
		return
	}
	if e.Props != nil {
		if err := e.VerifySig(); err != nil {
			a.invalid(e, "sig", err)
			return
		}
	}
	cur, where, isKnown := a.r.destsLocked(e.Name)
	rb := a.r.books[Router]
	p := e.Props
	switch e.Action() {
	case "", ActionUpdate:
		// Add (plain or signed). Java's "update" may also replace the
		// destination of a known name on the new destination's signature
		// alone; we keep first come, first served and keep no metadata.
		if isKnown {
			a.known(e, cur, where)
			return
		}
		a.add(e.Name, e.Dest)

	case ActionAddDest, ActionChangeDest:
		old := p[KeyOldDest]
		if old == "" {
			a.invalid(e, "no olddest", nil)
			return
		}
		switch {
		case !isKnown || slices.Contains(cur, old):
			if err := e.VerifyInnerSig(); err != nil {
				a.invalid(e, "oldsig", err)
				return
			}
		case slices.Contains(cur, e.Dest):
			a.c.Skipped++
			return
		default:
			a.invalid(e, "olddest is not the known destination", nil)
			return
		}
		switch {
		case !isKnown:
			a.add(e.Name, e.Dest)
		case slices.Contains(cur, e.Dest):
			a.c.Skipped++ // adddest or changedest already applied
		case where != Router:
			a.c.Skipped++
			a.log.Debug("command about a name of the user's books skipped", "name", e.Name, "book", where.String())
		case e.Action() == ActionAddDest:
			rb.add(e.Name, e.Dest)
			a.c.Changed++
			a.changed = true
		default:
			rb.set(e.Name, e.Dest)
			a.c.Changed++
			a.changed = true
			a.log.Info("destination changed", "name", e.Name)
		}

	case ActionAddName, ActionChangeName:
		oldName := p[KeyOldName]
		if oldName == "" {
			a.invalid(e, "no oldname", nil)
			return
		}
		if isKnown {
			a.known(e, cur, where)
			return
		}
		// Same destination, so sig (by that destination) is the proof.
		old, oldWhere, oldKnown := a.r.destsLocked(oldName)
		if oldKnown && !slices.Contains(old, e.Dest) {
			a.invalid(e, "oldname has another destination", nil)
			return
		}
		if e.Action() == ActionChangeName && oldKnown && oldWhere == Router {
			rb.remove(oldName, e.Dest)
			a.c.Removed++
			a.changed = true
		}
		a.add(e.Name, e.Dest)

	case ActionAddSubdomain:
		parent, parentDest := p[KeyOldName], p[KeyOldDest]
		if parent == "" || parentDest == "" {
			a.invalid(e, "no oldname or olddest", nil)
			return
		}
		if ValidName(parent) != nil || !strings.HasSuffix(e.Name, "."+parent) {
			a.invalid(e, "oldname is not the parent domain", nil)
			return
		}
		if isKnown {
			a.known(e, cur, where)
			return
		}
		if pd, _, ok := a.r.destsLocked(parent); ok && !slices.Contains(pd, parentDest) {
			a.invalid(e, "olddest is not the parent's destination", nil)
			return
		}
		// The parent's holder signs the subdomain (inner signature).
		if err := e.VerifyInnerSig(); err != nil {
			a.invalid(e, "oldsig", err)
			return
		}
		a.add(e.Name, e.Dest)

	default: // remove and removeall come without name=dest
		a.invalid(e, "unknown action", nil)
	}
}

// applyCommand handles the #! lines: remove and removeall, signed by the
// "dest" field's destination.
func (a *applier) applyCommand(e Entry) {
	if err := e.VerifySig(); err != nil {
		a.invalid(e, "sig", err)
		return
	}
	p := e.Props
	name, dest := p[KeyName], p[KeyDest]
	rb := a.r.books[Router]
	removeOne := func() bool {
		cur, where, ok := a.r.destsLocked(name)
		switch {
		case !ok:
			a.c.Skipped++
		case !slices.Contains(cur, dest):
			a.invalid(e, "dest is not the known destination", nil)
			return false
		case where != Router:
			a.c.Skipped++
		default:
			rb.remove(name, dest)
			a.c.Removed++
			a.changed = true
			a.log.Info("name removed", "name", name)
		}
		return true
	}
	switch e.Action() {
	case ActionRemove:
		if name == "" || ValidName(name) != nil {
			a.invalid(e, "no valid name", nil)
			return
		}
		removeOne()
	case ActionRemoveAll:
		if name != "" && ValidName(name) == nil && !removeOne() {
			return
		}
		for _, n := range rb.namesFor(dest) {
			rb.remove(n, dest)
			a.c.Removed++
			a.changed = true
			a.log.Info("name removed", "name", n)
		}
	default:
		a.invalid(e, "unknown command", nil)
	}
}
