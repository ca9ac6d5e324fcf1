package console

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/i2pgo/i2pgo/web"
)

// The Config page: the router settings a user changes most (bandwidth,
// ports, floodfill, reseed), saved to the config file and applied at the
// next restart (the page offers it).

// RouterSettings are the settings of the Config page.
type RouterSettings struct {
	Host       string   `json:"host"`      // router.host
	Port       int      `json:"port"`      // router.port
	Bandwidth  int      `json:"bandwidth"` // router.bandwidth, KB/s
	Floodfill  bool     `json:"floodfill"` // router.floodfill
	ReseedURLs []string `json:"reseed_urls"`
}

// Settings reads and saves them; cmd implements it on the config file.
type Settings interface {
	Current() RouterSettings
	// Save validates and writes s; the router uses them after a restart.
	Save(s RouterSettings) error
	// Path is the file Save writes.
	Path() string
}

func (s *Server) configRoutes(r interface {
	Get(string, http.HandlerFunc)
	Post(string, http.HandlerFunc)
	Put(string, http.HandlerFunc)
}) {
	if s.settings == nil {
		return
	}
	r.Get("/config", s.pageConfig)
	r.Post("/config", s.formConfig)
	r.Get("/api/config", s.apiConfig)
	r.Put("/api/config", s.apiSetConfig)
}

// checkSettings returns a message for each bad field.
func checkSettings(rs RouterSettings) map[string]string {
	bad := map[string]string{}
	if rs.Host != "" {
		if ip := net.ParseIP(rs.Host); ip == nil || ip.To4() == nil {
			bad["host"] = "An IPv4 address, such as 203.0.113.5, or empty for none."
		}
	}
	if rs.Port < 0 || rs.Port > 65535 || (rs.Port > 0 && rs.Port < 1024) {
		bad["port"] = "A port from 1024 to 65535, or 0 to keep the one chosen at the first start."
	}
	if rs.Bandwidth < 1 || rs.Bandwidth > 10_000_000 {
		bad["bandwidth"] = "KB/s from 1 to 10000000."
	}
	if len(rs.ReseedURLs) > 50 {
		bad["reseed"] = "At most 50 reseed servers."
	}
	for _, u := range rs.ReseedURLs {
		if !strings.HasPrefix(u, "https://") || strings.ContainsAny(u, " \t<>\"") || len(u) > 500 {
			bad["reseed"] = "Each reseed server is an https:// URL, one a line."
		}
	}
	return bad
}

func (s *Server) configPage(rs RouterSettings, bad map[string]string) web.ConfigPage {
	p := web.ConfigPage{Page: s.page("Config", "config"), Path: s.settings.Path(), Errors: bad, Restart: s.shutdown != nil,
		Host: rs.Host, Bandwidth: strconv.Itoa(rs.Bandwidth), Floodfill: rs.Floodfill, Reseed: strings.Join(rs.ReseedURLs, "\n")}
	p.Port = strconv.Itoa(rs.Port)
	return p
}

func (s *Server) pageConfig(w http.ResponseWriter, r *http.Request) {
	p := s.configPage(s.settings.Current(), nil)
	if r.URL.Query().Get("done") == "saved" {
		p.Flash = "Saved. The new settings apply when the router restarts."
	}
	s.render(w, r, http.StatusOK, web.ConfigPageView(p))
}

func (s *Server) formConfig(w http.ResponseWriter, r *http.Request) {
	val := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	bad := map[string]string{}
	num := func(k string) int {
		v := val(k)
		n, err := strconv.Atoi(v)
		if err != nil || len(v) > 12 {
			bad[k] = "A whole number."
		}
		return n
	}
	rs := RouterSettings{Host: val("host"), Port: num("port"), Bandwidth: num("bandwidth"), Floodfill: r.PostFormValue("floodfill") != ""}
	for l := range strings.Lines(r.PostFormValue("reseed")) {
		if l = strings.TrimSpace(l); l != "" {
			rs.ReseedURLs = append(rs.ReseedURLs, l)
		}
	}
	for k, v := range checkSettings(rs) {
		if bad[k] == "" {
			bad[k] = v
		}
	}
	keep := func(p *web.ConfigPage) {
		p.Host, p.Port, p.Bandwidth, p.Reseed = clip(val("host")), clip(val("port")), clip(val("bandwidth")), clip(r.PostFormValue("reseed"))
	}
	if len(bad) > 0 {
		p := s.configPage(rs, bad)
		keep(&p)
		p.Error = "Nothing was saved: correct the fields marked below."
		s.render(w, r, http.StatusBadRequest, web.ConfigPageView(p))
		return
	}
	if err := s.settings.Save(rs); err != nil {
		s.log.Error("saving the config", "err", err)
		p := s.configPage(rs, nil)
		keep(&p)
		p.Error = "Nothing was saved: " + err.Error()
		s.render(w, r, http.StatusInternalServerError, web.ConfigPageView(p))
		return
	}
	redirect(w, r, "/config", "saved")
}

// clip bounds a value shown back in a form.
func clip(v string) string {
	if len(v) > 32<<10 {
		return ""
	}
	return v
}

func (s *Server) apiConfig(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, map[string]any{"settings": s.settings.Current(), "path": s.settings.Path()})
}

func (s *Server) apiSetConfig(w http.ResponseWriter, r *http.Request) {
	var rs RouterSettings
	if !readJSON(w, r, &rs) {
		return
	}
	if bad := checkSettings(rs); len(bad) > 0 {
		for k, v := range bad {
			apiError(w, http.StatusBadRequest, k+": "+v)
			return
		}
	}
	if err := s.settings.Save(rs); err != nil {
		code := http.StatusBadRequest // the config refused the values
		if errors.Is(err, ErrNotSaved) {
			code = http.StatusInternalServerError // the file could not be written
		}
		apiError(w, code, err.Error())
		return
	}
	s.writeJSON(w, map[string]any{"settings": rs, "path": s.settings.Path(), "restart_needed": true})
}
