package ssu2

import "encoding/binary"

// recvWindow remembers which packet numbers arrived in the last
// windowBits below the highest: it rejects duplicates and builds ACK
// blocks. Packets older than the window are dropped as too old (ssu2.rst,
// "Packet Numbering": a minimum packet number below which all packets are
// dropped keeps the duplicate state bounded).
type recvWindow struct {
	any     bool
	highest uint32
	bits    [windowBits / 64]uint64 // bit i: highest-i received (bit 0 is highest)
}

const windowBits = 1024

// add records pn; it reports false for a duplicate or a packet below the
// window.
func (w *recvWindow) add(pn uint32) bool {
	if !w.any {
		w.any, w.highest = true, pn
		w.bits = [windowBits / 64]uint64{1}
		return true
	}
	if pn > w.highest {
		w.shift(uint64(pn - w.highest))
		w.highest = pn
		w.bits[0] |= 1
		return true
	}
	d := uint64(w.highest - pn)
	if d >= windowBits {
		return false
	}
	word, bit := d/64, d%64
	if w.bits[word]&(1<<bit) != 0 {
		return false
	}
	w.bits[word] |= 1 << bit
	return true
}

func (w *recvWindow) has(d uint64) bool {
	return d < windowBits && w.bits[d/64]&(1<<(d%64)) != 0
}

// shift moves the window up by n: bit i becomes bit i+n.
func (w *recvWindow) shift(n uint64) {
	if n >= windowBits {
		w.bits = [windowBits / 64]uint64{}
		return
	}
	words, bits := int(n/64), n%64
	for i := len(w.bits) - 1; i >= 0; i-- {
		var v uint64
		if j := i - words; j >= 0 {
			v = w.bits[j] << bits
			if bits != 0 && j-1 >= 0 {
				v |= w.bits[j-1] >> (64 - bits)
			}
		}
		w.bits[i] = v
	}
}

// appendAck writes an ACK block of at most maxRanges nack/ack ranges.
func (w *recvWindow) appendAck(b []byte, maxRanges int) []byte {
	if !w.any {
		return b
	}
	// Run of acks below highest.
	d := uint64(1)
	limit := uint64(windowBits)
	if uint64(w.highest)+1 < limit {
		limit = uint64(w.highest) + 1
	}
	for d < limit && d <= 255 && w.has(d) {
		d++
	}
	acnt := d - 1
	start := len(b)
	b = appendBlockHeader(b, blkAck, 5)
	b = binary.BigEndian.AppendUint32(b, w.highest)
	b = append(b, byte(acnt))
	n := 0
	for d < limit && n < maxRanges {
		nack := uint64(0)
		for d < limit && nack < 255 && !w.has(d) {
			nack++
			d++
		}
		acks := uint64(0)
		for d < limit && acks < 255 && w.has(d) {
			acks++
			d++
		}
		if d >= limit && acks == 0 {
			break // trailing nacks say nothing
		}
		b = append(b, byte(nack), byte(acks))
		n++
	}
	size := len(b) - start - 3
	b[start+1], b[start+2] = byte(size>>8), byte(size)
	return b
}
