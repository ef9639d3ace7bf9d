package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// Errors returned by a Log. Each maps to one Kafka error code at the handler
// boundary.
var (
	// ErrOffsetOutOfRange: the offset is below the log start or above the
	// log end offset.
	ErrOffsetOutOfRange = errors.New("storage: offset out of range")
	// ErrLogFailed: an earlier write or fsync failed in a way that leaves
	// the file's contents unknown; the log refuses writes until reopened.
	// Reads of what was committed before still work.
	ErrLogFailed = errors.New("storage: log failed after an I/O error")
	// ErrClosed: the log was closed or deleted.
	ErrClosed = errors.New("storage: log closed")
	// ErrRecordSetTooLarge: an append larger than a whole segment.
	ErrRecordSetTooLarge = errors.New("storage: record set larger than a segment")
	// ErrOffsetOrder: a replicated append whose offsets do not follow the
	// log end offset.
	ErrOffsetOrder = errors.New("storage: appended offsets out of order")
	// ErrCorruptLog: committed data on disk no longer parses.
	ErrCorruptLog = errCorruptLog
	// ErrStaleEpoch: an append with a leader epoch older than the log's
	// latest; epochs only move forward.
	ErrStaleEpoch = errors.New("storage: leader epoch older than the log's latest")
)

// env is what all the logs of one manager share.
type env struct {
	fs     vfs.FS
	now    func() time.Time
	sched  *scheduler
	cache  *indexCache
	logger *slog.Logger
	// logStartMoved tells the manager a log start offset changed, so the
	// checkpoint is written soon rather than at the next interval.
	logStartMoved func()
}

func (e *env) nowMs() int64 { return e.now().UnixMilli() }

// Log is one partition's log. All methods are safe for concurrent use:
// appends and structural changes serialise on the writer mutex, reads take
// no lock.
type Log struct {
	tp  TopicPartition
	dir string
	env *env
	cfg atomic.Pointer[Config]

	// mu is the single writer: appends, rolls, truncation and segment
	// deletion. flushMu serialises flushes; lock order is mu, then flushMu.
	mu      sync.Mutex
	flushMu sync.Mutex

	// segs is the segment list, oldest first, the last one active. A
	// published slice is never modified; changes publish a new one.
	segs atomic.Pointer[[]*segment]

	// Invariant: logStart <= hw <= leo, and recoveryPoint <= leo.
	leo           atomic.Int64
	logStart      atomic.Int64
	hw            atomic.Int64
	lso           atomic.Int64 // -1: follow hw
	recoveryPoint atomic.Int64
	lastFlushMs   atomic.Int64
	// dirNeedsSync is set when a segment file was created and the
	// directory entry is not yet known to be durable.
	dirNeedsSync atomic.Bool

	epochs *epochCache
	// producers is the idempotent producers' state; guarded by mu.
	producers producers
	// pending are segments removed from the log whose files are kept
	// open for file.delete.delay.ms for readers still on them; guarded
	// by mu.
	pending map[*segment]struct{}
	// failed holds the error that broke the log, if any.
	failed atomic.Pointer[error]
	closed atomic.Bool
}

// openState is what the manager's checkpoints say about a log.
type openState struct {
	recoveryPoint int64 // -1: unknown, recover everything
	logStart      int64 // -1: unknown
	clean         bool  // the directory had a clean shutdown marker
}

// parseLogDirName splits "<topic>-<partition>" at its last dash.
func parseLogDirName(name string) (TopicPartition, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return TopicPartition{}, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 || strconv.FormatInt(p, 10) != name[i+1:] {
		return TopicPartition{}, false
	}
	return TopicPartition{name[:i], int32(p)}, true
}

// openLog opens (and if needed recovers) the log in dir, creating dir for a
// new log.
func openLog(e *env, dir string, tp TopicPartition, cfg Config, st openState) (*Log, error) {
	if err := e.fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: create %s: %w", dir, err)
	}
	l := &Log{tp: tp, dir: dir, env: e}
	l.cfg.Store(&cfg)
	l.lso.Store(-1)
	l.lastFlushMs.Store(e.nowMs())
	if err := l.load(st); err != nil {
		for _, s := range l.segments() {
			s.release()
		}
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	if err := l.loadProducersLocked(); err != nil {
		for _, s := range l.segments() {
			s.release()
		}
		return nil, fmt.Errorf("storage: open %s: producer state: %w", dir, err)
	}
	return l, nil
}

