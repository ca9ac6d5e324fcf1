package socks

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"
)

// outproxyHandshake asks the SOCKS 5 outproxy on c for rt (RFC 1928
// CONNECT, no authentication), as Java's SOCKS5Server.outproxyConnect.
// ctx's deadline bounds it.
func outproxyHandshake(ctx context.Context, c net.Conn, rt route) error {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
		defer c.SetDeadline(time.Time{})
	}
	if _, err := c.Write([]byte{5, 1, 0}); err != nil {
		return fmt.Errorf("socks: outproxy: %w", err)
	}
	var b [4]byte
	if _, err := io.ReadFull(c, b[:2]); err != nil {
		return fmt.Errorf("socks: outproxy: %w", err)
	}
	if b[0] != 5 || b[1] != 0 {
		return fmt.Errorf("socks: outproxy: method reply %d %d (it may want authentication)", b[0], b[1])
	}
	req := []byte{5, 1, 0}
	switch {
	case rt.ip.Is4():
		a := rt.ip.As4()
		req = append(append(req, 1), a[:]...)
	case rt.ip.Is6():
		a := rt.ip.As16()
		req = append(append(req, 4), a[:]...)
	default:
		req = append(append(req, 3, byte(len(rt.name))), rt.name...)
	}
	req = binary.BigEndian.AppendUint16(req, rt.port)
	if _, err := c.Write(req); err != nil {
		return fmt.Errorf("socks: outproxy: %w", err)
	}
	if _, err := io.ReadFull(c, b[:4]); err != nil {
		return fmt.Errorf("socks: outproxy: %w", err)
	}
	if b[0] != 5 {
		return fmt.Errorf("socks: outproxy: reply version %d", b[0])
	}
	var n int
	switch b[3] {
	case 1:
		n = 4
	case 4:
		n = 16
	case 3:
		var l [1]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return fmt.Errorf("socks: outproxy: %w", err)
		}
		n = int(l[0])
	default:
		return fmt.Errorf("socks: outproxy: address type %d", b[3])
	}
	var skip [255 + 2]byte
	if _, err := io.ReadFull(c, skip[:n+2]); err != nil {
		return fmt.Errorf("socks: outproxy: %w", err)
	}
	if b[1] != rep5OK {
		return fmt.Errorf("socks: outproxy: %s", replyText(b[1]))
	}
	return nil
}

// replyText words a SOCKS 5 reply so that go-socks5, which picks its own
// reply from the error text, passes "refused" and "unreachable" on.
func replyText(rep byte) string {
	switch rep {
	case rep5Refused:
		return "connection refused"
	case 0x03:
		return "network is unreachable"
	case rep5HostUnreach:
		return "host unreachable"
	case rep5NotAllowed:
		return "not allowed by its ruleset"
	}
	return fmt.Sprintf("reply %d", rep)
}
