package storage

import (
	"fmt"
	"math"

	"github.com/fjordlabs/fjord/internal/record"
)

// AppendOptions say how an append is treated.
type AppendOptions struct {
	Origin Origin
	// LeaderEpoch is stamped on the batches and recorded in the epoch
	// history when the log assigns offsets (every origin but replication).
	LeaderEpoch int32
	// DeferFlush leaves a flush that flush.messages makes due to the
	// caller, who sees FlushNeeded and calls FlushTo (or Manager.FlushAll
	// for many logs at once) before acknowledging the append.
	DeferFlush bool
}

// AppendResult describes a successful append.
type AppendResult struct {
	FirstOffset int64 // -1 when nothing was appended (no batches)
	LastOffset  int64
	// LogAppendTime is the timestamp the log gave the batches, or -1 for
	// CreateTime topics.
	LogAppendTime  int64
	NumRecords     int64
	LogStartOffset int64
	// FlushNeeded: DeferFlush was set and flush.messages is reached; the
	// append is durable only after FlushTo(LastOffset+1).
	FlushNeeded bool
	// Duplicate: the batch repeated one its idempotent producer had
	// written; nothing was appended and the offsets are the original's.
	Duplicate bool
}

// Append validates and appends a run of v2 batches and returns the offsets
// they were given. For every origin but replication the batches are
// modified in place (base offset, leader epoch, log append time), so the
// buffer must be the caller's to change. Nothing is written unless every
// batch passes validation; a failed write leaves the log as it was.
//
// When flush.messages is reached the append flushes before returning; an
// fsync covers every append that completed before it, so concurrent
// appends share it (group commit).
func (l *Log) Append(buf []byte, opts AppendOptions) (AppendResult, error) {
	cfg := l.cfg.Load()
	now := l.env.nowMs()
	res := AppendResult{FirstOffset: -1, LastOffset: -1, LogAppendTime: -1}
	r, err := validate(buf, cfg, &opts, now)
	if err != nil {
		return res, err
	}
	if r.batches == 0 {
		res.LogStartOffset = l.logStart.Load()
		return res, nil
	}
	if int64(len(r.buf)) > cfg.SegmentBytes {
		return res, fmt.Errorf("%w: %d bytes, segment.bytes %d", ErrRecordSetTooLarge, len(r.buf), cfg.SegmentBytes)
	}
	if cfg.LogAppendTime && opts.Origin != OriginReplication {
		res.LogAppendTime = now
	}

	l.mu.Lock()
	if opts.Origin == OriginClient && r.producers {
		dup, err := l.producers.checkRun(r.buf)
		if err != nil || dup != nil {
			l.mu.Unlock()
			res.LogStartOffset = l.logStart.Load()
			if err != nil {
				return res, err
			}
			return l.duplicateResult(res, dup, cfg, &opts)
		}
	}
	first, last, err := l.appendLocked(&r, cfg, &opts, now)
	l.mu.Unlock()
	if err != nil {
		return res, err
	}
	res.FirstOffset, res.LastOffset = first, last
	res.NumRecords = r.records
	res.LogStartOffset = l.logStart.Load()

	if l.leo.Load()-l.recoveryPoint.Load() >= cfg.FlushMessages {
		if opts.DeferFlush {
			res.FlushNeeded = true
		} else if err := l.flushTo(last + 1); err != nil {
			return res, err
		}
	}
	return res, nil
}

