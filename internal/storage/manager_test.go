package storage

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// rootOf is the log directory a log lives in.
func rootOf(l *Log) string { return filepath.Dir(l.Dir()) }

func TestNewPartitionsGoToTheDirectoryWithFewestAndReopenFromIt(t *testing.T) {
	h := newHarness(t, 3)
	where := map[TopicPartition]string{}
	count := map[string]int{}
	for i := range 7 {
		tp := TopicPartition{"placed", int32(i)}
		l := h.log(tp)
		// Ties go to the first directory listed.
		if want := h.dirs[i%3]; rootOf(l) != want {
			t.Fatalf("partition %d placed in %s, want %s", i, rootOf(l), want)
		}
		appendBatches(t, l, 2, 2, 50, h.clock.Ms())
		where[tp] = rootOf(l)
		count[rootOf(l)]++
	}
	// Emptying d1 makes it the emptiest, even after a restart.
	for tp, d := range where {
		if d == h.dirs[1] {
			if err := h.m.Delete(tp); err != nil {
				t.Fatal(err)
			}
			delete(where, tp)
		}
	}
	h.reopen()
	for i := range 2 {
		tp := TopicPartition{"later", int32(i)}
		l := h.log(tp)
		if rootOf(l) != h.dirs[1] {
			t.Fatalf("new partition %d placed in %s, want the emptiest %s", i, rootOf(l), h.dirs[1])
		}
		appendBatches(t, l, 2, 2, 50, h.clock.Ms())
		where[tp] = rootOf(l)
	}

	check := func(stage string) {
		t.Helper()
		if got := len(h.m.Logs()); got != len(where) {
			t.Fatalf("%s: %d logs, want %d", stage, got, len(where))
		}
		for tp, d := range where {
			l, ok := h.m.Get(tp)
			if !ok {
				t.Fatalf("%s: %s missing", stage, tp)
			}
			if rootOf(l) != d {
				t.Fatalf("%s: %s opened from %s, created in %s", stage, tp, rootOf(l), d)
			}
			if n := checkValues(t, l, 50); n != 4 {
				t.Fatalf("%s: %s holds %d records", stage, tp, n)
			}
		}
		for _, info := range h.m.Dirs() {
			for _, l := range info.Logs {
				if rootOf(l) != info.Path {
					t.Fatalf("%s: Dirs lists %s under %s", stage, l.TopicPartition(), info.Path)
				}
			}
		}
	}
	check("running")
	h.reopen()
	check("clean restart")
	h.crashAndReopen(nil)
	check("crash restart")
}

func TestSamePartitionInTwoDirectoriesFailsTheOpen(t *testing.T) {
	h := newHarness(t, 2)
	l := h.log(tp0)
	if rootOf(l) != h.dirs[0] {
		t.Fatalf("first partition in %s", rootOf(l))
	}
	appendBatches(t, l, 3, 2, 50, h.clock.Ms())
	h.reopen()
	if err := h.m.Close(); err != nil {
		t.Fatal(err)
	}
	h.m = nil
	copyDir(t, filepath.Join(h.dirs[0], tp0.String()), filepath.Join(h.dirs[1], tp0.String()))

	m, err := OpenManager(h.opts)
	if !errors.Is(err, ErrDuplicateLog) {
		if m != nil {
			m.Close()
		}
		t.Fatalf("open with %s in both directories: %v, want ErrDuplicateLog", tp0, err)
	}
	for _, d := range h.dirs {
		if !strings.Contains(err.Error(), d) {
			t.Fatalf("error %q does not name directory %s", err, d)
		}
	}
	// Nothing was damaged: with the copy gone the log opens whole.
	if err := os.RemoveAll(filepath.Join(h.dirs[1], tp0.String())); err != nil {
		t.Fatal(err)
	}
	h.open()
	if n := checkValues(t, h.log(tp0), 50); n != 6 {
		t.Fatalf("%d records", n)
	}
}

