package kad

import (
	"bytes"
	"slices"

	"github.com/i2pgo/i2pgo/router/data"
)

// heapMaxK is the largest k for which Closest keeps a bounded heap. Beyond
// it, or when k is a large share of the candidates, a full sort is as cheap
// and has no per-insertion duplicate scan.
const heapMaxK = 64

// Closest returns up to k of the candidates closest to target by XOR
// distance, nearest first. target is normally a routing key (see
// [RoutingKey]) and candidates are router hashes.
//
// A candidate for which exclude reports true is left out; exclude may be
// nil. exclude is called only for candidates that would otherwise make the
// cut, so it may not see every candidate, and it must not retain or modify
// anything. A hash listed more than once counts once. The result is a new
// slice (nil when k <= 0 or nothing qualifies); candidates is not modified.
//
// For n candidates it takes O(n log k) time and O(k) space when k is small
// next to n (a bounded max-heap of the best k seen so far), and O(n log n)
// time otherwise.
func Closest(target data.Hash, candidates []data.Hash, k int, exclude func(data.Hash) bool) []data.Hash {
	if k <= 0 || len(candidates) == 0 {
		return nil
	}
	var items []item
	if k <= heapMaxK && 4*k <= len(candidates) {
		items = closestHeap(target, candidates, k, exclude)
	} else {
		items = closestSort(target, candidates, k, exclude)
	}
	if len(items) == 0 {
		return nil
	}
	out := make([]data.Hash, len(items))
	for i, it := range items {
		out[i] = it.h
	}
	return out
}

// item is a candidate with its distance to the target.
type item struct {
	d data.Hash // h XOR target
	h data.Hash
}

func cmpItem(a, b item) int { return bytes.Compare(a.d[:], b.d[:]) }

// closestSort filters, sorts everything, removes duplicates and keeps the
// first k.
func closestSort(target data.Hash, candidates []data.Hash, k int, exclude func(data.Hash) bool) []item {
	items := make([]item, 0, len(candidates))
	for _, c := range candidates {
		if exclude != nil && exclude(c) {
			continue
		}
		items = append(items, item{d: Distance(c, target), h: c})
	}
	slices.SortFunc(items, cmpItem)
	items = slices.CompactFunc(items, func(a, b item) bool { return a.d == b.d })
	return items[:min(k, len(items))]
}

// closestHeap keeps the k best candidates seen so far in a max-heap by
// distance, whose root is the worst of them, and sorts the k at the end.
func closestHeap(target data.Hash, candidates []data.Hash, k int, exclude func(data.Hash) bool) []item {
	h := make([]item, 0, k)
	for i := range candidates {
		c := &candidates[i]
		if len(h) == k && notCloser(c, &target, &h[0].d) {
			continue // no closer than the worst kept (or equal to it: a duplicate)
		}
		it := item{d: Distance(*c, target), h: *c}
		if slices.ContainsFunc(h, func(x item) bool { return x.d == it.d }) {
			continue // duplicate
		}
		if exclude != nil && exclude(*c) {
			continue
		}
		if len(h) < k {
			h = append(h, it)
			siftUp(h, len(h)-1)
		} else {
			h[0] = it
			siftDown(h, 0)
		}
	}
	slices.SortFunc(h, cmpItem)
	return h
}

// notCloser reports whether c XOR target >= d, stopping at the first
// differing byte, which for random hashes is almost always the first.
func notCloser(c, target, d *data.Hash) bool {
	for i := range c {
		if x := c[i] ^ target[i]; x != d[i] {
			return x > d[i]
		}
	}
	return true
}

// siftUp restores the max-heap property after h[i] was appended.
func siftUp(h []item, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if cmpItem(h[i], h[p]) <= 0 {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// siftDown restores the max-heap property after h[i] was replaced.
func siftDown(h []item, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		big := l
		if r := l + 1; r < len(h) && cmpItem(h[r], h[l]) > 0 {
			big = r
		}
		if cmpItem(h[big], h[i]) <= 0 {
			return
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
}
