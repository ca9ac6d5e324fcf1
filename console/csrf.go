package console

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// CSRF. The console's API answers no CORS: a page of another origin can
// neither read GET /api/csrf nor send a custom header without a
// preflight, which fails. Every request that changes something (any
// method but GET, HEAD and OPTIONS) must carry the token in X-CSRF-Token,
// and, if the browser sent an Origin, that origin must be the console's
// own address. Forms of the HTML pages will carry the same token.

// CSRFHeader is the header that carries the token.
const CSRFHeader = "X-CSRF-Token"

// newToken returns 256 random bits as text.
func newToken() string { return rand.Text() + rand.Text() }

func (s *Server) apiCSRF(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, map[string]string{"token": s.csrf, "header": CSRFHeader})
}

// checkCSRF refuses state-changing requests without the token, or from
// another origin.
func (s *Server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !(*s.allowed.Load())[strings.ToLower(u.Host)] {
				s.log.Debug("refused request from a foreign origin", "path", r.URL.Path)
				apiError(w, http.StatusForbidden, "request from another origin")
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
		tok := r.Header.Get(CSRFHeader)
		if tok == "" {
			tok = r.PostFormValue("csrf") // HTML forms
		}
		if subtle.ConstantTimeCompare([]byte(tok), []byte(s.csrf)) != 1 {
			apiError(w, http.StatusForbidden, "missing or wrong CSRF token (GET /api/csrf gives it; send it in "+CSRFHeader+")")
			return
		}
		next.ServeHTTP(w, r)
	})
}
