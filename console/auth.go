package console

import (
	"crypto/sha256"
	"net"
	"net/http"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Password protection: with Config.Password (a bcrypt hash) every request
// needs HTTP Basic credentials whose password matches; the user name is
// not checked. New refuses to listen on anything but a loopback address
// without one. Checked credentials are remembered (as a SHA-256, at most
// maxAuthCache) so that bcrypt runs once per browser, not per request.

const maxAuthCache = 64

type auth struct {
	hash []byte

	mu sync.Mutex
	ok map[[32]byte]bool // guarded by mu
}

func (a *auth) check(user, pass string) bool {
	key := sha256.Sum256([]byte(user + "\x00" + pass))
	a.mu.Lock()
	hit := a.ok[key]
	a.mu.Unlock()
	if hit {
		return true
	}
	if bcrypt.CompareHashAndPassword(a.hash, []byte(pass)) != nil {
		return false
	}
	a.mu.Lock()
	if len(a.ok) >= maxAuthCache {
		clear(a.ok)
	}
	a.ok[key] = true
	a.mu.Unlock()
	return true
}

// requireAuth asks for the password when one is set.
func (s *Server) requireAuth(next http.Handler) http.Handler {
	if s.auth == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !s.auth.check(user, pass) {
			if ok {
				s.log.Warn("console: wrong password")
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="i2pgo console", charset="UTF-8"`)
			http.Error(w, "401 the console needs its password (console.password)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopback reports whether host (of a listen address) is a loopback
// address or "localhost".
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
