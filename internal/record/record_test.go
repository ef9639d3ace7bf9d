package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var allCodecs = []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd}

func noProducer(c Codec) BuilderOptions {
	return BuilderOptions{Codec: c, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
}

type testRecord struct {
	ts         int64
	key, value []byte
	headers    []RecordHeader
}

func sampleRecords() []testRecord {
	return []testRecord{
		{ts: 1000, key: []byte("k1"), value: []byte("v1"), headers: []RecordHeader{{"h", []byte("x")}, {"n", nil}}},
		{ts: 990, key: nil, value: bytes.Repeat([]byte("abc"), 500)},
		{ts: 1500, key: []byte{}, value: nil},
		{ts: 1200, key: []byte("k4"), value: []byte{}},
	}
}

func build(t testing.TB, opts BuilderOptions, recs []testRecord) []byte {
	t.Helper()
	b := NewBuilder(opts)
	for _, r := range recs {
		b.Add(r.ts, r.key, r.value, r.headers...)
	}
	out, err := b.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildParseRoundTripEveryCodec(t *testing.T) {
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) {
			opts := noProducer(c)
			opts.BaseOffset = 100
			recs := sampleRecords()
			batch := build(t, opts, recs)
			h, err := Check(batch, 0)
			if err != nil {
				t.Fatal(err)
			}
			if h.Codec() != c || h.NumRecords != 4 || h.LastOffsetDelta != 3 || h.BaseOffset != 100 ||
				h.BaseTimestamp != 1000 || h.MaxTimestamp != 1500 || h.Size() != len(batch) {
				t.Fatalf("header %+v", h)
			}
			var it Records
			defer it.Release()
			if err := it.Reset(batch, 0); err != nil {
				t.Fatal(err)
			}
			i := 0
			for it.Next() {
				r, want := it.Record(), recs[i]
				if r.Offset != int64(100+i) || r.Timestamp != want.ts {
					t.Fatalf("record %d: offset %d ts %d", i, r.Offset, r.Timestamp)
				}
				if !sameBytes(r.Key, want.key) || !sameBytes(r.Value, want.value) {
					t.Fatalf("record %d: key %q value len %d", i, r.Key, len(r.Value))
				}
				var hs []RecordHeader
				r.EachHeader(func(k, v []byte) { hs = append(hs, RecordHeader{string(k), v}) })
				if len(hs) != len(want.headers) {
					t.Fatalf("record %d: %d headers", i, len(hs))
				}
				for j := range hs {
					if hs[j].Key != want.headers[j].Key || !sameBytes(hs[j].Value, want.headers[j].Value) {
						t.Fatalf("record %d header %d: %+v", i, j, hs[j])
					}
				}
				i++
			}
			if err := it.Err(); err != nil || i != 4 {
				t.Fatalf("iterated %d records, err %v", i, err)
			}
		})
	}
}

// sameBytes compares, keeping null and empty apart.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

// TestKmsgAgreesOnLayout decodes our batches with franz-go's own batch and
// record codecs: what we build is what a Kafka client reads.
func TestKmsgAgreesOnLayout(t *testing.T) {
	opts := noProducer(CodecNone)
	opts.BaseOffset, opts.LeaderEpoch = 7, 3
	batch := build(t, opts, sampleRecords())
	var kb kmsg.RecordBatch
	if err := kb.ReadFrom(batch); err != nil {
		t.Fatal(err)
	}
	if kb.FirstOffset != 7 || kb.PartitionLeaderEpoch != 3 || kb.NumRecords != 4 || uint32(kb.CRC) != Checksum(batch) {
		t.Fatalf("kmsg batch %+v", kb)
	}
	rest := kb.Records
	for i, want := range sampleRecords() {
		var r kmsg.Record
		l, used := binary.Varint(rest)
		if err := r.ReadFrom(rest[:used+int(l)]); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		rest = rest[used+int(l):]
		if !sameBytes(r.Key, want.key) || !sameBytes(r.Value, want.value) || r.OffsetDelta != int32(i) {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
}

func TestCheckRejectsDamage(t *testing.T) {
	good := build(t, noProducer(CodecNone), sampleRecords())
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		want   error
	}{
		{"bad crc", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }, ErrCRC},
		{"bad magic", func(b []byte) []byte { b[posMagic] = 1; return b }, ErrMagic},
		{"length overruns", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[posLength:], uint32(len(b)))
			return b
		}, ErrShort},
		{"length below header", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[posLength:], 10)
			return b
		}, ErrLength},
		{"negative length", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[posLength:], 0xffffffff)
			return b
		}, ErrLength},
		{"truncated", func(b []byte) []byte { return b[:len(b)-5] }, ErrShort},
		{"header only partly there", func(b []byte) []byte { return b[:40] }, ErrShort},
		{"more records than offsets", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[posRecordCount:], 9)
			binary.BigEndian.PutUint32(b[posCRC:], Checksum(b))
			return b
		}, ErrRecordCount},
		{"unknown codec", func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[posAttributes:], 6)
			binary.BigEndian.PutUint32(b[posCRC:], Checksum(b))
			return b
		}, ErrCodec},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(bytes.Clone(good))
			if _, err := Check(b, 0); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Check(good, len(good)-1); !errors.Is(err, ErrLength) {
		t.Fatalf("max size: got %v", err)
	}
}

