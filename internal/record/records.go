package record

import (
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kbin"
)

// Record is one record of a batch. Key, Value and the headers alias the batch
// or the iterator's decompression buffer: they are valid until the iterator
// moves on or is released.
type Record struct {
	Offset    int64
	Timestamp int64
	Key       []byte // nil for a null key
	Value     []byte // nil for a null value (a tombstone)
	// NumHeaders is the number of headers; EachHeader walks them.
	NumHeaders int
	headers    []byte
}

// EachHeader calls fn for each header in order. A null header value is nil.
func (r *Record) EachHeader(fn func(key, value []byte)) {
	b := r.headers
	for range r.NumHeaders {
		var k, v []byte
		k, b, _ = readVarBytes(b)
		v, b, _ = readVarBytes(b)
		fn(k, v)
	}
}

// DefaultDecompressLimit bounds how large a batch's records may become once
// decompressed, unless the caller sets its own limit.
const DefaultDecompressLimit = 256 << 20

// Records iterates the records of one batch. Reuse one Records for many
// batches to reuse its decompression buffer; Release returns the buffer to a
// shared pool.
type Records struct {
	h     Header
	data  []byte // the records section, decompressed
	pos   int
	n     int32
	rec   Record
	err   error
	buf   *[]byte // pooled decompression buffer, when one is held
	prevD int64   // offset delta of the previous record, for ordering
}

var decompressBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// Reset points the iterator at batch (a whole, checked batch) and, for a
// compressed batch, decompresses its records, bounded by limit (0 means
// DefaultDecompressLimit).
func (it *Records) Reset(batch []byte, limit int) error {
	h, err := ParseHeader(batch)
	if err != nil {
		it.err = err
		return err
	}
	*it = Records{h: h, buf: it.buf, prevD: -1}
	if h.Size() > len(batch) {
		it.err = ErrShort
		return it.err
	}
	body := batch[HeaderSize:h.Size()]
	if limit <= 0 {
		limit = DefaultDecompressLimit
	}
	if h.Codec() == CodecNone {
		it.data = body
		return nil
	}
	if it.buf == nil {
		it.buf = decompressBufs.Get().(*[]byte)
	}
	out, err := Decompress(h.Codec(), (*it.buf)[:0], body, limit)
	if cap(out) <= 16<<20 { // do not keep a huge buffer pooled forever
		*it.buf = out[:0]
	}
	if err != nil {
		it.err = err
		return err
	}
	it.data = out
	return nil
}

// Release returns any pooled buffer; the iterator can be Reset again.
func (it *Records) Release() {
	if it.buf != nil {
		decompressBufs.Put(it.buf)
		it.buf = nil
	}
	it.data = nil
}

// Header is the header of the batch being iterated.
func (it *Records) Header() *Header { return &it.h }

// Next advances to the next record. At the end it checks that the records
// used up the section exactly and that their number is the header's count.
func (it *Records) Next() bool {
	if it.err != nil {
		return false
	}
	if it.n == it.h.NumRecords {
		if it.pos != len(it.data) {
			it.err = fmt.Errorf("%w: %d bytes after the last of %d records", ErrRecordCount, len(it.data)-it.pos, it.n)
		}
		return false
	}
	if it.pos >= len(it.data) {
		it.err = fmt.Errorf("%w: %d records found, header says %d", ErrRecordCount, it.n, it.h.NumRecords)
		return false
	}
	if err := it.parse(); err != nil {
		it.err = fmt.Errorf("record %d: %w", it.n, err)
		return false
	}
	it.n++
	return true
}

func (it *Records) parse() error {
	length, n := kbin.Varint(it.data[it.pos:])
	if n <= 0 || length < 0 || int(length) > len(it.data)-it.pos-n {
		return fmt.Errorf("%w: bad length", ErrInvalidRecord)
	}
	b := it.data[it.pos+n : it.pos+n+int(length)]
	it.pos += n + int(length)

	if len(b) < 1 {
		return fmt.Errorf("%w: empty record", ErrInvalidRecord)
	}
	b = b[1:] // attributes: unused
	tsDelta, n := kbin.Varlong(b)
	if n <= 0 {
		return fmt.Errorf("%w: bad timestamp delta", ErrInvalidRecord)
	}
	b = b[n:]
	offDelta, n := kbin.Varint(b)
	if n <= 0 {
		return fmt.Errorf("%w: bad offset delta", ErrInvalidRecord)
	}
	b = b[n:]
	if int64(offDelta) <= it.prevD || offDelta > it.h.LastOffsetDelta {
		return fmt.Errorf("%w: offset delta %d after %d (last %d)", ErrInvalidRecord, offDelta, it.prevD, it.h.LastOffsetDelta)
	}
	it.prevD = int64(offDelta)
	var ok bool
	r := &it.rec
	if r.Key, b, ok = readVarBytes(b); !ok {
		return fmt.Errorf("%w: bad key", ErrInvalidRecord)
	}
	if r.Value, b, ok = readVarBytes(b); !ok {
		return fmt.Errorf("%w: bad value", ErrInvalidRecord)
	}
	nh, n := kbin.Varint(b)
	if n <= 0 || nh < 0 || int(nh) > len(b) {
		return fmt.Errorf("%w: bad header count", ErrInvalidRecord)
	}
	b = b[n:]
	hs := b
	for range nh {
		var k []byte
		if k, b, ok = readVarBytes(b); !ok || k == nil {
			return fmt.Errorf("%w: bad header key", ErrInvalidRecord)
		}
		if _, b, ok = readVarBytes(b); !ok {
			return fmt.Errorf("%w: bad header value", ErrInvalidRecord)
		}
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrInvalidRecord, len(b))
	}
	r.NumHeaders = int(nh)
	r.headers = hs[:len(hs)-len(b)]
	r.Offset = it.h.BaseOffset + int64(offDelta)
	if it.h.LogAppendTime() {
		r.Timestamp = it.h.MaxTimestamp
	} else {
		r.Timestamp = it.h.BaseTimestamp + tsDelta
	}
	return nil
}

// Record is the current record; it is overwritten by the next call to Next.
func (it *Records) Record() *Record { return &it.rec }

// Err is the error that stopped iteration, or nil at a clean end.
func (it *Records) Err() error { return it.err }

// readVarBytes reads a varint length and that many bytes; length -1 is nil.
func readVarBytes(b []byte) (v, rest []byte, ok bool) {
	l, n := kbin.Varint(b)
	if n <= 0 || l < -1 || int(l) > len(b)-n {
		return nil, b, false
	}
	if l == -1 {
		return nil, b[n:], true
	}
	return b[n : n+int(l) : n+int(l)], b[n+int(l):], true
}
