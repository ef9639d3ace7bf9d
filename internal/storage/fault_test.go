package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// The contract these tests pin: a write that fails (disk full, I/O error)
// returns an error, leaves the log readable up to the last good batch, and
// never leaves a half batch visible to readers.

// faultRule fails operation op on paths ending in suffix.
type faultRule struct {
	op     vfs.Op
	suffix string
	fault  vfs.Fault
	// once makes the rule fire a single time.
	once bool
	used atomic.Bool
}

// faults counts the faults an armed injector has injected.
type faults struct{ fired atomic.Int64 }

// arm installs rules on ff (first matching rule wins).
func arm(ff *vfs.FaultFS, rules ...*faultRule) *faults {
	fs := &faults{}
	ff.SetInjector(func(op vfs.Op, path string, n int) *vfs.Fault {
		for _, r := range rules {
			if r.op != op || !strings.HasSuffix(path, r.suffix) {
				continue
			}
			if r.once && r.used.Swap(true) {
				continue
			}
			fs.fired.Add(1)
			f := r.fault
			return &f
		}
		return nil
	})
	return fs
}

// newFaultHarness is a harness whose filesystem is a FaultFS, disarmed.
func newFaultHarness(t *testing.T, mutate ...func(*harness)) (*harness, *vfs.FaultFS) {
	t.Helper()
	ff := vfs.NewFaultFS(vfs.Default)
	h := newHarness(t, 1, append([]func(*harness){func(h *harness) { h.fs = ff }}, mutate...)...)
	return h, ff
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// appendOne appends one batch of n records following the log end offset.
func appendOne(t testing.TB, l *Log, n, size int, ts int64) (AppendResult, error) {
	t.Helper()
	return l.Append(makeBatch(t, l.LogEndOffset(), n, size, ts, record.CodecNone), AppendOptions{Origin: OriginClient, LeaderEpoch: max(l.LatestEpoch(), 0)})
}

// expectExactly checks that the log holds exactly records [0, n), each
// carrying its own offset.
func expectExactly(t testing.TB, l *Log, n int64, size int) {
	t.Helper()
	if l.LogEndOffset() != n {
		t.Fatalf("log end offset %d, want %d", l.LogEndOffset(), n)
	}
	l.SetHighWatermark(n)
	if got := checkValues(t, l, size); got != n {
		t.Fatalf("%d records readable, want %d", got, n)
	}
}

// scanLog reads the log from its start to the end offset it sees first,
// without failing the test (it runs on reader goroutines): every batch must
// pass its CRC, follow the previous one, and carry the values the tests
// write.
func scanLog(l *Log, size int) (int64, error) {
	var it record.Records
	defer it.Release()
	end := l.LogEndOffset()
	n := int64(0)
	for off := l.LogStartOffset(); off < end; {
		sl, err := l.Read(off, ReadOptions{MaxBytes: 64 << 10, MinOneBatch: true})
		if err != nil {
			return n, err
		}
		buf, err := sl.AppendTo(nil)
		sl.Release()
		if err != nil {
			return n, err
		}
		if len(buf) == 0 {
			return n, fmt.Errorf("empty read at %d below the end %d", off, end)
		}
		sc := record.NewScanner(buf, 0)
		for sc.Next() {
			h := sc.Header()
			if h.BaseOffset != off {
				return n, fmt.Errorf("batch at %d where %d was expected", h.BaseOffset, off)
			}
			if err := it.Reset(sc.Batch(), 0); err != nil {
				return n, err
			}
			for it.Next() {
				r := it.Record()
				if !bytes.Equal(r.Value, value(r.Offset, size)) {
					return n, fmt.Errorf("offset %d holds the wrong value", r.Offset)
				}
				n++
			}
			if it.Err() != nil {
				return n, it.Err()
			}
			off = h.NextOffset()
		}
		if sc.Err() != nil {
			return n, fmt.Errorf("read at %d: %w", off, sc.Err())
		}
	}
	return n, nil
}

func TestAppendOnFullDiskWritesNothingAndTheNextAppendSucceeds(t *testing.T) {
	h, ff := newFaultHarness(t)
	l := h.log(tp0)
	appendBatches(t, l, 5, 3, 100, h.clock.Ms())
	segPath := filepath.Join(l.Dir(), segmentName(0)+logSuffix)
	leo, size, onDisk := l.LogEndOffset(), l.Size(), fileSize(t, segPath)

	fs := arm(ff, &faultRule{op: vfs.OpWrite, suffix: logSuffix, fault: vfs.Fault{Err: vfs.ErrNoSpace}})
	_, err := appendOne(t, l, 3, 100, h.clock.Ms())
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append on a full disk: %v, want ENOSPC", err)
	}
	if fs.fired.Load() == 0 {
		t.Fatal("the fault was never injected")
	}
	if l.LogEndOffset() != leo || l.Size() != size || fileSize(t, segPath) != onDisk {
		t.Fatalf("failed append changed the log: leo %d→%d size %d→%d file %d→%d",
			leo, l.LogEndOffset(), size, l.Size(), onDisk, fileSize(t, segPath))
	}
	expectExactly(t, l, leo, 100)

	ff.SetInjector(nil)
	res, err := appendOne(t, l, 3, 100, h.clock.Ms())
	if err != nil || res.FirstOffset != leo {
		t.Fatalf("append after the disk has room: offset %d, %v; want %d", res.FirstOffset, err, leo)
	}
	expectExactly(t, l, leo+3, 100)

	h.crashAndReopen(nil)
	l = h.log(tp0)
	expectExactly(t, l, leo+3, 100)
	appendBatches(t, l, 1, 3, 100, h.clock.Ms())
	h.reopen()
	expectExactly(t, h.log(tp0), leo+6, 100)
}

