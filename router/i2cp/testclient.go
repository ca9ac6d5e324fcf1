package i2cp

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/i2pgo/i2pgo/router/client"
	"github.com/i2pgo/i2pgo/router/data"
)

// Client is a minimal I2CP client written from the spec, for our tests
// and the interop test against i2pd's server; applications use Java's.
// It holds the keys a real client holds (router/client.Keys): it signs
// the session config and the LeaseSet2 itself.
type Client struct {
	nc  net.Conn
	r   *bufio.Reader
	buf []byte

	wmu sync.Mutex
}

// NewClient starts I2CP on nc: it sends the protocol byte.
func NewClient(nc net.Conn) (*Client, error) {
	if _, err := nc.Write([]byte{ProtocolByte}); err != nil {
		return nil, fmt.Errorf("i2cp: client: %w", err)
	}
	return &Client{nc: nc, r: bufio.NewReader(nc)}, nil
}

// Write sends one message.
func (c *Client) Write(m Message) error {
	f, err := AppendFrame(nil, m)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err = c.nc.Write(f)
	return err
}

// WriteRaw sends bytes as they are (for tests of bad input).
func (c *Client) WriteRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(b)
	return err
}

// Read reads the next message, waiting at most timeout (0: no limit).
// Only one goroutine may read.
func (c *Client) Read(timeout time.Duration) (Message, error) {
	if timeout > 0 {
		c.nc.SetReadDeadline(time.Now().Add(timeout))
		defer c.nc.SetReadDeadline(time.Time{})
	}
	t, body, err := ReadFrame(c.r, c.buf)
	if err != nil {
		return nil, err
	}
	c.buf = body[:0]
	return Parse(t, body)
}

// Close closes the connection.
func (c *Client) Close() error { return c.nc.Close() }

// NewSessionConfig returns a session config for keys' destination with
// the options, dated now and signed.
func NewSessionConfig(keys *client.Keys, opts map[string]string, now time.Time) (SessionConfig, error) {
	m, err := data.SortedMapping(opts)
	if err != nil {
		return SessionConfig{}, err
	}
	c := SessionConfig{Destination: keys.Destination, Options: m, Date: data.DateOf(now)}
	if err := c.Sign(keys.Signer.Sign); err != nil {
		return SessionConfig{}, err
	}
	return c, nil
}

// AnswerLeaseSet makes the client's answer to req: a LeaseSet2 of
// req's leases with keys' X25519 and ElGamal public keys, signed by
// keys, and their private keys.
func AnswerLeaseSet(keys *client.Keys, req *RequestVariableLeaseSet, now time.Time) (*CreateLeaseSet2, error) {
	if len(req.Leases) == 0 {
		return nil, errors.New("i2cp: client: RequestVariableLeaseSet without leases")
	}
	elgPub := keys.ElGamal.Public()
	ls := &data.LeaseSet2{
		LeaseSet2Header: data.LeaseSet2Header{Destination: keys.Destination, Published: now.Truncate(time.Second)},
		EncryptionKeys: []data.EncryptionKey{
			{Type: data.CryptoX25519, Key: append([]byte(nil), keys.Encryption.Public[:]...)},
			{Type: data.CryptoElGamal, Key: elgPub[:]},
		},
	}
	for _, l := range req.Leases {
		end := l.End.Truncate(time.Second)
		ls.Leases = append(ls.Leases, data.Lease2{Gateway: l.Gateway, TunnelID: l.TunnelID, End: end})
		if end.After(ls.Expires) {
			ls.Expires = end
		}
	}
	if ls.Expires.Sub(ls.Published) > 11*time.Minute {
		ls.Expires = ls.Published.Add(11 * time.Minute)
	}
	if !ls.Expires.After(ls.Published) {
		ls.Expires = ls.Published.Add(time.Second)
	}
	if err := ls.Sign(keys.Signer); err != nil {
		return nil, err
	}
	return &CreateLeaseSet2{Session: req.Session, StoreType: data.StoreLeaseSet2, LeaseSet: ls, Keys: []PrivateKey{
		{Type: data.CryptoX25519, Key: append([]byte(nil), keys.Encryption.Private[:]...)},
		{Type: data.CryptoElGamal, Key: keys.ElGamal.Bytes()},
	}}, nil
}
