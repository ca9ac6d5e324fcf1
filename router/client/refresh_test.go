package client

import (
	"testing"

	"github.com/i2pgo/i2pgo/router/data"
)

// TestLeaseRefresh: a peer's LeaseSet in use is fetched again once it is
// older than leaseRefresh; a newer one that no longer lists the lease we
// used makes us pick another, so a peer that replaced its tunnels is not
// sent into a dead one until the old lease ends.
func TestLeaseRefresh(t *testing.T) {
	w := newWorld(t)
	kb := w.keys()
	a, an := w.dest(Config{Name: "a"})
	b, _ := w.dest(Config{Name: "b", Keys: kb})
	inB := newInbox(b, ProtoDatagram)
	w.ready(a, b)
	sendFlush(t, w, a, b.Hash(), ProtoDatagram, 1, 2, []byte("one"))
	expectGot(t, inB, 1, 1, 2, []byte("one"))

	// Within leaseRefresh: no refresh.
	w.clk.Advance(leaseRefresh / 2)
	sendFlush(t, w, a, b.Hash(), ProtoDatagram, 1, 2, []byte("two"))
	expectGot(t, inB, 2, 1, 2, []byte("two"))
	if n := an.refreshes.Load(); n != 0 {
		t.Fatalf("%d refreshes before leaseRefresh", n)
	}

	// b "replaces its tunnels": the floodfill gets a newer LeaseSet with
	// only the lease a is not using.
	a.mu.Lock()
	used := a.remotes[b.Hash()].lease
	a.mu.Unlock()
	old := w.ff.get(b.Hash()).(*data.LeaseSet2)
	nw := *old
	nw.Leases = nil
	for _, l := range old.Leases {
		if l.Gateway != used.Gateway || l.TunnelID != used.TunnelID {
			nw.Leases = append(nw.Leases, l)
		}
	}
	if len(nw.Leases) == 0 {
		t.Fatal("b has one lease only")
	}
	nw.Published = old.Published.Add(leaseRefresh)
	if err := nw.Sign(kb.Signer); err != nil {
		t.Fatal(err)
	}
	if err := w.ff.put(&nw); err != nil {
		t.Fatal(err)
	}

	w.clk.Advance(leaseRefresh)
	sendFlush(t, w, a, b.Hash(), ProtoDatagram, 1, 2, []byte("three"))
	expectGot(t, inB, 3, 1, 2, []byte("three"))
	a.wg.Wait() // the refresh runs in the background
	a.mu.Lock()
	rm := a.remotes[b.Hash()]
	refreshed := !rm.refreshing && rm.ls.(*data.LeaseSet2).Published.Equal(nw.Published)
	if rm.lease == used {
		t.Error("still on the lease the new LeaseSet dropped")
	}
	a.mu.Unlock()
	if !refreshed {
		t.Fatal("the newer LeaseSet was not taken")
	}
	if n := an.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	// The next message takes a lease of the new LeaseSet.
	sendFlush(t, w, a, b.Hash(), ProtoDatagram, 1, 2, []byte("four"))
	expectGot(t, inB, 4, 1, 2, []byte("four"))
	a.mu.Lock()
	lease := a.remotes[b.Hash()].lease
	a.mu.Unlock()
	if !leaseListed(&nw, lease) {
		t.Error("the new lease is not one of the new LeaseSet's")
	}
}
