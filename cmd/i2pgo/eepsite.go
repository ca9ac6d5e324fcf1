package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// The built-in eepsite: a static web server for datadir/eepsite/docroot
// on eepsite.listen, which the default "eepsite" httpserver tunnel
// publishes, as Java I2P ships its Jetty eepsite.

const startPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>My eepsite</title></head>
<body>
<h1>My eepsite</h1>
<p>This is your eepsite, served by i2pgo from <code>%s</code>. Put your
own files there; this page is <code>index.html</code>.</p>
<p>Its address is the <code>b32</code> of the <code>eepsite</code> tunnel
on the router console (<code>GET /api/tunnels</code>).</p>
</body>
</html>
`

// eepsite is the built-in web server.
type eepsite struct {
	ln  net.Listener
	srv *http.Server
}

// listenEepsite makes docroot (with a start page the first time) and
// binds addr. A non-empty hosts is the published address book file,
// served as /hosts.txt (with Last-Modified, so that subscribers' refetches
// get 304).
func listenEepsite(addr, datadir, hosts string) (*eepsite, error) {
	docroot := filepath.Join(datadir, "eepsite", "docroot")
	if err := os.MkdirAll(docroot, 0o755); err != nil {
		return nil, fmt.Errorf("eepsite: %w", err)
	}
	index := filepath.Join(docroot, "index.html")
	if _, err := os.Stat(index); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(index, fmt.Appendf(nil, startPage, docroot), 0o644); err != nil {
			return nil, fmt.Errorf("eepsite: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("eepsite: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(docroot)))
	if hosts != "" {
		mux.HandleFunc("/hosts.txt", func(w http.ResponseWriter, r *http.Request) {
			if _, err := os.Stat(hosts); err != nil {
				http.Error(w, "404 no published address book yet", http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			http.ServeFile(w, r, hosts)
		})
	}
	return &eepsite{ln: ln, srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 15 * time.Second,
		IdleTimeout:       60 * time.Second,
	}}, nil
}

// run serves until ctx is done.
func (e *eepsite) run(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.srv.Shutdown(sctx)
	}()
	if err := e.srv.Serve(e.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
