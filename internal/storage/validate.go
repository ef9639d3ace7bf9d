package storage

import (
	"errors"
	"fmt"

	"github.com/fjordlabs/fjord/internal/record"
)

// Origin says who is appending: it decides what is checked and whether the
// log assigns offsets.
type Origin int8

const (
	// OriginClient is a producer: every batch and record is validated
	// (Kafka's LogValidator rules) and the log assigns offsets, the leader
	// epoch and, for LogAppendTime topics, the timestamp.
	OriginClient Origin = iota
	// OriginInternal is the broker's own writer (a coordinator or the
	// metadata log): framing is checked, offsets and epoch assigned.
	OriginInternal
	// OriginReplication is a follower copying its leader: framing is
	// checked and the batches keep their offsets and epochs.
	OriginReplication
)

// Validation errors. A rejected append writes nothing.
var (
	// ErrCorruptMessage: a batch fails its CRC or its framing (Kafka's
	// CORRUPT_MESSAGE).
	ErrCorruptMessage = errors.New("storage: corrupt message")
	// ErrInvalidRecord: a batch or record breaks a rule (Kafka's
	// INVALID_RECORD).
	ErrInvalidRecord = errors.New("storage: invalid record")
	// ErrInvalidTimestamp: a CreateTime timestamp outside the window
	// message.timestamp.before/after.max.ms allow (INVALID_TIMESTAMP).
	ErrInvalidTimestamp = errors.New("storage: invalid timestamp")
	// ErrMessageTooLarge: a batch above max.message.bytes
	// (MESSAGE_TOO_LARGE).
	ErrMessageTooLarge = errors.New("storage: message too large")
)

// ValidationError says which batch, and which record in it, was rejected.
type ValidationError struct {
	Err    error // one of the validation errors above
	Batch  int   // index of the batch in the append
	Record int   // index of the record in the batch; -1 for the whole batch
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Record >= 0 {
		return fmt.Sprintf("%v: batch %d record %d: %s", e.Err, e.Batch, e.Record, e.Reason)
	}
	return fmt.Sprintf("%v: batch %d: %s", e.Err, e.Batch, e.Reason)
}

func (e *ValidationError) Unwrap() error { return e.Err }

// run describes a validated append.
type run struct {
	buf        []byte // the batches to write (a new buffer if recompressed)
	batches    int
	records    int64
	offsets    int64 // offsets spanned: sum of lastOffsetDelta+1
	maxTS      int64 // largest batch max timestamp, -1 if none
	firstBase  int64 // replication: the first batch's base offset
	lastOffset int64 // replication: the last batch's last offset
	firstEpoch int32 // replication: the first batch's leader epoch
	producers  bool  // some batch has a producer id
}

// validate checks an append's batches according to its origin and prepares
// them (leader epoch, log append time, corrected max timestamps,
// recompression). It runs before the writer lock is taken.
func validate(buf []byte, cfg *Config, opts *AppendOptions, now int64) (run, error) {
	r := run{buf: buf, maxTS: -1, firstBase: -1, lastOffset: -1}
	var (
		it        record.Records
		recompose bool
		prevEpoch int32
	)
	defer it.Release()
	sc := record.NewScanner(buf, 0)
	for i := 0; sc.Next(); i++ {
		h, b := sc.Header(), sc.Batch()
		if int64(len(b)) > cfg.MaxMessageBytes && opts.Origin != OriginReplication {
			return r, &ValidationError{ErrMessageTooLarge, i, -1,
				fmt.Sprintf("batch of %d bytes is larger than max.message.bytes %d", len(b), cfg.MaxMessageBytes)}
		}
		switch opts.Origin {
		case OriginClient:
			maxTS, err := validateClientBatch(&it, h, b, i, cfg, now)
			if err != nil {
				return r, err
			}
			if !h.LogAppendTime() && maxTS != h.MaxTimestamp && h.NumRecords > 0 {
				record.SetMaxTimestamp(b, maxTS)
				h.MaxTimestamp = maxTS
			}
			if !cfg.Compression.Producer && cfg.Compression.Codec != h.Codec() {
				recompose = true
			}
		case OriginReplication:
			if h.BaseOffset <= r.lastOffset {
				return r, fmt.Errorf("%w: batch at %d after offset %d", ErrOffsetOrder, h.BaseOffset, r.lastOffset)
			}
			if r.firstBase < 0 {
				r.firstBase, r.firstEpoch = h.BaseOffset, h.PartitionLeaderEpoch
			} else if h.PartitionLeaderEpoch < prevEpoch {
				return r, fmt.Errorf("%w: leader epoch %d after %d", ErrStaleEpoch, h.PartitionLeaderEpoch, prevEpoch)
			}
			prevEpoch = h.PartitionLeaderEpoch
			r.lastOffset = h.LastOffset()
		}
		if opts.Origin != OriginReplication {
			record.SetPartitionLeaderEpoch(b, opts.LeaderEpoch)
			if cfg.LogAppendTime {
				record.SetLogAppendTime(b, now)
				h.MaxTimestamp = now
			}
		}
		r.batches++
		r.producers = r.producers || h.ProducerID >= 0
		r.records += int64(h.NumRecords)
		r.offsets += int64(h.LastOffsetDelta) + 1
		r.maxTS = max(r.maxTS, h.MaxTimestamp)
	}
	if err := sc.Err(); err != nil {
		kind := ErrCorruptMessage
		if errors.Is(err, record.ErrMagic) {
			kind = ErrInvalidRecord
		}
		return r, &ValidationError{kind, r.batches, -1, err.Error()}
	}
	if recompose {
		nb, err := recompress(buf, cfg, now)
		if err != nil {
			return r, err
		}
		r.buf = nb
	}
	return r, nil
}