// manyPartitions creates n partitions of a few batches each.
func manyPartitions(t *testing.T, h *harness, n int) {
	t.Helper()
	for i := range n {
		l := h.log(TopicPartition{"many", int32(i)})
		appendBatches(t, l, 3, 2, 20, h.clock.Ms())
	}
}

// goroutinesAfterOpen reopens after a crash and returns how many
// goroutines the open left running.
func goroutinesAfterOpen(t *testing.T, h *harness) int {
	t.Helper()
	h.crash()
	before := runtime.NumGoroutine()
	h.open()
	return runtime.NumGoroutine() - before
}

func TestParallelOpenOfManyPartitions(t *testing.T) {
	const n = 300
	h := newHarness(t, 2, func(h *harness) {
		h.tweakOpts = func(o *ManagerOptions) { o.RecoveryThreadsPerDir = 2 }
	})
	manyPartitions(t, h, n)
	check := func(stage string) {
		t.Helper()
		if got := len(h.m.Logs()); got != n {
			t.Fatalf("%s: %d logs, want %d", stage, got, n)
		}
		for i := range n {
			l, ok := h.m.Get(TopicPartition{"many", int32(i)})
			if !ok {
				t.Fatalf("%s: partition %d missing", stage, i)
			}
			if l.LogEndOffset() != 6 || l.RecoveryPoint() != 6 {
				t.Fatalf("%s: partition %d end %d recovery point %d", stage, i, l.LogEndOffset(), l.RecoveryPoint())
			}
			if got := checkValues(t, l, 20); got != 6 {
				t.Fatalf("%s: partition %d holds %d records", stage, i, got)
			}
		}
	}
	grown := goroutinesAfterOpen(t, h)
	check("crash restart")
	h.reopen()
	check("clean restart")

	// The open's goroutines do not grow with the number of partitions.
	small := newHarness(t, 2, func(h *harness) {
		h.tweakOpts = func(o *ManagerOptions) { o.RecoveryThreadsPerDir = 2 }
	})
	manyPartitions(t, small, 10)
	few := goroutinesAfterOpen(t, small)
	t.Logf("goroutines left by the open: %d partitions %d, 10 partitions %d", n, grown, few)
	// Recovery workers may still be on their way out when OpenManager
	// returns; allow for them. The FlushAll pool is fixed in size.
	if grown > few+2 || grown > 10+flushWorkers {
		t.Fatalf("opening %d partitions left %d more goroutines running, %d partitions %d", n, grown, 10, few)
	}
}

func TestDeleteRenamesAtOnceAndRemovesAfterTheDelay(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 2000 })
	l := h.log(tp0)
	appendBatches(t, l, 10, 2, 200, h.clock.Ms())
	keep := h.log(TopicPartition{"kept", 0})
	appendBatches(t, keep, 1, 1, 10, h.clock.Ms())
	// A reader holds the first segment across the deletion.
	sl, err := l.Read(0, ReadOptions{MaxBytes: 1 << 20})
	if err != nil || sl.Size == 0 {
		t.Fatalf("read: %+v %v", sl, err)
	}
	h.m.env.sched.wait()

	if err := h.m.Delete(tp0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(h.dirs[0], tp0.String())); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partition directory still there after Delete: %v", err)
	}
	if _, ok := h.m.Get(tp0); ok {
		t.Fatal("deleted log still listed")
	}
	if _, err := appendOne(t, l, 1, 200, h.clock.Ms()); !errors.Is(err, ErrClosed) {
		t.Fatalf("append to a deleted log: %v", err)
	}
	for _, f := range []string{recoveryPointCheckpointFile, logStartCheckpointFile} {
		data, err := os.ReadFile(filepath.Join(h.dirs[0], f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "0\n1\nkept 0 ") || strings.Contains(string(data), "events") {
			t.Fatalf("%s after Delete: %q", f, data)
		}
	}

	// file.delete.delay.ms is 0 here: once background work is done the
	// directory is gone, yet the pinned reader still reads its bytes.
	h.m.env.sched.wait()
	if left := deleteDirs(t, h.dirs[0]); len(left) != 0 {
		t.Fatalf("deleted directories left: %v", left)
	}
	buf, err := sl.AppendTo(nil)
	if err != nil || int64(len(buf)) != sl.Size {
		t.Fatalf("pinned reader after the deletion: %d bytes, %v", len(buf), err)
	}
	sl.Release()

	fresh := h.log(tp0)
	if fresh == l || fresh.LogEndOffset() != 0 || fresh.LogStartOffset() != 0 || fresh.Size() != 0 || fresh.LatestEpoch() != -1 {
		t.Fatalf("recreated log is not fresh: end %d start %d size %d epoch %d", fresh.LogEndOffset(), fresh.LogStartOffset(), fresh.Size(), fresh.LatestEpoch())
	}
	appendBatches(t, fresh, 1, 2, 200, h.clock.Ms())
	h.crashAndReopen(nil)
	if n := checkValues(t, h.log(tp0), 200); n != 2 {
		t.Fatalf("recreated log holds %d records", n)
	}
}

