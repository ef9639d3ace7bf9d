package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fjordlabs/fjord/internal/record"
)

func TestRollOnSegmentBytes(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 10_000 })
	l := h.log(tp0)
	appendBatches(t, l, 30, 2, 1000, h.clock.Ms())
	segs := l.segments()
	if len(segs) < 5 {
		t.Fatalf("%d segments", len(segs))
	}
	for _, s := range segs {
		if s.size.Load() > 10_000 {
			t.Fatalf("segment %d is %d bytes", s.base, s.size.Load())
		}
	}
	// Each segment's base is the first offset in it.
	for _, s := range segs[1:] {
		sl, err := l.Read(s.base, ReadOptions{MaxBytes: 1, MinOneBatch: true})
		if err != nil || sl.Pos != 0 || sl.seg != s {
			t.Fatalf("segment %d does not start with its base offset", s.base)
		}
		sl.Release()
	}
	if _, err := l.Append(makeBatch(t, 0, 1, 20_000, h.clock.Ms(), record.CodecNone), AppendOptions{Origin: OriginClient}); !errors.Is(err, ErrRecordSetTooLarge) && !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("append larger than a segment: %v", err)
	}
	checkValues(t, l, 1000)
}

func TestRollOnSegmentMsMeasuredFromFirstBatch(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentMs = 60_000 })
	l := h.log(tp0)
	appendBatches(t, l, 2, 1, 10, h.clock.Ms())
	h.clock.Advance(59 * time.Second)
	appendBatches(t, l, 1, 1, 10, h.clock.Ms())
	if n := l.NumSegments(); n != 1 {
		t.Fatalf("rolled early: %d segments", n)
	}
	h.clock.Advance(2 * time.Second)
	appendBatches(t, l, 1, 1, 10, h.clock.Ms())
	if n := l.NumSegments(); n != 2 {
		t.Fatalf("%d segments after segment.ms", n)
	}
	if base := l.segments()[1].base; base != 3 {
		t.Fatalf("new segment at %d", base)
	}
}

func TestRollJitterShortensSegmentMs(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentMs = 60_000; h.cfg.SegmentJitterMs = 60_000 })
	l := h.log(tp0)
	appendBatches(t, l, 1, 1, 10, h.clock.Ms())
	s := l.segments()[0]
	s.rollJitter = 30_000 // what a draw could give; the draw itself is random
	h.clock.Advance(31 * time.Second)
	appendBatches(t, l, 1, 1, 10, h.clock.Ms())
	if n := l.NumSegments(); n != 2 {
		t.Fatalf("%d segments", n)
	}
	for range 100 {
		cfg := h.cfg
		if j := newSegmentJitter(&cfg); j < 0 || j > cfg.SegmentJitterMs {
			t.Fatalf("jitter %d", j)
		}
	}
}

func TestRollWhenIndexFull(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) {
		h.cfg.IndexIntervalBytes = 1
		h.cfg.SegmentIndexBytes = 5 * offsetEntrySize
	})
	l := h.log(tp0)
	appendBatches(t, l, 20, 1, 10, h.clock.Ms())
	for _, s := range l.segments() {
		off, _, _ := l.indexes(s)
		if off.len() > 5 {
			t.Fatalf("segment %d has %d index entries", s.base, off.len())
		}
	}
	if l.NumSegments() < 3 {
		t.Fatalf("%d segments", l.NumSegments())
	}
	checkValues(t, l, 10)
}

func TestRollOnRelativeOffsetOverflow(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	at := func(off int64) []byte {
		b := makeBatch(t, 0, 1, 10, h.clock.Ms(), record.CodecNone)
		record.SetBaseOffset(b, off)
		return b
	}
	for _, off := range []int64{0, 1 << 31, 1<<31 + 5} {
		if _, err := l.Append(at(off), AppendOptions{Origin: OriginReplication}); err != nil {
			t.Fatal(err)
		}
	}
	segs := l.segments()
	if len(segs) != 2 || segs[1].base != 1<<31 {
		t.Fatalf("segments at %d and %d", segs[0].base, segs[len(segs)-1].base)
	}
	l.SetHighWatermark(l.LogEndOffset())
	if got := readBatches(t, l, 0); len(got) != 3 || got[2].BaseOffset != 1<<31+5 {
		t.Fatalf("%d batches", len(got))
	}
}

