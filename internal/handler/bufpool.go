package handler

import (
	"math/bits"
	"sync"
)

// Pooled byte buffers in power-of-two size classes, for response bodies that
// live until the server has written them (see server.Releaser).
const (
	minBufShift = 12 // 4 KiB
	maxBufShift = 24 // 16 MiB; larger buffers are left to the GC
)

var bufPools [maxBufShift - minBufShift + 1]sync.Pool

// getBuf returns a buffer of length n.
func getBuf(n int) *[]byte {
	shift := max(bits.Len(uint(n-1)), minBufShift)
	if shift > maxBufShift {
		b := make([]byte, n)
		return &b
	}
	if p, _ := bufPools[shift-minBufShift].Get().(*[]byte); p != nil {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n, 1<<shift)
	return &b
}

// putBuf returns a buffer from getBuf.
func putBuf(p *[]byte) {
	shift := bits.Len(uint(cap(*p))) - 1
	if shift < minBufShift || shift > maxBufShift || cap(*p) != 1<<shift {
		return
	}
	*p = (*p)[:0]
	bufPools[shift-minBufShift].Put(p)
}