var deleteDirName = regexp.MustCompile(`^events-0\.[0-9a-f]{32}-delete$`)

// deleteDirs lists the "-delete" directories in dir, checking their names.
func deleteDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "-delete") {
			if !deleteDirName.MatchString(e.Name()) {
				t.Fatalf("deleted directory named %q", e.Name())
			}
			out = append(out, e.Name())
		}
	}
	return out
}

// TestDeleteKeepsTheDirectoryForTheDelay: with a long file.delete.delay.ms
// the renamed directory stays; a restart removes it.
func TestDeleteKeepsTheDirectoryForTheDelay(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.FileDeleteDelayMs = time.Hour.Milliseconds() })
	appendBatches(t, h.log(tp0), 3, 2, 50, h.clock.Ms())
	if err := h.m.Delete(tp0); err != nil {
		t.Fatal(err)
	}
	left := deleteDirs(t, h.dirs[0])
	if len(left) != 1 {
		t.Fatalf("deleted directories: %v", left)
	}
	if logs := segmentFiles(t, filepath.Join(h.dirs[0], left[0]), logSuffix); len(logs) != 1 {
		t.Fatalf("renamed directory holds %v", logs)
	}
	h.reopen() // the pending removal dies with the manager
	h.m.env.sched.wait()
	if left := deleteDirs(t, h.dirs[0]); len(left) != 0 {
		t.Fatalf("restart left %v", left)
	}
	if _, ok := h.m.Get(tp0); ok {
		t.Fatal("deleted partition came back")
	}
}

func TestFlushMsFlushesOnlyWhenDue(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.FlushMs = 1000 })
	l := h.log(tp0)
	appendBatches(t, l, 2, 2, 50, h.clock.Ms())
	h.clock.Advance(999 * time.Millisecond)
	h.m.flushDue()
	if rp := l.RecoveryPoint(); rp != 0 {
		t.Fatalf("flushed before flush.ms: recovery point %d", rp)
	}
	h.clock.Advance(time.Millisecond)
	h.m.flushDue()
	if rp := l.RecoveryPoint(); rp != 4 {
		t.Fatalf("not flushed when due: recovery point %d, want 4", rp)
	}
	// The interval restarts at the flush.
	appendBatches(t, l, 1, 2, 50, h.clock.Ms())
	h.clock.Advance(500 * time.Millisecond)
	h.m.flushDue()
	if rp := l.RecoveryPoint(); rp != 4 {
		t.Fatalf("flushed 500 ms after the last flush: recovery point %d", rp)
	}
	h.clock.Advance(500 * time.Millisecond)
	h.m.flushDue()
	if rp := l.RecoveryPoint(); rp != 6 {
		t.Fatalf("recovery point %d, want 6", rp)
	}
	// Nothing new: nothing to do, and a topic without flush.ms is left to
	// the page cache.
	other := h.log(TopicPartition{"lazy", 0})
	other.SetConfig(DefaultConfig())
	appendBatches(t, other, 1, 2, 50, h.clock.Ms())
	h.clock.Advance(time.Hour)
	h.m.flushDue()
	if rp := other.RecoveryPoint(); rp != 0 {
		t.Fatalf("log without flush.ms flushed: recovery point %d", rp)
	}
}

