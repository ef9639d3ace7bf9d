package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fjordlabs/fjord/internal/record"
)

// batchBounds returns the end position of each batch in a segment file and
// the offset after it.
func batchBounds(t *testing.T, path string) (ends []int64, nexts []int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := record.NewScanner(data, 0)
	for sc.Next() {
		ends = append(ends, int64(sc.Pos()))
		nexts = append(nexts, sc.Header().NextOffset())
	}
	if sc.Err() != nil {
		t.Fatal(sc.Err())
	}
	return ends, nexts
}

// copyDir copies a directory tree (the pristine state each damage case
// starts from).
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// expectSurvivors reopens after damage and checks that exactly the batches
// whose bytes end at or before the damaged position survive.
func expectSurvivors(t *testing.T, h *harness, segPath string, segBase int64, damageAt int64, ends, nexts []int64, valueSize int) {
	t.Helper()
	want := segBase
	for i, end := range ends {
		if end <= damageAt {
			want = nexts[i]
		}
	}
	l := h.log(tp0)
	if l.LogEndOffset() != want {
		t.Fatalf("damage at byte %d: log end %d, want %d", damageAt, l.LogEndOffset(), want)
	}
	l.SetHighWatermark(l.LogEndOffset())
	if n := checkValues(t, l, valueSize); n != want {
		t.Fatalf("damage at byte %d: %d records readable, want %d", damageAt, n, want)
	}
	// The recovered log takes new appends at the right offset.
	res, err := l.Append(makeBatch(t, want, 1, valueSize, h.clock.Ms(), record.CodecNone), AppendOptions{Origin: OriginClient})
	if err != nil || res.FirstOffset != want {
		t.Fatalf("damage at byte %d: append after recovery got %d, %v", damageAt, res.FirstOffset, err)
	}
}

// TestCrashRecoveryTruncatesTornTail cuts the active segment at many
// positions after a crash.
func TestCrashRecoveryTruncatesTornTail(t *testing.T) {
	src := newHarness(t, 1, func(h *harness) { h.cfg.IndexIntervalBytes = 700 })
	l := src.log(tp0)
	for i := range 12 {
		codec := []record.Codec{record.CodecNone, record.CodecZstd, record.CodecSnappy}[i%3]
		if _, err := l.Append(makeBatch(t, l.LogEndOffset(), 3, 150, src.clock.Ms(), codec), AppendOptions{Origin: OriginClient}); err != nil {
			t.Fatal(err)
		}
	}
	src.crash()
	segPath := filepath.Join(src.dirs[0], tp0.String(), segmentName(0)+".log")
	ends, nexts := batchBounds(t, segPath)
	size := ends[len(ends)-1]

	var cuts []int64
	for p := int64(0); p < size; p += 37 {
		cuts = append(cuts, p)
	}
	for _, e := range ends {
		cuts = append(cuts, e-1, e, e+1)
	}
	for _, cut := range cuts {
		if cut < 0 || cut > size {
			continue
		}
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			h := newHarness(t, 1, func(h *harness) {
				copyDir(t, src.dirs[0], h.dirs[0])
				if err := os.Truncate(filepath.Join(h.dirs[0], tp0.String(), segmentName(0)+".log"), cut); err != nil {
					t.Fatal(err)
				}
			})
			expectSurvivors(t, h, segPath, 0, cut, ends, nexts, 150)
		})
	}
}

// TestCrashRecoveryDropsCorruptBatchAndEverythingAfter flips a byte at many
// positions of the active segment.
func TestCrashRecoveryDropsCorruptBatchAndEverythingAfter(t *testing.T) {
	src := newHarness(t, 1, func(h *harness) { h.cfg.IndexIntervalBytes = 700 })
	l := src.log(tp0)
	appendBatches(t, l, 10, 3, 150, src.clock.Ms())
	src.crash()
	segPath := filepath.Join(src.dirs[0], tp0.String(), segmentName(0)+".log")
	ends, nexts := batchBounds(t, segPath)
	size := ends[len(ends)-1]
	var positions []int64
	for pos := int64(0); pos < size; pos += 23 {
		positions = append(positions, pos)
	}
	// Every byte of one batch's header: baseOffset, batchLength and
	// partitionLeaderEpoch lie outside the CRC.
	for i := int64(0); i < record.HeaderSize; i++ {
		positions = append(positions, ends[4]+i)
	}
	for _, pos := range positions {
		t.Run(fmt.Sprint(pos), func(t *testing.T) {
			h := newHarness(t, 1, func(h *harness) {
				copyDir(t, src.dirs[0], h.dirs[0])
				p := filepath.Join(h.dirs[0], tp0.String(), segmentName(0)+".log")
				data, _ := os.ReadFile(p)
				data[pos] ^= 0x5a
				os.WriteFile(p, data, 0o644)
			})
			// The damaged batch starts at the end of the one before it.
			batchStart := int64(0)
			for _, e := range ends {
				if e <= pos {
					batchStart = e
				}
			}
			expectSurvivors(t, h, segPath, 0, batchStart, ends, nexts, 150)
		})
	}
}

