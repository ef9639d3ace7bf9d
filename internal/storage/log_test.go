package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fjordlabs/fjord/internal/record"
)

func TestAppendAssignsOffsetsAndReadReturnsWholeBatches(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	res := appendBatches(t, l, 10, 5, 100, h.clock.Ms())
	for i, r := range res {
		if r.FirstOffset != int64(i*5) || r.LastOffset != int64(i*5+4) || r.NumRecords != 5 {
			t.Fatalf("append %d: %+v", i, r)
		}
	}
	if l.LogEndOffset() != 50 || l.HighWatermark() != 50 {
		t.Fatalf("leo %d hw %d", l.LogEndOffset(), l.HighWatermark())
	}
	// An offset inside a batch returns that whole batch first.
	sl, err := l.Read(7, ReadOptions{MaxBytes: 1, MinOneBatch: true})
	if err != nil {
		t.Fatal(err)
	}
	buf, _ := sl.AppendTo(nil)
	sl.Release()
	hdr, err := record.Check(buf, 0)
	if err != nil || hdr.BaseOffset != 5 || hdr.Size() != len(buf) {
		t.Fatalf("read at 7: base %d size %d/%d err %v", hdr.BaseOffset, hdr.Size(), len(buf), err)
	}
	if n := checkValues(t, l, 100); n != 50 {
		t.Fatalf("read %d records", n)
	}
}

func TestReadHonoursMaxBytesAndMaxOffset(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.IndexIntervalBytes = 300 })
	l := h.log(tp0)
	appendBatches(t, l, 40, 2, 200, h.clock.Ms())
	hs := readBatches(t, l, 0)
	one := hs[0].Size()
	fiveFrom30 := 0
	for _, hd := range hs[30:35] {
		fiveFrom30 += hd.Size()
	}

	for _, tc := range []struct {
		name     string
		offset   int64
		opts     ReadOptions
		batches  int
		firstOff int64
	}{
		{"max bytes cuts at a batch boundary", 0, ReadOptions{MaxBytes: int64(3*one + one/2)}, 3, 0},
		{"too small without min-one", 0, ReadOptions{MaxBytes: int64(one - 1)}, 0, 0},
		{"too small with min-one", 0, ReadOptions{MaxBytes: 1, MinOneBatch: true}, 1, 0},
		{"bound stops before the batch reaching it", 4, ReadOptions{MaxBytes: 1 << 20, MaxOffset: 11}, 3, 4},
		{"bound inside the first batch gives nothing", 10, ReadOptions{MaxBytes: 1 << 20, MaxOffset: 11}, 0, 0},
		{"at the bound", 20, ReadOptions{MaxBytes: 1 << 20, MaxOffset: 20}, 0, 0},
		{"everything", 0, ReadOptions{MaxBytes: 1 << 20}, 40, 0},
		{"far into the index", 61, ReadOptions{MaxBytes: int64(fiveFrom30)}, 5, 60},
		{"far into the index, one byte short", 61, ReadOptions{MaxBytes: int64(fiveFrom30 - 1)}, 4, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sl, err := l.Read(tc.offset, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer sl.Release()
			buf, err := sl.AppendTo(nil)
			if err != nil {
				t.Fatal(err)
			}
			sc := record.NewScanner(buf, 0)
			n := 0
			for sc.Next() {
				if n == 0 && sc.Header().BaseOffset != tc.firstOff {
					t.Fatalf("first batch at %d", sc.Header().BaseOffset)
				}
				if tc.opts.MaxOffset > 0 && sc.Header().LastOffset() >= tc.opts.MaxOffset {
					t.Fatalf("batch ending at %d passes the bound %d", sc.Header().LastOffset(), tc.opts.MaxOffset)
				}
				n++
			}
			if sc.Err() != nil || n != tc.batches {
				t.Fatalf("%d batches (want %d), err %v", n, tc.batches, sc.Err())
			}
		})
	}
}

func TestReadOutOfRange(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	appendBatches(t, l, 3, 2, 10, h.clock.Ms())
	if _, err := l.Read(7, ReadOptions{MaxBytes: 100}); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("past the end: %v", err)
	}
	if _, err := l.Read(-1, ReadOptions{MaxBytes: 100}); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("negative: %v", err)
	}
	sl, err := l.Read(6, ReadOptions{MaxBytes: 100})
	if err != nil || sl.Size != 0 {
		t.Fatalf("at the end: %+v %v", sl, err)
	}
	if _, err := l.DeleteRecordsBefore(4); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Read(3, ReadOptions{MaxBytes: 100}); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("below the log start: %v", err)
	}
}