func TestFlushMessagesAdvancesTheRecoveryPointEveryNRecords(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.FlushMessages = 3 })
	l := h.log(tp0)
	for i := int64(1); i <= 10; i++ {
		appendBatches(t, l, 1, 1, 50, h.clock.Ms())
		if want := i / 3 * 3; l.RecoveryPoint() != want {
			t.Fatalf("after %d records: recovery point %d, want %d", i, l.RecoveryPoint(), want)
		}
	}
	// A batch that crosses the threshold flushes all of itself.
	appendBatches(t, l, 1, 4, 50, h.clock.Ms())
	if l.RecoveryPoint() != 14 {
		t.Fatalf("recovery point %d, want 14", l.RecoveryPoint())
	}
}

func TestCheckpointFilesAreKafkasTextFormat(t *testing.T) {
	h := newHarness(t, 2)
	a0, b0 := h.log(TopicPartition{"a.b-c", 0}), h.log(TopicPartition{"x", 12})
	h.log(TopicPartition{"a.b-c", 1}) // in d0 again: ties go to the first directory
	appendBatches(t, a0, 3, 2, 10, h.clock.Ms())
	appendBatches(t, b0, 2, 5, 10, h.clock.Ms())
	if err := a0.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := a0.DeleteRecordsBefore(4); err != nil {
		t.Fatal(err)
	}
	if err := h.m.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir, file, want string
	}{
		{h.dirs[0], recoveryPointCheckpointFile, "0\n2\na.b-c 0 6\na.b-c 1 0\n"},
		{h.dirs[0], logStartCheckpointFile, "0\n2\na.b-c 0 4\na.b-c 1 0\n"},
		{h.dirs[1], recoveryPointCheckpointFile, "0\n1\nx 12 0\n"},
		{h.dirs[1], logStartCheckpointFile, "0\n1\nx 12 0\n"},
	} {
		data, err := os.ReadFile(filepath.Join(tc.dir, tc.file))
		if err != nil || string(data) != tc.want {
			t.Fatalf("%s in %s: %q, %v; want %q", tc.file, filepath.Base(tc.dir), data, err, tc.want)
		}
	}
	data, err := os.ReadFile(filepath.Join(a0.Dir(), leaderEpochCheckpointFile))
	if err != nil || string(data) != "0\n1\n0 4\n" {
		t.Fatalf("leader-epoch-checkpoint %q, %v", data, err)
	}
	// An empty directory's checkpoints still carry the header.
	e := newHarness(t, 1)
	if err := e.m.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(e.dirs[0], recoveryPointCheckpointFile)); string(data) != "0\n0\n" {
		t.Fatalf("empty checkpoint %q", data)
	}
}

// TestCorruptRecoveryCheckpointMeansFullRecovery: a checkpoint that does
// not parse is not a failed start; every log is recovered from its first
// segment, even after a clean shutdown.
func TestCorruptRecoveryCheckpointMeansFullRecovery(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":         "not a checkpoint",
		"unknown version": "1\n1\nevents 0 40\n",
		"short":           "0\n2\nevents 0 40\n",
		"bad entry":       "0\n1\nevents zero 40\n",
		"empty":           "",
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 2500 })
			l := h.log(tp0)
			appendBatches(t, l, 20, 2, 400, h.clock.Ms())
			leo := l.LogEndOffset()
			first := filepath.Join(l.Dir(), segmentName(0)+logSuffix)
			h.reopen() // a clean shutdown: without the corruption nothing would be scanned
			if err := h.m.Close(); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(h.dirs[0], recoveryPointCheckpointFile), []byte(content), 0o644)
			data, _ := os.ReadFile(first)
			data[len(data)-5] ^= 0xff // damage the last batch of the first segment
			os.WriteFile(first, data, 0o644)
			h.open()
			l = h.log(tp0)
			if l.NumSegments() != 1 || l.LogEndOffset() >= leo {
				t.Fatalf("no full recovery: %d segments, end %d", l.NumSegments(), l.LogEndOffset())
			}
			checkValues(t, l, 400)
			// The next checkpoint is well formed again.
			if err := h.m.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			got, err := readOffsetCheckpoint(vfs.Default, filepath.Join(h.dirs[0], recoveryPointCheckpointFile))
			if err != nil || got[tp0] != l.LogEndOffset() {
				t.Fatalf("checkpoint after recovery: %v %v", got, err)
			}
		})
	}
}

