// Package replica owns the partitions hosted on this broker: their logs,
// leadership, high watermark and in-sync replicas, and the wake-ups that
// long-polling fetches wait on. It turns metadata changes into local state
// (creating and deleting logs, applying topic configs). It does not parse
// requests: handlers call it with plain values.
//
// On a single node every partition is led by this broker with itself as the
// only in-sync replica, so the high watermark follows the log end offset as
// soon as an append returns. Follower fetchers and ISR tracking arrive with
// the cluster work; the seams (Partition.highWatermark advancing separately
// from the log, waiters woken on advance) are already here.
package replica

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/storage"
)

// Errors for partition operations; handlers map them to Kafka codes.
var (
	ErrUnknownPartition  = errors.New("replica: unknown topic or partition")
	ErrNotLeader         = errors.New("replica: not the leader for this partition")
	ErrNotEnoughReplicas = errors.New("replica: fewer in-sync replicas than min.insync.replicas")
	ErrFencedEpoch       = errors.New("replica: leader epoch is older than the current one")
	ErrUnknownEpoch      = errors.New("replica: leader epoch is newer than the current one")
)

// Partition is one partition hosted here.
type Partition struct {
	TP      storage.TopicPartition
	TopicID metadata.UUID
	Log     *storage.Log

	nodeID      int32
	leader      atomic.Int32
	leaderEpoch atomic.Int32
	isr         atomic.Pointer[[]int32]
	replicas    atomic.Pointer[[]int32]
	minISR      atomic.Int32
	deleted     atomic.Bool

	// Waiters are woken whenever the high watermark advances (or the
	// partition goes away). nwaiters lets appends skip the lock when
	// nobody waits.
	mu       sync.Mutex
	waiters  map[*Waiter]struct{}
	nwaiters atomic.Int32
}

// Waiter is a wake-up channel a long poll registers with the partitions it
// reads. A wake is a hint to re-read, never data.
type Waiter struct{ C chan struct{} }

// NewWaiter returns a waiter with room for one pending wake.
func NewWaiter() *Waiter { return &Waiter{C: make(chan struct{}, 1)} }

// Watch registers w for wake-ups.
func (p *Partition) Watch(w *Waiter) {
	p.mu.Lock()
	if p.waiters == nil {
		p.waiters = make(map[*Waiter]struct{})
	}
	p.waiters[w] = struct{}{}
	p.nwaiters.Store(int32(len(p.waiters)))
	p.mu.Unlock()
	if p.deleted.Load() {
		w.wake()
	}
}

// Unwatch removes w.
func (p *Partition) Unwatch(w *Waiter) {
	p.mu.Lock()
	delete(p.waiters, w)
	p.nwaiters.Store(int32(len(p.waiters)))
	p.mu.Unlock()
}

func (w *Waiter) wake() {
	select {
	case w.C <- struct{}{}:
	default:
	}
}

// wakeAll wakes every registered waiter.
func (p *Partition) wakeAll() {
	if p.nwaiters.Load() == 0 {
		return
	}
	p.mu.Lock()
	for w := range p.waiters {
		w.wake()
	}
	p.mu.Unlock()
}

// LeaderEpoch is the partition's current leader epoch.
func (p *Partition) LeaderEpoch() int32 { return p.leaderEpoch.Load() }

// Leader is the current leader's broker id.
func (p *Partition) Leader() int32 { return p.leader.Load() }

// IsLeader reports whether this broker leads the partition.
func (p *Partition) IsLeader() bool { return p.leader.Load() == p.nodeID && !p.deleted.Load() }

// ISR returns the in-sync replicas.
func (p *Partition) ISR() []int32 { return *p.isr.Load() }

// Replicas returns the assigned replicas.
func (p *Partition) Replicas() []int32 { return *p.replicas.Load() }

// HighWatermark is the offset below which records are committed.
func (p *Partition) HighWatermark() int64 { return p.Log.HighWatermark() }

