package pool

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
)

// Limits of the pool settings.
const (
	MaxLength   = 7
	MaxVariance = 3
	MaxQuantity = 16
	MaxBackup   = 16
)

// Default settings.
var (
	// ExploratoryDefaults are the exploratory pool's settings in each
	// direction when its Config leaves them zero.
	ExploratoryDefaults = Settings{Length: 2, Quantity: 2}
	// ClientDefaults are a client pool's.
	ClientDefaults = Settings{Length: 3, Quantity: 2}
)

// ErrSettings means a pool's settings are out of range.
var ErrSettings = errors.New("pool: bad tunnel settings")

// Settings are one direction's tunnel settings. A zero Length or
// Quantity means the default of the pool's kind.
type Settings struct {
	Length   int `json:"length"`
	Variance int `json:"variance"`
	Quantity int `json:"quantity"`
	Backup   int `json:"backup"`
}

// withDefaults fills the zero Length and Quantity from d.
func (s Settings) withDefaults(d Settings) Settings {
	if s.Length == 0 {
		s.Length = d.Length
	}
	if s.Quantity == 0 {
		s.Quantity = d.Quantity
	}
	return s
}

// Check reports whether the settings are in range (zero Length and
// Quantity allowed: they mean the default).
func (s Settings) Check() error {
	switch {
	case s.Length < 0 || s.Length > MaxLength:
		return fmt.Errorf("%w: length %d, want 1..%d (zero-hop tunnels are not supported)", ErrSettings, s.Length, MaxLength)
	case s.Variance < -MaxVariance || s.Variance > MaxVariance:
		return fmt.Errorf("%w: variance %d, want -%d..%d", ErrSettings, s.Variance, MaxVariance, MaxVariance)
	case s.Quantity < 0 || s.Quantity > MaxQuantity:
		return fmt.Errorf("%w: quantity %d, want 1..%d", ErrSettings, s.Quantity, MaxQuantity)
	case s.Backup < 0 || s.Backup > MaxBackup:
		return fmt.Errorf("%w: backup quantity %d, want 0..%d", ErrSettings, s.Backup, MaxBackup)
	}
	return nil
}

// hops draws the length of one tunnel: Length plus the variance, as Java's
// TunnelPeerSelector does (v > 0: 0..v more; v < 0: -|v|..|v|), clamped
// to 1..MaxLength.
func (s Settings) hops() int {
	n := s.Length
	switch {
	case s.Variance > 0:
		n += mrand.IntN(s.Variance + 1)
	case s.Variance < 0:
		n += mrand.IntN(-2*s.Variance+1) + s.Variance
	}
	return min(max(n, 1), MaxLength)
}

// target is how many tunnels the direction keeps.
func (s Settings) target() int { return s.Quantity + s.Backup }

// Config describes one pool.
type Config struct {
	// Name labels the pool in logs and lists: "exploratory", or a
	// client destination's name or b32 address.
	Name              string
	Inbound, Outbound Settings
}

// Check reports whether both directions' settings are in range.
func (c Config) Check() error {
	if err := c.Inbound.Check(); err != nil {
		return fmt.Errorf("inbound: %w", err)
	}
	if err := c.Outbound.Check(); err != nil {
		return fmt.Errorf("outbound: %w", err)
	}
	return nil
}