func TestRetentionByTime(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 3000; h.cfg.RetentionMs = 3600_000 })
	l := h.log(tp0)
	old := h.clock.Ms()
	appendBatches(t, l, 10, 2, 500, old) // 5 segments of old records
	h.clock.Advance(30 * time.Minute)
	appendBatches(t, l, 10, 2, 500, h.clock.Ms())
	segsBefore := l.NumSegments()
	h.clock.Advance(31 * time.Minute) // the old records are now 61 minutes old
	n := l.EnforceRetention()
	if n == 0 || l.NumSegments() != segsBefore-n {
		t.Fatalf("deleted %d of %d segments", n, segsBefore)
	}
	if l.LogStartOffset() != l.segments()[0].base || l.LogStartOffset() < 18 || l.LogStartOffset() > 20 {
		t.Fatalf("log start %d", l.LogStartOffset())
	}
	h.m.env.sched.wait()
	if left := segmentFiles(t, l.dir, ".deleted"); len(left) != 0 {
		t.Fatalf("files left after the delete delay: %v", left)
	}
	if len(segmentFiles(t, l.dir, ".log")) != l.NumSegments() {
		t.Fatal("segment files and segments disagree")
	}
	checkValues(t, l, 500)

	// retention.ms=-1 keeps everything.
	cfg := l.Config()
	cfg.RetentionMs = -1
	l.SetConfig(cfg)
	h.clock.Advance(1000 * time.Hour)
	if n := l.EnforceRetention(); n != 0 {
		t.Fatalf("retention.ms=-1 deleted %d", n)
	}
}

func TestRetentionBySizeNeverDeletesTheActiveSegment(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 3000; h.cfg.RetentionBytes = 5000; h.cfg.RetentionMs = -1 })
	l := h.log(tp0)
	appendBatches(t, l, 20, 2, 500, h.clock.Ms())
	l.EnforceRetention()
	if size := l.Size(); size > 5000+3000 || size < 5000-3000 {
		t.Fatalf("size %d after retention", size)
	}
	cfg := l.Config()
	cfg.RetentionBytes = 0
	l.SetConfig(cfg)
	l.EnforceRetention()
	if l.NumSegments() != 1 || l.segments()[0].size.Load() == 0 {
		t.Fatalf("%d segments left; the active one must stay", l.NumSegments())
	}
	checkValues(t, l, 500)
}

func TestRetentionStopsAtTheHighWatermark(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 3000; h.cfg.RetentionBytes = 0 })
	l := h.log(tp0)
	appendBatches(t, l, 20, 2, 500, h.clock.Ms())
	l.SetHighWatermark(5)
	l.EnforceRetention()
	for _, s := range l.segments()[1:] {
		if s.base <= 5 {
			t.Fatalf("segment %d reaching past the high watermark was kept, but one before it...", s.base)
		}
	}
	if l.LogStartOffset() > 5 {
		t.Fatalf("log start %d passed the high watermark", l.LogStartOffset())
	}
}

func TestCompactOnlyTopicsIgnoreTimeAndSizeRetention(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) {
		h.cfg.SegmentBytes = 3000
		h.cfg.RetentionBytes = 0
		h.cfg.Delete, h.cfg.Compact = false, true
	})
	l := h.log(tp0)
	appendBatches(t, l, 20, 2, 500, h.clock.Ms())
	if n := l.EnforceRetention(); n != 0 {
		t.Fatalf("deleted %d segments of a compact-only topic", n)
	}
}

func TestDeleteRecordsAdvancesLogStart(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 3000 })
	l := h.log(tp0)
	appendBatches(t, l, 20, 2, 500, h.clock.Ms())
	segs := l.NumSegments()
	low, err := l.DeleteRecordsBefore(17)
	if err != nil || low != 17 || l.LogStartOffset() != 17 {
		t.Fatalf("low %d err %v", low, err)
	}
	if l.NumSegments() >= segs || l.segments()[0].base > 17 {
		t.Fatalf("segments %d → %d, first at %d", segs, l.NumSegments(), l.segments()[0].base)
	}
	// The batch holding 17 starts at 16; reads at 17 return it, and the
	// client skips the record below the log start.
	sl, err := l.Read(17, ReadOptions{MaxBytes: 1, MinOneBatch: true})
	if err != nil || sl.Size == 0 {
		t.Fatalf("read at the log start: %v", err)
	}
	sl.Release()
	if _, err := l.DeleteRecordsBefore(l.HighWatermark() + 1); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("past the high watermark: %v", err)
	}
	if low, _ := l.DeleteRecordsBefore(3); low != 17 {
		t.Fatalf("moving backwards changed the log start to %d", low)
	}
	// It survives a restart through the checkpoint.
	h.reopen()
	if l := h.log(tp0); l.LogStartOffset() != 17 {
		t.Fatalf("log start after restart %d", l.LogStartOffset())
	}
}

