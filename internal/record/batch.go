package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Byte positions of the v2 batch header fields. Never change.
const (
	posBaseOffset      = 0
	posLength          = 8
	posLeaderEpoch     = 12
	posMagic           = 16
	posCRC             = 17
	posAttributes      = 21
	posLastOffsetDelta = 23
	posBaseTimestamp   = 27
	posMaxTimestamp    = 35
	posProducerID      = 43
	posProducerEpoch   = 51
	posBaseSequence    = 53
	posRecordCount     = 57

	// HeaderSize is the size of the v2 batch header, before the records.
	HeaderSize = 61
	// LogOverhead is the part of a batch not counted by batchLength:
	// baseOffset and batchLength themselves.
	LogOverhead = 12
	// Magic is the only batch format version Fjord accepts.
	Magic = 2
)

// Attribute bits.
const (
	attrCodecMask     = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
	attrDeleteHorizon = 0x40
)

// Codec is a batch's compression codec, as stored in its attributes.
type Codec int8

const (
	CodecNone   Codec = 0
	CodecGzip   Codec = 1
	CodecSnappy Codec = 2
	CodecLZ4    Codec = 3
	CodecZstd   Codec = 4
)

func (c Codec) String() string {
	switch c {
	case CodecNone:
		return "none"
	case CodecGzip:
		return "gzip"
	case CodecSnappy:
		return "snappy"
	case CodecLZ4:
		return "lz4"
	case CodecZstd:
		return "zstd"
	}
	return fmt.Sprintf("codec(%d)", int8(c))
}

// Errors returned for malformed batches. They are wrapped with context; test
// with errors.Is.
var (
	// ErrShort: the buffer ends before the batch does. At the tail of a
	// log file this is a torn write.
	ErrShort = errors.New("record: batch is truncated")
	// ErrLength: the length field is impossible (below the header size or
	// above the limit).
	ErrLength = errors.New("record: invalid batch length")
	// ErrMagic: not a v2 batch.
	ErrMagic = errors.New("record: unsupported magic")
	// ErrCRC: the CRC does not match the contents.
	ErrCRC = errors.New("record: CRC mismatch")
	// ErrRecordCount: the record count disagrees with the records or the
	// offset deltas.
	ErrRecordCount = errors.New("record: record count disagrees with records")
	// ErrInvalidRecord: a record inside the batch is malformed.
	ErrInvalidRecord = errors.New("record: invalid record")
	// ErrCodec: the attributes name an unknown compression codec.
	ErrCodec = errors.New("record: unknown compression codec")
	// ErrTooLarge: decompression would exceed its limit.
	ErrTooLarge = errors.New("record: decompressed batch exceeds limit")
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Header is a parsed v2 batch header.
type Header struct {
	BaseOffset           int64
	Length               int32 // batchLength: size of the batch minus LogOverhead
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	BaseTimestamp        int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	NumRecords           int32
}

// Size is the batch's total size in bytes.
func (h *Header) Size() int { return int(h.Length) + LogOverhead }

// LastOffset is the offset of the batch's last record.
func (h *Header) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// NextOffset is the offset after the batch's last record.
func (h *Header) NextOffset() int64 { return h.LastOffset() + 1 }

// Codec is the batch's compression codec.
func (h *Header) Codec() Codec { return Codec(h.Attributes & attrCodecMask) }

// LogAppendTime reports whether the batch's timestamps are the broker's
// append time (MaxTimestamp) rather than the producer's.
func (h *Header) LogAppendTime() bool { return h.Attributes&attrLogAppendTime != 0 }

// Transactional reports the transactional attribute.
func (h *Header) Transactional() bool { return h.Attributes&attrTransactional != 0 }

// Control reports whether this is a control batch (transaction markers).
func (h *Header) Control() bool { return h.Attributes&attrControl != 0 }

// HasDeleteHorizon reports whether baseTimestamp holds a compaction delete
// horizon rather than the first record's timestamp.
func (h *Header) HasDeleteHorizon() bool { return h.Attributes&attrDeleteHorizon != 0 }

// PeekSize returns the total size of the batch starting at b, reading only
// baseOffset and batchLength, or ErrShort when b holds fewer than 12 bytes.
func PeekSize(b []byte) (int, error) {
	if len(b) < LogOverhead {
		return 0, ErrShort
	}
	return int(int32(binary.BigEndian.Uint32(b[posLength:]))) + LogOverhead, nil
}

// ParseHeader decodes the header of the batch starting at b. It checks only
// that the header is present and the length and magic are sane; it does not
// look at the CRC or the records. b may extend past the batch.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderSize {
		return h, ErrShort
	}
	h.BaseOffset = int64(binary.BigEndian.Uint64(b[posBaseOffset:]))
	h.Length = int32(binary.BigEndian.Uint32(b[posLength:]))
	h.PartitionLeaderEpoch = int32(binary.BigEndian.Uint32(b[posLeaderEpoch:]))
	h.Magic = int8(b[posMagic])
	h.CRC = binary.BigEndian.Uint32(b[posCRC:])
	h.Attributes = int16(binary.BigEndian.Uint16(b[posAttributes:]))
	h.LastOffsetDelta = int32(binary.BigEndian.Uint32(b[posLastOffsetDelta:]))
	h.BaseTimestamp = int64(binary.BigEndian.Uint64(b[posBaseTimestamp:]))
	h.MaxTimestamp = int64(binary.BigEndian.Uint64(b[posMaxTimestamp:]))
	h.ProducerID = int64(binary.BigEndian.Uint64(b[posProducerID:]))
	h.ProducerEpoch = int16(binary.BigEndian.Uint16(b[posProducerEpoch:]))
	h.BaseSequence = int32(binary.BigEndian.Uint32(b[posBaseSequence:]))
	h.NumRecords = int32(binary.BigEndian.Uint32(b[posRecordCount:]))
	if h.Magic != Magic {
		return h, fmt.Errorf("%w %d", ErrMagic, h.Magic)
	}
	if h.Length < HeaderSize-LogOverhead {
		return h, fmt.Errorf("%w: %d is below the header size", ErrLength, h.Length)
	}
	return h, nil
}