// load reads the directory and brings the log to a consistent state.
func (l *Log) load(st openState) error {
	e := l.env
	entries, err := e.fs.ReadDir(l.dir)
	if err != nil {
		return err
	}
	var bases []int64
	logs := map[int64]bool{}
	var indexFiles []string
	for _, de := range entries {
		name := de.Name()
		full := filepath.Join(l.dir, name)
		switch {
		case strings.HasSuffix(name, deletedSuffix), strings.HasSuffix(name, ".tmp"),
			strings.HasSuffix(name, ".cleaned"), strings.HasSuffix(name, ".swap"):
			// Leftovers of an interrupted deletion or write. There is no
			// compaction yet, so a .swap cannot hold data to keep.
			if err := e.fs.Remove(full); err != nil {
				return err
			}
		case strings.HasSuffix(name, logSuffix):
			base, err := strconv.ParseInt(strings.TrimSuffix(name, logSuffix), 10, 64)
			if err != nil || len(name) != 20+len(logSuffix) {
				e.logger.Warn("ignoring unexpected file in log directory", "file", full)
				continue
			}
			bases = append(bases, base)
			logs[base] = true
		case strings.HasSuffix(name, indexSuffix), strings.HasSuffix(name, timeIndexSuffix):
			indexFiles = append(indexFiles, name)
		}
	}
	for _, name := range indexFiles {
		base, err := strconv.ParseInt(name[:min(20, len(name))], 10, 64)
		if err != nil || !logs[base] {
			if err := e.fs.Remove(filepath.Join(l.dir, name)); err != nil {
				return err
			}
		}
	}
	slices.Sort(bases)
	now := e.nowMs()
	segs := make([]*segment, 0, max(1, len(bases)))
	for _, b := range bases {
		s, err := openSegment(e.fs, l.dir, b, now)
		if err != nil {
			for _, s := range segs {
				s.release()
			}
			return err
		}
		segs = append(segs, s)
	}
	l.segs.Store(&segs)

	epochs, epochErr := loadEpochCache(e.fs, l.dir)
	if epochErr != nil {
		e.logger.Warn("leader epoch checkpoint unreadable; rebuilding it from the log", "dir", l.dir, "err", epochErr)
	}
	l.epochs = epochs

	if len(segs) == 0 {
		start := max(st.logStart, 0)
		s, err := createSegment(e.fs, l.dir, start, now)
		if err != nil {
			return err
		}
		segs = append(segs, s)
		l.segs.Store(&segs)
		l.leo.Store(start)
		l.logStart.Store(start)
		l.hw.Store(start)
		l.recoveryPoint.Store(start)
		if err := e.fs.SyncDir(l.dir); err != nil {
			return err
		}
		return l.epochs.truncateFromEnd(start)
	}

	scanned := map[*segment]bool{}
	if st.clean {
		if err := l.openActiveClean(); err != nil {
			e.logger.Warn("active segment damaged despite a clean shutdown; recovering it", "dir", l.dir, "err", err)
			if err := l.recoverFrom(len(l.segments())-1, scanned, epochErr == nil); err != nil {
				return err
			}
		}
	} else {
		i := l.segmentIndexFor(max(st.recoveryPoint, 0))
		if err := l.recoverFrom(i, scanned, epochErr == nil); err != nil {
			return err
		}
	}
	segs = l.segments()

	if epochErr != nil {
		// Rebuild the epoch history from the batch headers we did not
		// scan above (the scanned ones assigned theirs as they went).
		for _, s := range segs {
			if scanned[s] {
				continue
			}
			if err := l.walkHeaders(s, func(h *record.Header) {
				l.epochs.assign(h.PartitionLeaderEpoch, h.BaseOffset, false)
			}); err != nil {
				return err
			}
		}
	}
	if err := l.epochs.truncateFromEnd(l.leo.Load()); err != nil {
		return err
	}
	if epochErr != nil || len(scanned) > 0 {
		l.epochs.mu.Lock()
		err := l.epochs.persistLocked()
		l.epochs.mu.Unlock()
		if err != nil {
			return err
		}
	}

	start := max(st.logStart, segs[0].base)
	if start > l.leo.Load() {
		// The checkpointed start is past everything that survived:
		// nothing below it may be served, so begin empty at it.
		e.logger.Warn("log start offset beyond the recovered log end; emptying the log", "dir", l.dir, "log_start", start, "leo", l.leo.Load())
		l.hw.Store(l.leo.Load())
		l.logStart.Store(segs[0].base)
		return l.truncateFullyAndStartAtLocked(start)
	}
	l.logStart.Store(start)
	if err := l.epochs.truncateFromStart(start); err != nil {
		return err
	}
	l.hw.Store(l.leo.Load())
	// After a clean shutdown everything was flushed; after a crash,
	// recoverFrom fsynced what it scanned and the rest was below the
	// recovery point already.
	l.recoveryPoint.Store(l.leo.Load())
	return nil
}

