package server

import (
	"math/bits"
	"sync"
)

// Buffer sizes. A connection keeps buffers up to keepBufMax between requests;
// larger ones (produce batches, big fetch responses) come from a shared pool
// of power-of-two classes for the duration of one request, so an idle
// connection never pins megabytes.
const (
	readBufSize    = 8 << 10  // bufio in front of the socket: small pipelined requests cost one read
	minBufSize     = 512      // smallest kept buffer
	keepBufMax     = 64 << 10 // Invariant: a connection's kept buffers have cap <= keepBufMax
	minPooledShift = 16       // 64 KiB, i.e. keepBufMax
	maxPooledShift = 27       // 128 MiB: covers the default socket.request.max.bytes (100 MiB)
)

// bufPools[i] holds buffers with cap >= 1<<(minPooledShift+i).
var bufPools [maxPooledShift - minPooledShift + 1]sync.Pool

// getBuf returns a buffer of length n, pooled when n is in the pooled range.
func getBuf(n int) []byte {
	shift := max(bits.Len(uint(n-1)), minPooledShift) // ceil(log2 n)
	if shift > maxPooledShift {
		return make([]byte, n)
	}
	if p, _ := bufPools[shift-minPooledShift].Get().(*[]byte); p != nil {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<shift)
}

// putBuf returns b to the class it can fully serve (floor of log2 of its
// capacity); buffers too small or too large to pool are left to the GC.
func putBuf(b []byte) {
	shift := bits.Len(uint(cap(b))) - 1 // floor(log2 cap)
	if shift < minPooledShift {
		return
	}
	shift = min(shift, maxPooledShift)
	b = b[:0]
	bufPools[shift-minPooledShift].Put(&b)
}

// frame is a request slot: the reader fills one while the processor serves
// the other, so a connection owns exactly two.
type frame struct {
	req     Request
	sizeBuf [4]byte
	small   []byte // kept across requests
	big     []byte // pooled, held for one request only
}

// body returns a buffer of n bytes for the frame's body.
func (f *frame) body(n int) []byte {
	if n <= keepBufMax {
		if cap(f.small) < n {
			f.small = make([]byte, max(minBufSize, 1<<bits.Len(uint(n-1))))
		}
		return f.small[:n]
	}
	f.big = getBuf(n)
	return f.big
}

// release ends the frame's request: after it, nothing may use the body or
// anything Body pointed into.
func (f *frame) release() {
	if f.big != nil {
		putBuf(f.big)
		f.big = nil
	}
	f.req.Body = nil
}