// validateClientBatch applies Kafka's rules for a producer's batch and its
// records, returning the records' largest timestamp.
func validateClientBatch(it *record.Records, h *record.Header, b []byte, i int, cfg *Config, now int64) (int64, error) {
	bad := func(err error, rec int, format string, args ...any) error {
		return &ValidationError{err, i, rec, fmt.Sprintf(format, args...)}
	}
	switch {
	case h.NumRecords <= 0:
		return 0, bad(ErrInvalidRecord, -1, "batch has no records")
	case int64(h.LastOffsetDelta)+1 != int64(h.NumRecords):
		return 0, bad(ErrInvalidRecord, -1, "lastOffsetDelta %d disagrees with record count %d", h.LastOffsetDelta, h.NumRecords)
	case h.Control():
		return 0, bad(ErrInvalidRecord, -1, "clients may not write control batches")
	case h.ProducerID >= 0 && h.BaseSequence < 0:
		return 0, bad(ErrInvalidRecord, -1, "idempotent batch with sequence %d", h.BaseSequence)
	case h.Transactional() && h.ProducerID < 0:
		return 0, bad(ErrInvalidRecord, -1, "transactional batch without a producer id")
	}
	if err := it.Reset(b, cfg.DecompressLimit); err != nil {
		if errors.Is(err, record.ErrTooLarge) {
			return 0, bad(ErrMessageTooLarge, -1, "records decompress to more than %d bytes", cfg.DecompressLimit)
		}
		return 0, bad(ErrCorruptMessage, -1, "%v", err)
	}
	maxTS := int64(-1)
	checkTS := !h.LogAppendTime() && !cfg.LogAppendTime
	for n := 0; it.Next(); n++ {
		rec := it.Record()
		if rec.Offset-h.BaseOffset != int64(n) {
			return 0, bad(ErrInvalidRecord, n, "offset delta %d, expected %d", rec.Offset-h.BaseOffset, n)
		}
		if cfg.Compact && rec.Key == nil {
			return 0, bad(ErrInvalidRecord, n, "compacted topic cannot accept a record without a key")
		}
		ts := rec.Timestamp
		if checkTS && ts >= 0 {
			if now-ts > cfg.TimestampBeforeMaxMs {
				return 0, bad(ErrInvalidTimestamp, n, "timestamp %d is more than message.timestamp.before.max.ms %d before the broker's time %d", ts, cfg.TimestampBeforeMaxMs, now)
			}
			if ts-now > cfg.TimestampAfterMaxMs {
				return 0, bad(ErrInvalidTimestamp, n, "timestamp %d is more than message.timestamp.after.max.ms %d after the broker's time %d", ts, cfg.TimestampAfterMaxMs, now)
			}
		}
		maxTS = max(maxTS, ts)
	}
	if err := it.Err(); err != nil {
		kind := ErrCorruptMessage
		if errors.Is(err, record.ErrRecordCount) {
			kind = ErrInvalidRecord
		}
		return 0, bad(kind, -1, "%v", err)
	}
	return maxTS, nil
}

// recompress rewrites every batch not in the topic's codec
// (compression.type other than producer), keeping records, timestamps and
// producer fields.
func recompress(buf []byte, cfg *Config, now int64) ([]byte, error) {
	out := make([]byte, 0, len(buf))
	var it record.Records
	defer it.Release()
	sc := record.NewScanner(buf, 0)
	for sc.Next() {
		h, b := sc.Header(), sc.Batch()
		if h.Codec() == cfg.Compression.Codec {
			out = append(out, b...)
			continue
		}
		if err := it.Reset(b, cfg.DecompressLimit); err != nil {
			return nil, &ValidationError{ErrCorruptMessage, 0, -1, err.Error()}
		}
		bld := record.NewBuilder(record.BuilderOptions{
			Codec:         cfg.Compression.Codec,
			LeaderEpoch:   h.PartitionLeaderEpoch,
			ProducerID:    h.ProducerID,
			ProducerEpoch: h.ProducerEpoch,
			BaseSequence:  h.BaseSequence,
			Transactional: h.Transactional(),
		})
		var hdrs []record.RecordHeader
		for it.Next() {
			rec := it.Record()
			hdrs = hdrs[:0]
			rec.EachHeader(func(k, v []byte) { hdrs = append(hdrs, record.RecordHeader{Key: string(k), Value: v}) })
			bld.Add(rec.Timestamp, rec.Key, rec.Value, hdrs...)
		}
		if err := it.Err(); err != nil {
			return nil, &ValidationError{ErrCorruptMessage, 0, -1, err.Error()}
		}
		var err error
		start := len(out)
		if out, err = bld.Build(out); err != nil {
			return nil, err
		}
		if h.LogAppendTime() {
			record.SetLogAppendTime(out[start:], now)
		}
	}
	return out, nil
}
