package storage

import (
	"fmt"
	"math"
	"time"
)

// DeleteRecordsBefore makes offset the new log start offset (Kafka's
// DeleteRecords): records below it are no longer served and segments wholly
// below it are deleted. offset may not pass the high watermark. It returns
// the log start offset afterwards (the low watermark).
func (l *Log) DeleteRecordsBefore(offset int64) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return 0, ErrClosed
	}
	if offset > l.hw.Load() || offset < 0 {
		return l.logStart.Load(), fmt.Errorf("%w: %d is beyond the high watermark %d", ErrOffsetOutOfRange, offset, l.hw.Load())
	}
	if offset > l.logStart.Load() {
		if err := l.setLogStartLocked(offset); err != nil {
			return l.logStart.Load(), err
		}
	}
	l.deleteSegmentsLocked(func(s, next *segment) bool { return next.base <= l.logStart.Load() }, "log start offset")
	return l.logStart.Load(), nil
}

// setLogStartLocked moves the log start offset forward.
func (l *Log) setLogStartLocked(offset int64) error {
	l.logStart.Store(offset)
	if l.hw.Load() < offset {
		l.hw.Store(offset)
	}
	if l.env.logStartMoved != nil {
		l.env.logStartMoved()
	}
	return l.epochs.truncateFromStart(offset)
}

// EnforceRetention deletes closed segments that retention.ms or
// retention.bytes (with cleanup.policy=delete) or the log start offset have
// left behind, oldest first, and returns how many it deleted. The active
// segment is never deleted, nor anything at or past the high watermark.
// Idempotent producers silent for producer.id.expiration.ms are forgotten.
func (l *Log) EnforceRetention() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return 0
	}
	cfg := l.cfg.Load()
	l.producers.expire(l.env.nowMs(), cfg.ProducerIDExpirationMs)
	n := l.deleteSegmentsLocked(func(s, next *segment) bool { return next.base <= l.logStart.Load() }, "log start offset")
	if !cfg.Delete {
		return n
	}
	if cfg.RetentionMs >= 0 {
		now := l.env.nowMs()
		n += l.deleteSegmentsLocked(func(s, next *segment) bool {
			return now-l.largestTimestamp(s) > cfg.RetentionMs
		}, "retention.ms")
	}
	if cfg.RetentionBytes >= 0 {
		diff := l.Size() - cfg.RetentionBytes
		n += l.deleteSegmentsLocked(func(s, next *segment) bool {
			if size := s.size.Load(); diff-size >= 0 {
				diff -= size
				return true
			}
			return false
		}, "retention.bytes")
	}
	return n
}

// largestTimestamp is what retention.ms compares: the segment's largest
// record timestamp, or its file's modification time if it has none.
func (l *Log) largestTimestamp(s *segment) int64 {
	if ts, _, err := l.segmentMaxTimestamp(s); err == nil && ts >= 0 {
		return ts
	}
	if fi, err := s.file.Stat(); err == nil {
		return fi.ModTime().UnixMilli()
	}
	return l.env.nowMs() // unknown: keep it
}

// deleteSegmentsLocked deletes segments from the oldest while pred holds,
// never the active one nor one reaching past the high watermark. The log
// start offset moves up to the first remaining segment.
func (l *Log) deleteSegmentsLocked(pred func(s, next *segment) bool, reason string) int {
	segs := l.segments()
	k := 0
	for k < len(segs)-1 && segs[k+1].base <= l.hw.Load() && pred(segs[k], segs[k+1]) {
		k++
	}
	if k == 0 {
		return 0
	}
	rest := append([]*segment(nil), segs[k:]...)
	l.segs.Store(&rest)
	if rest[0].base > l.logStart.Load() {
		if err := l.setLogStartLocked(rest[0].base); err != nil {
			l.env.logger.Warn("updating the leader epoch checkpoint", "dir", l.dir, "err", err)
		}
	}
	for _, s := range segs[:k] {
		l.env.logger.Info("deleting segment", "segment", s.path(logSuffix), "reason", reason)
		l.retireLocked(s)
	}
	l.pruneSnapshotsLocked(math.MaxInt64) // those below the new first segment
	return k
}

// retireLocked takes a segment out of service: its files are renamed
// *.deleted at once and removed when the last reader lets go, no sooner than
// file.delete.delay.ms from now.
func (l *Log) retireLocked(s *segment) {
	l.env.cache.remove(s)
	if err := s.markDeleted(); err != nil {
		l.env.logger.Error("renaming a deleted segment", "segment", s.path(logSuffix), "err", err)
	}
	if l.pending == nil {
		l.pending = make(map[*segment]struct{})
	}
	l.pending[s] = struct{}{}
	delay := time.Duration(l.cfg.Load().FileDeleteDelayMs) * time.Millisecond
	l.env.sched.after(delay, func() {
		l.mu.Lock()
		_, ok := l.pending[s]
		delete(l.pending, s)
		l.mu.Unlock()
		if ok {
			s.release()
		}
	})
}

// releasePendingLocked lets go of retired segments now (the log is closing).
func (l *Log) releasePendingLocked() {
	for s := range l.pending {
		s.release()
	}
	l.pending = nil
}