// AppendOptions say how a produce is acknowledged.
type AppendOptions struct {
	// Acks is the producer's acks: 0, 1 or -1 (all in-sync replicas).
	Acks int16
	// Origin is who appends (a client, or the broker itself).
	Origin storage.Origin
	// DeferFlush leaves a flush due under flush.messages to the caller:
	// the high watermark then stays put until Manager.CompleteAppends.
	DeferFlush bool
}

// Append appends batches as the leader and advances the high watermark
// once every in-sync replica has them (at once, on a single node).
func (p *Partition) Append(batches []byte, opts AppendOptions) (storage.AppendResult, error) {
	if p.deleted.Load() {
		return storage.AppendResult{}, ErrUnknownPartition
	}
	if !p.IsLeader() {
		return storage.AppendResult{}, ErrNotLeader
	}
	if opts.Acks == -1 && int32(len(p.ISR())) < p.minISR.Load() {
		return storage.AppendResult{}, ErrNotEnoughReplicas
	}
	res, err := p.Log.Append(batches, storage.AppendOptions{Origin: opts.Origin, LeaderEpoch: p.leaderEpoch.Load(), DeferFlush: opts.DeferFlush})
	if err != nil {
		return res, err
	}
	if !res.FlushNeeded {
		p.maybeAdvanceHighWatermark()
	}
	return res, nil
}

// maybeAdvanceHighWatermark moves the high watermark to the smallest log
// end offset among the in-sync replicas: with only the leader in sync, its
// own log end offset.
func (p *Partition) maybeAdvanceHighWatermark() {
	isr := p.ISR()
	if len(isr) == 1 && isr[0] == p.nodeID {
		leo := p.Log.LogEndOffset()
		if leo > p.Log.HighWatermark() {
			p.Log.SetHighWatermark(leo)
			p.wakeAll()
		}
	}
}

// ReadOptions bound a fetch from the partition.
type ReadOptions struct {
	MaxBytes    int64
	MinOneBatch bool
	// Committed limits the read to the last stable offset
	// (read_committed) instead of the high watermark.
	Committed bool
	// Replica reads (followers) may read up to the log end offset.
	Replica bool
}

// ReadResult is what a fetch gets from one partition.
type ReadResult struct {
	Slice            storage.Slice
	HighWatermark    int64
	LastStableOffset int64
	LogStartOffset   int64
}

// Read reads from offset. The caller must Release the slice.
func (p *Partition) Read(offset int64, opts ReadOptions) (ReadResult, error) {
	if p.deleted.Load() {
		return ReadResult{}, ErrUnknownPartition
	}
	if !p.IsLeader() {
		return ReadResult{}, ErrNotLeader
	}
	l := p.Log
	res := ReadResult{HighWatermark: l.HighWatermark(), LastStableOffset: l.LastStableOffset(), LogStartOffset: l.LogStartOffset()}
	bound := res.HighWatermark
	if opts.Committed {
		bound = res.LastStableOffset
	}
	if opts.Replica {
		bound = 0 // followers read to the log end
	} else if offset >= bound && offset <= l.LogEndOffset() && offset >= res.LogStartOffset {
		// Between the bound and the log end: no data yet, which Kafka
		// answers with an empty read rather than OFFSET_OUT_OF_RANGE.
		return res, nil
	}
	sl, err := l.Read(offset, storage.ReadOptions{MaxBytes: opts.MaxBytes, MinOneBatch: opts.MinOneBatch, MaxOffset: bound})
	if err != nil {
		return res, err
	}
	res.Slice = sl
	return res, nil
}

// CheckEpoch validates a client's current leader epoch (KIP-320): -1 skips
// the check.
func (p *Partition) CheckEpoch(epoch int32) error {
	switch cur := p.leaderEpoch.Load(); {
	case epoch < 0 || epoch == cur:
		return nil
	case epoch < cur:
		return ErrFencedEpoch
	default:
		return ErrUnknownEpoch
	}
}