// TestCrashRecoveryDamageInAnEarlierSegmentDropsLaterSegments: a torn batch
// in segment k leaves segments after k unserved.
func TestCrashRecoveryDamageInAnEarlierSegmentDropsLaterSegments(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 2500 })
	l := h.log(tp0)
	appendBatches(t, l, 20, 2, 400, h.clock.Ms())
	segs := l.segments()
	if len(segs) < 4 {
		t.Fatalf("%d segments", len(segs))
	}
	victim := segs[1]
	path := filepath.Join(l.dir, segmentName(victim.base)+".log")
	ends, _ := batchBounds(t, path)
	h.crashAndReopen(func() {
		// Recovery starts at the segment holding the recovery point;
		// forget the point so every segment is scanned.
		os.Remove(filepath.Join(h.dirs[0], recoveryPointCheckpointFile))
		os.Truncate(path, ends[0]+10)
	})
	l = h.log(tp0)
	ends2, nexts2 := batchBounds(t, path)
	if len(ends2) != 1 || l.LogEndOffset() != nexts2[0] || l.NumSegments() != 2 {
		t.Fatalf("leo %d, %d segments", l.LogEndOffset(), l.NumSegments())
	}
	l.SetHighWatermark(l.LogEndOffset())
	checkValues(t, l, 400)
}

// TestCleanShutdownOpensWithoutScanning proves a clean open does not read
// the data: damage planted in a closed segment after a clean shutdown goes
// unnoticed at open (it would be truncated by a scan), and the log end is
// found from the active segment's tail alone.
func TestCleanShutdownOpensWithoutScanning(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 2500 })
	l := h.log(tp0)
	appendBatches(t, l, 20, 2, 400, h.clock.Ms())
	leo := l.LogEndOffset()
	first := filepath.Join(l.dir, segmentName(0)+".log")
	if err := h.m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(h.dirs[0], cleanShutdownFile)); err != nil {
		t.Fatalf("no clean shutdown marker: %v", err)
	}
	data, _ := os.ReadFile(first)
	data[len(data)-5] ^= 0xff
	os.WriteFile(first, data, 0o644)
	h.open()
	l = h.log(tp0)
	if l.LogEndOffset() != leo || l.NumSegments() < 4 {
		t.Fatalf("clean open changed the log: leo %d→%d", leo, l.LogEndOffset())
	}
	if _, err := os.Stat(filepath.Join(h.dirs[0], cleanShutdownFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("clean shutdown marker still there after open: %v", err)
	}
	// The same damage after a crash is found and cut off.
	h.crashAndReopen(func() { os.Remove(filepath.Join(h.dirs[0], recoveryPointCheckpointFile)) })
	if l := h.log(tp0); l.NumSegments() != 1 || l.LogEndOffset() >= leo {
		t.Fatalf("crash recovery kept %d segments, leo %d", l.NumSegments(), l.LogEndOffset())
	}
}

// TestRecoveryPointLimitsTheScan: segments wholly below the checkpointed
// recovery point are trusted after a crash.
func TestRecoveryPointLimitsTheScan(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 2500 })
	l := h.log(tp0)
	appendBatches(t, l, 20, 2, 400, h.clock.Ms())
	h.m.env.sched.wait() // rolled segments are flushed in the background
	if err := h.m.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	rp := l.RecoveryPoint()
	if rp < l.segments()[1].base {
		t.Fatalf("recovery point %d did not pass the rolled segments", rp)
	}
	first := filepath.Join(l.dir, segmentName(0)+".log")
	h.crashAndReopen(func() {
		data, _ := os.ReadFile(first)
		data[len(data)-5] ^= 0xff
		os.WriteFile(first, data, 0o644)
	})
	l = h.log(tp0)
	if l.segments()[0].base != 0 || l.NumSegments() < 4 {
		t.Fatalf("a segment below the recovery point was rescanned: %d segments", l.NumSegments())
	}
}

