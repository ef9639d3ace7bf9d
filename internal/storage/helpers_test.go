package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.UnixMilli(1_700_000_000_000)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Ms() int64 { return c.Now().UnixMilli() }

// harness runs a Manager over temp directories.
type harness struct {
	t     testing.TB
	dirs  []string
	fs    vfs.FS
	clock *fakeClock
	cfg   Config
	m     *Manager
	opts  ManagerOptions
	// tweakOpts, when set, adjusts the manager options at every open
	// (index cache budget, recovery threads).
	tweakOpts func(*ManagerOptions)
}

func quietLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newHarness(t testing.TB, ndirs int, mutate ...func(*harness)) *harness {
	t.Helper()
	h := &harness{t: t, fs: vfs.Default, clock: newFakeClock(), cfg: DefaultConfig()}
	h.cfg.FileDeleteDelayMs = 0
	root := t.TempDir()
	for i := range ndirs {
		h.dirs = append(h.dirs, filepath.Join(root, fmt.Sprintf("d%d", i)))
	}
	for _, f := range mutate {
		f(h)
	}
	h.open()
	t.Cleanup(func() {
		if h.m != nil {
			h.m.Close()
		}
	})
	return h
}

func (h *harness) open() {
	h.t.Helper()
	cfg := h.cfg
	h.opts = ManagerOptions{
		Dirs:                   h.dirs,
		FS:                     h.fs,
		Now:                    h.clock.Now,
		Logger:                 quietLogger(h.t),
		Config:                 func(string) Config { return cfg },
		RetentionCheckInterval: time.Hour, // tests drive retention themselves
		CheckpointInterval:     time.Hour,
		FlushCheckInterval:     time.Hour,
	}
	if h.tweakOpts != nil {
		h.tweakOpts(&h.opts)
	}
	m, err := OpenManager(h.opts)
	if err != nil {
		h.t.Fatalf("open manager: %v", err)
	}
	h.m = m
}

// reopen shuts down cleanly and opens again.
func (h *harness) reopen() {
	h.t.Helper()
	if err := h.m.Close(); err != nil {
		h.t.Fatalf("close: %v", err)
	}
	h.open()
}

// crash abandons the manager as a killed process would: no flush, no
// index files, no checkpoints, no clean marker. What was written stays in
// the files (the page cache survives a process crash).
func (h *harness) crash() {
	h.t.Helper()
	m := h.m
	close(m.stop)
	<-m.done
	close(m.flushJobs)
	m.env.sched.close()
	for _, l := range m.Logs() {
		l.mu.Lock()
		l.closed.Store(true)
		for _, s := range l.segments() {
			s.release()
		}
		l.releasePendingLocked()
		l.mu.Unlock()
	}
	m.closeOnce.Do(func() {})
	h.m = nil
}

// crashAndReopen crashes, lets damage be done to the files, and reopens.
func (h *harness) crashAndReopen(damage func()) {
	h.t.Helper()
	h.crash()
	if damage != nil {
		damage()
	}
	h.open()
}

func (h *harness) log(tp TopicPartition) *Log {
	h.t.Helper()
	l, err := h.m.GetOrCreate(tp, h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

var tp0 = TopicPartition{"events", 0}

// value is the record value the tests write at sequence number i.
func value(i int64, size int) []byte {
	v := fmt.Appendf(nil, "record-%d|", i)
	for len(v) < size {
		v = append(v, byte('a'+i%26))
	}
	return v
}

// makeBatch builds a producer batch of n records whose values encode
// sequence numbers first..first+n-1.
func makeBatch(t testing.TB, first int64, n, size int, ts int64, codec record.Codec) []byte {
	t.Helper()
	b := record.NewBuilder(record.BuilderOptions{Codec: codec, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1})
	for i := range n {
		b.Add(ts+int64(i), fmt.Appendf(nil, "k%d", first+int64(i)), value(first+int64(i), size))
	}
	out, err := b.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// appendBatches appends count batches of n records each, values following
// the log end offset, timestamps from ts.
func appendBatches(t testing.TB, l *Log, count, n, size int, ts int64) []AppendResult {
	t.Helper()
	var out []AppendResult
	for range count {
		leo := l.LogEndOffset()
		res, err := l.Append(makeBatch(t, leo, n, size, ts, record.CodecNone), AppendOptions{Origin: OriginClient, LeaderEpoch: max(l.LatestEpoch(), 0)})
		if err != nil {
			t.Fatalf("append at %d: %v", leo, err)
		}
		if res.FirstOffset != leo {
			t.Fatalf("append got offset %d, want %d", res.FirstOffset, leo)
		}
		out = append(out, res)
	}
	// The replication layer owns the high watermark; on a single node it
	// follows the log end offset.
	l.SetHighWatermark(l.LogEndOffset())
	return out
}

// readBatches reads from offset to the end, checking every batch's framing
// and CRC, and returns the headers.
func readBatches(t testing.TB, l *Log, from int64) []record.Header {
	t.Helper()
	var out []record.Header
	for off := from; off < l.LogEndOffset(); {
		sl, err := l.Read(off, ReadOptions{MaxBytes: 1 << 20, MinOneBatch: true})
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		buf, err := sl.AppendTo(nil)
		sl.Release()
		if err != nil {
			t.Fatal(err)
		}
		if len(buf) == 0 {
			// The rest of this segment is past the data; move on.
			next := l.nextSegmentBase(off)
			if next < 0 {
				break
			}
			off = next
			continue
		}
		sc := record.NewScanner(buf, 0)
		for sc.Next() {
			out = append(out, *sc.Header())
			off = sc.Header().NextOffset()
		}
		if sc.Err() != nil {
			t.Fatalf("read at %d returned bad data: %v", off, sc.Err())
		}
	}
	return out
}

// nextSegmentBase is the base of the first segment after offset, or -1.
func (l *Log) nextSegmentBase(offset int64) int64 {
	for _, s := range l.segments() {
		if s.base > offset {
			return s.base
		}
	}
	return -1
}

// checkValues reads every record from the log start and checks its value
// encodes its own offset (the tests append values in offset order).
func checkValues(t testing.TB, l *Log, size int) int64 {
	t.Helper()
	n := int64(0)
	var it record.Records
	defer it.Release()
	for off := l.LogStartOffset(); off < l.LogEndOffset(); {
		sl, err := l.Read(off, ReadOptions{MaxBytes: 1 << 20, MinOneBatch: true})
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		buf, err := sl.AppendTo(nil)
		sl.Release()
		if err != nil {
			t.Fatal(err)
		}
		if len(buf) == 0 {
			t.Fatalf("empty read at %d below the log end %d", off, l.LogEndOffset())
		}
		sc := record.NewScanner(buf, 0)
		for sc.Next() {
			if err := it.Reset(sc.Batch(), 0); err != nil {
				t.Fatal(err)
			}
			for it.Next() {
				r := it.Record()
				if r.Offset < off {
					continue
				}
				if want := value(r.Offset, size); !bytes.Equal(r.Value, want) {
					t.Fatalf("offset %d holds %q, want %q", r.Offset, r.Value[:min(20, len(r.Value))], want[:20])
				}
				n++
			}
			if it.Err() != nil {
				t.Fatal(it.Err())
			}
			off = sc.Header().NextOffset()
		}
		if sc.Err() != nil {
			t.Fatal(sc.Err())
		}
	}
	return n
}

func segmentFiles(t testing.TB, dir string, suffix string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustErrIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}
