package storage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fjordlabs/fjord/internal/record"
)

// tsRecord is what the tests remember of each appended record: the oracle
// the time lookups are checked against.
type tsRecord struct {
	offset int64
	ts     int64
	epoch  int32
}

const tsValueSize = 40

// appendWithTimestamps appends one batch whose records carry the given
// timestamps, values following the log end offset, and returns the records
// as stored (LogAppendTime topics replace the timestamps).
func appendWithTimestamps(t testing.TB, l *Log, codec record.Codec, epoch int32, tss ...int64) []tsRecord {
	t.Helper()
	first := l.LogEndOffset()
	b := record.NewBuilder(record.BuilderOptions{Codec: codec, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1})
	for i, ts := range tss {
		off := first + int64(i)
		b.Add(ts, fmt.Appendf(nil, "k%d", off), value(off, tsValueSize))
	}
	buf, err := b.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Append(buf, AppendOptions{Origin: OriginClient, LeaderEpoch: epoch})
	if err != nil {
		t.Fatalf("append at %d: %v", first, err)
	}
	if res.FirstOffset != first {
		t.Fatalf("append at %d got %d", first, res.FirstOffset)
	}
	l.SetHighWatermark(l.LogEndOffset())
	out := make([]tsRecord, len(tss))
	for i, ts := range tss {
		if res.LogAppendTime >= 0 {
			ts = res.LogAppendTime
		}
		out[i] = tsRecord{first + int64(i), ts, epoch}
	}
	return out
}

// wantForTimestamp is ListOffsets by time done by brute force: the first
// record at or after the log start with a timestamp of at least ts.
func wantForTimestamp(recs []tsRecord, start, ts int64) (tsRecord, bool) {
	for _, r := range recs {
		if r.offset >= start && r.ts >= ts {
			return r, true
		}
	}
	return tsRecord{}, false
}

// wantMaxTimestamp is the first record at or after the log start with the
// largest timestamp.
func wantMaxTimestamp(recs []tsRecord, start int64) (tsRecord, bool) {
	best, ok := tsRecord{ts: -1}, false
	for _, r := range recs {
		if r.offset >= start && r.ts > best.ts {
			best, ok = r, true
		}
	}
	return best, ok
}

// checkTimeLookups compares OffsetForTimestamp, for every timestamp in the
// log and its neighbours, and MaxTimestampOffset with the oracle.
func checkTimeLookups(t testing.TB, l *Log, recs []tsRecord) {
	t.Helper()
	start := l.LogStartOffset()
	var queries []int64
	for _, r := range recs {
		queries = append(queries, r.ts-1, r.ts, r.ts+1)
	}
	queries = append(queries, 0, 1<<62)
	slices.Sort(queries)
	queries = slices.Compact(queries)
	for _, q := range queries {
		got, ok, err := l.OffsetForTimestamp(q)
		if err != nil {
			t.Fatalf("offset for timestamp %d: %v", q, err)
		}
		want, wantOK := wantForTimestamp(recs, start, q)
		if ok != wantOK || (ok && (got.Offset != want.offset || got.Timestamp != want.ts || got.LeaderEpoch != want.epoch)) {
			t.Fatalf("offset for timestamp %d (log start %d): got %+v found=%v, want %+v found=%v", q, start, got, ok, want, wantOK)
		}
	}
	got, ok, err := l.MaxTimestampOffset()
	if err != nil {
		t.Fatalf("max timestamp: %v", err)
	}
	want, wantOK := wantMaxTimestamp(recs, start)
	if ok != wantOK || (ok && (got.Offset != want.offset || got.Timestamp != want.ts || got.LeaderEpoch != want.epoch)) {
		t.Fatalf("max timestamp (log start %d): got %+v found=%v, want %+v found=%v", start, got, ok, want, wantOK)
	}
}

func TestTimeLookupsOnAnEmptyLogFindNothing(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	checkTimeLookups(t, l, nil)
	if _, ok, err := l.OffsetForTimestamp(-1); ok || err != nil {
		t.Fatalf("negative timestamp on an empty log: found=%v %v", ok, err)
	}
	// Everything deleted: the records are still in the segment but below
	// the log start.
	recs := appendWithTimestamps(t, l, record.CodecNone, 0, h.clock.Ms(), h.clock.Ms()+1)
	if _, err := l.DeleteRecordsBefore(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	checkTimeLookups(t, l, recs)
	h.reopen()
	checkTimeLookups(t, h.log(tp0), nil)
}

func TestOffsetForTimestampWithinOneBatch(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	base := h.clock.Ms() - 1000
	recs := appendWithTimestamps(t, l, record.CodecNone, 0, base+100, base+200, base+300)
	for _, tc := range []struct {
		ts     int64
		offset int64
		found  bool
	}{{base, 0, true}, {base + 100, 0, true}, {base + 101, 1, true}, {base + 300, 2, true}, {base + 301, 0, false}} {
		got, ok, err := l.OffsetForTimestamp(tc.ts)
		if err != nil || ok != tc.found || (ok && got.Offset != tc.offset) {
			t.Fatalf("timestamp %d: got %+v found=%v %v, want offset %d found=%v", tc.ts, got, ok, err, tc.offset, tc.found)
		}
	}
	checkTimeLookups(t, l, recs)
}

// TestTimeLookupsWithUnorderedTimestampsInABatch: the time index points at
// the last offset of the batch holding a maximum, but the record carrying
// it can be earlier in that batch.
func TestTimeLookupsWithUnorderedTimestampsInABatch(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.IndexIntervalBytes = 1 }) // an index entry per batch
	l := h.log(tp0)
	base := h.clock.Ms() - 1000
	var recs []tsRecord
	recs = append(recs, appendWithTimestamps(t, l, record.CodecNone, 0, base+100, base+110)...)
	recs = append(recs, appendWithTimestamps(t, l, record.CodecNone, 0, base+300, base+200, base+250)...)
	recs = append(recs, appendWithTimestamps(t, l, record.CodecNone, 0, base+400, base+300)...)
	if tim := l.segments()[0].timeIdx.Load(); tim.len() == 0 {
		t.Fatal("no time index entry: the test does not exercise the index")
	}
	got, ok, err := l.OffsetForTimestamp(base + 300)
	if err != nil || !ok || got.Offset != 2 || got.Timestamp != base+300 {
		t.Fatalf("first record at or after %d: %+v found=%v %v, want offset 2", base+300, got, ok, err)
	}
	checkTimeLookups(t, l, recs)
	h.reopen()
	checkTimeLookups(t, h.log(tp0), recs)
}

