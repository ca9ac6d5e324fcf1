package console

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/i2pgo/i2pgo/web"
)

// Logs page and router control (shutdown, restart).

func (s *Server) controlRoutes(r interface {
	Get(string, http.HandlerFunc)
	Post(string, http.HandlerFunc)
}) {
	if s.logs != nil {
		r.Get("/logs", s.pageLogs)
		r.Get("/api/logs", s.apiLogs)
	}
	if s.shutdown != nil {
		r.Post("/shutdown", s.formShutdown(false))
		r.Post("/restart", s.formShutdown(true))
		r.Post("/api/shutdown", s.apiShutdown(false))
		r.Post("/api/restart", s.apiShutdown(true))
	}
}

// logQuery reads ?level= (debug, info, warn, error; default info) and
// ?limit= (default 500, at most 5000).
func logQuery(r *http.Request) (slog.Level, string, int, bool) {
	q := r.URL.Query()
	name := strings.ToLower(q.Get("level"))
	if name == "" {
		name = "info"
	}
	var lv slog.Level
	if lv.UnmarshalText([]byte(name)) != nil {
		return 0, "", 0, false
	}
	limit := 500
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			return 0, "", 0, false
		}
		limit = n
	}
	return lv, name, limit, true
}

func (s *Server) pageLogs(w http.ResponseWriter, r *http.Request) {
	p := web.Logs{Page: s.page("Logs", "logs"), Levels: []string{"debug", "info", "warn", "error"}}
	lv, name, limit, ok := logQuery(r)
	if !ok {
		p.Error = "Choose a level of debug, info, warn or error, and a limit from 1 to 5000."
		lv, name, limit = slog.LevelInfo, "info", 500
	}
	p.Level = name
	for _, l := range s.logs.Lines(lv, limit) {
		p.Lines = append(p.Lines, web.LogLine{Time: l.Time.UTC().Format("15:04:05"), Level: l.Level, Message: l.Message})
	}
	code := http.StatusOK
	if !ok {
		code = http.StatusBadRequest
	}
	s.render(w, r, code, web.LogsPage(p))
}

func (s *Server) apiLogs(w http.ResponseWriter, r *http.Request) {
	lv, _, limit, ok := logQuery(r)
	if !ok {
		apiError(w, http.StatusBadRequest, "level must be debug, info, warn or error; limit 1..5000")
		return
	}
	lines := s.logs.Lines(lv, limit)
	if lines == nil {
		lines = []LogLine{}
	}
	s.writeJSON(w, map[string]any{"lines": lines})
}

func (s *Server) formShutdown(restart bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		what := "shutting down"
		if restart {
			what = "restarting"
		}
		s.log.Info("console: "+what, "restart", restart)
		p := web.Page{Title: "The router is " + what, Active: "home"}
		s.render(w, r, http.StatusOK, web.StoppingPage(p, restart))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		s.shutdown(restart)
	}
}

func (s *Server) apiShutdown(restart bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.log.Info("console: shutdown requested through the API", "restart", restart)
		s.writeJSONCode(w, http.StatusAccepted, map[string]bool{"restart": restart})
		s.shutdown(restart)
	}
}
