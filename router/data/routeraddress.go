package data

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"
)

// Transport styles in RouterAddress.TransportStyle.
const (
	StyleNTCP2 = "NTCP2"
	StyleSSU2  = "SSU2"
)

// RouterAddress is one way to reach a router (common-structures.rst
// "RouterAddress").
type RouterAddress struct {
	// Cost is the relative cost, 0 free to 255 expensive.
	Cost uint8
	// Expiration must be the zero time (all-zero Date) in addresses we
	// publish; the spec reserves it.
	Expiration time.Time
	// TransportStyle is the transport name, "NTCP2" or "SSU2".
	TransportStyle string
	// Options are the transport options ("host", "port", "s", "i", "v",
	// ...). They must be sorted by key when we create them: use
	// NewRouterAddress or SortedMapping.
	Options Mapping
}

// NewRouterAddress builds an address with a null expiration and options
// sorted by key.
func NewRouterAddress(cost uint8, style string, options map[string]string) (RouterAddress, error) {
	if len(style) > MaxStringLen {
		return RouterAddress{}, fmt.Errorf("%w: transport style of %d bytes", ErrMalformed, len(style))
	}
	m, err := SortedMapping(options)
	if err != nil {
		return RouterAddress{}, err
	}
	return RouterAddress{Cost: cost, TransportStyle: style, Options: m}, nil
}

// ParseRouterAddress reads a RouterAddress and returns the remaining bytes.
func ParseRouterAddress(b []byte) (RouterAddress, []byte, error) {
	var a RouterAddress
	r := reader{b: b, what: "RouterAddress"}
	a.Cost = r.u8()
	exp := Date(r.u64())
	if r.err != nil {
		return RouterAddress{}, b, r.err
	}
	if exp > 1<<63-1 {
		return RouterAddress{}, b, fmt.Errorf("%w: RouterAddress expiration %d", ErrMalformed, uint64(exp))
	}
	a.Expiration = exp.Time()
	style, rest, err := ParseString(r.b)
	if err != nil {
		return RouterAddress{}, b, fmt.Errorf("data: RouterAddress transport style: %w", err)
	}
	a.TransportStyle = style
	a.Options, rest, err = ParseMapping(rest)
	if err != nil {
		return RouterAddress{}, b, fmt.Errorf("data: RouterAddress options: %w", err)
	}
	return a, rest, nil
}

// AppendBinary appends the address.
func (a RouterAddress) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, a.Cost)
	b, _ = DateOf(a.Expiration).AppendBinary(b)
	b, err := AppendString(b, a.TransportStyle)
	if err != nil {
		return b, err
	}
	return a.Options.AppendBinary(b)
}

// Get returns the option key.
func (a RouterAddress) Get(key string) (string, bool) { return a.Options.Get(key) }

// Host is the "host" option: an IPv4 or IPv6 address (or, in very old
// addresses, a host name). It is "" when absent, as for a firewalled NTCP2
// address that publishes only its static key.
func (a RouterAddress) Host() string {
	h, _ := a.Options.Get("host")
	return h
}

// IP parses the "host" option as an IP address.
func (a RouterAddress) IP() (netip.Addr, bool) {
	ip, err := netip.ParseAddr(a.Host())
	if err != nil {
		return netip.Addr{}, false
	}
	return ip, true
}

// Port parses the "port" option.
func (a RouterAddress) Port() (uint16, bool) {
	s, ok := a.Options.Get("port")
	if !ok {
		return 0, false
	}
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, false
	}
	return uint16(p), true
}

// AddrPort combines IP and Port; ok is false unless both are present and
// valid.
func (a RouterAddress) AddrPort() (netip.AddrPort, bool) {
	ip, ok1 := a.IP()
	port, ok2 := a.Port()
	if !ok1 || !ok2 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip, port), true
}

// Base64Option decodes an option holding I2P base64, such as the NTCP2 and
// SSU2 static key "s" (32 bytes), the NTCP2 IV "i" (16 bytes) or the SSU2
// intro key "i" (32 bytes). ok is false if it is absent or malformed.
func (a RouterAddress) Base64Option(key string) ([]byte, bool) {
	s, ok := a.Options.Get(key)
	if !ok {
		return nil, false
	}
	b, err := Base64Decode(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// StaticKey decodes the "s" option (the NTCP2/SSU2 static X25519 key) and
// checks that it is 32 bytes.
func (a RouterAddress) StaticKey() ([]byte, bool) {
	b, ok := a.Base64Option("s")
	if !ok || len(b) != 32 {
		return nil, false
	}
	return b, true
}

// Version is the "v" option: the transport protocol version, "2" for
// NTCP2 and SSU2.
func (a RouterAddress) Version() string {
	v, _ := a.Options.Get("v")
	return v
}

// Caps is the "caps" option of the address (for example "4", "6", "B", "C").
func (a RouterAddress) Caps() string {
	c, _ := a.Options.Get("caps")
	return c
}

func (a RouterAddress) String() string {
	return fmt.Sprintf("%s cost %d %v", a.TransportStyle, a.Cost, a.Options)
}