// TestDamagedIndexesAreRebuilt truncates, corrupts and deletes index files
// after a clean shutdown; lookups must still find every offset.
func TestDamagedIndexesAreRebuilt(t *testing.T) {
	damage := map[string]func(path string){
		"missing":    func(p string) { os.Remove(p) },
		"torn entry": func(p string) { fi, _ := os.Stat(p); os.Truncate(p, fi.Size()-3) },
		"empty":      func(p string) { os.Truncate(p, 0) },
		"garbage":    func(p string) { fi, _ := os.Stat(p); os.WriteFile(p, make([]byte, fi.Size()), 0o644) },
		"out of order": func(p string) {
			data, _ := os.ReadFile(p)
			copy(data, data[len(data)/2:])
			os.WriteFile(p, data, 0o644)
		},
		"points past file": func(p string) { data, _ := os.ReadFile(p); data[len(data)-8] = 0x7f; os.WriteFile(p, data, 0o644) },
	}
	for name, fn := range damage {
		for _, suffix := range []string{indexSuffix, timeIndexSuffix} {
			t.Run(name+suffix, func(t *testing.T) {
				h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 6000; h.cfg.IndexIntervalBytes = 400 })
				l := h.log(tp0)
				appendBatches(t, l, 30, 2, 400, h.clock.Ms())
				maxTS, ok, err := l.MaxTimestampOffset()
				if !ok || err != nil {
					t.Fatalf("max timestamp: %v %v", ok, err)
				}
				h.reopen()
				l = h.log(tp0)
				for _, s := range l.segments() {
					p := filepath.Join(l.dir, segmentName(s.base)+suffix)
					if fi, err := os.Stat(p); err == nil && fi.Size() >= 12 {
						fn(p)
					}
				}
				h.reopen()
				l = h.log(tp0)
				if n := checkValues(t, l, 400); n != 60 {
					t.Fatalf("%d records", n)
				}
				for off := int64(0); off < 60; off += 7 {
					sl, err := l.Read(off, ReadOptions{MaxBytes: 1, MinOneBatch: true})
					if err != nil {
						t.Fatal(err)
					}
					buf, _ := sl.AppendTo(nil)
					sl.Release()
					hd, err := record.Check(buf, 0)
					if err != nil || hd.BaseOffset > off || hd.LastOffset() < off {
						t.Fatalf("read at %d gave batch %d..%d (%v)", off, hd.BaseOffset, hd.LastOffset(), err)
					}
				}
				got, _, _ := l.MaxTimestampOffset()
				if got != maxTS {
					t.Fatalf("max timestamp %+v, was %+v", got, maxTS)
				}
			})
		}
	}
}

// TestLeftoversAreCleanedAtOpen: *.deleted, *.tmp, orphan indexes and
// "-delete" directories from an interrupted run are removed.
func TestLeftoversAreCleanedAtOpen(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	appendBatches(t, l, 3, 2, 10, h.clock.Ms())
	dir := l.dir
	h.crashAndReopen(func() {
		for _, f := range []string{"00000000000000000100.log.deleted", "00000000000000000200.index", "leader-epoch-checkpoint.tmp"} {
			os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
		}
		os.MkdirAll(filepath.Join(h.dirs[0], "gone-0.0123abcd-delete"), 0o755)
		os.WriteFile(filepath.Join(h.dirs[0], "gone-0.0123abcd-delete", "x.log"), []byte("x"), 0o644)
	})
	h.m.env.sched.wait()
	for _, f := range []string{"00000000000000000100.log.deleted", "00000000000000000200.index", "leader-epoch-checkpoint.tmp"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived", f)
		}
	}
	if _, err := os.Stat(filepath.Join(h.dirs[0], "gone-0.0123abcd-delete")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-delete directory survived")
	}
	if n := checkValues(t, h.log(tp0), 10); n != 6 {
		t.Fatalf("%d records", n)
	}
}

// TestEpochCheckpointRebuiltWhenDamaged: a corrupt leader-epoch-checkpoint
// is rebuilt from the batches.
func TestEpochCheckpointRebuiltWhenDamaged(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 2500 })
	l := h.log(tp0)
	for i := range 12 {
		if _, err := l.Append(makeBatch(t, l.LogEndOffset(), 2, 400, h.clock.Ms(), record.CodecNone), AppendOptions{Origin: OriginClient, LeaderEpoch: int32(i / 4 * 2)}); err != nil {
			t.Fatal(err)
		}
	}
	want := fmt.Sprint(l.LeaderEpochs())
	h.m.Close()
	os.WriteFile(filepath.Join(h.dirs[0], tp0.String(), leaderEpochCheckpointFile), []byte("0\n3\n1 2\n"), 0o644)
	h.open()
	if got := fmt.Sprint(h.log(tp0).LeaderEpochs()); got != want {
		t.Fatalf("epochs %s, want %s", got, want)
	}
}

// TestLogStartPastRecoveredEndEmptiesTheLog: the checkpoint says records
// below 1000 were deleted, but the data that survived ends earlier.
func TestLogStartPastRecoveredEndEmptiesTheLog(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	appendBatches(t, l, 3, 2, 10, h.clock.Ms())
	h.crashAndReopen(func() {
		writeOffsetCheckpoint(h.fs, filepath.Join(h.dirs[0], logStartCheckpointFile), map[TopicPartition]int64{tp0: 1000})
	})
	l = h.log(tp0)
	if l.LogStartOffset() != 1000 || l.LogEndOffset() != 1000 {
		t.Fatalf("start %d end %d", l.LogStartOffset(), l.LogEndOffset())
	}
}