func TestCorruptLogStartCheckpointFallsBackToTheFirstSegment(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	appendBatches(t, l, 4, 2, 50, h.clock.Ms())
	if _, err := l.DeleteRecordsBefore(3); err != nil {
		t.Fatal(err)
	}
	if err := h.m.Close(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(h.dirs[0], logStartCheckpointFile), []byte("0\n7\n"), 0o644)
	h.open()
	l = h.log(tp0)
	if l.LogStartOffset() != 0 || l.LogEndOffset() != 8 {
		t.Fatalf("start %d end %d", l.LogStartOffset(), l.LogEndOffset())
	}
	if n := checkValues(t, l, 50); n != 8 {
		t.Fatalf("%d records", n)
	}
}

// TestIndexCacheStaysWithinItsBudget reads across many closed segments
// with a budget smaller than one segment's indexes: indexes are loaded,
// evicted and reloaded, and every read still lands on the right batch.
func TestIndexCacheStaysWithinItsBudget(t *testing.T) {
	const budget = 600
	h := newHarness(t, 1, func(h *harness) {
		h.cfg.SegmentBytes = 4000
		h.cfg.IndexIntervalBytes = 300
		h.tweakOpts = func(o *ManagerOptions) { o.IndexCacheBytes = budget }
	})
	l := h.log(tp0)
	appendBatches(t, l, 200, 2, 200, h.clock.Ms())
	other := h.log(TopicPartition{"other", 0})
	appendBatches(t, other, 100, 2, 200, h.clock.Ms())
	h.m.env.sched.wait()
	h.reopen() // closed segments' indexes start unloaded
	l, other = h.log(tp0), h.log(TopicPartition{"other", 0})
	if l.NumSegments() < 20 {
		t.Fatalf("%d segments", l.NumSegments())
	}

	// The largest one segment's indexes can take, from its files.
	var perSegment int64
	for _, s := range l.segments() {
		perSegment = max(perSegment, fileSize(t, s.path(indexSuffix))+fileSize(t, s.path(timeIndexSuffix)))
	}
	if perSegment == 0 || perSegment > budget {
		t.Fatalf("segment indexes of %d bytes: the budget does not bind", perSegment)
	}
	maxUsed := int64(0)
	watch := func() {
		used, _ := h.m.env.cache.usage()
		maxUsed = max(maxUsed, used)
	}
	for round := range 2 {
		for _, lg := range []*Log{l, other} {
			if n := checkValues(t, lg, 200); n != lg.LogEndOffset() {
				t.Fatalf("round %d: %d records", round, n)
			}
			watch()
			for off := lg.LogEndOffset() - 1; off >= 0; off -= 13 {
				sl, err := lg.Read(off, ReadOptions{MaxBytes: 1, MinOneBatch: true})
				if err != nil {
					t.Fatal(err)
				}
				buf, err := sl.AppendTo(nil)
				sl.Release()
				if err != nil || len(buf) == 0 {
					t.Fatalf("read at %d: %d bytes, %v", off, len(buf), err)
				}
				hd := readBatchHeader(t, buf)
				if hd.BaseOffset > off || hd.LastOffset() < off {
					t.Fatalf("read at %d returned batch %d..%d", off, hd.BaseOffset, hd.LastOffset())
				}
				watch()
			}
		}
	}
	// A segment being loaded is added before others are evicted, so the
	// cache may pass the budget by one segment's indexes.
	if maxUsed > budget+perSegment {
		t.Fatalf("index cache reached %d bytes; budget %d, one segment %d", maxUsed, budget, perSegment)
	}
	t.Logf("index cache peak %d bytes, budget %d, one segment %d", maxUsed, budget, perSegment)
	if maxUsed == 0 {
		t.Fatal("the cache was never used")
	}
	unloaded := 0
	for _, s := range l.segments() {
		if s.offIdx.Load() == nil {
			unloaded++
		}
	}
	if unloaded == 0 {
		t.Fatal("every segment's indexes are still loaded: nothing was evicted")
	}
}