// TruncateTo removes everything at or after offset, as a follower does
// after a leader change. Batches go whole: when offset falls inside one, the
// batch is removed and the log end offset becomes its base offset.
func (l *Log) TruncateTo(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	if offset >= l.leo.Load() {
		return nil
	}
	if offset < l.logStart.Load() {
		return l.truncateFullyAndStartAtLocked(offset)
	}
	segs := l.segments()
	i := l.segmentIndexFor(offset)
	s := segs[i]
	reactivated := i < len(segs)-1
	if reactivated {
		// s becomes the active segment: the index cache must not unload
		// its indexes from here on, while they are truncated and then
		// appended to.
		s.loadMu.Lock()
		s.pinned.Store(true)
		s.loadMu.Unlock()
	}
	abandon := func(err error) error {
		if reactivated {
			s.pinned.Store(false)
		}
		return err
	}
	// Before the flush lock: rebuilding damaged index files takes it.
	if _, _, err := l.indexes(s); err != nil {
		return abandon(err)
	}
	l.flushMu.Lock()
	defer l.flushMu.Unlock()

	// Find the first batch reaching offset.
	limit := s.size.Load()
	pos := l.lookupPosition(s, offset)
	newEnd := offset
	w := newHeaderWalker(s, limit)
	for pos < limit {
		h, err := w.header(pos)
		if err != nil {
			w.close()
			return abandon(err)
		}
		if h.LastOffset() >= offset {
			newEnd = h.BaseOffset
			break
		}
		pos += int64(h.Size())
	}
	w.close()

	if reactivated {
		for _, later := range segs[i+1:] {
			l.retireLocked(later)
		}
		kept := append([]*segment(nil), segs[:i+1]...)
		l.segs.Store(&kept)
		l.env.cache.remove(s) // pinned: not added back
	}
	if err := s.file.Truncate(pos); err != nil {
		l.fail(fmt.Errorf("truncating %s: %w", s.path(logSuffix), err))
		return err
	}
	s.size.Store(pos)
	l.truncateIndexesLocked(s, pos, newEnd)
	if err := s.persistIndexes(false); err != nil {
		return err
	}
	l.leo.Store(newEnd)
	if l.hw.Load() > newEnd {
		l.hw.Store(newEnd)
	}
	if l.recoveryPoint.Load() > newEnd {
		l.recoveryPoint.Store(newEnd)
	}
	s.dirty.Store(true)
	if err := l.epochs.truncateFromEnd(newEnd); err != nil {
		return err
	}
	return l.loadProducersLocked()
}

// truncateIndexesLocked drops index entries at or past position pos (offset
// end) and recomputes the segment's running maximum timestamp, which may now
// come from a batch after the last remaining time entry.
func (l *Log) truncateIndexesLocked(s *segment, pos, end int64) {
	off, tim := s.offIdx.Load(), s.timeIdx.Load()
	ob := off.bytes()
	k := 0
	for k < len(ob)/offsetEntrySize {
		if _, p := offsetEntryAt(ob, k); int64(p) >= pos {
			break
		}
		k++
	}
	off.truncate(k)
	tb := tim.bytes()
	k = 0
	for k < len(tb)/timeEntrySize {
		if _, rel := timeEntryAt(tb, k); s.base+int64(rel) >= end {
			break
		}
		k++
	}
	tim.truncate(k)

	ixr := newIndexer()
	from := int64(0)
	if ts, rel, ok := lastTimeEntry(tim.bytes()); ok {
		ixr.maxTS, ixr.maxTSOffset, ixr.lastTimeTS = ts, s.base+int64(rel), ts
		from = floorOffset(off.bytes(), rel)
	}
	w := newHeaderWalker(s, pos)
	for p := from; p < pos; {
		h, err := w.header(p)
		if err != nil {
			break
		}
		if h.MaxTimestamp > ixr.maxTS {
			ixr.maxTS, ixr.maxTSOffset = h.MaxTimestamp, h.LastOffset()
		}
		p += int64(h.Size())
	}
	w.close()
	s.ixr = ixr
	s.maxTS.Store(ixr.maxTS)
	s.maxTSOffset.Store(ixr.maxTSOffset)
	if pos == 0 {
		s.firstBatchTS = -1
		s.created = l.env.nowMs()
	}
}

// TruncateFullyAndStartAt empties the log and restarts it at offset, as a
// follower does when the leader's log starts past its own end.
func (l *Log) TruncateFullyAndStartAt(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	return l.truncateFullyAndStartAtLocked(offset)
}

func (l *Log) truncateFullyAndStartAtLocked(offset int64) error {
	old := l.segments()
	// A segment already at offset is retired first so the new one gets
	// fresh files rather than truncating files readers may hold.
	var clash *segment
	for _, s := range old {
		if s.base == offset {
			clash = s
			l.retireLocked(s)
		}
	}
	ns, err := createSegment(l.env.fs, l.dir, offset, l.env.nowMs())
	if err != nil {
		if clash != nil {
			delete(l.pending, clash) // still listed: must stay open
		}
		l.fail(err)
		return err
	}
	ns.rollJitter = newSegmentJitter(l.cfg.Load())
	fresh := []*segment{ns}
	l.segs.Store(&fresh)
	for _, s := range old {
		if s != clash {
			l.retireLocked(s)
		}
	}
	l.leo.Store(offset)
	l.logStart.Store(offset)
	l.hw.Store(offset)
	l.recoveryPoint.Store(offset)
	l.producers.m, l.producers.savedAt = nil, -1
	l.pruneSnapshotsLocked(-1)
	if l.env.logStartMoved != nil {
		l.env.logStartMoved()
	}
	if err := l.env.fs.SyncDir(l.dir); err != nil {
		l.fail(err)
		return err
	}
	return l.epochs.clear()
}
