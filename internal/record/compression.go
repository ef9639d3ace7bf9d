package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// xerialHeader opens the snappy framing the Java client writes: a magic,
// then a version and a minimum compatible version (both 1), then chunks of
// a 4-byte big-endian length and a raw snappy block.
var xerialHeader = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialHeaderLen = 16

// Decompress appends the decompression of src, the records section of a
// batch compressed with c, to dst. It fails with ErrTooLarge rather than
// produce more than limit bytes.
func Decompress(c Codec, dst, src []byte, limit int) ([]byte, error) {
	switch c {
	case CodecNone:
		if len(src) > limit {
			return dst, ErrTooLarge
		}
		return append(dst, src...), nil
	case CodecGzip:
		r := gzipReaders.Get().(*gzip.Reader)
		defer gzipReaders.Put(r)
		if err := r.Reset(bytes.NewReader(src)); err != nil {
			return dst, fmt.Errorf("%w: gzip: %v", ErrInvalidRecord, err)
		}
		return readLimited(dst, r, limit, "gzip")
	case CodecSnappy:
		return decodeSnappy(dst, src, limit)
	case CodecLZ4:
		r := lz4Readers.Get().(*lz4.Reader)
		defer lz4Readers.Put(r)
		r.Reset(bytes.NewReader(src))
		return readLimited(dst, r, limit, "lz4")
	case CodecZstd:
		d := zstdDecoders.Get().(*zstd.Decoder)
		defer zstdDecoders.Put(d)
		if err := d.Reset(bytes.NewReader(src)); err != nil {
			return dst, fmt.Errorf("%w: zstd: %v", ErrInvalidRecord, err)
		}
		out, err := readLimited(dst, d, limit, "zstd")
		d.Reset(nil) // drop the reference to src
		return out, err
	}
	return dst, fmt.Errorf("%w %d", ErrCodec, c)
}

// readLimited appends all of r to dst, failing once more than limit bytes
// come out.
func readLimited(dst []byte, r io.Reader, limit int, name string) ([]byte, error) {
	start := len(dst)
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst)-start > limit {
			return dst[:start], ErrTooLarge
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst[:start], fmt.Errorf("%w: %s: %v", ErrInvalidRecord, name, err)
		}
	}
}

func decodeSnappy(dst, src []byte, limit int) ([]byte, error) {
	if !bytes.HasPrefix(src, xerialHeader) {
		return decodeSnappyBlock(dst, src, limit, limit)
	}
	if len(src) < xerialHeaderLen {
		return dst, fmt.Errorf("%w: snappy: truncated xerial header", ErrInvalidRecord)
	}
	start := len(dst)
	src = src[xerialHeaderLen:]
	for len(src) > 0 {
		if len(src) < 4 {
			return dst[:start], fmt.Errorf("%w: snappy: truncated xerial chunk length", ErrInvalidRecord)
		}
		n := binary.BigEndian.Uint32(src)
		src = src[4:]
		if uint64(n) > uint64(len(src)) {
			return dst[:start], fmt.Errorf("%w: snappy: xerial chunk of %d bytes, %d left", ErrInvalidRecord, n, len(src))
		}
		var err error
		dst, err = decodeSnappyBlock(dst, src[:n], limit-(len(dst)-start), limit)
		if err != nil {
			return dst[:start], err
		}
		src = src[n:]
	}
	return dst, nil
}

// decodeSnappyBlock decodes one raw snappy block; its decoded length is
// declared up front, so the limit is checked before allocating.
func decodeSnappyBlock(dst, block []byte, room, limit int) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil {
		return dst, fmt.Errorf("%w: snappy: %v", ErrInvalidRecord, err)
	}
	if n > room {
		return dst, ErrTooLarge
	}
	start := len(dst)
	dst = growTo(dst, start+n)
	if _, err := s2.Decode(dst[start:start+n], block); err != nil {
		return dst[:start], fmt.Errorf("%w: snappy: %v", ErrInvalidRecord, err)
	}
	return dst, nil
}

func growTo(b []byte, n int) []byte {
	if n <= cap(b) {
		return b[:n]
	}
	nb := make([]byte, n, max(n, 2*cap(b)))
	copy(nb, b)
	return nb
}

// Compress appends the compression of src with c to dst. Snappy is written
// as a raw block, which every Kafka client reads.
func Compress(c Codec, dst, src []byte) ([]byte, error) {
	switch c {
	case CodecNone:
		return append(dst, src...), nil
	case CodecGzip:
		buf := bytes.NewBuffer(dst)
		w := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(w)
		w.Reset(buf)
		if _, err := w.Write(src); err != nil {
			return dst, err
		}
		if err := w.Close(); err != nil {
			return dst, err
		}
		return buf.Bytes(), nil
	case CodecSnappy:
		start := len(dst)
		dst = growTo(dst, start+s2.MaxEncodedLen(len(src)))
		out := s2.EncodeSnappy(dst[start:], src)
		return dst[:start+len(out)], nil
	case CodecLZ4:
		buf := bytes.NewBuffer(dst)
		w := lz4Writers.Get().(*lz4.Writer)
		defer lz4Writers.Put(w)
		w.Reset(buf)
		if _, err := w.Write(src); err != nil {
			return dst, err
		}
		if err := w.Close(); err != nil {
			return dst, err
		}
		return buf.Bytes(), nil
	case CodecZstd:
		return zstdEncoder.EncodeAll(src, dst), nil
	}
	return dst, fmt.Errorf("%w %d", ErrCodec, c)
}

var (
	gzipReaders = sync.Pool{New: func() any { return new(gzip.Reader) }}
	gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	lz4Readers  = sync.Pool{New: func() any { return lz4.NewReader(nil) }}
	lz4Writers  = sync.Pool{New: func() any { return lz4.NewWriter(nil) }}

	zstdDecoders = sync.Pool{New: func() any {
		// Concurrency 1: decoding runs on the caller's goroutine, which
		// is what the per-request validation wants. The window limit
		// caps the memory a hostile frame header can ask for.
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(64<<20))
		if err != nil {
			panic(err) // only invalid options fail
		}
		return d
	}}
	zstdEncoder = mustZstdEncoder()
)

func mustZstdEncoder() *zstd.Encoder {
	e, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err)
	}
	return e
}