// TestTornWriteIsCutOffAndNeverSeenByReaders fails many appends after part
// of the batch reached the file, with readers running throughout.
func TestTornWriteIsCutOffAndNeverSeenByReaders(t *testing.T) {
	h, ff := newFaultHarness(t, func(h *harness) { h.cfg.IndexIntervalBytes = 512 })
	l := h.log(tp0)
	appendBatches(t, l, 3, 3, 200, h.clock.Ms())
	segPath := filepath.Join(l.Dir(), segmentName(0)+logSuffix)

	var (
		wg   sync.WaitGroup
		stop = make(chan struct{})
		errs = make(chan error, 4)
	)
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
				if _, err := scanLog(l, 200); err != nil {
					errs <- err
					return
				}
			}
		}()
	}

	acked := l.LogEndOffset()
	for i := range 40 {
		batch := makeBatch(t, acked, 3, 200, h.clock.Ms(), record.CodecNone)
		// Cut the write at a different place each time, header included.
		landed := 1 + (i*97)%(len(batch)-1)
		arm(ff, &faultRule{op: vfs.OpWrite, suffix: logSuffix, once: true, fault: vfs.Fault{Written: landed, Err: vfs.ErrNoSpace}})
		if _, err := l.Append(batch, AppendOptions{Origin: OriginClient}); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("torn append %d: %v", i, err)
		}
		if l.LogEndOffset() != acked {
			t.Fatalf("torn append moved the log end to %d", l.LogEndOffset())
		}
		if got := fileSize(t, segPath); got != l.Size() {
			t.Fatalf("torn tail left in the file: %d bytes, %d committed", got, l.Size())
		}
		ff.SetInjector(nil)
		res, err := appendOne(t, l, 3, 200, h.clock.Ms())
		if err != nil || res.FirstOffset != acked {
			t.Fatalf("append after a torn one: offset %d, %v; want %d", res.FirstOffset, err, acked)
		}
		acked = res.LastOffset + 1
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a reader saw: %v", err)
	}
	expectExactly(t, l, acked, 200)

	h.crashAndReopen(nil)
	expectExactly(t, h.log(tp0), acked, 200)
}

