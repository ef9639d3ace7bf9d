package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// Idempotent producers. A producer with an id (from InitProducerId) numbers
// its batches per partition; the log keeps, per producer, its epoch and its
// last five batches, as Kafka does, and applies Kafka's rules to a client's
// batch before writing it:
//
//   - a batch that repeats one of the last five (same epoch, same first and
//     last sequence) is a retry of a write that landed: it is not written
//     again, and the append reports where the original went;
//   - an epoch older than the producer's latest is refused;
//   - in the same epoch the first sequence must follow the last one; a new
//     epoch must start at sequence 0;
//   - a producer the log knows nothing of (new, expired, or below the log
//     start) may start at any sequence.
//
// The state is rebuilt from the batches themselves, so it is exactly as
// durable as they are. Snapshots bound the rebuild: Kafka's
// <offset>.snapshot files (its version 1 layout) hold the state as of the
// offset in their name; one is written at each segment roll and at a clean
// close, and opening replays only the batch headers after the newest one.

// Errors of idempotent appends, each one Kafka error code.
var (
	// ErrOutOfOrderSequence: the batch's sequence does not follow its
	// producer's last one (OUT_OF_ORDER_SEQUENCE_NUMBER).
	ErrOutOfOrderSequence = errors.New("storage: out of order sequence number")
	// ErrInvalidProducerEpoch: the batch's producer epoch is older than the
	// producer's latest (INVALID_PRODUCER_EPOCH).
	ErrInvalidProducerEpoch = errors.New("storage: producer epoch is older than the producer's latest")
	// ErrDuplicateSequence: a run of several batches repeats one already
	// written (DUPLICATE_SEQUENCE_NUMBER); a single repeated batch is not
	// an error.
	ErrDuplicateSequence = errors.New("storage: duplicate sequence number")
)

const (
	snapshotSuffix = ".snapshot"
	// producerBatchesKept is how many of a producer's latest batches are
	// remembered for deduplication: Kafka's five in-flight requests.
	producerBatchesKept = 5
)

// producerBatch is what is remembered of one batch.
type producerBatch struct {
	firstSeq, lastSeq       int32
	firstOffset, lastOffset int64
	maxTimestamp            int64
}

// producerEntry is one producer's state in one log.
type producerEntry struct {
	epoch   int16
	n       int // batches held, oldest first
	batches [producerBatchesKept]producerBatch
}

func (e *producerEntry) last() *producerBatch {
	if e.n == 0 {
		return nil
	}
	return &e.batches[e.n-1]
}

func (e *producerEntry) push(b producerBatch) {
	if e.n == producerBatchesKept {
		copy(e.batches[:], e.batches[1:])
		e.n--
	}
	e.batches[e.n] = b
	e.n++
}

// apply records a written batch.
func (e *producerEntry) apply(h *record.Header) {
	if h.ProducerEpoch != e.epoch {
		e.epoch, e.n = h.ProducerEpoch, 0
	}
	e.push(producerBatch{
		firstSeq: h.BaseSequence, lastSeq: lastSequence(h),
		firstOffset: h.BaseOffset, lastOffset: h.LastOffset(), maxTimestamp: h.MaxTimestamp,
	})
}

// check applies the idempotence rules to a client's batch against the
// producer's entry (nil if unknown). A repeated batch is returned as dup.
func (e *producerEntry) check(h *record.Header) (dup *producerBatch, err error) {
	if e == nil {
		return nil, nil
	}
	switch {
	case h.ProducerEpoch < e.epoch:
		return nil, fmt.Errorf("%w: producer %d epoch %d, latest %d", ErrInvalidProducerEpoch, h.ProducerID, h.ProducerEpoch, e.epoch)
	case h.ProducerEpoch > e.epoch:
		if h.BaseSequence != 0 {
			return nil, fmt.Errorf("%w: producer %d starts epoch %d at sequence %d, not 0", ErrOutOfOrderSequence, h.ProducerID, h.ProducerEpoch, h.BaseSequence)
		}
		return nil, nil
	}
	last := lastSequence(h)
	for i := range e.n {
		if b := &e.batches[i]; b.firstSeq == h.BaseSequence && b.lastSeq == last {
			return b, nil
		}
	}
	if lb := e.last(); lb != nil && h.BaseSequence != nextSequence(lb.lastSeq, 1) {
		return nil, fmt.Errorf("%w: producer %d epoch %d sent sequence %d after %d", ErrOutOfOrderSequence, h.ProducerID, h.ProducerEpoch, h.BaseSequence, lb.lastSeq)
	}
	return nil, nil
}

// nextSequence is seq advanced by n, wrapping past MaxInt32 to 0 as Kafka's
// sequences do.
func nextSequence(seq int32, n int32) int32 {
	if seq > math.MaxInt32-n {
		return n - (math.MaxInt32 - seq) - 1
	}
	return seq + n
}

