package storage

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/fjordlabs/fjord/internal/vfs"
)

// EpochEntry records that leader epoch Epoch began at StartOffset.
type EpochEntry struct {
	Epoch       int32
	StartOffset int64
}

// epochCache is the partition's leader epoch history, kept in
// leader-epoch-checkpoint: what OffsetForLeaderEpoch answers from and what
// followers truncate by.
//
// Invariant: epochs and start offsets both strictly increase.
type epochCache struct {
	mu      sync.RWMutex
	entries []EpochEntry
	fs      vfs.FS
	path    string
}

func loadEpochCache(fsys vfs.FS, dir string) (*epochCache, error) {
	c := &epochCache{fs: fsys, path: filepath.Join(dir, leaderEpochCheckpointFile)}
	lines, err := readCheckpoint(fsys, c.path, 2)
	if err != nil {
		return c, err
	}
	for _, l := range lines {
		e, err1 := strconv.ParseInt(l[0], 10, 32)
		o, err2 := strconv.ParseInt(l[1], 10, 64)
		if err1 != nil || err2 != nil {
			return &epochCache{fs: fsys, path: c.path}, fmt.Errorf("%w %s", errBadCheckpoint, c.path)
		}
		c.entries = append(c.entries, EpochEntry{int32(e), o})
	}
	for i := 1; i < len(c.entries); i++ {
		if c.entries[i].Epoch <= c.entries[i-1].Epoch || c.entries[i].StartOffset <= c.entries[i-1].StartOffset {
			return &epochCache{fs: fsys, path: c.path}, fmt.Errorf("%w %s: entries out of order", errBadCheckpoint, c.path)
		}
	}
	return c, nil
}

func (c *epochCache) persistLocked() error {
	lines := make([]string, len(c.entries))
	for i, e := range c.entries {
		lines[i] = fmt.Sprintf("%d %d", e.Epoch, e.StartOffset)
	}
	return writeCheckpoint(c.fs, c.path, lines)
}

// assign records that epoch starts at offset, if it is newer than the
// latest epoch. Entries at or past offset are dropped first (they belong to
// a history this one replaces). It reports whether anything changed.
func (c *epochCache) assign(epoch int32, offset int64, persist bool) (bool, error) {
	if epoch < 0 {
		return false, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.entries); n > 0 && c.entries[n-1].Epoch >= epoch {
		return false, nil
	}
	var old []EpochEntry
	if persist {
		old = slices.Clone(c.entries)
	}
	for len(c.entries) > 0 && c.entries[len(c.entries)-1].StartOffset >= offset {
		c.entries = c.entries[:len(c.entries)-1]
	}
	c.entries = append(c.entries, EpochEntry{epoch, offset})
	if !persist {
		return true, nil
	}
	if err := c.persistLocked(); err != nil {
		// The append that asked for this entry fails and writes nothing.
		// Keeping the entry in memory would make the next append in the
		// same epoch skip the checkpoint, and recovery would then reject
		// its batches for an epoch the file does not know.
		c.entries = old
		return false, err
	}
	return true, nil
}

// epochAt returns the epoch covering offset: the entry with the largest
// start at or below it (the first entry for an offset below all of them,
// whose start may have been moved up to the log start). ok is false when the
// history is empty.
func (c *epochCache) epochAt(offset int64) (int32, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.entries) == 0 {
		return 0, false
	}
	e := c.entries[0].Epoch
	for _, en := range c.entries {
		if en.StartOffset > offset {
			break
		}
		e = en.Epoch
	}
	return e, true
}

// latest returns the newest entry.
func (c *epochCache) latest() (EpochEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.entries) == 0 {
		return EpochEntry{-1, -1}, false
	}
	return c.entries[len(c.entries)-1], true
}

func (c *epochCache) snapshot() []EpochEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]EpochEntry(nil), c.entries...)
}

// endOffsetFor answers OffsetForLeaderEpoch as Kafka does: for the latest
// epoch, the log end offset; for an older one, the start of the next higher
// epoch, with the largest known epoch not above the one asked for; (-1, -1)
// when the epoch is unknown or newer than any.
func (c *epochCache) endOffsetFor(epoch int32, leo int64) (int32, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := len(c.entries)
	if epoch < 0 || n == 0 {
		return -1, -1
	}
	if c.entries[n-1].Epoch == epoch {
		return epoch, leo
	}
	hi := -1
	for i, e := range c.entries {
		if e.Epoch > epoch {
			hi = i
			break
		}
	}
	if hi == -1 {
		return -1, -1
	}
	if hi == 0 {
		return epoch, c.entries[0].StartOffset
	}
	return c.entries[hi-1].Epoch, c.entries[hi].StartOffset
}

// truncateFromEnd drops entries starting at or after end.
func (c *epochCache) truncateFromEnd(end int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.entries)
	for n > 0 && c.entries[n-1].StartOffset >= end {
		n--
	}
	if n == len(c.entries) {
		return nil
	}
	c.entries = c.entries[:n]
	return c.persistLocked()
}

// truncateFromStart forgets history below start: the entry covering start
// is moved up to it and older ones are dropped.
func (c *epochCache) truncateFromStart(start int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for i+1 < len(c.entries) && c.entries[i+1].StartOffset <= start {
		i++
	}
	if len(c.entries) == 0 || (i == 0 && c.entries[0].StartOffset >= start) {
		return nil
	}
	c.entries = append([]EpochEntry(nil), c.entries[i:]...)
	c.entries[0].StartOffset = max(c.entries[0].StartOffset, start)
	return c.persistLocked()
}

// clear forgets everything (the log was emptied).
func (c *epochCache) clear() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
	return c.persistLocked()
}
