package acceptor

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "too many open files" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// fakeListener returns errs in order, then connections.
type fakeListener struct {
	errs  []error
	calls int
}

func (l *fakeListener) Accept() (net.Conn, error) {
	l.calls++
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		return nil, err
	}
	a, _ := net.Pipe()
	return a, nil
}
func (l *fakeListener) Close() error   { return nil }
func (l *fakeListener) Addr() net.Addr { return nil }

func TestAccept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &fakeListener{errs: []error{timeoutErr{}, timeoutErr{}, timeoutErr{}}}
		var b time.Duration
		start := time.Now()
		c, err := Accept(t.Context(), l, &b)
		if err != nil || c == nil {
			t.Fatal(err)
		}
		c.Close()
		if d := time.Since(start); d != 5*time.Millisecond+10*time.Millisecond+20*time.Millisecond || b != 0 || l.calls != 4 {
			t.Errorf("retried for %v, backoff %v, %d calls", d, b, l.calls)
		}
		// Another error ends it.
		boom := errors.New("closed")
		if _, err := Accept(t.Context(), &fakeListener{errs: []error{boom}}, &b); !errors.Is(err, boom) {
			t.Errorf("err = %v", err)
		}
		// A done context ends the pause.
		ctx, cancel := context.WithCancel(t.Context())
		l2 := &fakeListener{errs: []error{timeoutErr{}, timeoutErr{}}}
		b = 500 * time.Millisecond
		go func() { time.Sleep(100 * time.Millisecond); cancel() }()
		if _, err := Accept(ctx, l2, &b); !errors.Is(err, context.Canceled) || b != maxBackoff {
			t.Errorf("err = %v, backoff %v", err, b)
		}
	})
}
