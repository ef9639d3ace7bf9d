package record

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func seedBatches(f *testing.F) {
	for _, c := range allCodecs {
		f.Add(build(f, noProducer(c), sampleRecords()))
	}
	f.Add([]byte{})
	f.Add(make([]byte, HeaderSize))
}

// FuzzCheck: arbitrary bytes never panic the batch parser, and whatever it
// accepts franz-go's decoder accepts with the same header.
func FuzzCheck(f *testing.F) {
	seedBatches(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Check(b, 0)
		if err != nil {
			return
		}
		var kb kmsg.RecordBatch
		if err := kb.ReadFrom(b[:h.Size()]); err != nil {
			t.Fatalf("Check accepted what kmsg rejects: %v", err)
		}
		if kb.FirstOffset != h.BaseOffset || kb.NumRecords != h.NumRecords || kb.LastOffsetDelta != h.LastOffsetDelta ||
			kb.MaxTimestamp != h.MaxTimestamp || uint32(kb.CRC) != h.CRC {
			t.Fatalf("header disagreement: %+v vs %+v", h, kb)
		}
	})
}

// FuzzRecords: iterating any batch that passes Check never panics and never
// yields more records than the header declares.
func FuzzRecords(f *testing.F) {
	seedBatches(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewScanner(b, 0)
		var it Records
		defer it.Release()
		for s.Next() {
			if err := it.Reset(s.Batch(), 1<<20); err != nil {
				continue
			}
			n := 0
			for it.Next() {
				n++
				it.Record().EachHeader(func(k, v []byte) {})
			}
			if n > int(s.Header().NumRecords) {
				t.Fatalf("%d records from a header of %d", n, s.Header().NumRecords)
			}
			if it.Err() == nil && n != int(s.Header().NumRecords) {
				t.Fatalf("clean end after %d of %d records", n, s.Header().NumRecords)
			}
		}
		if err := s.Err(); err != nil && !errors.Is(err, ErrShort) && !errors.Is(err, ErrCRC) && !errors.Is(err, ErrMagic) &&
			!errors.Is(err, ErrLength) && !errors.Is(err, ErrRecordCount) && !errors.Is(err, ErrCodec) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// FuzzDecompress: no codec panics or exceeds its limit on hostile input.
func FuzzDecompress(f *testing.F) {
	for _, c := range allCodecs {
		comp, _ := Compress(c, nil, []byte("hello hello hello hello"))
		f.Add(int8(c), comp)
	}
	f.Fuzz(func(t *testing.T, c int8, b []byte) {
		out, err := Decompress(Codec(c&7), nil, b, 1<<16)
		if err == nil && len(out) > 1<<16 {
			t.Fatalf("%d bytes past the limit", len(out))
		}
	})
}