// TestTornWriteWhoseTruncateFailsFailsTheLog: the tail of the file is
// unknown, so writes stop; committed data stays readable and a restart
// recovers to the last good batch.
func TestTornWriteWhoseTruncateFailsFailsTheLog(t *testing.T) {
	h, ff := newFaultHarness(t)
	l := h.log(tp0)
	appendBatches(t, l, 4, 3, 100, h.clock.Ms())
	acked, committed := l.LogEndOffset(), l.Size()
	segPath := filepath.Join(l.Dir(), segmentName(0)+logSuffix)

	arm(ff,
		&faultRule{op: vfs.OpWrite, suffix: logSuffix, fault: vfs.Fault{Written: 70, Err: syscall.EIO}},
		&faultRule{op: vfs.OpTruncate, suffix: logSuffix, fault: vfs.Fault{Err: syscall.EIO}})
	if _, err := appendOne(t, l, 3, 100, h.clock.Ms()); !errors.Is(err, syscall.EIO) {
		t.Fatalf("torn append: %v", err)
	}
	if got := fileSize(t, segPath); got != committed+70 {
		t.Fatalf("file holds %d bytes, want the committed %d plus the torn 70", got, committed)
	}
	ff.SetInjector(nil)

	if _, err := appendOne(t, l, 3, 100, h.clock.Ms()); !errors.Is(err, ErrLogFailed) {
		t.Fatalf("append to a failed log: %v, want ErrLogFailed", err)
	}
	if err := l.Flush(); !errors.Is(err, ErrLogFailed) {
		t.Fatalf("flush of a failed log: %v, want ErrLogFailed", err)
	}
	if err := l.TruncateTo(0); !errors.Is(err, ErrLogFailed) {
		t.Fatalf("truncation of a failed log: %v, want ErrLogFailed", err)
	}
	expectExactly(t, l, acked, 100)
	if n, err := scanLog(l, 100); err != nil || n != acked {
		t.Fatalf("reading the failed log: %d records, %v", n, err)
	}

	h.crashAndReopen(nil)
	l = h.log(tp0)
	expectExactly(t, l, acked, 100)
	if got := fileSize(t, segPath); got != committed {
		t.Fatalf("recovery left %d bytes, want %d", got, committed)
	}
	if res, err := appendOne(t, l, 3, 100, h.clock.Ms()); err != nil || res.FirstOffset != acked {
		t.Fatalf("append after recovery: %d, %v", res.FirstOffset, err)
	}
}

func TestFsyncFailureFailsTheLogAndHoldsTheRecoveryPoint(t *testing.T) {
	h, ff := newFaultHarness(t, func(h *harness) { h.cfg.FlushMessages = 1 })
	l := h.log(tp0)
	appendBatches(t, l, 3, 2, 100, h.clock.Ms())
	good := l.LogEndOffset()
	if rp := l.RecoveryPoint(); rp != good {
		t.Fatalf("flush.messages=1 left the recovery point at %d, want %d", rp, good)
	}

	arm(ff, &faultRule{op: vfs.OpSync, suffix: logSuffix, fault: vfs.Fault{Err: syscall.EIO}})
	if _, err := appendOne(t, l, 2, 100, h.clock.Ms()); !errors.Is(err, syscall.EIO) {
		t.Fatalf("append whose fsync fails: %v", err)
	}
	ff.SetInjector(nil)
	if rp := l.RecoveryPoint(); rp != good {
		t.Fatalf("recovery point moved to %d after a failed fsync, want %d", rp, good)
	}
	if _, err := appendOne(t, l, 2, 100, h.clock.Ms()); !errors.Is(err, ErrLogFailed) {
		t.Fatalf("append after a failed fsync: %v, want ErrLogFailed", err)
	}
	if err := l.Flush(); !errors.Is(err, ErrLogFailed) {
		t.Fatalf("flush after a failed fsync: %v, want ErrLogFailed", err)
	}
	if l.RecoveryPoint() != good {
		t.Fatalf("recovery point moved to %d", l.RecoveryPoint())
	}
	// Everything acknowledged before the failure is still served.
	l.SetHighWatermark(good)
	sl, err := l.Read(0, ReadOptions{MaxBytes: 1 << 20, MaxOffset: good})
	if err != nil {
		t.Fatal(err)
	}
	buf, err := sl.AppendTo(nil)
	sl.Release()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for sc := record.NewScanner(buf, 0); sc.Next(); n++ {
		if sc.Header().LastOffset() >= good {
			t.Fatalf("read past the bound: batch %d..%d", sc.Header().BaseOffset, sc.Header().LastOffset())
		}
	}
	if n != 3 {
		t.Fatalf("read %d batches below %d, want 3", n, good)
	}
	// A failed log does not claim a clean shutdown.
	if err := h.m.Close(); !errors.Is(err, ErrLogFailed) {
		t.Fatalf("close with a failed log: %v", err)
	}
	if _, err := os.Stat(filepath.Join(h.dirs[0], cleanShutdownFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("clean shutdown marker written for a failed log: %v", err)
	}
	h.open()
	l = h.log(tp0)
	if l.LogEndOffset() < good {
		t.Fatalf("recovery lost acknowledged records: end %d, want at least %d", l.LogEndOffset(), good)
	}
	l.SetHighWatermark(l.LogEndOffset())
	checkValues(t, l, 100)
}

func TestRollFailureLeavesTheLogUsable(t *testing.T) {
	h, ff := newFaultHarness(t, func(h *harness) { h.cfg.SegmentBytes = 2000 })
	l := h.log(tp0)
	appendBatches(t, l, 3, 1, 500, h.clock.Ms()) // ~1.7 KB: the next batch rolls
	leo, segs := l.LogEndOffset(), l.NumSegments()
	newSeg := segmentName(leo) + logSuffix

	fs := arm(ff, &faultRule{op: vfs.OpOpen, suffix: newSeg, fault: vfs.Fault{Err: vfs.ErrNoSpace}})
	if _, err := appendOne(t, l, 1, 500, h.clock.Ms()); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append needing a roll that fails: %v", err)
	}
	if fs.fired.Load() != 1 {
		t.Fatalf("the new segment was opened %d times", fs.fired.Load())
	}
	if l.LogEndOffset() != leo || l.NumSegments() != segs {
		t.Fatalf("failed roll changed the log: leo %d, %d segments", l.LogEndOffset(), l.NumSegments())
	}
	expectExactly(t, l, leo, 500)

	ff.SetInjector(nil)
	appendBatches(t, l, 3, 1, 500, h.clock.Ms())
	if l.NumSegments() != segs+1 || l.segments()[segs].base != leo {
		t.Fatalf("after the disk recovered: %d segments, want a new one at %d", l.NumSegments(), leo)
	}
	expectExactly(t, l, leo+3, 500)
	h.crashAndReopen(nil)
	expectExactly(t, h.log(tp0), leo+3, 500)
}

