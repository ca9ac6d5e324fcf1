package streaming

import (
	"errors"
	"net"
	"time"

	"github.com/i2pgo/i2pgo/router/data"
)

// Config tunes a Manager. The zero value means the defaults, given with
// each field; negative durations are not allowed where noted.
type Config struct {
	// MTU is the largest payload we send and the largest we announce in
	// MAX_PACKET_SIZE. Default 1812, the value for ECIES-ratchet
	// destinations (i2pd STREAMING_MTU_RATCHETS); 1730 is the ElGamal
	// value Java uses. We send at most min(MTU, the peer's announced size).
	MTU int
	// InitialWindow is the congestion window of a new connection, in
	// packets. Default 6.
	InitialWindow int
	// MaxWindow caps the congestion window, in packets. Default 128.
	MaxWindow int
	// MaxConns caps the connections of the Manager, in any state.
	// Default 1024.
	MaxConns int
	// Backlog caps the connections a Listener holds before Accept takes
	// them; SYNs beyond it are refused. Default 64.
	Backlog int
	// SendBuffer caps the bytes a connection holds for sending (unsent
	// and unacknowledged). Default MTU*MaxWindow.
	SendBuffer int
	// ReceiveBuffer caps the bytes a connection holds for the reader
	// (in order and out of order); beyond it we choke the peer and drop.
	// Default MTU*(MaxWindow+2), as Java.
	ReceiveBuffer int
	// ConnectTimeout bounds Dial. Default 60 s.
	ConnectTimeout time.Duration
	// IdleTimeout resets a connection from which no packet has arrived for
	// this long. Default 5 min; negative disables it.
	IdleTimeout time.Duration
	// KeepAlive is how long a connection may send nothing before it sends
	// an empty packet that the peer must acknowledge (Java's inactivity
	// action "send"). Default 90 s; negative disables it.
	KeepAlive time.Duration
	// Linger bounds how long a closed connection waits for its CLOSE to
	// be acknowledged and for the peer's CLOSE. Default 2 min.
	Linger time.Duration
	// AckDelay is the longest we hold back an ACK. The delay used is
	// RTT/10 clamped to [2 ms, AckDelay], as i2pd does. Default 200 ms.
	AckDelay time.Duration
	// InitialRTO, MinRTO and MaxRTO bound the retransmission timeout.
	// Defaults 9 s, 100 ms and 45 s (Java ConnectionOptions).
	InitialRTO time.Duration
	MinRTO     time.Duration
	MaxRTO     time.Duration
	// MaxResends is how many times a packet is sent without an ACK before
	// the connection is reset. Default 8 (Java DEFAULT_MAX_SENDS).
	MaxResends int
	// NoPingReply disables answering ECHO pings.
	NoPingReply bool
}

const (
	defaultMTU        = 1812
	minMTU            = 64
	defaultInitWindow = 6
	defaultMaxWindow  = 128
)

// withDefaults returns c with zero fields set to their defaults, or an
// error for values that make no sense.
func (c Config) withDefaults() (Config, error) {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setInt(&c.MTU, defaultMTU)
	setInt(&c.InitialWindow, defaultInitWindow)
	setInt(&c.MaxWindow, defaultMaxWindow)
	setInt(&c.MaxConns, 1024)
	setInt(&c.Backlog, 64)
	setInt(&c.SendBuffer, c.MTU*c.MaxWindow)
	setInt(&c.ReceiveBuffer, c.MTU*(c.MaxWindow+2))
	setInt(&c.MaxResends, 8)
	setDur(&c.ConnectTimeout, 60*time.Second)
	setDur(&c.IdleTimeout, 5*time.Minute)
	setDur(&c.KeepAlive, 90*time.Second)
	setDur(&c.Linger, 2*time.Minute)
	setDur(&c.AckDelay, 200*time.Millisecond)
	setDur(&c.InitialRTO, 9*time.Second)
	setDur(&c.MinRTO, 100*time.Millisecond)
	setDur(&c.MaxRTO, 45*time.Second)
	switch {
	case c.MTU < minMTU || c.MTU > 0xffff:
		return c, errors.New("streaming: MTU out of range")
	case c.MaxWindow < 1 || c.InitialWindow < 1:
		return c, errors.New("streaming: window must be at least 1")
	case c.MaxConns < 0 || c.Backlog < 0 || c.MaxResends < 0:
		return c, errors.New("streaming: negative limit")
	case c.SendBuffer < c.MTU || c.ReceiveBuffer < c.MTU:
		return c, errors.New("streaming: buffers must hold one packet")
	case c.ConnectTimeout < 0 || c.Linger < 0 || c.AckDelay < 0 || c.InitialRTO < 0 || c.MinRTO < 0 || c.MaxRTO < c.MinRTO:
		return c, errors.New("streaming: bad durations")
	}
	c.InitialWindow = min(c.InitialWindow, c.MaxWindow)
	return c, nil
}

// Addr is the address of one end of a stream: a destination and an I2CP
// port. Its String is "<b32 address>:<port>".
type Addr struct {
	Dest data.Destination
	Port uint16
}

var _ net.Addr = Addr{}

// Network returns "i2p".
func (a Addr) Network() string { return "i2p" }

// String returns the b32 address and port, such as
// "abcd…xyz.b32.i2p:80".
func (a Addr) String() string {
	if a.Dest.IsZero() {
		return net.JoinHostPort("", itoa(a.Port))
	}
	return net.JoinHostPort(a.Dest.B32(), itoa(a.Port))
}

func itoa(v uint16) string {
	var b [5]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
