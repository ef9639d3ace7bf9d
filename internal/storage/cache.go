package storage

import "sync"

// indexCache bounds the memory held by the indexes of closed segments, which
// are loaded on demand. Eviction is CLOCK: a lookup only sets the segment's
// reference bit (no lock on the read path); the hand sweeps under the
// cache's lock when a load pushes usage over the budget, unloading indexes
// not referenced since its last pass. Active segments and indexes not yet
// durable on disk are never unloaded.
type indexCache struct {
	mu     sync.Mutex
	budget int64
	used   int64
	ring   []cached
	hand   int
}

type cached struct {
	seg   *segment
	bytes int64 // counted when added, so removal subtracts the same
}

func newIndexCache(budget int64) *indexCache { return &indexCache{budget: budget} }

func indexBytes(s *segment) int64 {
	var n int64
	if ix := s.offIdx.Load(); ix != nil {
		n += int64(cap(*ix.buf.Load()))
	}
	if ix := s.timeIdx.Load(); ix != nil {
		n += int64(cap(*ix.buf.Load()))
	}
	return n
}

// add registers a closed segment whose indexes are now in memory, evicting
// others if the budget is exceeded.
func (c *indexCache) add(s *segment, durable func(*segment) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.pinned.Load() {
		return // active again after a truncation
	}
	n := indexBytes(s)
	c.ring = append(c.ring, cached{s, n})
	c.used += n
	s.recently.Store(true)
	// Two full turns at most: the first clears reference bits.
	for steps := 2 * len(c.ring); c.used > c.budget && steps > 0 && len(c.ring) > 0; steps-- {
		c.hand %= len(c.ring)
		v := c.ring[c.hand].seg
		if v == s || !durable(v) || v.recently.Swap(false) {
			c.hand++
			continue
		}
		// TryLock: the cache must never wait for a segment's loadMu while
		// holding its own lock (a loader holds loadMu and then takes the
		// log's flushMu, and a closing log holds flushMu and then takes
		// the cache's lock). A segment being loaded is skipped this turn.
		if !v.loadMu.TryLock() {
			c.hand++
			continue
		}
		if v.pinned.Load() {
			v.loadMu.Unlock()
			c.hand++
			continue
		}
		c.used -= c.ring[c.hand].bytes
		v.offIdx.Store(nil)
		v.timeIdx.Store(nil)
		v.loadMu.Unlock()
		c.removeAtLocked(c.hand)
	}
}

// remove forgets a segment that left its log.
func (c *indexCache) remove(s *segment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, v := range c.ring {
		if v.seg == s {
			c.used -= v.bytes
			c.removeAtLocked(i)
			return
		}
	}
}

func (c *indexCache) removeAtLocked(i int) {
	last := len(c.ring) - 1
	c.ring[i] = c.ring[last]
	c.ring[last] = cached{}
	c.ring = c.ring[:last]
}

func (c *indexCache) usage() (int64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, len(c.ring)
}
