package group

import (
	"container/heap"
	"errors"
	"log/slog"
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// CallID names one request parked in or answered by a Shard. The runtime
// assigns them; the Shard only echoes them in Responses.
type CallID uint64

// Request is what a Shard needs to know about a request besides its body.
type Request struct {
	Call       CallID
	Version    int16  // the request's API version
	ClientID   string // the request header's client id
	ClientHost string // "/<ip>", as Kafka shows it
}

// Response answers a call. Msg is the kmsg response for single-group APIs,
// or the per-group part for batched ones (see each input's doc).
type Response struct {
	Call CallID
	Msg  any
}

// Append asks the runtime to write Records to the shard's partition, in
// one atomic append, and to report the outcome with AppendDone.
type Append struct {
	ID      uint64
	Records []Record
}

// Ready is the output of a Shard since the last call to Ready.
type Ready struct {
	Responses []Response
	Appends   []Append
}

// Empty reports whether there is nothing to do.
func (r *Ready) Empty() bool { return len(r.Responses) == 0 && len(r.Appends) == 0 }

// Config are the broker settings a Shard obeys (Kafka's group.* and
// offsets.* keys).
type Config struct {
	MinSessionTimeoutMs     int32 // group.min.session.timeout.ms
	MaxSessionTimeoutMs     int32 // group.max.session.timeout.ms
	InitialRebalanceDelayMs int32 // group.initial.rebalance.delay.ms
	MaxSize                 int32 // group.max.size
	// NewMemberJoinTimeoutMs bounds how long a new member may stay parked
	// in JoinGroup (Kafka's fixed 5 minutes).
	NewMemberJoinTimeoutMs   int32
	OffsetMetadataMaxBytes   int32 // offset.metadata.max.bytes
	OffsetsRetentionMs       int64 // offsets.retention.minutes, in ms
	RetentionCheckIntervalMs int64 // offsets.retention.check.interval.ms
}

// DefaultConfig is Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		MinSessionTimeoutMs: 6000, MaxSessionTimeoutMs: 1800000, InitialRebalanceDelayMs: 3000,
		MaxSize: 1<<31 - 1, NewMemberJoinTimeoutMs: 300000, OffsetMetadataMaxBytes: 4096,
		OffsetsRetentionMs: 7 * 24 * 3600 * 1000, RetentionCheckIntervalMs: 600000,
	}
}

// ShardOptions configure a Shard.
type ShardOptions struct {
	Config Config
	// NewUUID returns a fresh unique string for member ids (Kafka's
	// random UUID); injected so tests are deterministic.
	NewUUID func() string
	Logger  *slog.Logger
}

// Shard is the coordinator state of the groups owned by one partition of
// __consumer_offsets: a deterministic state machine. Inputs are requests,
// clock ticks and the outcome of appends, each with the current time in
// ms; outputs (Ready) are responses and records to append. It does no I/O
// and reads no clock.
//
// Contract with the runtime: after every input, drain Ready; perform its
// Appends in order, each followed by AppendDone, before giving the Shard
// any other input; repeat until Ready is empty. Between inputs, call Tick
// once the time reaches NextDeadline.
type Shard struct {
	opts ShardOptions
	cfg  Config
	now  int64
	log  *slog.Logger

	groups map[string]*group
	// offsets are the committed offsets by group, topic and partition.
	// They live apart from groups, as in Kafka: a group's metadata can be
	// deleted while its offsets' tombstones are still to come.
	offsets    map[string]map[string]map[int32]*offsetValue
	numOffsets int
	// persistedGroups holds, per group, the last GroupMetadataValue
	// written (or loaded): what compaction would keep, and what a snapshot
	// restates.
	persistedGroups map[string][]byte

	timers  map[timerKey]*timer
	heap    timerHeap
	timeSeq uint64

	nextAppend uint64
	pending    map[uint64]*pendingAppend
	ready      Ready
}

type pendingAppend struct {
	records []Record
	// replay: apply the records to the state once written (offsets and
	// tombstones). Group metadata written by the rebalance protocol is not
	// replayed: the live group already is what it says.
	replay bool
	done   func(code int16) // may be nil; code 0 on success
}

// NewShard returns an empty shard. Feed it Replay for every record of its
// partition, then Loaded.
func NewShard(opts ShardOptions) *Shard {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Shard{
		opts: opts, cfg: opts.Config, log: opts.Logger,
		groups: map[string]*group{}, offsets: map[string]map[string]map[int32]*offsetValue{},
		persistedGroups: map[string][]byte{}, timers: map[timerKey]*timer{}, pending: map[uint64]*pendingAppend{},
	}
}

// SetConfig changes the settings (a dynamic broker config change). They
// apply to what happens next; running timers keep their deadlines.
func (s *Shard) SetConfig(c Config) { s.cfg = c }

// Ready returns and clears the pending outputs.
func (s *Shard) Ready() Ready {
	r := s.ready
	s.ready = Ready{}
	return r
}

