package storage

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fjordlabs/fjord/internal/record"
)

// The append benchmarks write what a producer sends: batches of 16 records
// of 1 KiB (16 KiB batches), uncompressed, built once up front so that only
// the log's work is measured (validation, offset assignment, the write,
// indexing). docs/benchmarks.md has the figures and how they were taken.

const (
	benchRecordSize      = 1 << 10
	benchRecordsPerBatch = 16
)

// benchBatches builds n distinct producer batches. Append rewrites only
// their base offset and leader epoch, which the CRC does not cover, so they
// can be appended again and again.
func benchBatches(b *testing.B, n int, ts int64) [][]byte {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	out := make([][]byte, n)
	val := make([]byte, benchRecordSize)
	for i := range out {
		bld := record.NewBuilder(record.BuilderOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1})
		for range benchRecordsPerBatch {
			for j := range val {
				val[j] = byte(rng.Uint32())
			}
			bld.Add(ts, nil, val)
		}
		var err error
		if out[i], err = bld.Build(nil); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

func reportRecords(b *testing.B, batches int) {
	b.ReportMetric(float64(batches*benchRecordsPerBatch)/b.Elapsed().Seconds(), "records/s")
}

func benchAppend(b *testing.B, partitions int, mutate func(*harness)) {
	h := newHarness(b, 1, func(h *harness) {
		if mutate != nil {
			mutate(h)
		}
	})
	logs := make([]*Log, partitions)
	for i := range logs {
		logs[i] = h.log(TopicPartition{"bench", int32(i)})
	}
	batches := benchBatches(b, 64, h.clock.Ms())
	opts := AppendOptions{Origin: OriginClient}
	b.SetBytes(int64(len(batches[0])))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := logs[n%partitions].Append(batches[n%len(batches)], opts); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRecords(b, n)
	b.StopTimer()
	// Rolled segments are flushed in the background; let that finish
	// before the directory is removed.
	h.m.env.sched.wait()
}

// BenchmarkAppend appends to one partition with Kafka's defaults (1 GiB
// segments, no flush: the page cache holds the data).
func BenchmarkAppend(b *testing.B) { benchAppend(b, 1, nil) }

// BenchmarkAppendManyPartitions spreads the same appends round-robin over
// 100 partitions.
func BenchmarkAppendManyPartitions(b *testing.B) { benchAppend(b, 100, nil) }

// BenchmarkAppendFlushEveryBatch fsyncs every append (flush.messages=1).
func BenchmarkAppendFlushEveryBatch(b *testing.B) {
	benchAppend(b, 1, func(h *harness) { h.cfg.FlushMessages = 1 })
}

// BenchmarkAppendAcrossRolls appends to one partition with 256 MiB
// segments, so that a run of 1 GiB or more rolls several times, and reports
// the latency of the slowest appends: a roll fsyncs the segment just closed
// (in the background), and this shows whether appends queue behind it.
func BenchmarkAppendAcrossRolls(b *testing.B) {
	h := newHarness(b, 1, func(h *harness) { h.cfg.SegmentBytes = 256 << 20 })
	l := h.log(tp0)
	batches := benchBatches(b, 64, h.clock.Ms())
	opts := AppendOptions{Origin: OriginClient}
	lat := make([]time.Duration, 0, 1<<20)
	b.SetBytes(int64(len(batches[0])))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		t0 := time.Now()
		if _, err := l.Append(batches[n%len(batches)], opts); err != nil {
			b.Fatal(err)
		}
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
		n++
	}
	reportRecords(b, n)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*999/1000].Microseconds()), "p99.9-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
	h.m.env.sched.wait()
}

// BenchmarkRead reads a 256 MiB log from start to end over and over, in
// fetches of up to 1 MiB, as a consumer catching up would. The log is in the
// page cache, so this measures the read path, not the disk.
func BenchmarkRead(b *testing.B) {
	h := newHarness(b, 1)
	l := h.log(tp0)
	batches := benchBatches(b, 64, h.clock.Ms())
	for i := 0; l.Size() < 256<<20; i++ {
		if _, err := l.Append(batches[i%len(batches)], AppendOptions{Origin: OriginClient}); err != nil {
			b.Fatal(err)
		}
	}
	h.m.env.sched.wait()
	end := l.LogEndOffset()
	opts := ReadOptions{MaxBytes: 1 << 20, MinOneBatch: true}
	fetchSize := func() int64 {
		sl, err := l.Read(0, opts)
		if err != nil {
			b.Fatal(err)
		}
		defer sl.Release()
		return sl.Size
	}()

	// Copy: the bytes are copied out into a reused buffer (a TLS
	// connection, or a consumer in the same process).
	b.Run("Copy", func(b *testing.B) {
		b.SetBytes(fetchSize)
		b.ReportAllocs()
		buf := make([]byte, 0, 2<<20)
		off := int64(0)
		for b.Loop() {
			sl, err := l.Read(off, opts)
			if err != nil {
				b.Fatal(err)
			}
			if buf, err = sl.AppendTo(buf[:0]); err != nil {
				b.Fatal(err)
			}
			sl.Release()
			if off += int64(len(buf)/len(batches[0])) * benchRecordsPerBatch; off >= end {
				off = 0
			}
		}
	})
	// Slice: only the file region is found and pinned, which is all a
	// plaintext connection needs before sendfile.
	b.Run("Slice", func(b *testing.B) {
		b.SetBytes(fetchSize)
		b.ReportAllocs()
		off := int64(0)
		for b.Loop() {
			sl, err := l.Read(off, opts)
			if err != nil {
				b.Fatal(err)
			}
			size := sl.Size
			sl.Release()
			if off += size / int64(len(batches[0])) * benchRecordsPerBatch; off >= end {
				off = 0
			}
		}
	})
}
