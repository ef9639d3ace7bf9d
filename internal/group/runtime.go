package group

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/replica"
	"github.com/fjordlabs/fjord/internal/storage"
)

// Options configure a Coordinator.
type Options struct {
	NodeID   int32
	Replicas *replica.Manager
	// Config is the broker's current configuration.
	Config func() *config.Broker
	Logger *slog.Logger
	Now    func() time.Time // default time.Now
	// NewUUID makes the unique part of member ids; default random UUIDs.
	NewUUID func() string
	// SnapshotMinRecords: a partition's state is restated (and the log
	// before it trimmed) once the log holds at least the live state plus
	// the larger of this and the live state. Default 10000.
	SnapshotMinRecords int64
}

// Coordinator runs the group coordinator on this broker: one Shard per
// __consumer_offsets partition it leads, each behind a mutex, with a timer
// for the shard's deadlines and the partition's log for its records.
type Coordinator struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex // guards shards and closed
	shards map[int32]*shardRuntime
	closed bool
	loads  sync.WaitGroup

	// partitions is the partition count of __consumer_offsets (0 until it
	// exists): the modulus groups are mapped with.
	partitions atomic.Int32

	// loadHook, when set (tests), runs as a load begins.
	loadHook func(partition int32)
}

// New returns a coordinator; it learns its partitions from metadata
// (OnMetadata).
func New(opts Options) *Coordinator {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewUUID == nil {
		opts.NewUUID = randomUUID
	}
	if opts.SnapshotMinRecords <= 0 {
		opts.SnapshotMinRecords = 10000
	}
	return &Coordinator{opts: opts, log: opts.Logger.With("component", "group-coordinator"), shards: map[int32]*shardRuntime{}}
}

func randomUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ConfigFrom reads the coordinator's settings from the broker config.
func ConfigFrom(b *config.Broker) Config {
	c := DefaultConfig()
	c.MinSessionTimeoutMs = b.Int("group.min.session.timeout.ms")
	c.MaxSessionTimeoutMs = b.Int("group.max.session.timeout.ms")
	c.InitialRebalanceDelayMs = b.Int("group.initial.rebalance.delay.ms")
	c.MaxSize = b.Int("group.max.size")
	c.OffsetMetadataMaxBytes = b.Int("offset.metadata.max.bytes")
	c.OffsetsRetentionMs = int64(b.Int("offsets.retention.minutes")) * 60 * 1000
	c.RetentionCheckIntervalMs = b.Long("offsets.retention.check.interval.ms")
	return c
}

func (c *Coordinator) config() Config { return ConfigFrom(c.opts.Config()) }

func (c *Coordinator) nowMs() int64 { return c.opts.Now().UnixMilli() }

// Partitions is the partition count of __consumer_offsets, 0 before it
// exists.
func (c *Coordinator) Partitions() int32 { return c.partitions.Load() }

type shardState int8

const (
	shardLoading shardState = iota
	shardActive
	shardGone
)

// shardRuntime drives one Shard.
type shardRuntime struct {
	c    *Coordinator
	id   int32
	part *replica.Partition

	mu       sync.Mutex // held while the Shard runs, including its log writes
	state    shardState
	sm       *Shard
	cfgSrc   *config.Broker // the config the Shard was last given
	calls    map[CallID]chan any
	nextCall CallID
	timer    *time.Timer
	armedAt  int64
	stopped  atomic.Bool // set when unloaded, so a running load stops early
}

// OnMetadata follows leadership of __consumer_offsets partitions: it is a
// metadata.Publisher. Partitions this broker comes to lead are loaded,
// those it stops leading unloaded; deleted topics lose their offsets.
func (c *Coordinator) OnMetadata(d *metadata.Delta, im *metadata.Image) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	var deleted []string
	for _, t := range d.RemovedTopics() {
		if t.Name == OffsetsTopic {
			for id, sh := range c.shards {
				delete(c.shards, id)
				sh.unload()
			}
			c.partitions.Store(0)
		} else {
			deleted = append(deleted, t.Name)
		}
	}
	var toLoad []*shardRuntime
	if t, ok := im.Topic(OffsetsTopic); ok {
		c.partitions.Store(int32(len(t.Partitions)))
		for ct, ids := range d.ChangedPartitions() {
			if ct.Name != OffsetsTopic {
				continue
			}
			for _, id := range ids {
				if sh := c.leadershipChangedLocked(t, id); sh != nil {
					toLoad = append(toLoad, sh)
				}
			}
		}
	}
	// Empty logs load at once, so a new __consumer_offsets is usable as
	// soon as it exists; others in the background (the WaitGroup is added
	// to under c.mu, so Close cannot be waiting on it concurrently).
	var now []*shardRuntime
	for _, sh := range toLoad {
		if sh.part.Log.LogEndOffset() == sh.part.Log.LogStartOffset() {
			now = append(now, sh)
			continue
		}
		c.loads.Add(1)
		go func() { defer c.loads.Done(); sh.load() }()
	}
	shards := c.activeShardsLocked()
	c.mu.Unlock()

	for _, sh := range now {
		sh.load()
	}
	if len(deleted) > 0 {
		for _, sh := range shards {
			sh.run(func(s *Shard, now int64) { s.TopicsDeleted(now, deleted) })
		}
	}
}