func (s *Shard) respond(call CallID, msg any) {
	s.ready.Responses = append(s.ready.Responses, Response{Call: call, Msg: msg})
}

// appendRecords asks for records to be written; done runs once they are
// (or failed to be).
func (s *Shard) appendRecords(records []Record, replay bool, done func(code int16)) {
	s.nextAppend++
	s.pending[s.nextAppend] = &pendingAppend{records: records, replay: replay, done: done}
	s.ready.Appends = append(s.ready.Appends, Append{ID: s.nextAppend, Records: records})
}

// AppendDone reports the outcome of an Append: code 0 once the records are
// committed (acks=all), else the Kafka error code of the failed write.
func (s *Shard) AppendDone(now int64, id uint64, code int16) {
	s.now = now
	p, ok := s.pending[id]
	if !ok {
		return
	}
	delete(s.pending, id)
	if code == 0 {
		for _, r := range p.records {
			s.applyRecord(r, p.replay)
		}
	}
	if p.done != nil {
		p.done(code)
	}
}

// Replay applies a record read from the partition while loading. Records
// of group types this coordinator does not serve are skipped.
func (s *Shard) Replay(now int64, key, value []byte) error {
	s.now = now
	err := s.applyRecord(Record{Key: key, Value: value}, true)
	if errors.Is(err, errUnknownKey) {
		return nil
	}
	return err
}

// applyRecord notes a written record as persisted and, with replay,
// applies it to the in-memory state.
func (s *Shard) applyRecord(r Record, replay bool) error {
	d, err := decodeRecord(r.Key, r.Value)
	if err != nil {
		if errors.Is(err, errUnknownKey) {
			return errUnknownKey
		}
		return err
	}
	if !d.isOffset {
		if r.Value == nil {
			delete(s.persistedGroups, d.group)
		} else {
			s.persistedGroups[d.group] = slices.Clone(r.Value)
		}
	}
	if !replay {
		return nil
	}
	switch {
	case d.isOffset && d.offset != nil:
		if s.groups[d.group] == nil {
			s.groups[d.group] = newGroup(d.group, s.now) // a simple group: offsets without membership
		}
		s.putOffset(d.group, d.topic, d.part, d.offset)
	case d.isOffset:
		s.deleteOffset(d.group, d.topic, d.part)
	case d.meta != nil:
		if old := s.groups[d.group]; old != nil {
			s.cancelGroupTimers(old)
		}
		s.groups[d.group] = groupFromValue(d.group, d.meta)
	default:
		if g := s.groups[d.group]; g != nil {
			s.cancelGroupTimers(g)
			delete(s.groups, d.group)
		}
	}
	return nil
}

func (s *Shard) putOffset(group, topic string, part int32, v *offsetValue) {
	byTopic := s.offsets[group]
	if byTopic == nil {
		byTopic = map[string]map[int32]*offsetValue{}
		s.offsets[group] = byTopic
	}
	byPart := byTopic[topic]
	if byPart == nil {
		byPart = map[int32]*offsetValue{}
		byTopic[topic] = byPart
	}
	if _, ok := byPart[part]; !ok {
		s.numOffsets++
	}
	byPart[part] = v
}

func (s *Shard) deleteOffset(group, topic string, part int32) {
	byPart := s.offsets[group][topic]
	if _, ok := byPart[part]; !ok {
		return
	}
	delete(byPart, part)
	s.numOffsets--
	if len(byPart) == 0 {
		delete(s.offsets[group], topic)
		if len(s.offsets[group]) == 0 {
			delete(s.offsets, group)
		}
	}
}

func (s *Shard) offset(group, topic string, part int32) *offsetValue {
	return s.offsets[group][topic][part]
}

// Loaded ends loading: members of loaded groups get a full session to
// heartbeat again, and the offset expiry check starts.
func (s *Shard) Loaded(now int64) {
	s.now = now
	for _, id := range s.sortedGroupIDs() {
		g := s.groups[id]
		for _, mid := range g.order {
			s.scheduleHeartbeat(g, g.members[mid], g.members[mid].sessionTimeout)
		}
		if int32(len(g.members)) > s.cfg.MaxSize {
			s.log.Info("loaded group is over group.max.size; rebalancing", "group", id, "members", len(g.members))
			s.prepareRebalance(g)
		}
	}
	s.scheduleExpiry()
}

// Unload gives up the shard (its partition moved or the broker stops):
// parked JoinGroup and SyncGroup calls are answered NOT_COORDINATOR. The
// Shard must not be used afterwards.
func (s *Shard) Unload() {
	for _, id := range s.sortedGroupIDs() {
		g := s.groups[id]
		for _, mid := range g.order {
			m := g.members[mid]
			if m.awaitingJoin {
				s.completeJoin(g, m, joinError(m.id, codeNotCoordinator))
			}
			if m.awaitingSync {
				s.completeSync(m, syncError(codeNotCoordinator))
			}
		}
		g.transition(Dead, s.now)
	}
	s.timers, s.heap = map[timerKey]*timer{}, nil
}