func lastSequence(h *record.Header) int32 { return nextSequence(h.BaseSequence, h.LastOffsetDelta) }

// producers is a log's producer state, guarded by Log.mu.
type producers struct {
	m map[int64]*producerEntry
	// savedAt is the offset of a snapshot file known to hold exactly
	// this state, -1 if none: a close at that offset need not write it
	// again (thousands of idle partitions stop and start without
	// thousands of file writes).
	savedAt int64
}

// update records a written batch, whatever its origin.
func (p *producers) update(h *record.Header) {
	if h.ProducerID < 0 {
		return
	}
	if p.m == nil {
		p.m = map[int64]*producerEntry{}
	}
	p.savedAt = -1
	e := p.m[h.ProducerID]
	if e == nil {
		e = &producerEntry{epoch: h.ProducerEpoch}
		p.m[h.ProducerID] = e
	}
	e.apply(h)
}

// checkRun checks a client's run of batches before it is written. The
// batches have no offsets yet. A single batch that repeats a written one
// is returned as dup; in a longer run a repeat is an error.
func (p *producers) checkRun(buf []byte) (dup *producerBatch, err error) {
	var ahead map[int64]*producerEntry // state after the run's earlier batches
	n := 0
	for b := buf; len(b) > 0; n++ {
		h, _ := record.ParseHeader(b)
		b = b[h.Size():]
		if h.ProducerID < 0 {
			continue
		}
		e := p.m[h.ProducerID]
		if ae, ok := ahead[h.ProducerID]; ok {
			e = ae
		}
		d, err := e.check(&h)
		if err != nil {
			return nil, err
		}
		if d != nil {
			if n > 0 || len(b) > 0 {
				return nil, fmt.Errorf("%w: producer %d sequence %d in a run of several batches", ErrDuplicateSequence, h.ProducerID, h.BaseSequence)
			}
			return d, nil
		}
		if len(b) > 0 { // later batches are checked against this one
			if ahead == nil {
				ahead = map[int64]*producerEntry{}
			}
			ne := &producerEntry{epoch: h.ProducerEpoch}
			if e != nil {
				*ne = *e
			}
			ne.apply(&h)
			ahead[h.ProducerID] = ne
		}
	}
	return nil, nil
}

// expire forgets producers whose latest batch is older than maxAgeMs.
func (p *producers) expire(now, maxAgeMs int64) {
	for id, e := range p.m {
		if lb := e.last(); lb == nil || now-lb.maxTimestamp > maxAgeMs {
			delete(p.m, id)
			p.savedAt = -1
		}
	}
}

// Snapshot layout (Kafka's ProducerStateManager, version 1), big-endian:
// version int16, crc uint32 (CRC-32C of everything after it), then an array
// (int32 count) of entries: producerId int64, producerEpoch int16,
// lastSequence int32, lastOffset int64, offsetDelta int32, timestamp int64,
// coordinatorEpoch int32, currentTxnFirstOffset int64. Only the latest batch
// of each producer is kept, as in Kafka.
const (
	snapshotVersion   = 1
	snapshotHeader    = 2 + 4 + 4
	snapshotEntrySize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8
)

var errSnapshotCorrupt = errors.New("storage: producer snapshot corrupt")