// leadershipChangedLocked returns a new shard to load, if this broker now
// leads partition id.
func (c *Coordinator) leadershipChangedLocked(t *metadata.Topic, id int32) *shardRuntime {
	pi := t.Partitions[id]
	sh := c.shards[id]
	part, hosted := c.opts.Replicas.Partition(storage.TopicPartition{Topic: OffsetsTopic, Partition: id})
	if pi.Leader != c.opts.NodeID || !hosted {
		if sh != nil {
			delete(c.shards, id)
			sh.unload()
		}
		return nil
	}
	if sh != nil && sh.part == part {
		return nil // still leading the same log
	}
	if sh != nil {
		sh.unload() // the topic was recreated: a new log
	}
	sh = &shardRuntime{c: c, id: id, part: part, state: shardLoading, calls: map[CallID]chan any{}}
	c.shards[id] = sh
	return sh
}

func (c *Coordinator) activeShardsLocked() []*shardRuntime {
	out := make([]*shardRuntime, 0, len(c.shards))
	for _, sh := range c.shards {
		out = append(out, sh)
	}
	return out
}

// Close unloads every shard (answering parked requests NOT_COORDINATOR)
// and waits for loads under way. The logs must stay open until it returns.
func (c *Coordinator) Close() {
	c.mu.Lock()
	c.closed = true
	shards := c.activeShardsLocked()
	c.shards = map[int32]*shardRuntime{}
	c.mu.Unlock()
	for _, sh := range shards {
		sh.unload()
	}
	c.loads.Wait()
}

// route finds the shard of a group, or the error to answer with.
func (c *Coordinator) route(groupID string) (*shardRuntime, int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, codeCoordinatorNotAvail
	}
	n := c.partitions.Load()
	if n == 0 {
		return nil, codeNotCoordinator
	}
	sh := c.shards[PartitionFor(groupID, n)]
	if sh == nil {
		return nil, codeNotCoordinator
	}
	return sh, 0
}

// do runs one request on a group's shard and waits for its response; a
// nonzero code when the shard cannot take it (or ctx ended first).
func (c *Coordinator) do(ctx context.Context, groupID string, rq Request, input func(s *Shard, now int64, rq Request)) (any, int16) {
	sh, code := c.route(groupID)
	if code != 0 {
		return nil, code
	}
	return sh.do(ctx, rq, input)
}

func (sh *shardRuntime) do(ctx context.Context, rq Request, input func(s *Shard, now int64, rq Request)) (any, int16) {
	sh.mu.Lock()
	switch sh.state {
	case shardLoading:
		sh.mu.Unlock()
		return nil, codeLoadInProgress
	case shardGone:
		sh.mu.Unlock()
		return nil, codeNotCoordinator
	}
	sh.nextCall++
	rq.Call = sh.nextCall
	ch := make(chan any, 1)
	sh.calls[rq.Call] = ch
	sh.refreshConfigLocked()
	input(sh.sm, sh.c.nowMs(), rq)
	sh.processLocked()
	sh.mu.Unlock()

	select {
	case msg, ok := <-ch:
		if !ok {
			return nil, codeNotCoordinator
		}
		return msg, 0
	case <-ctx.Done():
		sh.mu.Lock()
		delete(sh.calls, rq.Call)
		sh.mu.Unlock()
		select {
		case msg, ok := <-ch:
			if ok {
				return msg, 0
			}
		default:
		}
		// The connection is gone or the broker is stopping; the member
		// stays parked and the shard will answer nobody.
		return nil, codeNotCoordinator
	}
}

// run feeds the shard an input that answers no call.
func (sh *shardRuntime) run(input func(s *Shard, now int64)) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.state != shardActive {
		return
	}
	sh.refreshConfigLocked()
	input(sh.sm, sh.c.nowMs())
	sh.processLocked()
}