// openActiveClean prepares the active segment after a clean shutdown: its
// indexes come from their files and only the tail past the last offset index
// entry is read, to find the log end offset.
func (l *Log) openActiveClean() error {
	segs := l.segments()
	s := segs[len(segs)-1]
	cfg := l.cfg.Load()
	offB, err := s.readIndexFile(indexSuffix)
	if err != nil {
		return err
	}
	timeB, err := s.readIndexFile(timeIndexSuffix)
	if err != nil {
		return err
	}
	if offB == nil || timeB == nil {
		return fmt.Errorf("%w: index files missing", errIndexCorrupt)
	}
	if err := verifyIndexes(s, offB, timeB, s.size.Load()); err != nil {
		return err
	}
	off, tim := newIndex(offsetEntrySize, offB), newIndex(timeEntrySize, timeB)
	ixr := newIndexer()
	if ts, rel, ok := lastTimeEntry(timeB); ok {
		ixr.maxTS, ixr.maxTSOffset, ixr.lastTimeTS = ts, s.base+int64(rel), ts
	}
	from := int64(0)
	if n := off.len(); n > 0 {
		_, pos := offsetEntryAt(offB, n-1)
		from = int64(pos)
	}
	res, err := s.scan(cfg, from, s.base, math.MaxInt64, off, tim, &ixr, nil)
	if err != nil {
		return err
	}
	if res.stop != nil || res.validSize != s.size.Load() {
		return fmt.Errorf("tail of %s: %v", s.path(logSuffix), res.stop)
	}
	if res.nextOffset == s.base && from > 0 {
		return fmt.Errorf("%w: no batch after the last index entry", errIndexCorrupt)
	}
	if from == 0 {
		s.firstBatchTS = res.firstTS
	} else if s.firstBatchTS, err = l.firstBatchTimestamp(s); err != nil {
		return err
	}
	s.ixr = ixr
	l.installScanned(s, off, tim, res, true)
	off.persisted.Store(int64(len(offB) / offsetEntrySize))
	tim.persisted.Store(int64(len(timeB) / timeEntrySize))
	return nil
}