// TestEpochCheckpointFailureWritesNothing: a new leader epoch is
// checkpointed before the data; if that fails the data is not written, and
// the epoch history in memory stays what is on disk, so the epoch is
// checkpointed again by the next append that carries it.
func TestEpochCheckpointFailureWritesNothing(t *testing.T) {
	for _, op := range []vfs.Op{vfs.OpOpen, vfs.OpWrite, vfs.OpSync, vfs.OpRename} {
		t.Run(op.String(), func(t *testing.T) {
			h, ff := newFaultHarness(t)
			l := h.log(tp0)
			epoch1 := AppendOptions{Origin: OriginClient, LeaderEpoch: 1}
			epoch2 := AppendOptions{Origin: OriginClient, LeaderEpoch: 2}
			for range 3 {
				if _, err := l.Append(makeBatch(t, l.LogEndOffset(), 2, 100, h.clock.Ms(), record.CodecNone), epoch1); err != nil {
					t.Fatal(err)
				}
			}
			leo, size := l.LogEndOffset(), l.Size()
			segPath := filepath.Join(l.Dir(), segmentName(0)+logSuffix)
			onDisk := fileSize(t, segPath)

			suffix := leaderEpochCheckpointFile + ".tmp"
			arm(ff, &faultRule{op: op, suffix: suffix, fault: vfs.Fault{Err: syscall.EIO}})
			if _, err := l.Append(makeBatch(t, leo, 2, 100, h.clock.Ms(), record.CodecNone), epoch2); !errors.Is(err, syscall.EIO) {
				t.Fatalf("append in a new epoch whose checkpoint fails: %v", err)
			}
			ff.SetInjector(nil)
			if l.LogEndOffset() != leo || l.Size() != size || fileSize(t, segPath) != onDisk {
				t.Fatalf("failed append changed the log: leo %d size %d file %d", l.LogEndOffset(), l.Size(), fileSize(t, segPath))
			}
			if got := fmt.Sprint(l.LeaderEpochs()); got != "[{1 0}]" || l.LatestEpoch() != 1 {
				t.Fatalf("epoch history after the failure: %s", got)
			}
			if _, err := os.Stat(filepath.Join(l.Dir(), suffix)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("temporary checkpoint left behind: %v", err)
			}

			if _, err := l.Append(makeBatch(t, leo, 2, 100, h.clock.Ms(), record.CodecNone), epoch2); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("[{1 0} {2 %d}]", leo)
			if got := fmt.Sprint(l.LeaderEpochs()); got != want {
				t.Fatalf("epochs %s, want %s", got, want)
			}
			data, err := os.ReadFile(filepath.Join(l.Dir(), leaderEpochCheckpointFile))
			if err != nil || string(data) != fmt.Sprintf("0\n2\n1 0\n2 %d\n", leo) {
				t.Fatalf("epoch checkpoint %q, %v", data, err)
			}
			// Recovery checks each batch's epoch against the checkpoint:
			// the epoch-2 batch must survive a crash.
			h.crashAndReopen(nil)
			l = h.log(tp0)
			expectExactly(t, l, leo+2, 100)
			if got := fmt.Sprint(l.LeaderEpochs()); got != want {
				t.Fatalf("epochs after recovery %s, want %s", got, want)
			}
		})
	}
}