func TestValidationRejectsBadBatchesAndWritesNothing(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	appendBatches(t, l, 1, 3, 10, h.clock.Ms())
	good := func() []byte { return makeBatch(t, 0, 3, 10, h.clock.Ms(), record.CodecNone) }
	fix := func(b []byte) []byte {
		// Recompute the CRC after an edit so only the intended rule breaks.
		copy(b[17:21], []byte{byte(record.Checksum(b) >> 24), byte(record.Checksum(b) >> 16), byte(record.Checksum(b) >> 8), byte(record.Checksum(b))})
		return b
	}
	put32 := func(b []byte, at int, v uint32) {
		b[at], b[at+1], b[at+2], b[at+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	cases := []struct {
		name  string
		batch func() []byte
		want  error
	}{
		{"bad crc", func() []byte { b := good(); b[len(b)-1] ^= 1; return b }, ErrCorruptMessage},
		{"wrong magic", func() []byte { b := good(); b[16] = 1; return b }, ErrInvalidRecord},
		{"length overruns", func() []byte { b := good(); put32(b, 8, uint32(len(b))); return b }, ErrCorruptMessage},
		{"trailing garbage", func() []byte { return append(good(), 1, 2, 3) }, ErrCorruptMessage},
		{"record count disagrees with records", func() []byte {
			b := good()
			put32(b, 57, 2)
			put32(b, 23, 1)
			return fix(b)
		}, ErrInvalidRecord},
		{"record count disagrees with offsets", func() []byte { b := good(); put32(b, 57, 2); return fix(b) }, ErrInvalidRecord},
		{"empty batch", func() []byte {
			b := good()[:record.HeaderSize]
			put32(b, 8, record.HeaderSize-12)
			put32(b, 57, 0)
			return fix(b)
		}, ErrInvalidRecord},
		{"control batch from a client", func() []byte {
			bld := record.NewBuilder(record.BuilderOptions{Control: true, ProducerID: 1, ProducerEpoch: 0})
			bld.Add(1, []byte{0, 0, 0, 0}, []byte{0, 0, 0, 0, 0, 0})
			b, _ := bld.Build(nil)
			return b
		}, ErrInvalidRecord},
		{"too large", func() []byte { return makeBatch(t, 0, 2, 600<<10, h.clock.Ms(), record.CodecNone) }, ErrMessageTooLarge},
		{"timestamp too new", func() []byte { return makeBatch(t, 0, 1, 10, h.clock.Ms()+3600_001, record.CodecNone) }, ErrInvalidTimestamp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			size := l.Size()
			before := l.LogEndOffset()
			// A good batch first: the whole append must be refused.
			buf := append(good(), tc.batch()...)
			_, err := l.Append(buf, AppendOptions{Origin: OriginClient})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Batch < 1 {
				t.Fatalf("error %v does not name a batch after the good one", err)
			}
			if l.LogEndOffset() != before || l.Size() != size {
				t.Fatalf("a rejected append changed the log: leo %d→%d size %d→%d", before, l.LogEndOffset(), size, l.Size())
			}
		})
	}
	if n := checkValues(t, l, 10); n != 3 {
		t.Fatalf("%d records after rejected appends", n)
	}
}

func TestCompactedTopicRequiresKeys(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.Compact = true })
	l := h.log(tp0)
	bld := record.NewBuilder(record.BuilderOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1})
	bld.Add(h.clock.Ms(), []byte("k"), []byte("v"))
	bld.Add(h.clock.Ms(), nil, []byte("v"))
	b, _ := bld.Build(nil)
	_, err := l.Append(b, AppendOptions{Origin: OriginClient})
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidRecord) || ve.Record != 1 {
		t.Fatalf("got %v", err)
	}
}

func TestLogAppendTimeStampsBatchesAndKeepsCRCValid(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.LogAppendTime = true })
	l := h.log(tp0)
	res, err := l.Append(makeBatch(t, 0, 3, 10, 5, record.CodecZstd), AppendOptions{Origin: OriginClient, LeaderEpoch: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.LogAppendTime != h.clock.Ms() {
		t.Fatalf("log append time %d", res.LogAppendTime)
	}
	hs := readBatches(t, l, 0)
	if len(hs) != 1 || !hs[0].LogAppendTime() || hs[0].MaxTimestamp != h.clock.Ms() || hs[0].PartitionLeaderEpoch != 4 {
		t.Fatalf("%+v", hs)
	}
	if l.LatestEpoch() != 4 {
		t.Fatalf("epoch %d", l.LatestEpoch())
	}
}

func TestCompressionTypeRecompresses(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.Compression = Compression{Codec: record.CodecLZ4} })
	l := h.log(tp0)
	for _, c := range []record.Codec{record.CodecNone, record.CodecGzip, record.CodecSnappy, record.CodecZstd, record.CodecLZ4} {
		if _, err := l.Append(makeBatch(t, l.LogEndOffset(), 4, 50, h.clock.Ms(), c), AppendOptions{Origin: OriginClient}); err != nil {
			t.Fatal(err)
		}
	}
	for _, hd := range readBatches(t, l, 0) {
		if hd.Codec() != record.CodecLZ4 {
			t.Fatalf("batch at %d stored with %v", hd.BaseOffset, hd.Codec())
		}
	}
	if n := checkValues(t, l, 50); n != 20 {
		t.Fatalf("%d records", n)
	}
}

