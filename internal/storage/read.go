package storage

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// Slice is the result of a read: Size bytes of whole batches at Pos in File.
// The segment stays open until Release, so the bytes can be sent straight
// from the file (sendfile) after the read returns. An empty Slice has a nil
// File.
type Slice struct {
	seg  *segment
	File vfs.File
	Pos  int64
	Size int64
}

// Release unpins the segment. It is safe to call on an empty Slice and more
// than once.
func (s *Slice) Release() {
	if s.seg != nil {
		s.seg.release()
		s.seg = nil
	}
}

// AppendTo appends the slice's bytes to dst.
func (s *Slice) AppendTo(dst []byte) ([]byte, error) {
	if s.Size == 0 {
		return dst, nil
	}
	n := len(dst)
	// Grow without appending a zeroed temporary: the read overwrites it.
	dst = slices.Grow(dst, int(s.Size))[:n+int(s.Size)]
	if err := s.seg.readAt(dst[n:], s.Pos); err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// ReadOptions bound a read.
type ReadOptions struct {
	// MaxBytes is the most bytes to return; with MinOneBatch, the first
	// batch is returned whole even if it is larger (Kafka's fetch rule).
	MaxBytes    int64
	MinOneBatch bool
	// MaxOffset, when positive, is an exclusive bound: only batches whose
	// last offset is below it are returned (the high watermark or last
	// stable offset for consumers). Otherwise the log end offset bounds.
	MaxOffset int64
}

// maxReadRetries bounds how often a read restarts because the segment it
// chose was deleted under it.
const maxReadRetries = 16

// Read returns whole batches starting with the one holding offset, from a
// single segment. Reading at the log end (or the bound) returns an empty
// Slice; an offset below the log start or past the end is
// ErrOffsetOutOfRange. Read takes no lock and never waits for the writer.
func (l *Log) Read(offset int64, opts ReadOptions) (Slice, error) {
	for range maxReadRetries {
		leo := l.leo.Load()
		if offset < l.logStart.Load() || offset > leo {
			return Slice{}, fmt.Errorf("%w: %d not in [%d, %d]", ErrOffsetOutOfRange, offset, l.logStart.Load(), leo)
		}
		upto := leo
		if opts.MaxOffset > 0 && opts.MaxOffset < upto {
			upto = opts.MaxOffset
		}
		if offset >= upto {
			return Slice{}, nil
		}
		segs := l.segments()
		retry := false
		for i := l.segmentIndexFor(offset); i < len(segs); i++ {
			s := segs[i]
			if !s.acquire() {
				retry = true
				break
			}
			segEnd := int64(math.MaxInt64) // unknown for the active segment until its size is read
			if i+1 < len(segs) {
				segEnd = segs[i+1].base
			}
			sl, found, err := l.readSegment(s, segEnd, offset, upto, &opts)
			if err != nil || (found && sl.Size > 0) {
				if err != nil || sl.Size == 0 {
					s.release()
				}
				return sl, err
			}
			s.release()
			if found {
				return Slice{}, nil
			}
		}
		if !retry {
			return Slice{}, nil
		}
	}
	return Slice{}, fmt.Errorf("%w: segments kept changing during a read", ErrClosed)
}

// readSegment reads from segment s (pinned by the caller). found is false
// when s holds no batch reaching offset, so the read continues in the next
// segment.
func (l *Log) readSegment(s *segment, segEnd, offset, upto int64, opts *ReadOptions) (Slice, bool, error) {
	// Size first, then the log end offset: every byte below this size
	// then belongs to an offset below that log end offset.
	limit := s.size.Load()
	if segEnd == math.MaxInt64 {
		segEnd = l.leo.Load()
	}
	off, _, err := l.indexes(s)
	if err != nil {
		return Slice{}, false, err
	}
	pos := floorOffset(off.bytes(), relOffset(s, offset))
	if pos >= limit {
		pos = 0
	}
	w := newHeaderWalker(s, limit)
	defer w.close()
	var h record.Header
	for {
		if pos >= limit {
			return Slice{}, false, nil
		}
		if h, err = w.header(pos); err != nil {
			return Slice{}, false, err
		}
		if h.LastOffset() >= offset {
			break
		}
		pos += int64(h.Size())
	}
	if h.LastOffset() >= upto {
		return Slice{}, true, nil
	}
	start := pos
	maxBytes := opts.MaxBytes
	if int64(h.Size()) > maxBytes && !opts.MinOneBatch {
		return Slice{}, true, nil
	}
	end := start + int64(h.Size())
	if segEnd <= upto && limit-start <= maxBytes {
		end = limit // everything left in the segment fits
	} else {
		// Jump over the batches the index proves fit, then walk.
		if p := floorPosition(off.bytes(), min(start+maxBytes, limit-1), upto-s.base); p > end {
			end = p
		}
		for end < limit {
			h, err := w.header(end)
			if err != nil {
				return Slice{}, false, err
			}
			if h.LastOffset() >= upto || end+int64(h.Size())-start > maxBytes {
				break
			}
			end += int64(h.Size())
		}
	}
	return Slice{seg: s, File: s.file, Pos: start, Size: end - start}, true, nil
}

// relOffset converts an offset to s's relative offset, clamped to int32.
func relOffset(s *segment, offset int64) int32 {
	return int32(min(max(offset-s.base, 0), maxRelativeOffset))
}

// lookupPosition is the position to scan from for offset in s.
func (l *Log) lookupPosition(s *segment, offset int64) int64 {
	off, _, err := l.indexes(s)
	if err != nil {
		return 0
	}
	pos := floorOffset(off.bytes(), relOffset(s, offset))
	if pos >= s.size.Load() {
		return 0
	}
	return pos
}

// indexes returns s's indexes, loading them from their files (or rebuilding
// them from the log if the files are missing or damaged) when they are not
// in memory.
func (l *Log) indexes(s *segment) (*index, *index, error) {
	if off := s.offIdx.Load(); off != nil {
		if tim := s.timeIdx.Load(); tim != nil {
			s.recently.Store(true)
			return off, tim, nil
		}
	}
	s.loadMu.Lock()
	off, tim := s.offIdx.Load(), s.timeIdx.Load()
	if off != nil && tim != nil {
		s.loadMu.Unlock()
		return off, tim, nil
	}
	off, tim, err := l.loadIndexes(s)
	if err != nil {
		s.loadMu.Unlock()
		return nil, nil, err
	}
	s.offIdx.Store(off)
	s.timeIdx.Store(tim)
	s.loadMu.Unlock()
	l.env.cache.add(s, segmentDurable)
	return off, tim, nil
}

func (l *Log) loadIndexes(s *segment) (*index, *index, error) {
	size := s.size.Load()
	offB, err := s.readIndexFile(indexSuffix)
	if err != nil {
		return nil, nil, err
	}
	timeB, err := s.readIndexFile(timeIndexSuffix)
	if err != nil {
		return nil, nil, err
	}
	var why error
	switch {
	case offB == nil || timeB == nil:
		why = errors.New("index file missing")
	default:
		why = verifyIndexes(s, offB, timeB, size)
	}
	if why == nil {
		off, tim := newIndex(offsetEntrySize, offB), newIndex(timeEntrySize, timeB)
		if ts, rel, ok := lastTimeEntry(timeB); ok {
			s.maxTS.CompareAndSwap(unknownTimestamp, ts)
			s.maxTSOffset.CompareAndSwap(-1, s.base+int64(rel))
		} else {
			s.maxTS.CompareAndSwap(unknownTimestamp, noTimestamp)
		}
		return off, tim, nil
	}
	l.env.logger.Warn("rebuilding segment indexes", "segment", s.path(logSuffix), "reason", why)
	off, tim := newIndex(offsetEntrySize, nil), newIndex(timeEntrySize, nil)
	ixr := newIndexer()
	res, err := s.scan(l.cfg.Load(), 0, s.base, math.MaxInt64, off, tim, &ixr, nil)
	if err != nil {
		return nil, nil, err
	}
	if res.stop != nil && res.validSize < size {
		l.env.logger.Error("segment below the recovery point is damaged; reads past the damage will fail",
			"segment", s.path(logSuffix), "valid_bytes", res.validSize, "reason", res.stop)
	}
	ixr.maybeAddTime(s.base, tim)
	s.maxTS.Store(ixr.maxTS)
	s.maxTSOffset.Store(ixr.maxTSOffset)
	// Write the rebuilt files; a failure only means rebuilding again later.
	l.flushMu.Lock()
	s.offIdx.Store(off)
	s.timeIdx.Store(tim)
	if err := s.persistIndexes(true); err != nil {
		l.env.logger.Warn("writing rebuilt indexes", "segment", s.path(logSuffix), "err", err)
	}
	l.flushMu.Unlock()
	return off, tim, nil
}

// verifyIndexes checks index files before they are trusted: the structural
// checks Kafka makes, and then the first and last entry of each against the
// batches they point at, which catches a truncated, zeroed or scribbled file
// that still looks well formed. A segment with timestamped batches must have
// a time index entry (its final maximum is always written).
func verifyIndexes(s *segment, offB, timeB []byte, size int64) error {
	if err := checkOffsetIndex(offB, size); err != nil {
		return err
	}
	if err := checkTimeIndex(timeB, maxRelativeOffset); err != nil {
		return err
	}
	if size == 0 {
		if len(offB)+len(timeB) > 0 {
			return fmt.Errorf("%w: entries for an empty segment", errIndexCorrupt)
		}
		return nil
	}
	w := newHeaderWalker(s, size)
	defer w.close()
	n := len(offB) / offsetEntrySize
	for _, i := range []int{0, n - 1} {
		if n == 0 {
			break
		}
		rel, pos := offsetEntryAt(offB, i)
		h, err := w.header(int64(pos))
		if err != nil || h.LastOffset() != s.base+int64(rel) {
			return fmt.Errorf("%w: offset entry %d (%d, %d) does not match the batch there", errIndexCorrupt, i, rel, pos)
		}
	}
	n = len(timeB) / timeEntrySize
	if n == 0 {
		h, err := w.header(0)
		if err != nil || h.MaxTimestamp >= 0 {
			return fmt.Errorf("%w: time index empty for a segment with timestamps", errIndexCorrupt)
		}
		return nil
	}
	for _, i := range []int{0, n - 1} {
		ts, rel := timeEntryAt(timeB, i)
		target := s.base + int64(rel)
		pos := floorOffset(offB, rel)
		found := false
		for pos < size {
			h, err := w.header(pos)
			if err != nil {
				break
			}
			if h.LastOffset() >= target {
				found = h.LastOffset() == target && h.MaxTimestamp == ts
				break
			}
			pos += int64(h.Size())
		}
		if !found {
			return fmt.Errorf("%w: time entry %d (%d, %d) does not match the batch there", errIndexCorrupt, i, ts, rel)
		}
	}
	return nil
}

// segmentMaxTimestamp returns s's largest timestamp and the last offset of
// the first batch carrying it (noTimestamp when it has none).
func (l *Log) segmentMaxTimestamp(s *segment) (int64, int64, error) {
	if ts := s.maxTS.Load(); ts != unknownTimestamp {
		return ts, s.maxTSOffset.Load(), nil
	}
	if _, _, err := l.indexes(s); err != nil {
		return 0, 0, err
	}
	return s.maxTS.Load(), s.maxTSOffset.Load(), nil
}

// TimestampOffset is the answer to a ListOffsets lookup by time.
type TimestampOffset struct {
	Offset      int64
	Timestamp   int64
	LeaderEpoch int32 // of the batch holding the record, -1 if unknown
}

// OffsetForTimestamp finds the first record at or after the log start whose
// timestamp is at least ts. ok is false when there is none.
func (l *Log) OffsetForTimestamp(ts int64) (TimestampOffset, bool, error) {
	for range maxReadRetries {
		to, ok, retry, err := l.offsetForTimestamp(ts)
		if !retry {
			return to, ok, err
		}
	}
	return TimestampOffset{}, false, fmt.Errorf("%w: segments kept changing during a lookup", ErrClosed)
}

func (l *Log) offsetForTimestamp(ts int64) (to TimestampOffset, ok, retry bool, err error) {
	segs := l.segments()
	for i, s := range segs {
		if !s.acquire() {
			return to, false, true, nil // the list changed under us
		}
		start := l.logStart.Load()
		if i+1 < len(segs) && segs[i+1].base <= start {
			s.release()
			continue
		}
		maxTS, _, err := l.segmentMaxTimestamp(s)
		if err != nil || maxTS < ts {
			s.release()
			if err != nil {
				return to, false, false, err
			}
			continue
		}
		_, tim, err := l.indexes(s)
		if err != nil {
			s.release()
			return to, false, false, err
		}
		// The time entry at or below ts points at the last offset of the
		// batch where the maximum reached it: earlier batches hold only
		// smaller timestamps, but earlier records of that batch may match.
		from := max(s.base+int64(floorTime(tim.bytes(), ts)), start)
		to, ok, err := l.findRecord(s, from, func(h *record.Header) bool { return h.MaxTimestamp >= ts },
			func(r *record.Record) bool { return r.Offset >= start && r.Timestamp >= ts })
		s.release()
		if err != nil || ok {
			return to, ok, false, err
		}
	}
	return to, false, false, nil
}

// MaxTimestampOffset finds the record with the largest timestamp (the first
// such record), as ListOffsets' MAX_TIMESTAMP asks. ok is false for a log
// without timestamps.
func (l *Log) MaxTimestampOffset() (TimestampOffset, bool, error) {
	segs := l.segments()
	var (
		best     *segment
		bestTS   = int64(noTimestamp)
		bestLast int64
	)
	start := l.logStart.Load()
	for i, s := range segs {
		if i+1 < len(segs) && segs[i+1].base <= start {
			continue
		}
		ts, last, err := l.segmentMaxTimestamp(s)
		if err == nil && s.base < start && ts >= 0 {
			// The segment's maximum may belong to a deleted record.
			ts, last, err = l.maxTimestampFrom(s, start)
		}
		if err != nil {
			return TimestampOffset{}, false, err
		}
		if ts > bestTS {
			best, bestTS, bestLast = s, ts, last
		}
	}
	if best == nil || bestTS < 0 || !best.acquire() {
		return TimestampOffset{}, false, nil
	}
	defer best.release()
	// A batch straddling the log start may have a larger maximum from a
	// record below it, hence >= for batches; records decide.
	return l.findRecord(best, max(bestLast, start), func(h *record.Header) bool { return h.MaxTimestamp >= bestTS },
		func(r *record.Record) bool { return r.Offset >= start && r.Timestamp == bestTS })
}

// maxTimestampFrom is segmentMaxTimestamp counting only records at or after
// start: the largest timestamp and the last offset of the first batch
// holding it, or noTimestamp.
func (l *Log) maxTimestampFrom(s *segment, start int64) (int64, int64, error) {
	if !s.acquire() {
		return noTimestamp, -1, nil // deleted under us: nothing of it is served
	}
	defer s.release()
	bestTS, bestLast := int64(noTimestamp), int64(-1)
	limit := s.size.Load()
	w := newHeaderWalker(s, limit)
	defer w.close()
	var (
		it  record.Records
		buf []byte
	)
	defer it.Release()
	for pos := l.lookupPosition(s, start); pos < limit; {
		h, err := w.header(pos)
		if err != nil {
			return 0, 0, err
		}
		ts := h.MaxTimestamp
		if h.LastOffset() < start {
			ts = noTimestamp
		} else if h.BaseOffset < start && ts > bestTS {
			// Straddles the start: only its records from start count.
			buf = append(buf[:0], make([]byte, h.Size())...)
			if err := s.readAt(buf, pos); err != nil {
				return 0, 0, err
			}
			if err := it.Reset(buf, l.cfg.Load().DecompressLimit); err != nil {
				return 0, 0, fmt.Errorf("%w: %v", ErrCorruptLog, err)
			}
			ts = noTimestamp
			for it.Next() {
				if r := it.Record(); r.Offset >= start {
					ts = max(ts, r.Timestamp)
				}
			}
			if err := it.Err(); err != nil {
				return 0, 0, fmt.Errorf("%w: %v", ErrCorruptLog, err)
			}
		}
		if ts > bestTS {
			bestTS, bestLast = ts, h.LastOffset()
		}
		pos += int64(h.Size())
	}
	return bestTS, bestLast, nil
}

// findRecord walks s's batches from the one holding from, and in the first
// batch for which batchOK holds, returns the first record for which recOK
// holds; it keeps walking if that batch has none.
func (l *Log) findRecord(s *segment, from int64, batchOK func(*record.Header) bool, recOK func(*record.Record) bool) (TimestampOffset, bool, error) {
	limit := s.size.Load()
	w := newHeaderWalker(s, limit)
	defer w.close()
	var (
		it  record.Records
		buf []byte
	)
	defer it.Release()
	for pos := l.lookupPosition(s, from); pos < limit; {
		h, err := w.header(pos)
		if err != nil {
			return TimestampOffset{}, false, err
		}
		if h.LastOffset() >= from && batchOK(&h) {
			buf = append(buf[:0], make([]byte, h.Size())...)
			if err := s.readAt(buf, pos); err != nil {
				return TimestampOffset{}, false, err
			}
			if err := it.Reset(buf, l.cfg.Load().DecompressLimit); err != nil {
				return TimestampOffset{}, false, fmt.Errorf("%w: %v", ErrCorruptLog, err)
			}
			for it.Next() {
				if r := it.Record(); recOK(r) {
					return TimestampOffset{r.Offset, r.Timestamp, h.PartitionLeaderEpoch}, true, nil
				}
			}
			if err := it.Err(); err != nil {
				return TimestampOffset{}, false, fmt.Errorf("%w: %v", ErrCorruptLog, err)
			}
		}
		pos += int64(h.Size())
	}
	return TimestampOffset{}, false, nil
}
