package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
)

// Index entry sizes. Never change: they are the on-disk formats.
const (
	offsetEntrySize = 8  // relative offset int32, position int32
	timeEntrySize   = 12 // timestamp int64, relative offset int32
)

// errIndexCorrupt marks an index file that fails its sanity check; it is
// rebuilt from the log.
var errIndexCorrupt = errors.New("storage: index corrupt")

// index holds a segment's offset or time index in memory, in the on-disk
// encoding so that persisting it is a plain write. One writer appends (the
// log's writer); readers search the published prefix without a lock.
//
// Invariant: entries [0, n) of *buf are immutable once n is published. A
// truncation installs a fresh copy rather than rewriting bytes a reader may
// be looking at.
type index struct {
	entrySize int
	buf       atomic.Pointer[[]byte]
	n         atomic.Int64
	// persisted is how many entries the file holds. Written by whoever
	// holds the log's flush lock; atomic because the index cache reads it
	// (through segmentDurable) while sweeping other logs' segments.
	persisted atomic.Int64
}

func newIndex(entrySize int, data []byte) *index {
	ix := &index{entrySize: entrySize}
	b := data
	ix.buf.Store(&b)
	ix.n.Store(int64(len(data) / entrySize))
	ix.persisted.Store(int64(len(data) / entrySize))
	return ix
}

// bytes returns the published entries.
func (ix *index) bytes() []byte {
	n := ix.n.Load()
	b := *ix.buf.Load()
	return b[: n*int64(ix.entrySize) : n*int64(ix.entrySize)]
}

func (ix *index) len() int { return int(ix.n.Load()) }

// add appends one encoded entry. Writer only. The backing array is
// replaced only when it is full, so most adds allocate nothing.
func (ix *index) add(entry []byte) {
	n := ix.n.Load()
	off := n * int64(ix.entrySize)
	b := *ix.buf.Load()
	if int64(cap(b)) < off+int64(ix.entrySize) {
		nb := make([]byte, max(2*int64(cap(b)), 64*int64(ix.entrySize)))
		copy(nb, b[:off])
		// Store &nb, not &b: taking b's address would move b to the
		// heap on every add, not only when the array grows.
		ix.buf.Store(&nb)
		b = nb
	}
	copy(b[off:cap(b)], entry)
	ix.n.Store(n + 1)
}

// truncate keeps the first k entries. Writer only, under the flush lock.
func (ix *index) truncate(k int) {
	if k >= ix.len() {
		return
	}
	nb := make([]byte, max(k, 64)*ix.entrySize)
	copy(nb, ix.bytes()[:k*ix.entrySize])
	ix.buf.Store(&nb)
	ix.n.Store(int64(k))
	ix.persisted.Store(min(ix.persisted.Load(), int64(k)))
}

// Offset index entries.

func appendOffsetEntry(dst []byte, rel int32, pos int32) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(rel))
	return binary.BigEndian.AppendUint32(dst, uint32(pos))
}

func offsetEntryAt(b []byte, i int) (rel int32, pos int32) {
	e := b[i*offsetEntrySize:]
	return int32(binary.BigEndian.Uint32(e)), int32(binary.BigEndian.Uint32(e[4:]))
}

// floorOffset finds the greatest entry whose relative offset is at most rel,
// returning its position, or 0 when there is none.
func floorOffset(b []byte, rel int32) int64 {
	n := len(b) / offsetEntrySize
	i := sort.Search(n, func(i int) bool { r, _ := offsetEntryAt(b, i); return r > rel }) - 1
	if i < 0 {
		return 0
	}
	_, pos := offsetEntryAt(b, i)
	return int64(pos)
}

// floorPosition finds the greatest entry whose position is at most pos and
// whose relative offset is below relLimit, returning that position (a batch
// start), or -1 when there is none.
func floorPosition(b []byte, pos int64, relLimit int64) int64 {
	n := len(b) / offsetEntrySize
	i := sort.Search(n, func(i int) bool {
		r, p := offsetEntryAt(b, i)
		return int64(p) > pos || int64(r) >= relLimit
	}) - 1
	if i < 0 {
		return -1
	}
	_, p := offsetEntryAt(b, i)
	return int64(p)
}

// checkOffsetIndex is Kafka's sanity check: whole entries, strictly
// increasing relative offsets and positions, positions inside the log.
func checkOffsetIndex(b []byte, logSize int64) error {
	if len(b)%offsetEntrySize != 0 {
		return fmt.Errorf("%w: offset index of %d bytes is not whole entries", errIndexCorrupt, len(b))
	}
	prevRel, prevPos := int32(-1), int32(-1)
	for i := range len(b) / offsetEntrySize {
		rel, pos := offsetEntryAt(b, i)
		if rel < 0 || rel <= prevRel || pos <= prevPos || int64(pos) >= logSize {
			return fmt.Errorf("%w: offset entry %d (%d, %d) after (%d, %d), log %d bytes", errIndexCorrupt, i, rel, pos, prevRel, prevPos, logSize)
		}
		prevRel, prevPos = rel, pos
	}
	return nil
}

// Time index entries.

func appendTimeEntry(dst []byte, ts int64, rel int32) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(ts))
	return binary.BigEndian.AppendUint32(dst, uint32(rel))
}

func timeEntryAt(b []byte, i int) (ts int64, rel int32) {
	e := b[i*timeEntrySize:]
	return int64(binary.BigEndian.Uint64(e)), int32(binary.BigEndian.Uint32(e[8:]))
}

// lastTimeEntry returns the last entry, or ok=false for an empty index.
func lastTimeEntry(b []byte) (ts int64, rel int32, ok bool) {
	n := len(b) / timeEntrySize
	if n == 0 {
		return 0, 0, false
	}
	ts, rel = timeEntryAt(b, n-1)
	return ts, rel, true
}

// floorTime finds the greatest entry whose timestamp is at most ts and
// returns its relative offset, or 0 when there is none.
func floorTime(b []byte, ts int64) int32 {
	n := len(b) / timeEntrySize
	i := sort.Search(n, func(i int) bool { t, _ := timeEntryAt(b, i); return t > ts }) - 1
	if i < 0 {
		return 0
	}
	_, rel := timeEntryAt(b, i)
	return rel
}

// checkTimeIndex: whole entries, strictly increasing timestamps,
// non-decreasing relative offsets within maxRel.
func checkTimeIndex(b []byte, maxRel int64) error {
	if len(b)%timeEntrySize != 0 {
		return fmt.Errorf("%w: time index of %d bytes is not whole entries", errIndexCorrupt, len(b))
	}
	prevTS, prevRel := int64(-1<<63), int32(-1)
	for i := range len(b) / timeEntrySize {
		ts, rel := timeEntryAt(b, i)
		if ts <= prevTS || rel < prevRel || rel < 0 || int64(rel) > maxRel {
			return fmt.Errorf("%w: time entry %d (%d, %d) after (%d, %d)", errIndexCorrupt, i, ts, rel, prevTS, prevRel)
		}
		prevTS, prevRel = ts, rel
	}
	return nil
}