func TestEveryCodecRoundTrips(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	for _, c := range []record.Codec{record.CodecNone, record.CodecGzip, record.CodecSnappy, record.CodecLZ4, record.CodecZstd} {
		if _, err := l.Append(makeBatch(t, l.LogEndOffset(), 7, 300, h.clock.Ms(), c), AppendOptions{Origin: OriginClient}); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	if n := checkValues(t, l, 300); n != 35 {
		t.Fatalf("%d records", n)
	}
}

func TestReplicationAppendKeepsOffsetsAndEpochs(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	var buf []byte
	for i, epoch := range []int32{1, 1, 3} {
		b := makeBatch(t, int64(i*10), 2, 10, h.clock.Ms(), record.CodecNone)
		record.SetBaseOffset(b, int64(i*10))
		record.SetPartitionLeaderEpoch(b, epoch)
		buf = append(buf, b...)
	}
	res, err := l.Append(buf, AppendOptions{Origin: OriginReplication})
	if err != nil {
		t.Fatal(err)
	}
	if res.FirstOffset != 0 || res.LastOffset != 21 || l.LogEndOffset() != 22 {
		t.Fatalf("%+v leo %d", res, l.LogEndOffset())
	}
	want := []EpochEntry{{1, 0}, {3, 20}}
	if got := l.LeaderEpochs(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("epochs %v", got)
	}
	if e, o := l.EndOffsetForEpoch(1); e != 1 || o != 20 {
		t.Fatalf("end of epoch 1: %d %d", e, o)
	}
	if e, o := l.EndOffsetForEpoch(2); e != 1 || o != 20 {
		t.Fatalf("end of epoch 2: %d %d", e, o)
	}
	if e, o := l.EndOffsetForEpoch(3); e != 3 || o != 22 {
		t.Fatalf("end of epoch 3: %d %d", e, o)
	}
	if e, o := l.EndOffsetForEpoch(0); e != 0 || o != 0 {
		t.Fatalf("end of epoch 0: %d %d", e, o)
	}
	if e, o := l.EndOffsetForEpoch(9); e != -1 || o != -1 {
		t.Fatalf("end of epoch 9: %d %d", e, o)
	}
	// Offsets that do not follow the log end are refused.
	b := makeBatch(t, 0, 1, 10, h.clock.Ms(), record.CodecNone)
	record.SetBaseOffset(b, 5)
	if _, err := l.Append(b, AppendOptions{Origin: OriginReplication}); !errors.Is(err, ErrOffsetOrder) {
		t.Fatalf("out of order replication append: %v", err)
	}
}

// TestConcurrentReadersSeeOnlyWholeBatches runs readers against a writer and
// a roller; under -race this also checks the lock-free read path.
func TestConcurrentReadersSeeOnlyWholeBatches(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 64 << 10; h.cfg.IndexIntervalBytes = 1024 })
	l := h.log(tp0)
	const batches = 400
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				leo := l.LogEndOffset()
				for off := int64(0); off < leo; {
					sl, err := l.Read(off, ReadOptions{MaxBytes: 8 << 10, MinOneBatch: true})
					if err != nil {
						errs <- err
						return
					}
					buf, err := sl.AppendTo(nil)
					sl.Release()
					if err != nil {
						errs <- err
						return
					}
					if len(buf) == 0 {
						errs <- fmt.Errorf("empty read at %d below %d", off, leo)
						return
					}
					sc := record.NewScanner(buf, 0)
					for sc.Next() {
						off = sc.Header().NextOffset()
					}
					if sc.Err() != nil {
						errs <- sc.Err()
						return
					}
				}
			}
		}()
	}
	appendBatches(t, l, batches, 3, 300, h.clock.Ms())
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if l.NumSegments() < 4 {
		t.Fatalf("only %d segments: the test did not exercise rolling", l.NumSegments())
	}
	if n := checkValues(t, l, 300); n != 3*batches {
		t.Fatalf("%d records", n)
	}
}

func TestLayoutIsKafkas(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 4096 })
	l := h.log(TopicPartition{"my.topic-with-dash", 3})
	appendBatches(t, l, 20, 2, 500, h.clock.Ms())
	dir := filepath.Join(h.dirs[0], "my.topic-with-dash-3")
	if l.Dir() != dir {
		t.Fatalf("dir %s", l.Dir())
	}
	logs := segmentFiles(t, dir, ".log")
	if len(logs) < 3 || filepath.Base(logs[0]) != "00000000000000000000.log" {
		t.Fatalf("segments %v", logs)
	}
	h.reopen()
	for _, suffix := range []string{".index", ".timeindex"} {
		if got := segmentFiles(t, dir, suffix); len(got) != len(logs) {
			t.Fatalf("%d %s files for %d segments", len(got), suffix, len(logs))
		}
	}
	for _, f := range []string{recoveryPointCheckpointFile, logStartCheckpointFile} {
		data, err := os.ReadFile(filepath.Join(h.dirs[0], f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("0\n1\nmy.topic-with-dash 3 ")) {
			t.Fatalf("%s: %q", f, data)
		}
	}
}