// recoverFrom rescans segments i and later: it validates every batch,
// rebuilds the indexes, truncates at the first bad batch and deletes every
// segment after it, then makes the result durable.
//
// When trustEpochs is set the leader epoch checkpoint was readable and each
// batch's epoch is checked against it; otherwise the history is rebuilt from
// the batches.
func (l *Log) recoverFrom(i int, scanned map[*segment]bool, trustEpochs bool) error {
	segs := l.segments()
	cfg := l.cfg.Load()
	for j := i; j < len(segs); j++ {
		s := segs[j]
		limit := int64(math.MaxInt64)
		if j+1 < len(segs) {
			limit = segs[j+1].base
		}
		off, tim := newIndex(offsetEntrySize, nil), newIndex(timeEntrySize, nil)
		ixr := newIndexer()
		res, err := s.scan(cfg, 0, s.base, limit, off, tim, &ixr, func(h *record.Header) error {
			if !trustEpochs {
				l.epochs.assign(h.PartitionLeaderEpoch, h.BaseOffset, false)
				return nil
			}
			// The checkpoint is written before the data it describes, so
			// it vouches for each batch's epoch, which the CRC does not.
			if want, ok := l.epochs.epochAt(h.BaseOffset); ok && want != h.PartitionLeaderEpoch {
				return fmt.Errorf("storage: batch at %d has leader epoch %d, the checkpoint says %d", h.BaseOffset, h.PartitionLeaderEpoch, want)
			}
			return nil
		})
		if err != nil {
			return err
		}
		scanned[s] = true
		if res.stop != nil {
			l.env.logger.Warn("truncating damaged or torn log tail", "segment", s.path(logSuffix),
				"valid_bytes", res.validSize, "file_bytes", s.size.Load(), "reason", res.stop, "segments_dropped", len(segs)-j-1)
			if err := s.file.Truncate(res.validSize); err != nil {
				return err
			}
			s.size.Store(res.validSize)
			for _, later := range segs[j+1:] {
				if err := later.markDeleted(); err != nil {
					return err
				}
				later.release()
			}
			segs = segs[:j+1]
			l.segs.Store(&segs)
		}
		s.ixr = ixr
		s.firstBatchTS = res.firstTS
		if j < len(segs)-1 {
			// A closed segment's final maximum is its last time entry.
			s.ixr.maybeAddTime(s.base, tim)
		}
		l.installScanned(s, off, tim, res, j == len(segs)-1)
		if err := s.file.Sync(); err != nil {
			return err
		}
		l.flushMu.Lock()
		err = s.persistIndexes(true)
		l.flushMu.Unlock()
		if err != nil {
			return err
		}
		if res.stop != nil {
			break
		}
	}
	return l.env.fs.SyncDir(l.dir)
}

// installScanned publishes what a scan found about segment s (whose
// indexer s.ixr the scan advanced); for the active segment that includes the
// log end offset.
func (l *Log) installScanned(s *segment, off, tim *index, res scanResult, active bool) {
	s.offIdx.Store(off)
	s.timeIdx.Store(tim)
	s.maxTS.Store(s.ixr.maxTS)
	s.maxTSOffset.Store(s.ixr.maxTSOffset)
	if active {
		l.leo.Store(res.nextOffset)
	} else {
		l.env.cache.add(s, segmentDurable)
	}
}

// firstBatchTimestamp reads the max timestamp of a segment's first batch,
// which segment.ms rolling is measured from.
func (l *Log) firstBatchTimestamp(s *segment) (int64, error) {
	if s.size.Load() == 0 {
		return -1, nil
	}
	w := newHeaderWalker(s, s.size.Load())
	defer w.close()
	h, err := w.header(0)
	if err != nil {
		return -1, err
	}
	return h.MaxTimestamp, nil
}

// segmentDurable reports whether a segment's in-memory indexes are all on
// disk, so the cache may drop them.
func segmentDurable(s *segment) bool {
	off, tim := s.offIdx.Load(), s.timeIdx.Load()
	return off != nil && tim != nil && off.persisted.Load() == int64(off.len()) && tim.persisted.Load() == int64(tim.len()) && !s.dirty.Load()
}

// segments returns the published segment list; do not modify it.
func (l *Log) segments() []*segment { return *l.segs.Load() }

// segmentIndexFor returns the index of the segment that would hold offset:
// the last one whose base is at most offset (0 if offset is below all).
func (l *Log) segmentIndexFor(offset int64) int {
	segs := l.segments()
	i, found := slices.BinarySearchFunc(segs, offset, func(s *segment, o int64) int {
		switch {
		case s.base < o:
			return -1
		case s.base > o:
			return 1
		}
		return 0
	})
	if found {
		return i
	}
	return max(i-1, 0)
}