// duplicateResult answers a retried batch with where the original went.
// The retry is acknowledged as the original would be: if flush.messages
// applies and the original is not yet flushed, it is flushed first.
func (l *Log) duplicateResult(res AppendResult, dup *producerBatch, cfg *Config, opts *AppendOptions) (AppendResult, error) {
	res.Duplicate = true
	res.FirstOffset, res.LastOffset = dup.firstOffset, dup.lastOffset
	if cfg.LogAppendTime {
		res.LogAppendTime = dup.maxTimestamp
	}
	if cfg.FlushMessages != math.MaxInt64 && l.recoveryPoint.Load() <= dup.lastOffset {
		if opts.DeferFlush {
			res.FlushNeeded = true
		} else if err := l.flushTo(dup.lastOffset + 1); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (l *Log) appendLocked(r *run, cfg *Config, opts *AppendOptions, now int64) (first, last int64, err error) {
	if err := l.usable(); err != nil {
		return 0, 0, err
	}
	leo := l.leo.Load()
	if opts.Origin == OriginReplication {
		if r.firstBase < leo {
			return 0, 0, fmt.Errorf("%w: batch at %d below the log end offset %d", ErrOffsetOrder, r.firstBase, leo)
		}
		first, last = r.firstBase, r.lastOffset
	} else {
		first, last = leo, leo+r.offsets-1
	}

	segs := l.segments()
	seg := segs[len(segs)-1]
	if l.shouldRoll(seg, cfg, int64(len(r.buf)), last, r.maxTS, now) {
		if seg, err = l.rollLocked(first, now); err != nil {
			return 0, 0, err
		}
	}
	if last-seg.base > maxRelativeOffset || first < seg.base {
		return 0, 0, fmt.Errorf("%w: offsets %d..%d do not fit segment %d", ErrOffsetOrder, first, last, seg.base)
	}
	if opts.Origin != OriginReplication {
		for off, b := first, r.buf; len(b) > 0; {
			size, _ := record.PeekSize(b)
			record.SetBaseOffset(b, off)
			h, _ := record.ParseHeader(b)
			off = h.NextOffset()
			b = b[size:]
		}
	}

	// The epoch history is written before the data: an entry past the
	// log end is dropped on open, a missing one could not be rebuilt, and
	// recovery checks each batch's epoch (which the CRC does not cover)
	// against it.
	epoch := opts.LeaderEpoch
	if opts.Origin == OriginReplication {
		epoch = r.firstEpoch
	}
	if latest := l.LatestEpoch(); epoch < latest {
		return 0, 0, fmt.Errorf("%w: %d after %d", ErrStaleEpoch, epoch, latest)
	}
	if opts.Origin != OriginReplication {
		if _, err := l.epochs.assign(opts.LeaderEpoch, first, true); err != nil {
			return 0, 0, fmt.Errorf("storage: leader epoch checkpoint: %w", err)
		}
	} else if err := l.assignEpochsOf(r.buf); err != nil {
		return 0, 0, err
	}

	pos := seg.size.Load()
	if n, err := seg.file.WriteAt(r.buf, pos); err != nil {
		// Cut off whatever part landed so the next append starts clean;
		// if even that fails the file's tail is unknown.
		if terr := seg.file.Truncate(pos); terr != nil {
			l.fail(fmt.Errorf("write failed (%v) and truncation after it failed: %w", err, terr))
		}
		return 0, 0, fmt.Errorf("storage: append to %s (%d of %d bytes written): %w", seg.path(logSuffix), n, len(r.buf), err)
	}
	seg.dirty.Store(true)
	seg.size.Store(pos + int64(len(r.buf)))
	l.leo.Store(last + 1)

	// Index after publishing: readers treat the index as a hint and never
	// follow an entry past the committed size.
	off, tim := seg.offIdx.Load(), seg.timeIdx.Load()
	for p, b := pos, r.buf; len(b) > 0; {
		h, _ := record.ParseHeader(b)
		if p == 0 {
			seg.firstBatchTS = h.MaxTimestamp
		}
		seg.ixr.add(&h, p, seg.base, cfg.IndexIntervalBytes, off, tim)
		l.producers.update(&h)
		p += int64(h.Size())
		b = b[h.Size():]
	}
	seg.maxTS.Store(seg.ixr.maxTS)
	seg.maxTSOffset.Store(seg.ixr.maxTSOffset)
	return first, last, nil
}

// assignEpochsOf records the leader epochs of replicated batches.
func (l *Log) assignEpochsOf(buf []byte) error {
	for b := buf; len(b) > 0; {
		h, _ := record.ParseHeader(b)
		if _, err := l.epochs.assign(h.PartitionLeaderEpoch, h.BaseOffset, true); err != nil {
			return fmt.Errorf("storage: leader epoch checkpoint: %w", err)
		}
		b = b[h.Size():]
	}
	return nil
}

// shouldRoll applies Kafka's roll conditions to the active segment before an
// append of size bytes ending at offset last whose largest timestamp is maxTS.
func (l *Log) shouldRoll(s *segment, cfg *Config, size, last, maxTS, now int64) bool {
	cur := s.size.Load()
	if last-s.base > maxRelativeOffset {
		return true
	}
	if cur == 0 {
		return false
	}
	if cur > cfg.SegmentBytes-size {
		return true
	}
	if off, tim := s.offIdx.Load(), s.timeIdx.Load(); off.len() >= cfg.maxOffsetEntries() || tim.len() >= cfg.maxTimeEntries() {
		return true
	}
	// segment.ms: measured from the first batch's timestamp when there is
	// one, as Kafka does, else from the segment's creation.
	waited := now - s.created
	if s.firstBatchTS >= 0 {
		waited = maxTS - s.firstBatchTS
	}
	return waited > cfg.SegmentMs-s.rollJitter
}

// rollLocked makes a new active segment at base. The old one gets its final
// time index entry and is flushed in the background, as Kafka does on roll;
// an empty old one is simply replaced.
func (l *Log) rollLocked(base int64, now int64) (*segment, error) {
	segs := l.segments()
	old := segs[len(segs)-1]
	if old.size.Load() == 0 && old.base == base {
		return old, nil
	}
	ns, err := createSegment(l.env.fs, l.dir, base, now)
	if err != nil {
		return nil, err
	}
	ns.rollJitter = newSegmentJitter(l.cfg.Load())
	next := make([]*segment, 0, len(segs)+1)
	next = append(next, segs...)
	emptyOld := old.size.Load() == 0
	if emptyOld {
		next = next[:len(next)-1]
	}
	next = append(next, ns)
	l.segs.Store(&next)
	l.dirNeedsSync.Store(true)
	if emptyOld {
		if err := old.markDeleted(); err != nil {
			l.env.logger.Warn("removing an empty segment", "segment", old.path(logSuffix), "err", err)
		}
		old.release()
		return ns, nil
	}
	// The producer state as of the roll, so that opening after a crash
	// replays at most the new segment's batches.
	if err := l.writeSnapshotLocked(); err != nil {
		l.env.logger.Warn("writing a producer snapshot", "dir", l.dir, "err", err)
	}
	old.ixr.maybeAddTime(old.base, old.timeIdx.Load())
	old.maxTS.Store(old.ixr.maxTS)
	old.maxTSOffset.Store(old.ixr.maxTSOffset)
	old.pinned.Store(false)
	l.env.cache.add(old, segmentDurable)
	l.env.sched.submit(func() {
		if err := l.flushTo(base); err != nil && !l.closed.Load() {
			l.env.logger.Warn("flushing a rolled segment", "dir", l.dir, "err", err)
		}
	})
	return ns, nil
}