func TestDeletedSegmentStaysReadableForAPinnedReader(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 3000; h.cfg.FileDeleteDelayMs = 3600_000 })
	l := h.log(tp0)
	appendBatches(t, l, 20, 2, 500, h.clock.Ms())
	sl, err := l.Read(0, ReadOptions{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	first := l.segments()[0]
	if _, err := l.DeleteRecordsBefore(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(l.dir, segmentName(first.base)+".log.deleted")); err != nil {
		t.Fatalf("deleted segment not renamed: %v", err)
	}
	buf, err := sl.AppendTo(nil)
	if err != nil || len(buf) == 0 {
		t.Fatalf("pinned read after deletion: %d bytes, %v", len(buf), err)
	}
	if _, err := record.Check(buf, 0); err != nil {
		t.Fatal(err)
	}
	sl.Release()
}

func TestTruncateToInsideABatchAndAcrossSegments(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 3000; h.cfg.IndexIntervalBytes = 600 })
	l := h.log(tp0)
	var epochs []int32
	for i := range 20 {
		epoch := int32(i / 5) // epochs 0..3 start at 0, 10, 20, 30
		epochs = append(epochs, epoch)
		if _, err := l.Append(makeBatch(t, l.LogEndOffset(), 2, 500, h.clock.Ms()+int64(i), record.CodecNone), AppendOptions{Origin: OriginClient, LeaderEpoch: epoch}); err != nil {
			t.Fatal(err)
		}
	}
	l.SetHighWatermark(l.LogEndOffset())
	segs := l.NumSegments()
	if err := l.TruncateTo(23); err != nil { // inside the batch 22-23
		t.Fatal(err)
	}
	if l.LogEndOffset() != 22 || l.HighWatermark() != 22 {
		t.Fatalf("leo %d hw %d", l.LogEndOffset(), l.HighWatermark())
	}
	if l.NumSegments() >= segs {
		t.Fatalf("later segments kept: %d", l.NumSegments())
	}
	if got := l.LeaderEpochs(); len(got) != 3 || got[2] != (EpochEntry{2, 20}) {
		t.Fatalf("epochs %v", got)
	}
	if n := checkValues(t, l, 500); n != 22 {
		t.Fatalf("%d records", n)
	}
	// Appending continues from the new end, and survives a restart.
	appendBatches(t, l, 3, 2, 500, h.clock.Ms())
	h.reopen()
	l = h.log(tp0)
	if l.LogEndOffset() != 28 {
		t.Fatalf("leo %d after restart", l.LogEndOffset())
	}
	if n := checkValues(t, l, 500); n != 28 {
		t.Fatalf("%d records after restart", n)
	}
	// Truncating at a segment's base empties that segment.
	base := l.segments()[l.NumSegments()-1].base
	if err := l.TruncateTo(base); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != base {
		t.Fatalf("leo %d, want %d", l.LogEndOffset(), base)
	}
	_ = epochs
}

func TestTruncateFullyAndStartAt(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 3000 })
	l := h.log(tp0)
	appendBatches(t, l, 20, 2, 500, h.clock.Ms())
	if err := l.TruncateFullyAndStartAt(1000); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 1000 || l.LogEndOffset() != 1000 || l.NumSegments() != 1 || len(l.LeaderEpochs()) != 0 {
		t.Fatalf("start %d end %d segs %d", l.LogStartOffset(), l.LogEndOffset(), l.NumSegments())
	}
	res := appendBatches(t, l, 2, 2, 500, h.clock.Ms())
	if res[0].FirstOffset != 1000 {
		t.Fatalf("first offset %d", res[0].FirstOffset)
	}
	h.reopen()
	l = h.log(tp0)
	if l.LogStartOffset() != 1000 || l.LogEndOffset() != 1004 {
		t.Fatalf("after restart: start %d end %d", l.LogStartOffset(), l.LogEndOffset())
	}
	if _, err := l.Read(999, ReadOptions{MaxBytes: 100}); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below the new start: %v", err)
	}
	// Restarting at an offset where a segment already begins.
	if err := l.TruncateFullyAndStartAt(1000); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != 1000 || l.Size() != 0 {
		t.Fatalf("end %d size %d", l.LogEndOffset(), l.Size())
	}
}