func TestRecordsRejectCountMismatch(t *testing.T) {
	// A header that claims fewer records than the section holds, or more,
	// with a valid CRC: framing passes, iteration must not.
	for _, claim := range []uint32{2, 4} {
		recs := sampleRecords()[:3]
		b := build(t, noProducer(CodecNone), recs)
		binary.BigEndian.PutUint32(b[posRecordCount:], claim)
		binary.BigEndian.PutUint32(b[posLastOffsetDelta:], 3)
		binary.BigEndian.PutUint32(b[posCRC:], Checksum(b))
		if _, err := Check(b, 0); err != nil {
			t.Fatal(err)
		}
		var it Records
		if err := it.Reset(b, 0); err != nil {
			t.Fatal(err)
		}
		for it.Next() {
		}
		if !errors.Is(it.Err(), ErrRecordCount) {
			t.Fatalf("claim %d: got %v", claim, it.Err())
		}
	}
}

func TestSetLogAppendTimeKeepsCRCValid(t *testing.T) {
	b := build(t, noProducer(CodecLZ4), sampleRecords())
	SetBaseOffset(b, 42)
	SetPartitionLeaderEpoch(b, 9)
	SetLogAppendTime(b, 123456)
	h, err := Check(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !h.LogAppendTime() || h.MaxTimestamp != 123456 || h.BaseOffset != 42 || h.PartitionLeaderEpoch != 9 {
		t.Fatalf("%+v", h)
	}
	var it Records
	defer it.Release()
	it.Reset(b, 0)
	for it.Next() {
		if it.Record().Timestamp != 123456 {
			t.Fatalf("record timestamp %d", it.Record().Timestamp)
		}
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
}

func TestDecompressionBombsAreBounded(t *testing.T) {
	zeros := make([]byte, 8<<20)
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) {
			comp, err := Compress(c, nil, zeros)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decompress(c, nil, comp, 1<<20); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("got %v, want ErrTooLarge", err)
			}
			out, err := Decompress(c, nil, comp, len(zeros))
			if err != nil || len(out) != len(zeros) {
				t.Fatalf("within limit: %d bytes, %v", len(out), err)
			}
		})
	}
}

func TestSnappyXerialFraming(t *testing.T) {
	payload := bytes.Repeat([]byte("xerial framing as the Java client writes it "), 2000)
	framed := append([]byte{}, xerialHeader...)
	framed = binary.BigEndian.AppendUint32(framed, 1)
	framed = binary.BigEndian.AppendUint32(framed, 1)
	for rest := payload; len(rest) > 0; {
		n := min(len(rest), 32<<10)
		block := s2.EncodeSnappy(nil, rest[:n])
		framed = binary.BigEndian.AppendUint32(framed, uint32(len(block)))
		framed = append(framed, block...)
		rest = rest[n:]
	}
	out, err := Decompress(CodecSnappy, nil, framed, len(payload))
	if err != nil || !bytes.Equal(out, payload) {
		t.Fatalf("xerial: %d bytes, %v", len(out), err)
	}
	if _, err := Decompress(CodecSnappy, nil, framed, len(payload)-1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("xerial over limit: %v", err)
	}
	if _, err := Decompress(CodecSnappy, nil, framed[:len(framed)-3], len(payload)); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("truncated xerial: %v", err)
	}
}

func TestCorruptCompressedDataIsInvalidRecord(t *testing.T) {
	for _, c := range allCodecs[1:] {
		comp, _ := Compress(c, nil, bytes.Repeat([]byte("data"), 1000))
		comp[len(comp)/2] ^= 0x55
		comp = comp[:len(comp)-2]
		if _, err := Decompress(c, nil, comp, 1<<20); err == nil {
			t.Errorf("%v: corrupt input decompressed", c)
		} else if !errors.Is(err, ErrInvalidRecord) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%v: %v", c, err)
		}
	}
}

func TestScannerStopsAtFirstBadBatch(t *testing.T) {
	var buf []byte
	for i := range 3 {
		opts := noProducer(CodecNone)
		opts.BaseOffset = int64(i * 4)
		buf = append(buf, build(t, opts, sampleRecords())...)
	}
	good := len(buf)
	buf = append(buf, build(t, noProducer(CodecNone), sampleRecords())[:30]...)
	s := NewScanner(buf, 0)
	n := 0
	for s.Next() {
		if s.Header().BaseOffset != int64(n*4) {
			t.Fatalf("batch %d base %d", n, s.Header().BaseOffset)
		}
		n++
	}
	if n != 3 || s.Pos() != good || !errors.Is(s.Err(), ErrShort) {
		t.Fatalf("n=%d pos=%d err=%v", n, s.Pos(), s.Err())
	}
}

func BenchmarkCheck16KiB(b *testing.B) {
	bld := NewBuilder(noProducer(CodecNone))
	v := make([]byte, 1024)
	for range 16 {
		bld.Add(1, nil, v)
	}
	batch, _ := bld.Build(nil)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(batch, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIterateRecords(b *testing.B) {
	for _, c := range allCodecs {
		b.Run(c.String(), func(b *testing.B) {
			bld := NewBuilder(noProducer(c))
			v := bytes.Repeat([]byte("0123456789abcdef"), 64)
			for i := range 16 {
				bld.Add(int64(i), []byte(fmt.Sprint(i)), v)
			}
			batch, _ := bld.Build(nil)
			b.SetBytes(16 * 1024)
			b.ReportAllocs()
			var it Records
			defer it.Release()
			for b.Loop() {
				it.Reset(batch, 0)
				for it.Next() {
				}
				if it.Err() != nil {
					b.Fatal(it.Err())
				}
			}
		})
	}
}
