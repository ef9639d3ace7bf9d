package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/vfs"
)

const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
	deletedSuffix   = ".deleted"
	// maxRelativeOffset is the largest offset distance from a segment's
	// base that its 32-bit index entries can hold.
	maxRelativeOffset = 1<<31 - 1
)

// noTimestamp marks a segment with no timestamped batch; unknownTimestamp a
// closed segment whose time index has not been read yet.
const (
	noTimestamp      = -1
	unknownTimestamp = -2
)

func segmentName(base int64) string { return fmt.Sprintf("%020d", base) }

// segment is one .log file and its indexes.
type segment struct {
	base int64
	dir  string
	fs   vfs.FS
	file vfs.File

	// size is the committed size: readers never look past it.
	size atomic.Int64
	// refs counts the log's own reference plus one per outstanding read;
	// the file is closed (and, once deleted, removed) when it drops to 0.
	refs atomic.Int32
	// deleted is set once the segment has left the log; its files carry
	// the .deleted suffix from then on.
	deleted atomic.Bool

	// The indexes are always loaded for the active segment and loaded on
	// demand for the others (loadMu serialises loading); the index cache
	// may unload them again once they are persisted.
	offIdx   atomic.Pointer[index]
	timeIdx  atomic.Pointer[index]
	loadMu   sync.Mutex
	recently atomic.Bool // CLOCK reference bit for the index cache
	// pinned keeps the indexes loaded: TruncateTo sets it (under loadMu)
	// on a closed segment, which may be in the index cache, that it is
	// making active again, and a roll clears it. The cache neither adds
	// nor evicts a pinned segment. Segments that start out active never
	// enter the cache, so they need no pin.
	pinned atomic.Bool

	// maxTS is the largest batch max timestamp in the segment (noTimestamp
	// when none, unknownTimestamp until read), maxTSOffset the last offset
	// of the first batch carrying it.
	maxTS       atomic.Int64
	maxTSOffset atomic.Int64

	// Writer state, owned by the log's mutex.
	ixr          indexer
	firstBatchTS int64 // max timestamp of the first batch, -1 if none: drives segment.ms
	created      int64 // ms, when the segment was created or opened
	rollJitter   int64 // ms, drawn once per segment from segment.jitter.ms

	// dirty is set by appends and cleared by flushes.
	dirty atomic.Bool
}

func (s *segment) path(suffix string) string {
	p := filepath.Join(s.dir, segmentName(s.base)+suffix)
	if s.deleted.Load() {
		p += deletedSuffix
	}
	return p
}