// walkHeaders calls fn for each batch header of a segment's committed data.
func (l *Log) walkHeaders(s *segment, fn func(h *record.Header)) error {
	limit := s.size.Load()
	w := newHeaderWalker(s, limit)
	defer w.close()
	for pos := int64(0); pos < limit; {
		h, err := w.header(pos)
		if err != nil {
			return err
		}
		fn(&h)
		pos += int64(h.Size())
	}
	return nil
}

// TopicPartition is the partition this log stores.
func (l *Log) TopicPartition() TopicPartition { return l.tp }

// Dir is the log's directory.
func (l *Log) Dir() string { return l.dir }

// Config is the log's current configuration.
func (l *Log) Config() Config { return *l.cfg.Load() }

// SetConfig replaces the log's configuration (a topic config change). It
// applies to the next append, roll and retention pass.
func (l *Log) SetConfig(cfg Config) { l.cfg.Store(&cfg) }

// LogStartOffset is the first offset that may be read.
func (l *Log) LogStartOffset() int64 { return l.logStart.Load() }

// LogEndOffset is the offset the next appended record will get.
func (l *Log) LogEndOffset() int64 { return l.leo.Load() }

// HighWatermark is the offset below which records are committed, as set
// by the replication layer (it starts at the log end offset on open).
func (l *Log) HighWatermark() int64 { return l.hw.Load() }

// SetHighWatermark sets the high watermark, clamped to [log start, log end].
func (l *Log) SetHighWatermark(o int64) {
	l.hw.Store(min(max(o, l.logStart.Load()), l.leo.Load()))
}

// LastStableOffset is the offset below which no transaction is open; it
// follows the high watermark until set.
func (l *Log) LastStableOffset() int64 {
	if o := l.lso.Load(); o >= 0 {
		return min(o, l.hw.Load())
	}
	return l.hw.Load()
}

// SetLastStableOffset sets the last stable offset (-1: follow the high
// watermark).
func (l *Log) SetLastStableOffset(o int64) { l.lso.Store(o) }

// RecoveryPoint is the offset below which everything is known to be on
// disk.
func (l *Log) RecoveryPoint() int64 { return l.recoveryPoint.Load() }

// Size is the total size of the log's segments in bytes.
func (l *Log) Size() int64 {
	var n int64
	for _, s := range l.segments() {
		n += s.size.Load()
	}
	return n
}

// NumSegments is the number of segments.
func (l *Log) NumSegments() int { return len(l.segments()) }

// LeaderEpochs returns the leader epoch history, oldest first.
func (l *Log) LeaderEpochs() []EpochEntry { return l.epochs.snapshot() }

// LatestEpoch returns the newest leader epoch in the log, or -1.
func (l *Log) LatestEpoch() int32 {
	e, _ := l.epochs.latest()
	return e.Epoch
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch: the end offset of the
// given epoch and the largest epoch at or below it, or (-1, -1).
func (l *Log) EndOffsetForEpoch(epoch int32) (int32, int64) {
	return l.epochs.endOffsetFor(epoch, l.leo.Load())
}

// usable reports why the log cannot be written, if it cannot.
func (l *Log) usable() error {
	if l.closed.Load() {
		return ErrClosed
	}
	if p := l.failed.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrLogFailed, *p)
	}
	return nil
}

// fail marks the log failed after an I/O error that may have left its files
// in an unknown state.
func (l *Log) fail(err error) {
	if l.failed.CompareAndSwap(nil, &err) {
		l.env.logger.Error("log failed; refusing writes until restart", "dir", l.dir, "err", err)
	}
}

// newSegmentJitter draws a segment's roll jitter.
func newSegmentJitter(cfg *Config) int64 {
	if cfg.SegmentJitterMs <= 0 {
		return 0
	}
	return rand.Int64N(min(cfg.SegmentJitterMs, cfg.SegmentMs) + 1)
}

// EpochAt returns the leader epoch of the record at offset, from the epoch
// history, or -1 when it is unknown.
func (l *Log) EpochAt(offset int64) int32 {
	if e, ok := l.epochs.epochAt(offset); ok {
		return e
	}
	return -1
}
