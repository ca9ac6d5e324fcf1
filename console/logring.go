package console

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// LogRing keeps the most recent log records in memory for the Logs page.
// Handler returns an slog.Handler that passes every record to the next
// handler and keeps a copy of those at or above the ring's level, so cmd
// installs it in front of its stderr handler. It is bounded: Size records
// of at most maxLogLine bytes each.
type LogRing struct {
	level slog.Leveler

	mu    sync.Mutex
	lines []LogLine // ring buffer, len == size once full; guarded by mu
	next  int       // index of the oldest line once full; guarded by mu
	size  int
	total uint64 // lines ever kept; guarded by mu
}

// LogLine is one kept record.
type LogLine struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"` // the message and its attributes, as key=value
}

// maxLogLine bounds a kept line.
const maxLogLine = 2048

// NewLogRing returns a ring of size lines (<= 0: 2000) keeping records at
// level or above (nil: info).
func NewLogRing(size int, level slog.Leveler) *LogRing {
	if size <= 0 {
		size = 2000
	}
	if level == nil {
		level = slog.LevelInfo
	}
	return &LogRing{level: level, size: size}
}

func (l *LogRing) add(line LogLine) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if len(l.lines) < l.size {
		l.lines = append(l.lines, line)
		return
	}
	l.lines[l.next] = line
	l.next = (l.next + 1) % l.size
}

// Lines returns the kept lines at or above min, newest first, at most
// limit (<= 0: all).
func (l *LogRing) Lines(min slog.Level, limit int) []LogLine {
	l.mu.Lock()
	all := append(slices.Clone(l.lines[l.next:]), l.lines[:l.next]...)
	l.mu.Unlock()
	var out []LogLine
	for i := len(all) - 1; i >= 0; i-- {
		if limit > 0 && len(out) == limit {
			break
		}
		var lv slog.Level
		if lv.UnmarshalText([]byte(all[i].Level)) == nil && lv < min {
			continue
		}
		out = append(out, all[i])
	}
	return out
}

// Handler returns a handler that keeps records in the ring and passes
// them all to next.
func (l *LogRing) Handler(next slog.Handler) slog.Handler {
	return &ringHandler{ring: l, next: next}
}

type ringHandler struct {
	ring   *LogRing
	next   slog.Handler
	prefix string // the With attributes and groups, rendered
	group  string
}

func (h *ringHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= h.ring.level.Level() || h.next.Enabled(ctx, lv)
}

func (h *ringHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= h.ring.level.Level() {
		var b strings.Builder
		b.WriteString(r.Message)
		b.WriteString(h.prefix)
		r.Attrs(func(a slog.Attr) bool {
			appendAttr(&b, h.group, a)
			return b.Len() < maxLogLine
		})
		msg := b.String()
		if len(msg) > maxLogLine {
			msg = msg[:maxLogLine] + "…"
		}
		h.ring.add(LogLine{Time: r.Time, Level: r.Level.String(), Message: msg})
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func appendAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := a.Key
		if group != "" && g != "" {
			g = group + "." + g
		} else if g == "" {
			g = group
		}
		for _, ga := range a.Value.Group() {
			appendAttr(b, g, ga)
		}
		return
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	v := a.Value.String()
	if strings.ContainsAny(v, " \t\n\"=") || v == "" {
		v = fmt.Sprintf("%q", v)
	}
	b.WriteString(" " + key + "=" + v)
}

func (h *ringHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range as {
		appendAttr(&b, h.group, a)
	}
	return &ringHandler{ring: h.ring, next: h.next.WithAttrs(as), prefix: b.String(), group: h.group}
}

func (h *ringHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	g := name
	if h.group != "" {
		g = h.group + "." + name
	}
	return &ringHandler{ring: h.ring, next: h.next.WithGroup(name), prefix: h.prefix, group: g}
}