// createSegment creates an empty segment at base, replacing any leftover
// files of the same name.
func createSegment(fsys vfs.FS, dir string, base int64, now int64) (*segment, error) {
	s := &segment{base: base, dir: dir, fs: fsys, created: now, firstBatchTS: -1, ixr: newIndexer()}
	for _, suf := range []string{indexSuffix, timeIndexSuffix} {
		if err := fsys.Remove(s.path(suf)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	f, err := fsys.OpenFile(s.path(logSuffix), os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage: create segment %s: %w", s.path(logSuffix), err)
	}
	s.file = f
	s.refs.Store(1)
	s.maxTS.Store(noTimestamp)
	s.maxTSOffset.Store(-1)
	s.offIdx.Store(newIndex(offsetEntrySize, nil))
	s.timeIdx.Store(newIndex(timeEntrySize, nil))
	return s, nil
}

// openSegment opens an existing segment's log file without reading it.
func openSegment(fsys vfs.FS, dir string, base int64, now int64) (*segment, error) {
	s := &segment{base: base, dir: dir, fs: fsys, created: now, firstBatchTS: -1, ixr: newIndexer()}
	f, err := fsys.OpenFile(s.path(logSuffix), os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage: open segment: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s.file = f
	s.size.Store(fi.Size())
	s.refs.Store(1)
	s.maxTS.Store(unknownTimestamp)
	s.maxTSOffset.Store(-1)
	return s, nil
}

// acquire pins the segment for a read; it fails once the segment is closed.
func (s *segment) acquire() bool {
	for {
		r := s.refs.Load()
		if r <= 0 {
			return false
		}
		if s.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// release drops a reference; the last one closes the file and, for a
// deleted segment, removes its files.
func (s *segment) release() {
	if s.refs.Add(-1) != 0 {
		return
	}
	s.file.Close()
	if s.deleted.Load() {
		for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
			s.fs.Remove(s.path(suf))
		}
	}
}

// markDeleted renames the segment's files to *.deleted so that a crash
// before their removal does not bring them back.
func (s *segment) markDeleted() error {
	var firstErr error
	for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
		from := filepath.Join(s.dir, segmentName(s.base)+suf)
		err := s.fs.Rename(from, from+deletedSuffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) && firstErr == nil {
			firstErr = err
		}
	}
	s.deleted.Store(true)
	return firstErr
}

// readAt reads committed bytes; a short read past the committed size is an
// error.
func (s *segment) readAt(p []byte, pos int64) error {
	n, err := s.file.ReadAt(p, pos)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("storage: read %s at %d: %w", s.path(logSuffix), pos, err)
}

// indexer applies Kafka's indexing rule to consecutive batches of a segment:
// before a batch, if more than index.interval.bytes have gone by since the
// last entry, index the batch's last offset at its position and, if the
// running maximum timestamp grew, add a time entry. Appends and recovery
// scans both use it, so a rebuilt index is the index appends would have made.
type indexer struct {
	sinceIndex  int64
	maxTS       int64 // noTimestamp until a batch has one
	maxTSOffset int64
	lastTimeTS  int64 // timestamp of the last time index entry
	entry       [timeEntrySize]byte
}

func newIndexer() indexer {
	return indexer{maxTS: noTimestamp, maxTSOffset: -1, lastTimeTS: -1 << 63}
}

func (x *indexer) add(h *record.Header, pos, base, interval int64, off, tim *index) {
	if h.MaxTimestamp > x.maxTS {
		x.maxTS, x.maxTSOffset = h.MaxTimestamp, h.LastOffset()
	}
	if x.sinceIndex > interval {
		off.add(appendOffsetEntry(x.entry[:0], int32(h.LastOffset()-base), int32(pos)))
		x.maybeAddTime(base, tim)
		x.sinceIndex = 0
	}
	x.sinceIndex += int64(h.Size())
}

// maybeAddTime adds the running maximum to the time index if it grew; also
// called when a segment stops being active so the last entry is its maximum.
func (x *indexer) maybeAddTime(base int64, tim *index) {
	if x.maxTS > x.lastTimeTS && x.maxTS >= 0 {
		tim.add(appendTimeEntry(x.entry[:0], x.maxTS, int32(x.maxTSOffset-base)))
		x.lastTimeTS = x.maxTS
	}
}

// scanResult is what a validating scan of a segment found.
type scanResult struct {
	validSize  int64 // file position after the last valid batch
	nextOffset int64 // offset after the last valid batch; the base if none
	firstTS    int64 // max timestamp of the segment's first batch, -1 if not seen
	stop       error // why the scan ended before the file did; nil at a clean end
}

// scan reads the segment's file from position from (a batch start) to its
// end, validating every batch: framing, magic, CRC, offsets at least
// expectOffset and increasing (contiguous unless the log is compacted),
// within 32 bits of the base and below limitOffset, leader epochs not
// decreasing. It adds index entries for the batches to off and tim through
// ixr, exactly as appends would have, and stops at the first invalid or torn
// batch. onBatch, when set, sees each batch that passed, and may still
// reject it. An error is an I/O failure; damage is reported in the result.
func (s *segment) scan(cfg *Config, from, expectOffset, limitOffset int64, off, tim *index, ixr *indexer, onBatch func(h *record.Header) error) (scanResult, error) {
	fi, err := s.file.Stat()
	if err != nil {
		return scanResult{}, err
	}
	fileSize := fi.Size()
	res := scanResult{validSize: from, nextOffset: expectOffset, firstTS: -1}
	r := chunkReader{file: s.file, size: fileSize, buf: make([]byte, 1<<20)}
	lastEpoch := int32(-1)
	for pos := from; pos < fileSize; {
		b, err := r.batchAt(pos)
		if err != nil {
			if !errors.Is(err, record.ErrShort) && !errors.Is(err, record.ErrLength) {
				return res, fmt.Errorf("storage: scan %s: %w", s.path(logSuffix), err)
			}
			res.stop = err
			break
		}
		h, err := record.Check(b, 0)
		if err == nil {
			switch {
			case h.BaseOffset < res.nextOffset:
				err = fmt.Errorf("storage: batch at offset %d follows offset %d", h.BaseOffset, res.nextOffset-1)
			case !cfg.Compact && pos == 0 && h.BaseOffset != s.base:
				err = fmt.Errorf("storage: first batch at offset %d in segment %d", h.BaseOffset, s.base)
			case !cfg.Compact && pos > from && h.BaseOffset != res.nextOffset:
				// The CRC does not cover baseOffset: without compaction
				// offsets are contiguous, so a gap is damage.
				err = fmt.Errorf("storage: batch at offset %d leaves a gap after %d", h.BaseOffset, res.nextOffset-1)
			case h.PartitionLeaderEpoch < lastEpoch:
				err = fmt.Errorf("storage: leader epoch %d after %d", h.PartitionLeaderEpoch, lastEpoch)
			case h.LastOffset()-s.base > maxRelativeOffset:
				err = fmt.Errorf("storage: offset %d too far from segment base %d", h.LastOffset(), s.base)
			case h.LastOffset() >= limitOffset:
				err = fmt.Errorf("storage: offset %d reaches the next segment at %d", h.LastOffset(), limitOffset)
			}
		}
		if err == nil && onBatch != nil {
			err = onBatch(&h)
		}
		if err != nil {
			res.stop = err
			break
		}
		ixr.add(&h, pos, s.base, cfg.IndexIntervalBytes, off, tim)
		lastEpoch = h.PartitionLeaderEpoch
		if pos == 0 {
			res.firstTS = h.MaxTimestamp
		}
		pos += int64(h.Size())
		res.nextOffset = h.NextOffset()
		res.validSize = pos
	}
	return res, nil
}

// chunkReader reads whole batches of a file through a large buffer.
type chunkReader struct {
	file     vfs.File
	size     int64
	buf      []byte
	bufStart int64
	bufLen   int
}

// batchAt returns the bytes of the batch at pos, as far as the file holds
// them: ErrShort when the file ends inside it, ErrLength for an impossible
// length field.
func (r *chunkReader) batchAt(pos int64) ([]byte, error) {
	if err := r.ensure(pos, record.HeaderSize); err != nil {
		return nil, err
	}
	size, _ := record.PeekSize(r.buf[pos-r.bufStart:])
	if size < record.HeaderSize {
		return nil, fmt.Errorf("%w: %d bytes at position %d", record.ErrLength, size, pos)
	}
	if err := r.ensure(pos, int64(size)); err != nil {
		return nil, err
	}
	return r.buf[pos-r.bufStart : pos-r.bufStart+int64(size)], nil
}

func (r *chunkReader) ensure(pos, n int64) error {
	if pos+n > r.size {
		return fmt.Errorf("%w: %d bytes at position %d, %d needed", record.ErrShort, r.size-pos, pos, n)
	}
	if pos >= r.bufStart && pos+n <= r.bufStart+int64(r.bufLen) && r.bufLen > 0 {
		return nil
	}
	if n > int64(len(r.buf)) {
		r.buf = make([]byte, n)
	}
	want := min(int64(len(r.buf)), r.size-pos)
	got, err := r.file.ReadAt(r.buf[:want], pos)
	if int64(got) < n {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	r.bufStart, r.bufLen = pos, got
	return nil
}

// readIndexFile reads a whole index file; a missing file is (nil, nil).
func (s *segment) readIndexFile(suffix string) ([]byte, error) {
	b, err := vfs.ReadFile(s.fs, s.path(suffix))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// persistIndexes writes the index entries not yet on disk and, when sync is
// set, fsyncs the index files. The caller holds the log's flush lock.
func (s *segment) persistIndexes(sync bool) error {
	for _, p := range []struct {
		ix     *index
		suffix string
	}{{s.offIdx.Load(), indexSuffix}, {s.timeIdx.Load(), timeIndexSuffix}} {
		if p.ix == nil {
			continue
		}
		b := p.ix.bytes()
		n := len(b) / p.ix.entrySize
		if p.ix.persisted.Load() == int64(n) && !sync {
			continue
		}
		f, err := s.fs.OpenFile(s.path(p.suffix), os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("storage: open index: %w", err)
		}
		from := int(p.ix.persisted.Load()) * p.ix.entrySize
		if _, err := f.WriteAt(b[from:], int64(from)); err != nil {
			f.Close()
			return fmt.Errorf("storage: write index %s: %w", s.path(p.suffix), err)
		}
		// An index that shrank (truncation) must not keep stale entries.
		if err := f.Truncate(int64(len(b))); err != nil {
			f.Close()
			return fmt.Errorf("storage: truncate index %s: %w", s.path(p.suffix), err)
		}
		if sync {
			if err := f.Sync(); err != nil {
				f.Close()
				return fmt.Errorf("storage: sync index %s: %w", s.path(p.suffix), err)
			}
		}
		if err := f.Close(); err != nil {
			return err
		}
		p.ix.persisted.Store(int64(n))
	}
	return nil
}

// headerWalker reads batch headers of committed data through a small buffer,
// so walking many small batches costs few reads.
type headerWalker struct {
	seg      *segment
	limit    int64 // committed size at the start of the walk
	buf      []byte
	pooled   *[]byte // what buf came from, returned to walkBufs by close
	bufStart int64
	bufLen   int
}

var walkBufs = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

func newHeaderWalker(s *segment, limit int64) *headerWalker {
	p := walkBufs.Get().(*[]byte)
	return &headerWalker{seg: s, limit: limit, buf: *p, pooled: p, bufStart: -1}
}

// close returns the buffer to the pool, through the pointer it came in so
// that putting it back allocates nothing.
func (w *headerWalker) close() {
	walkBufs.Put(w.pooled)
	w.buf, w.pooled = nil, nil
}

// errCorruptLog reports committed data that does not parse: damage after
// the data was written, which recovery did not see.
var errCorruptLog = errors.New("storage: corrupt batch in committed data")

// header parses the header of the batch starting at pos (< limit).
func (w *headerWalker) header(pos int64) (record.Header, error) {
	if pos < w.bufStart || pos+record.HeaderSize > w.bufStart+int64(w.bufLen) {
		n := min(int64(len(w.buf)), w.limit-pos)
		if n < record.HeaderSize {
			return record.Header{}, fmt.Errorf("%w: %d bytes at position %d", errCorruptLog, n, pos)
		}
		if err := w.seg.readAt(w.buf[:n], pos); err != nil {
			return record.Header{}, err
		}
		w.bufStart, w.bufLen = pos, int(n)
	}
	h, err := record.ParseHeader(w.buf[pos-w.bufStart:])
	if err != nil {
		return h, fmt.Errorf("%w: position %d: %v", errCorruptLog, pos, err)
	}
	if pos+int64(h.Size()) > w.limit {
		return h, fmt.Errorf("%w: batch at %d overruns the segment", errCorruptLog, pos)
	}
	return h, nil
}