func (p *producers) encode() []byte {
	ids := make([]int64, 0, len(p.m))
	for id, e := range p.m {
		if e.n > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	buf := make([]byte, snapshotHeader+len(ids)*snapshotEntrySize)
	binary.BigEndian.PutUint16(buf, snapshotVersion)
	binary.BigEndian.PutUint32(buf[6:], uint32(len(ids)))
	b := buf[snapshotHeader:]
	for _, id := range ids {
		e := p.m[id]
		lb := e.last()
		binary.BigEndian.PutUint64(b, uint64(id))
		binary.BigEndian.PutUint16(b[8:], uint16(e.epoch))
		binary.BigEndian.PutUint32(b[10:], uint32(lb.lastSeq))
		binary.BigEndian.PutUint64(b[14:], uint64(lb.lastOffset))
		binary.BigEndian.PutUint32(b[22:], uint32(lb.lastOffset-lb.firstOffset))
		binary.BigEndian.PutUint64(b[26:], uint64(lb.maxTimestamp))
		binary.BigEndian.PutUint32(b[34:], math.MaxUint32) // coordinatorEpoch -1
		binary.BigEndian.PutUint64(b[38:], math.MaxUint64) // currentTxnFirstOffset -1
		b = b[snapshotEntrySize:]
	}
	binary.BigEndian.PutUint32(buf[2:], record.CRC32C(buf[6:]))
	return buf
}

func decodeSnapshot(buf []byte) (map[int64]*producerEntry, error) {
	if len(buf) < snapshotHeader || binary.BigEndian.Uint16(buf) != snapshotVersion ||
		binary.BigEndian.Uint32(buf[2:]) != record.CRC32C(buf[6:]) {
		return nil, errSnapshotCorrupt
	}
	n := int(binary.BigEndian.Uint32(buf[6:]))
	b := buf[snapshotHeader:]
	if n < 0 || len(b) != n*snapshotEntrySize {
		return nil, errSnapshotCorrupt
	}
	m := make(map[int64]*producerEntry, n)
	for range n {
		id := int64(binary.BigEndian.Uint64(b))
		lastSeq := int32(binary.BigEndian.Uint32(b[10:]))
		lastOffset := int64(binary.BigEndian.Uint64(b[14:]))
		delta := int32(binary.BigEndian.Uint32(b[22:]))
		if delta < 0 || id < 0 || lastSeq < 0 {
			return nil, errSnapshotCorrupt
		}
		firstSeq := lastSeq - delta
		if firstSeq < 0 { // the batch wrapped past MaxInt32
			firstSeq = int32(int64(firstSeq) + math.MaxInt32 + 1)
		}
		e := &producerEntry{epoch: int16(binary.BigEndian.Uint16(b[8:]))}
		e.push(producerBatch{
			firstSeq: firstSeq, lastSeq: lastSeq,
			firstOffset: lastOffset - int64(delta), lastOffset: lastOffset,
			maxTimestamp: int64(binary.BigEndian.Uint64(b[26:])),
		})
		m[id] = e
		b = b[snapshotEntrySize:]
	}
	return m, nil
}

func (l *Log) snapshotPath(offset int64) string {
	return filepath.Join(l.dir, segmentName(offset)+snapshotSuffix)
}

// snapshotOffsets lists the offsets of the log's snapshot files, ascending.
func (l *Log) snapshotOffsets() ([]int64, error) {
	entries, err := l.env.fs.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, de := range entries {
		name := de.Name()
		if !strings.HasSuffix(name, snapshotSuffix) || len(name) != 20+len(snapshotSuffix) {
			continue
		}
		if off, err := strconv.ParseInt(name[:20], 10, 64); err == nil {
			out = append(out, off)
		}
	}
	slices.Sort(out)
	return out, nil
}

// writeSnapshotLocked writes the producer state as of the log end offset,
// unless a snapshot there already holds it.
func (l *Log) writeSnapshotLocked() error {
	leo := l.leo.Load()
	if l.producers.savedAt == leo {
		return nil
	}
	if err := vfs.WriteFileAtomic(l.env.fs, l.snapshotPath(leo), l.producers.encode()); err != nil {
		return err
	}
	l.producers.savedAt = leo
	return nil
}

// pruneSnapshotsLocked removes snapshots below the first segment (the log
// no longer has what they follow) and past offset after.
func (l *Log) pruneSnapshotsLocked(after int64) {
	offs, err := l.snapshotOffsets()
	if err != nil {
		return
	}
	first := l.segments()[0].base
	for _, off := range offs {
		if off < first || off > after {
			if err := l.env.fs.Remove(l.snapshotPath(off)); err != nil {
				l.env.logger.Warn("removing a producer snapshot", "dir", l.dir, "offset", off, "err", err)
			}
		}
	}
}

// loadProducersLocked rebuilds the producer state as of the log end offset
// from the newest readable snapshot at or below it and the batch headers
// after that snapshot. Snapshots past the log end (left by a crash or a
// truncation) are removed first.
func (l *Log) loadProducersLocked() error {
	leo := l.leo.Load()
	offs, err := l.snapshotOffsets()
	if err != nil {
		return err
	}
	l.producers.m, l.producers.savedAt = nil, -1
	from := int64(-1)
	for i := len(offs) - 1; i >= 0; i-- {
		off := offs[i]
		if off > leo {
			if err := l.env.fs.Remove(l.snapshotPath(off)); err != nil {
				return err
			}
			continue
		}
		data, err := vfs.ReadFile(l.env.fs, l.snapshotPath(off))
		if err == nil {
			var m map[int64]*producerEntry
			if m, err = decodeSnapshot(data); err == nil {
				l.producers.m, from = m, off
				break
			}
		}
		l.env.logger.Warn("producer snapshot unreadable; using an older one", "dir", l.dir, "offset", off, "err", err)
		if err := l.env.fs.Remove(l.snapshotPath(off)); err != nil {
			return err
		}
	}
	if from == leo {
		l.producers.savedAt = leo
		return nil
	}
	segs := l.segments()
	i := 0
	if from >= 0 {
		i = l.segmentIndexFor(from)
	}
	for _, s := range segs[i:] {
		if err := l.walkHeaders(s, func(h *record.Header) {
			if h.BaseOffset >= from && h.BaseOffset < leo {
				l.producers.update(h)
			}
		}); err != nil {
			return err
		}
	}
	return nil
}