// TestMaxTimestampIsNeverBelowTheLogStart: when the record with the
// largest timestamp is deleted, the answer is the largest among those
// left, even inside the same segment and batch.
func TestMaxTimestampIsNeverBelowTheLogStart(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	base := h.clock.Ms() - 1000
	var recs []tsRecord
	recs = append(recs, appendWithTimestamps(t, l, record.CodecNone, 0, base+100, base+900, base+110)...)
	recs = append(recs, appendWithTimestamps(t, l, record.CodecNone, 0, base+200, base+300, base+250)...)
	for start := int64(0); start <= l.LogEndOffset(); start++ {
		if _, err := l.DeleteRecordsBefore(start); err != nil {
			t.Fatal(err)
		}
		checkTimeLookups(t, l, recs)
	}
}

// TestTimeLookupsMatchAScan compares the lookups with a brute-force scan of
// what was appended, over many segments, codecs and unordered timestamps,
// as the log start moves, across restarts, and with closed segments'
// indexes loaded lazily and evicted by a tiny cache.
func TestTimeLookupsMatchAScan(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cacheBytes int64
		appendTime bool
	}{
		{"create time", 0, false},
		{"create time, tiny index cache", 1, false},
		{"log append time, tiny index cache", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 1, func(h *harness) {
				h.cfg.SegmentBytes = 3000
				h.cfg.IndexIntervalBytes = 200
				h.cfg.LogAppendTime = tc.appendTime
				if tc.cacheBytes > 0 {
					h.tweakOpts = func(o *ManagerOptions) { o.IndexCacheBytes = tc.cacheBytes }
				}
			})
			l := h.log(tp0)
			rng := rand.New(rand.NewPCG(1, 2))
			// lz4 only now and then: its reader allocates a 4 MiB block
			// per batch, which is slow under the race detector.
			codecs := []record.Codec{record.CodecNone, record.CodecZstd, record.CodecSnappy, record.CodecGzip}
			base := h.clock.Ms() - 1_000_000
			var recs []tsRecord
			for i := range 120 {
				n := 1 + rng.IntN(5)
				tss := make([]int64, n)
				for j := range tss {
					// Mostly rising, locally unordered, with ties and the
					// odd spike.
					tss[j] = base + int64(len(recs)+j)*5 + rng.Int64N(40)
					if rng.IntN(50) == 0 {
						tss[j] += 2000
					}
				}
				codec := codecs[i%len(codecs)]
				if i%40 == 7 {
					codec = record.CodecLZ4
				}
				recs = append(recs, appendWithTimestamps(t, l, codec, int32(i/40), tss...)...)
				h.clock.Advance(time.Duration(rng.IntN(3)) * time.Millisecond)
			}
			if l.NumSegments() < 5 {
				t.Fatalf("%d segments: the test does not span segments", l.NumSegments())
			}
			h.m.env.sched.wait() // rolled segments flushed: their indexes can be evicted
			checkTimeLookups(t, l, recs)

			// The log start moves through the first segments, landing
			// inside batches and on segment boundaries.
			segs := l.segments()
			for _, start := range []int64{1, 7, segs[1].base, segs[1].base + 2, segs[2].base - 1} {
				if _, err := l.DeleteRecordsBefore(start); err != nil {
					t.Fatal(err)
				}
				checkTimeLookups(t, l, recs)
			}
			if err := h.m.Checkpoint(); err != nil { // the log start survives a crash
				t.Fatal(err)
			}

			h.reopen()
			l = h.log(tp0)
			checkTimeLookups(t, l, recs)
			recs = append(recs, appendWithTimestamps(t, l, record.CodecNone, 3, base+10, base+900_000)...)
			checkTimeLookups(t, l, recs)

			h.crashAndReopen(nil)
			l = h.log(tp0)
			checkTimeLookups(t, l, recs)
			if used, _ := h.m.env.cache.usage(); tc.cacheBytes > 0 && used > 4<<10 {
				t.Fatalf("index cache holds %d bytes with a budget of %d", used, tc.cacheBytes)
			}
		})
	}
}
