package main

import (
	"fmt"
	"slices"
	"sync"

	"github.com/i2pgo/i2pgo/configs"
	"github.com/i2pgo/i2pgo/console"
)

// settingsAdmin is the console's Config page on the config file: Save
// writes the router keys to the same file the tunnel manager saves to;
// the router reads them at its next (re)start.
type settingsAdmin struct {
	path string

	mu  sync.Mutex
	cur console.RouterSettings // as last loaded or saved; guarded by mu
}

func newSettingsAdmin(cfg configs.File, path string) *settingsAdmin {
	r := cfg.Router
	return &settingsAdmin{path: path, cur: console.RouterSettings{Host: r.Host, Port: r.Port, Bandwidth: r.Bandwidth,
		Floodfill: r.Floodfill, ReseedURLs: slices.Clone(r.Reseed.URLs)}}
}

func (a *settingsAdmin) Path() string { return a.path }

func (a *settingsAdmin) Current() console.RouterSettings {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.cur
	c.ReseedURLs = slices.Clone(c.ReseedURLs)
	return c
}

func (a *settingsAdmin) Save(s console.RouterSettings) error {
	urls := s.ReseedURLs
	if urls == nil {
		urls = []string{}
	}
	vals := []configs.Value{
		{Key: "router.host", Value: s.Host},
		{Key: "router.port", Value: s.Port},
		{Key: "router.bandwidth", Value: s.Bandwidth},
		{Key: "router.floodfill", Value: s.Floodfill},
		{Key: "router.reseed.urls", Value: urls},
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	err := configs.SaveValues(a.path, vals, func(f configs.File) error {
		r := f.Router
		if r.Host != s.Host || r.Port != s.Port || r.Bandwidth != s.Bandwidth || r.Floodfill != s.Floodfill || !slices.Equal(r.Reseed.URLs, urls) {
			return fmt.Errorf("the settings would not read back as written")
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.cur = s
	a.cur.ReseedURLs = slices.Clone(urls)
	return nil
}