// LiveRecords is how many records a snapshot of the shard holds: one per
// committed offset and per group with persisted metadata.
func (s *Shard) LiveRecords() int { return s.numOffsets + len(s.persistedGroups) }

// SnapshotRecords restates the persisted state: for every group the last
// metadata written, then its committed offsets. Written after everything
// before it, these records make the earlier ones redundant, as compaction
// would (tombstoned keys simply do not appear).
func (s *Shard) SnapshotRecords() []Record {
	ids := map[string]bool{}
	for id := range s.persistedGroups {
		ids[id] = true
	}
	for id := range s.offsets {
		ids[id] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	out := make([]Record, 0, s.LiveRecords())
	for _, id := range sorted {
		if v, ok := s.persistedGroups[id]; ok {
			out = append(out, Record{Key: groupKey(id), Value: v})
		}
		byTopic := s.offsets[id]
		for _, t := range sortedKeys(byTopic) {
			byPart := byTopic[t]
			for _, p := range sortedParts(byPart) {
				out = append(out, offsetRecord(id, t, p, byPart[p]))
			}
		}
	}
	return out
}

func sortedParts(m map[int32]*offsetValue) []int32 {
	out := make([]int32, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func (s *Shard) sortedGroupIDs() []string { return sortedKeys(s.groups) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Timers.

type timerKind uint8

const (
	timerHeartbeat timerKind = iota // a member's (or pending member's) session
	timerJoin                       // a group's join phase (rebalance or initial delay)
	timerSync                       // a group's wait for SyncGroup from every member
	timerExpiry                     // the shard's periodic offset expiry
)

type timerKey struct {
	kind          timerKind
	group, member string
}

type timer struct {
	key   timerKey
	at    int64
	seq   uint64
	fn    func()
	index int
}

// timerHeap orders timers by deadline, then by scheduling order.
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || h[i].at == h[j].at && h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) { t := x.(*timer); t.index = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// schedule (re)arms the timer key to run fn delayMs from now.
func (s *Shard) schedule(key timerKey, delayMs int64, fn func()) {
	s.cancel(key)
	s.timeSeq++
	t := &timer{key: key, at: s.now + max(delayMs, 0), seq: s.timeSeq, fn: fn}
	heap.Push(&s.heap, t)
	s.timers[key] = t
}

func (s *Shard) cancel(key timerKey) {
	if t, ok := s.timers[key]; ok {
		heap.Remove(&s.heap, t.index)
		delete(s.timers, key)
	}
}

func (s *Shard) cancelGroupTimers(g *group) {
	s.cancel(timerKey{kind: timerJoin, group: g.id})
	s.cancel(timerKey{kind: timerSync, group: g.id})
	for id := range g.members {
		s.cancel(timerKey{kind: timerHeartbeat, group: g.id, member: id})
	}
	for id := range g.pending {
		s.cancel(timerKey{kind: timerHeartbeat, group: g.id, member: id})
	}
}

// NextDeadline is when Tick must next be called; false when no timer runs.
func (s *Shard) NextDeadline() (int64, bool) {
	if len(s.heap) == 0 {
		return 0, false
	}
	return s.heap[0].at, true
}

// Tick runs every timer due at now, in deadline order. Each runs as of
// its own deadline, so what it schedules from then is due in this Tick
// too if its time has come: a late Tick behaves as timely ones would have.
func (s *Shard) Tick(now int64) {
	for len(s.heap) > 0 && s.heap[0].at <= now {
		t := heap.Pop(&s.heap).(*timer)
		delete(s.timers, t.key)
		s.now = max(s.now, t.at)
		t.fn()
	}
	s.now = max(s.now, now)
}

// Response helpers.

func joinError(memberID string, code int16) *kmsg.JoinGroupResponse {
	r := kmsg.NewPtrJoinGroupResponse()
	r.MemberID, r.ErrorCode = memberID, code
	return r
}

func syncError(code int16) *kmsg.SyncGroupResponse {
	r := kmsg.NewPtrSyncGroupResponse()
	r.ErrorCode = code
	r.MemberAssignment = []byte{}
	return r
}

// completeJoin answers a member's parked JoinGroup, if any.
func (s *Shard) completeJoin(g *group, m *member, resp *kmsg.JoinGroupResponse) bool {
	if !m.awaitingJoin {
		return false
	}
	m.awaitingJoin = false
	g.numAwaitingJoin--
	s.respond(m.joinCall, resp)
	return true
}

// completeSync answers a member's parked SyncGroup, if any.
func (s *Shard) completeSync(m *member, resp *kmsg.SyncGroupResponse) bool {
	if !m.awaitingSync {
		return false
	}
	m.awaitingSync = false
	s.respond(m.syncCall, resp)
	return true
}