// TestTruncateIntoAnEvictedSegmentKeepsItsIndexes: a follower truncation
// into a closed segment makes it active again while reads of another
// partition keep a tiny index cache evicting; the segment's indexes must
// stay loaded through the truncation and the appends after it.
func TestTruncateIntoAnEvictedSegmentKeepsItsIndexes(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) {
		h.cfg.SegmentBytes = 3000
		h.cfg.IndexIntervalBytes = 300
		h.tweakOpts = func(o *ManagerOptions) { o.IndexCacheBytes = 1 }
	})
	other := h.log(TopicPartition{"other", 0})
	appendBatches(t, other, 100, 2, 200, h.clock.Ms())
	h.m.env.sched.wait()
	l := h.log(tp0)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				for off := int64(0); off < other.LogEndOffset(); off += 7 {
					select {
					case <-stop:
						return
					default:
					}
					if sl, err := other.Read(off, ReadOptions{MaxBytes: 1, MinOneBatch: true}); err == nil {
						sl.Release()
					}
				}
			}
		}()
	}
	stopped := false
	stopReaders := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopReaders()

	for i := range 60 {
		appendBatches(t, l, 20, 2, 200, h.clock.Ms())
		h.m.env.sched.wait() // rolled segments durable: evictable
		segs := l.segments()
		if len(segs) < 3 {
			t.Fatalf("%d segments", len(segs))
		}
		to := segs[1].base + 1
		if err := l.TruncateTo(to); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		active := l.segments()[len(l.segments())-1]
		if active != segs[1] || active.offIdx.Load() == nil || active.timeIdx.Load() == nil {
			t.Fatalf("round %d: the reactivated segment lost its indexes", i)
		}
		if l.LogEndOffset() != segs[1].base {
			t.Fatalf("round %d: truncated to %d, want the batch start %d", i, l.LogEndOffset(), segs[1].base)
		}
	}
	stopReaders()
	appendBatches(t, l, 5, 2, 200, h.clock.Ms())
	l.SetHighWatermark(l.LogEndOffset())
	if n := checkValues(t, l, 200); n != l.LogEndOffset() {
		t.Fatalf("%d records", n)
	}
}

// TestTruncateIntoASegmentWithDamagedIndexes: the indexes are rebuilt
// from the log on the way, which takes the flush lock; TruncateTo must not
// already hold it.
func TestTruncateIntoASegmentWithDamagedIndexes(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 3000; h.cfg.IndexIntervalBytes = 300 })
	l := h.log(tp0)
	appendBatches(t, l, 30, 2, 200, h.clock.Ms())
	h.reopen() // closed segments' indexes are loaded on demand
	l = h.log(tp0)
	s := l.segments()[1]
	if err := os.Remove(s.path(indexSuffix)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.TruncateTo(s.base + 1) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		panic("TruncateTo deadlocked rebuilding the indexes of the segment it truncates")
	}
	if l.LogEndOffset() != s.base || l.NumSegments() != 2 {
		t.Fatalf("end %d, %d segments", l.LogEndOffset(), l.NumSegments())
	}
	appendBatches(t, l, 3, 2, 200, h.clock.Ms())
	checkValues(t, l, 200)
}

func readBatchHeader(t *testing.T, buf []byte) record.Header {
	t.Helper()
	hd, err := record.Check(buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	return hd
}

func TestOpenRejectsNoDirectories(t *testing.T) {
	if _, err := OpenManager(ManagerOptions{}); err == nil {
		t.Fatal("opened a manager without log directories")
	}
}