// TestCheckpointWriteFailureKeepsThePreviousCheckpoint fails each step of
// the atomic replacement of recovery-point-offset-checkpoint.
func TestCheckpointWriteFailureKeepsThePreviousCheckpoint(t *testing.T) {
	tmp := recoveryPointCheckpointFile + ".tmp"
	for _, tc := range []struct {
		name string
		rule *faultRule
	}{
		{"create tmp", &faultRule{op: vfs.OpOpen, suffix: tmp, fault: vfs.Fault{Err: vfs.ErrNoSpace}}},
		{"disk full writing tmp", &faultRule{op: vfs.OpWrite, suffix: tmp, fault: vfs.Fault{Err: vfs.ErrNoSpace}}},
		{"torn tmp", &faultRule{op: vfs.OpWrite, suffix: tmp, fault: vfs.Fault{Written: 5, Err: vfs.ErrNoSpace}}},
		{"fsync tmp", &faultRule{op: vfs.OpSync, suffix: tmp, fault: vfs.Fault{Err: syscall.EIO}}},
		{"rename", &faultRule{op: vfs.OpRename, suffix: tmp, fault: vfs.Fault{Err: syscall.EIO}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, ff := newFaultHarness(t)
			l := h.log(tp0)
			appendBatches(t, l, 2, 2, 10, h.clock.Ms())
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := h.m.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(h.dirs[0], recoveryPointCheckpointFile)
			before, err := os.ReadFile(path)
			if err != nil || string(before) != "0\n1\nevents 0 4\n" {
				t.Fatalf("checkpoint %q, %v", before, err)
			}

			appendBatches(t, l, 2, 2, 10, h.clock.Ms())
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			fs := arm(ff, tc.rule)
			if err := h.m.Checkpoint(); err == nil {
				t.Fatal("checkpoint succeeded despite the fault")
			}
			ff.SetInjector(nil)
			if fs.fired.Load() == 0 {
				t.Fatal("the fault was never injected")
			}
			after, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(after, before) {
				t.Fatalf("checkpoint after a failed write: %q, %v; want %q", after, err, before)
			}
			got, err := readOffsetCheckpoint(vfs.Default, path)
			if err != nil || got[tp0] != 4 {
				t.Fatalf("previous checkpoint unreadable: %v %v", got, err)
			}
			if _, err := os.Stat(filepath.Join(h.dirs[0], tmp)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("temporary file left behind: %v", err)
			}
			// The next attempt goes through.
			if err := h.m.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(path); string(got) != "0\n1\nevents 0 8\n" {
				t.Fatalf("checkpoint %q", got)
			}
		})
	}
}

func TestCloseWithFailingFsyncClaimsNoCleanShutdown(t *testing.T) {
	h, ff := newFaultHarness(t)
	l := h.log(tp0)
	appendBatches(t, l, 5, 2, 100, h.clock.Ms())
	other := h.log(TopicPartition{"other", 0})
	appendBatches(t, other, 2, 2, 100, h.clock.Ms())

	arm(ff, &faultRule{op: vfs.OpSync, suffix: filepath.Join(tp0.String(), segmentName(0)+logSuffix), fault: vfs.Fault{Err: syscall.EIO}})
	if err := h.m.Close(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("close with a failing fsync: %v", err)
	}
	ff.SetInjector(nil)
	if _, err := os.Stat(filepath.Join(h.dirs[0], cleanShutdownFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("clean shutdown marker written after a failed close: %v", err)
	}
	rps, err := readOffsetCheckpoint(vfs.Default, filepath.Join(h.dirs[0], recoveryPointCheckpointFile))
	if err != nil || rps[tp0] != 0 {
		t.Fatalf("recovery point of the log that failed to flush: %v, %v; want 0", rps, err)
	}
	h.open()
	expectExactly(t, h.log(tp0), 10, 100)
	expectExactly(t, h.log(TopicPartition{"other", 0}), 4, 100)
}