func (sh *shardRuntime) refreshConfigLocked() {
	if b := sh.c.opts.Config(); b != sh.cfgSrc {
		sh.cfgSrc = b
		sh.sm.SetConfig(ConfigFrom(b))
	}
}

// processLocked carries out the shard's outputs: appends, in order, each
// reported back before anything else happens, and responses to whoever
// still waits for them. Then it considers a snapshot and re-arms the
// timer.
func (sh *shardRuntime) processLocked() {
	for {
		rd := sh.sm.Ready()
		if rd.Empty() {
			break
		}
		sh.deliverLocked(rd.Responses)
		for _, a := range rd.Appends {
			code := sh.writeLocked(a.Records)
			sh.sm.AppendDone(sh.c.nowMs(), a.ID, code)
		}
	}
	sh.maybeSnapshotLocked()
	sh.armLocked()
}

func (sh *shardRuntime) deliverLocked(rs []Response) {
	for _, r := range rs {
		ch, ok := sh.calls[r.Call]
		if !ok {
			continue // the caller gave up
		}
		delete(sh.calls, r.Call)
		select {
		case ch <- r.Msg:
		default:
		}
	}
}

// writeLocked appends records to the partition as the leader, acks=all,
// and returns the Kafka error code of a failure (0 on success).
func (sh *shardRuntime) writeLocked(records []Record) int16 {
	if len(records) == 0 {
		return 0
	}
	buf, err := encodeBatches(records, sh.c.nowMs(), maxBatchBytes(sh.part.Log))
	if err == nil {
		_, err = sh.part.Append(buf, replica.AppendOptions{Acks: -1, Origin: storage.OriginInternal})
	}
	if err != nil {
		code := writeErrorCode(err)
		sh.c.log.Warn("writing to __consumer_offsets failed", "partition", sh.id, "records", len(records), "err", err, "code", code)
		return code
	}
	return 0
}

// writeErrorCode is the Kafka error a write to a partition fails with:
// what a producer would have been told. The shard then answers as the
// coordinator (coordinatorWriteError).
func writeErrorCode(err error) int16 {
	switch {
	case errors.Is(err, replica.ErrUnknownPartition):
		return kerr.UnknownTopicOrPartition.Code
	case errors.Is(err, replica.ErrNotLeader), errors.Is(err, storage.ErrClosed):
		return kerr.NotLeaderForPartition.Code
	case errors.Is(err, replica.ErrNotEnoughReplicas):
		return kerr.NotEnoughReplicas.Code
	case errors.Is(err, storage.ErrMessageTooLarge):
		return kerr.MessageTooLarge.Code
	case errors.Is(err, storage.ErrRecordSetTooLarge):
		return kerr.RecordListTooLarge.Code
	case errors.Is(err, storage.ErrLogFailed), errors.Is(err, storage.ErrCorruptLog):
		return kerr.KafkaStorageError.Code
	}
	return kerr.KafkaStorageError.Code // an I/O error of the log
}

// armLocked sets the timer to the shard's next deadline.
func (sh *shardRuntime) armLocked() {
	at, ok := sh.sm.NextDeadline()
	if !ok {
		if sh.timer != nil {
			sh.timer.Stop()
		}
		sh.armedAt = 0
		return
	}
	if sh.timer != nil && sh.armedAt == at {
		return
	}
	d := time.Duration(at-sh.c.nowMs()) * time.Millisecond
	if sh.timer == nil {
		sh.timer = time.AfterFunc(d, sh.tick)
	} else {
		sh.timer.Reset(d)
	}
	sh.armedAt = at
}

func (sh *shardRuntime) tick() {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.state != shardActive {
		return
	}
	sh.armedAt = 0
	sh.refreshConfigLocked()
	sh.sm.Tick(sh.c.nowMs())
	sh.processLocked()
}

// unload stops the shard: parked requests are answered NOT_COORDINATOR
// and later ones find it gone.
func (sh *shardRuntime) unload() {
	sh.stopped.Store(true)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.state == shardGone {
		return
	}
	if sh.state == shardActive {
		sh.sm.Unload()
		sh.deliverLocked(sh.sm.Ready().Responses)
	}
	sh.state = shardGone
	for id, ch := range sh.calls {
		close(ch)
		delete(sh.calls, id)
	}
	if sh.timer != nil {
		sh.timer.Stop()
	}
	sh.c.log.Debug("unloaded group coordinator partition", "partition", sh.id)
}
