package handler

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fjordlabs/fjord/internal/metadata"
)

// Fetch sessions (KIP-227). A client opens a session with a full fetch at
// epoch 0; afterwards it sends only the partitions whose fetch position
// changed (and the ones to forget), and the broker answers only for the
// partitions with something new. The session remembers every partition's
// fetch position and what the client was last told.

const (
	finalEpoch   = -1 // close the session (or use none)
	initialEpoch = 0  // open a new session with a full fetch

	// sessionIdle is how long an unused session is kept
	// (min.incremental.fetch.session.eviction.ms).
	sessionIdle = 2 * time.Minute
)

// sessionKey identifies a partition in a session: by topic ID from v13,
// by name before.
type sessionKey struct {
	topic     string
	topicID   metadata.UUID
	partition int32
}

// sessionPartition is a partition's state in a session.
type sessionPartition struct {
	key         sessionKey
	fetchOffset int64
	maxBytes    int32
	epoch       int32 // CurrentLeaderEpoch from the client, -1 if none
	// What the client was last told, to decide if there is news.
	hw, lso, logStart int64
	errCode           int16
	sent              bool
}

type fetchSession struct {
	mu        sync.Mutex // one fetch at a time per session
	id        int32
	nextEpoch int32
	order     []*sessionPartition // response order; partitions with data rotate to the end
	parts     map[sessionKey]*sessionPartition
	lastUsed  time.Time
	topicIDs  bool
}

// fetchSessions is the broker's session cache
// (max.incremental.fetch.session.cache.slots).
type fetchSessions struct {
	mu       sync.Mutex
	max      int
	now      func() time.Time
	sessions map[int32]*fetchSession
}

func newFetchSessions(max int, now func() time.Time) *fetchSessions {
	return &fetchSessions{max: max, now: now, sessions: map[int32]*fetchSession{}}
}

// create opens a session, evicting idle ones; nil when the cache is full.
func (c *fetchSessions) create(topicIDs bool) *fetchSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.sessions) >= c.max {
		for id, s := range c.sessions {
			if now.Sub(s.lastUsed) > sessionIdle {
				delete(c.sessions, id)
			}
		}
	}
	if len(c.sessions) >= c.max {
		return nil
	}
	var id int32
	for id == 0 || c.sessions[id] != nil {
		id = rand.Int32()
	}
	s := &fetchSession{id: id, nextEpoch: 1, parts: map[sessionKey]*sessionPartition{}, lastUsed: now, topicIDs: topicIDs}
	c.sessions[id] = s
	return s
}

func (c *fetchSessions) get(id int32) *fetchSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[id]
	if s != nil {
		s.lastUsed = c.now()
	}
	return s
}

func (c *fetchSessions) remove(id int32) {
	c.mu.Lock()
	delete(c.sessions, id)
	c.mu.Unlock()
}

// upsert adds or updates a partition from a request.
func (s *fetchSession) upsert(k sessionKey, offset int64, maxBytes, epoch int32) {
	if p, ok := s.parts[k]; ok {
		p.fetchOffset, p.maxBytes, p.epoch = offset, maxBytes, epoch
		return
	}
	p := &sessionPartition{key: k, fetchOffset: offset, maxBytes: maxBytes, epoch: epoch}
	s.parts[k] = p
	s.order = append(s.order, p)
}

// forget removes a partition.
func (s *fetchSession) forget(k sessionKey) {
	if _, ok := s.parts[k]; !ok {
		return
	}
	delete(s.parts, k)
	for i, p := range s.order {
		if p.key == k {
			s.order = append(s.order[:i], s.order[i+1:]...)
			return
		}
	}
}

// rotate moves the partitions that returned data to the end, so the next
// response starts with the others (fairness under max.bytes).
func (s *fetchSession) rotate(gotData map[*sessionPartition]bool) {
	if len(gotData) == 0 {
		return
	}
	out := make([]*sessionPartition, 0, len(s.order))
	for _, p := range s.order {
		if !gotData[p] {
			out = append(out, p)
		}
	}
	for _, p := range s.order {
		if gotData[p] {
			out = append(out, p)
		}
	}
	s.order = out
}
