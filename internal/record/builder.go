package record

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kbin"
)

// RecordHeader is a record header, for building.
type RecordHeader struct {
	Key   string
	Value []byte
}

// BuilderOptions configure a batch under construction.
type BuilderOptions struct {
	Codec         Codec
	BaseOffset    int64
	LeaderEpoch   int32
	ProducerID    int64 // -1 when not idempotent
	ProducerEpoch int16 // -1 when not idempotent
	BaseSequence  int32 // -1 when not idempotent
	Transactional bool
	Control       bool
	LogAppendTime bool
}

// Builder assembles a v2 batch, used by the broker's own writers (the group
// coordinator, the metadata log, recompression) and by tests. Records are
// given offsets consecutively from BaseOffset.
type Builder struct {
	opts    BuilderOptions
	records []byte
	n       int32
	firstTS int64
	maxTS   int64
}

// NewBuilder starts an empty batch.
func NewBuilder(opts BuilderOptions) *Builder {
	return &Builder{opts: opts}
}

// Add appends a record. A nil key or value is null; ts is its timestamp in
// milliseconds.
func (b *Builder) Add(ts int64, key, value []byte, headers ...RecordHeader) {
	if b.n == 0 {
		b.firstTS, b.maxTS = ts, ts
	}
	b.maxTS = max(b.maxTS, ts)
	body := make([]byte, 0, 16+len(key)+len(value))
	body = append(body, 0) // attributes
	body = kbin.AppendVarlong(body, ts-b.firstTS)
	body = kbin.AppendVarint(body, b.n)
	body = appendVarBytes(body, key)
	body = appendVarBytes(body, value)
	body = kbin.AppendVarint(body, int32(len(headers)))
	for _, h := range headers {
		body = kbin.AppendVarint(body, int32(len(h.Key)))
		body = append(body, h.Key...)
		body = appendVarBytes(body, h.Value)
	}
	b.records = kbin.AppendVarint(b.records, int32(len(body)))
	b.records = append(b.records, body...)
	b.n++
}

// Len is the number of records added.
func (b *Builder) Len() int { return int(b.n) }

// Build appends the finished batch to dst. An empty builder appends nothing.
func (b *Builder) Build(dst []byte) ([]byte, error) {
	if b.n == 0 {
		return dst, nil
	}
	start := len(dst)
	dst = append(dst, make([]byte, HeaderSize)...)
	var err error
	if dst, err = Compress(b.opts.Codec, dst, b.records); err != nil {
		return dst[:start], err
	}
	batch := dst[start:]
	attrs := uint16(b.opts.Codec)
	if b.opts.LogAppendTime {
		attrs |= attrLogAppendTime
	}
	if b.opts.Transactional {
		attrs |= attrTransactional
	}
	if b.opts.Control {
		attrs |= attrControl
	}
	pid, pepoch, seq := b.opts.ProducerID, b.opts.ProducerEpoch, b.opts.BaseSequence
	binary.BigEndian.PutUint64(batch[posBaseOffset:], uint64(b.opts.BaseOffset))
	binary.BigEndian.PutUint32(batch[posLength:], uint32(len(batch)-LogOverhead))
	binary.BigEndian.PutUint32(batch[posLeaderEpoch:], uint32(b.opts.LeaderEpoch))
	batch[posMagic] = Magic
	binary.BigEndian.PutUint16(batch[posAttributes:], attrs)
	binary.BigEndian.PutUint32(batch[posLastOffsetDelta:], uint32(b.n-1))
	binary.BigEndian.PutUint64(batch[posBaseTimestamp:], uint64(b.firstTS))
	binary.BigEndian.PutUint64(batch[posMaxTimestamp:], uint64(b.maxTS))
	binary.BigEndian.PutUint64(batch[posProducerID:], uint64(pid))
	binary.BigEndian.PutUint16(batch[posProducerEpoch:], uint16(pepoch))
	binary.BigEndian.PutUint32(batch[posBaseSequence:], uint32(seq))
	binary.BigEndian.PutUint32(batch[posRecordCount:], uint32(b.n))
	binary.BigEndian.PutUint32(batch[posCRC:], Checksum(batch))
	return dst, nil
}

func appendVarBytes(dst, v []byte) []byte {
	if v == nil {
		return kbin.AppendVarint(dst, -1)
	}
	dst = kbin.AppendVarint(dst, int32(len(v)))
	return append(dst, v...)
}