// Checksum computes the CRC-32C of a whole batch as stored in its header.
func Checksum(batch []byte) uint32 {
	return crc32.Checksum(batch[posAttributes:], crcTable)
}

// CRC32C is the CRC-32C (Castagnoli) of b: the checksum Kafka uses for
// batches and for the files that carry one (producer snapshots).
func CRC32C(b []byte) uint32 { return crc32.Checksum(b, crcTable) }

// Check validates the framing of the batch at the start of b: a complete
// header with magic 2, a length within b and no larger than maxSize (0: no
// limit), a matching CRC, a known codec, and a record count that fits in the
// batch's offset range. Compaction may remove records but never offsets, so
// a count below lastOffsetDelta+1 is allowed here; CheckRecords is stricter.
// The records themselves are not looked at. The batch is b[:h.Size()].
func Check(b []byte, maxSize int) (Header, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return h, err
	}
	size := h.Size()
	if maxSize > 0 && size > maxSize {
		return h, fmt.Errorf("%w: %d bytes is above the limit of %d", ErrLength, size, maxSize)
	}
	if size > len(b) {
		return h, fmt.Errorf("%w: batch of %d bytes, %d available", ErrShort, size, len(b))
	}
	if got := Checksum(b[:size]); got != h.CRC {
		return h, fmt.Errorf("%w: stored %08x, computed %08x", ErrCRC, h.CRC, got)
	}
	if h.LastOffsetDelta < 0 || h.NumRecords < 0 {
		return h, fmt.Errorf("%w: lastOffsetDelta %d, recordCount %d", ErrRecordCount, h.LastOffsetDelta, h.NumRecords)
	}
	if int64(h.NumRecords) > int64(h.LastOffsetDelta)+1 {
		return h, fmt.Errorf("%w: %d records in %d offsets", ErrRecordCount, h.NumRecords, int64(h.LastOffsetDelta)+1)
	}
	if h.Codec() > CodecZstd {
		return h, fmt.Errorf("%w %d", ErrCodec, h.Codec())
	}
	return h, nil
}

// SetBaseOffset rewrites the batch's base offset. The CRC does not cover it.
func SetBaseOffset(batch []byte, offset int64) {
	binary.BigEndian.PutUint64(batch[posBaseOffset:], uint64(offset))
}

// SetPartitionLeaderEpoch rewrites the batch's partition leader epoch. The
// CRC does not cover it.
func SetPartitionLeaderEpoch(batch []byte, epoch int32) {
	binary.BigEndian.PutUint32(batch[posLeaderEpoch:], uint32(epoch))
}

// SetLogAppendTime marks the batch's timestamps as the broker's append time
// ts: it sets the timestamp-type attribute and maxTimestamp and recomputes
// the CRC, as Kafka does for message.timestamp.type=LogAppendTime.
func SetLogAppendTime(batch []byte, ts int64) {
	attrs := binary.BigEndian.Uint16(batch[posAttributes:])
	binary.BigEndian.PutUint16(batch[posAttributes:], attrs|attrLogAppendTime)
	binary.BigEndian.PutUint64(batch[posMaxTimestamp:], uint64(ts))
	binary.BigEndian.PutUint32(batch[posCRC:], Checksum(batch))
}

// SetMaxTimestamp rewrites maxTimestamp (a producer's batch whose header
// disagrees with its records) and recomputes the CRC.
func SetMaxTimestamp(batch []byte, ts int64) {
	binary.BigEndian.PutUint64(batch[posMaxTimestamp:], uint64(ts))
	binary.BigEndian.PutUint32(batch[posCRC:], Checksum(batch))
}

// Scanner walks the consecutive batches of a buffer, checking each with
// Check. The zero value is not usable; use NewScanner.
type Scanner struct {
	buf     []byte
	pos     int
	maxSize int
	h       Header
	batch   []byte
	err     error
}

// NewScanner scans buf, rejecting batches larger than maxSize (0: no limit).
func NewScanner(buf []byte, maxSize int) *Scanner {
	return &Scanner{buf: buf, maxSize: maxSize}
}

// Next advances to the next batch, returning false at the end of the buffer
// or on the first invalid batch (see Err).
func (s *Scanner) Next() bool {
	if s.err != nil || s.pos >= len(s.buf) {
		return false
	}
	h, err := Check(s.buf[s.pos:], s.maxSize)
	if err != nil {
		s.err = fmt.Errorf("batch at byte %d: %w", s.pos, err)
		return false
	}
	s.h = h
	s.batch = s.buf[s.pos : s.pos+h.Size()]
	s.pos += h.Size()
	return true
}

// Header is the current batch's header.
func (s *Scanner) Header() *Header { return &s.h }

// Batch is the current batch's bytes, aliasing the scanned buffer.
func (s *Scanner) Batch() []byte { return s.batch }

// Pos is the byte position just after the current batch: the length of the
// valid prefix scanned so far.
func (s *Scanner) Pos() int { return s.pos }

// Err is the error that stopped the scan, or nil at a clean end.
func (s *Scanner) Err() error { return s.err }
