package group

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/storage"
)

// load rebuilds the shard from its partition, from the log start to the
// high watermark, then makes it active.
func (sh *shardRuntime) load() {
	c := sh.c
	if c.loadHook != nil {
		c.loadHook(sh.id)
	}
	start := time.Now()
	sm := NewShard(ShardOptions{Config: c.config(), NewUUID: c.opts.NewUUID, Logger: c.log.With("partition", sh.id)})
	l := sh.part.Log
	from := l.LogStartOffset()
	n, err := readLog(l, from, l.HighWatermark(), int64(c.opts.Config().Int("offsets.load.buffer.size")), sh.stopped.Load, func(key, value []byte) error {
		return sm.Replay(c.nowMs(), key, value)
	})
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.state != shardLoading {
		return // unloaded meanwhile
	}
	if err != nil {
		c.log.Error("loading a __consumer_offsets partition failed; its groups are unavailable", "partition", sh.id, "err", err)
		sh.state = shardGone
		return
	}
	sh.sm, sh.state, sh.cfgSrc = sm, shardActive, c.opts.Config()
	sm.Loaded(c.nowMs())
	level := slog.LevelInfo
	if n == 0 {
		level = slog.LevelDebug // 50 empty partitions are not news
	}
	c.log.Log(context.Background(), level, "loaded group coordinator partition", "partition", sh.id, "from", from, "records", n,
		"groups", len(sm.groups), "offsets", sm.numOffsets, "took", time.Since(start).Round(time.Millisecond))
	sh.processLocked()
}

// readLog calls fn for the key and value of every record in [from, to),
// skipping control batches. It reads bufSize bytes at a time and stops
// early, without error, when stop reports true.
func readLog(l *storage.Log, from, to, bufSize int64, stop func() bool, fn func(key, value []byte) error) (int, error) {
	var (
		it  record.Records
		buf []byte
		n   int
	)
	defer it.Release()
	for off := from; off < to; {
		if stop() {
			return n, nil
		}
		sl, err := l.Read(off, storage.ReadOptions{MaxBytes: bufSize, MinOneBatch: true, MaxOffset: to})
		if err != nil {
			return n, err
		}
		buf, err = sl.AppendTo(buf[:0])
		sl.Release()
		if err != nil {
			return n, err
		}
		if len(buf) == 0 {
			return n, fmt.Errorf("group: no batch at offset %d below %d", off, to)
		}
		sc := record.NewScanner(buf, 0)
		for sc.Next() {
			h := sc.Header()
			off = h.NextOffset()
			// Control batches (transaction markers) carry no state; there
			// are no transactional offset commits yet.
			if h.Control() || h.Transactional() {
				continue
			}
			if err := it.Reset(sc.Batch(), 0); err != nil {
				return n, err
			}
			for it.Next() {
				r := it.Record()
				if r.Key == nil {
					continue
				}
				if err := fn(r.Key, r.Value); err != nil {
					return n, fmt.Errorf("offset %d: %w", r.Offset, err)
				}
				n++
			}
			if err := it.Err(); err != nil {
				return n, err
			}
		}
		if err := sc.Err(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// maxBatchBytes is the largest batch the partition takes.
func maxBatchBytes(l *storage.Log) int {
	return int(min(l.Config().MaxMessageBytes, 1<<20))
}

// encodeBatches builds uncompressed v2 batches of records, each at most
// about maxBytes, all to be appended at once.
func encodeBatches(records []Record, now int64, maxBytes int) ([]byte, error) {
	var (
		out  []byte
		b    *record.Builder
		size int
		err  error
	)
	flush := func() {
		if b != nil && err == nil {
			out, err = b.Build(out)
		}
		b, size = nil, record.HeaderSize
	}
	for _, r := range records {
		recSize := len(r.Key) + len(r.Value) + 24 // varint framing, attributes, deltas
		if b != nil && size+recSize > maxBytes {
			flush()
		}
		if b == nil {
			b = record.NewBuilder(record.BuilderOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1})
			size = record.HeaderSize
		}
		b.Add(now, r.Key, r.Value)
		size += recSize
	}
	flush()
	return out, err
}

// maybeSnapshotLocked bounds what a load reads (see the package doc): once
// the log holds the live state plus max(SnapshotMinRecords, live) more
// records, the live state is appended again and the log start moved to
// where that restatement begins.
func (sh *shardRuntime) maybeSnapshotLocked() {
	l := sh.part.Log
	live := int64(sh.sm.LiveRecords())
	if l.LogEndOffset()-l.LogStartOffset() < live+max(sh.c.opts.SnapshotMinRecords, live) {
		return
	}
	start := l.LogEndOffset()
	recs := sh.sm.SnapshotRecords()
	// Appends of at most a quarter segment each: a run must fit a segment.
	chunk := max(int(l.Config().SegmentBytes/4), 1)
	for i := 0; i < len(recs); {
		j, size := i, 0
		for j < len(recs) && (j == i || size+len(recs[j].Key)+len(recs[j].Value)+24 <= chunk) {
			size += len(recs[j].Key) + len(recs[j].Value) + 24
			j++
		}
		if code := sh.writeLocked(recs[i:j]); code != 0 {
			return // retried after the next write
		}
		i = j
	}
	trimmed, err := l.DeleteRecordsBefore(start)
	if err != nil {
		sh.c.log.Warn("trimming __consumer_offsets after a snapshot failed", "partition", sh.id, "err", err)
		return
	}
	sh.c.log.Info("snapshot of group coordinator state", "partition", sh.id, "records", len(recs), "log_start", trimmed)
}
