// Package acceptor is the accept step the router's servers share (SAM,
// BOB, I2CP): errors that are timeouts (such as running out of file
// descriptors, which net reports as temporary) are retried with a growing
// pause instead of ending the server or spinning.
package acceptor

import (
	"context"
	"errors"
	"net"
	"time"
)

// Backoff bounds the pause between retries.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Accept returns the next connection of ln. A timeout error is retried
// after a pause that doubles from 5 ms to 1 s (*backoff keeps it between
// calls, and is reset by a success). Once ctx is done it returns
// ctx.Err(); the caller closes ln when ctx is done (context.AfterFunc) so
// that a blocked Accept returns. Any other error is returned as it is.
func Accept(ctx context.Context, ln net.Listener, backoff *time.Duration) (net.Conn, error) {
	for {
		c, err := ln.Accept()
		if err == nil {
			*backoff = 0
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			return nil, err
		}
		*backoff = min(max(2**backoff, minBackoff), maxBackoff)
		t := time.NewTimer(*backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}
