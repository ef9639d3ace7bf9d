package storage

import "fmt"

// Flush makes everything appended so far durable and advances the recovery
// point to the log end offset.
func (l *Log) Flush() error { return l.flushTo(l.leo.Load()) }

// FlushTo makes at least the offsets below offset durable (see
// AppendOptions.DeferFlush).
func (l *Log) FlushTo(offset int64) error { return l.flushTo(offset) }

// flushTo makes at least the offsets below target durable. It flushes up to
// the log end offset it sees once it holds the flush lock, so a caller that
// waited behind another flush usually finds its work done (group commit).
func (l *Log) flushTo(target int64) error {
	if l.recoveryPoint.Load() >= target {
		return nil
	}
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	if l.recoveryPoint.Load() >= target {
		return nil
	}
	if l.closed.Load() {
		return ErrClosed
	}
	if err := l.usable(); err != nil {
		return err
	}
	// Every append that published an offset below upTo marked its segment
	// dirty first, so the fsyncs below cover it.
	upTo := l.leo.Load()
	segs := l.segments()
	if l.dirNeedsSync.Swap(false) {
		if err := l.env.fs.SyncDir(l.dir); err != nil {
			l.dirNeedsSync.Store(true)
			l.fail(fmt.Errorf("fsync of the log directory: %w", err))
			return err
		}
	}
	for i, s := range segs {
		if s.base >= upTo && i > 0 {
			break
		}
		if s.dirty.Swap(false) {
			if err := s.file.Sync(); err != nil {
				s.dirty.Store(true)
				// After a failed fsync the page cache may have dropped
				// the data: nothing about the file can be trusted.
				l.fail(fmt.Errorf("fsync %s: %w", s.path(logSuffix), err))
				return err
			}
		}
		if i < len(segs)-1 && !segmentDurable(s) && s.offIdx.Load() != nil {
			// A closed segment's indexes must be durable before the
			// recovery point passes it: recovery will trust them.
			if err := s.persistIndexes(true); err != nil {
				upTo = s.base
				l.env.logger.Warn("persisting a segment's indexes", "segment", s.path(logSuffix), "err", err)
				break
			}
		}
	}
	if upTo > l.recoveryPoint.Load() {
		l.recoveryPoint.Store(upTo)
	}
	l.lastFlushMs.Store(l.env.nowMs())
	return nil
}

// close flushes the log and its indexes, writes the active segment's final
// time index entry, and closes its files. A failed log is closed without
// flushing; close reports the failure so no clean shutdown is claimed.
func (l *Log) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	if l.closed.Swap(true) {
		return nil
	}
	var err error
	if p := l.failed.Load(); p != nil {
		err = fmt.Errorf("%w: %w", ErrLogFailed, *p)
	}
	segs := l.segments()
	if err == nil {
		active := segs[len(segs)-1]
		active.ixr.maybeAddTime(active.base, active.timeIdx.Load())
		for _, s := range segs {
			if s.dirty.Swap(false) {
				if serr := s.file.Sync(); serr != nil {
					err = fmt.Errorf("storage: fsync %s: %w", s.path(logSuffix), serr)
					break
				}
			}
			if s.offIdx.Load() != nil {
				if perr := s.persistIndexes(true); perr != nil {
					err = perr
					break
				}
			}
		}
		if err == nil {
			// Opening after a clean close then reads the producer
			// state instead of replaying batch headers.
			err = l.writeSnapshotLocked()
		}
		if err == nil && l.dirNeedsSync.Swap(false) {
			err = l.env.fs.SyncDir(l.dir)
		}
		if err == nil {
			l.recoveryPoint.Store(l.leo.Load())
		}
	}
	for _, s := range segs {
		l.env.cache.remove(s)
		s.release()
	}
	l.releasePendingLocked()
	return err
}
