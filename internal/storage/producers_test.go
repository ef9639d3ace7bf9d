package storage

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fjordlabs/fjord/internal/record"
)

// idemBatch builds a batch of n records from producer pid at epoch and
// sequence seq.
func idemBatch(t testing.TB, pid int64, epoch int16, seq int32, n int, ts int64) []byte {
	t.Helper()
	b := record.NewBuilder(record.BuilderOptions{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq})
	for i := range n {
		b.Add(ts, nil, value(int64(seq)+int64(i), 20))
	}
	out, err := b.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func clientAppend(t testing.TB, l *Log, buf []byte) (AppendResult, error) {
	t.Helper()
	return l.Append(buf, AppendOptions{Origin: OriginClient})
}

func mustAppend(t testing.TB, l *Log, buf []byte) AppendResult {
	t.Helper()
	res, err := clientAppend(t, l, buf)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// expectDuplicate checks that buf is recognised as a retry of the batch
// that went to offsets first..last, and that nothing was appended.
func expectDuplicate(t testing.TB, l *Log, buf []byte, first, last int64) {
	t.Helper()
	leo := l.LogEndOffset()
	res, err := clientAppend(t, l, buf)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !res.Duplicate || res.FirstOffset != first || res.LastOffset != last {
		t.Fatalf("retry answered %+v, want duplicate of %d..%d", res, first, last)
	}
	if l.LogEndOffset() != leo {
		t.Fatalf("retry appended: log end %d -> %d", leo, l.LogEndOffset())
	}
}

func TestIdempotentRetriesAreNotWrittenTwice(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	ts := h.clock.Ms()
	mustAppend(t, l, makeBatch(t, 0, 3, 10, ts, record.CodecNone)) // no producer id: offsets 0..2

	var batches [][]byte
	var results []AppendResult
	for i := range 7 { // more than the five remembered
		b := idemBatch(t, 7, 0, int32(i*4), 4, ts)
		batches = append(batches, b)
		results = append(results, mustAppend(t, l, append([]byte(nil), b...)))
	}
	// The last five are recognised, whatever their order.
	for _, i := range []int{6, 2, 4, 3, 5} {
		expectDuplicate(t, l, append([]byte(nil), batches[i]...), results[i].FirstOffset, results[i].LastOffset)
	}
	// Older ones are no longer known: the sequence is out of order.
	_, err := clientAppend(t, l, append([]byte(nil), batches[1]...))
	mustErrIs(t, err, ErrOutOfOrderSequence)

	// Another producer is independent; a producer the log does not know
	// may start at any sequence.
	mustAppend(t, l, idemBatch(t, 8, 3, 1000, 2, ts))
	mustAppend(t, l, idemBatch(t, 8, 3, 1002, 2, ts))
	if got := l.LogEndOffset(); got != 3+28+4 {
		t.Fatalf("log end %d", got)
	}
}

func TestIdempotentSequenceAndEpochRules(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	ts := h.clock.Ms()
	mustAppend(t, l, idemBatch(t, 1, 5, 0, 2, ts)) // seq 0..1

	_, err := clientAppend(t, l, idemBatch(t, 1, 5, 3, 1, ts)) // gap
	mustErrIs(t, err, ErrOutOfOrderSequence)
	_, err = clientAppend(t, l, idemBatch(t, 1, 5, 1, 1, ts)) // overlaps, not a retry
	mustErrIs(t, err, ErrOutOfOrderSequence)
	_, err = clientAppend(t, l, idemBatch(t, 1, 4, 2, 1, ts)) // fenced epoch
	mustErrIs(t, err, ErrInvalidProducerEpoch)
	_, err = clientAppend(t, l, idemBatch(t, 1, 6, 2, 1, ts)) // new epoch must start at 0
	mustErrIs(t, err, ErrOutOfOrderSequence)
	if l.LogEndOffset() != 2 {
		t.Fatalf("a refused batch was written: log end %d", l.LogEndOffset())
	}
	mustAppend(t, l, idemBatch(t, 1, 5, 2, 1, ts))
	mustAppend(t, l, idemBatch(t, 1, 6, 0, 1, ts))
	_, err = clientAppend(t, l, idemBatch(t, 1, 5, 3, 1, ts)) // the old epoch is now fenced
	mustErrIs(t, err, ErrInvalidProducerEpoch)

	// Sequences wrap past MaxInt32 to 0.
	mustAppend(t, l, idemBatch(t, 2, 0, math.MaxInt32-1, 4, ts)) // MaxInt32-1 .. 1
	mustAppend(t, l, idemBatch(t, 2, 0, 2, 1, ts))

	// A run of batches is checked batch by batch, each against the ones
	// before it; a retry inside a run is an error.
	run := append(idemBatch(t, 3, 0, 0, 2, ts), idemBatch(t, 3, 0, 2, 2, ts)...)
	if res := mustAppend(t, l, run); res.LastOffset-res.FirstOffset != 3 {
		t.Fatalf("run appended %+v", res)
	}
	_, err = clientAppend(t, l, append(idemBatch(t, 3, 0, 4, 1, ts), idemBatch(t, 3, 0, 6, 1, ts)...))
	mustErrIs(t, err, ErrOutOfOrderSequence)
	_, err = clientAppend(t, l, append(idemBatch(t, 3, 0, 4, 1, ts), idemBatch(t, 3, 0, 2, 2, ts)...))
	mustErrIs(t, err, ErrDuplicateSequence)
}

func TestProducerStateSurvivesRestartsCrashesAndRolls(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) { h.cfg.SegmentBytes = 4096 })
	l := h.log(tp0)
	ts := h.clock.Ms()
	var last []byte
	var lastRes AppendResult
	seq := int32(0)
	appendSome := func(n int) {
		for range n {
			last = idemBatch(t, 42, 0, seq, 5, ts)
			lastRes = mustAppend(t, l, append([]byte(nil), last...))
			seq += 5
		}
	}
	appendSome(40) // several rolls: a snapshot at each
	if n := len(segmentFiles(t, l.Dir(), snapshotSuffix)); n == 0 {
		t.Fatal("no producer snapshot written at roll")
	}

	// Clean restart: read from the snapshot written at close.
	h.reopen()
	l = h.log(tp0)
	expectDuplicate(t, l, append([]byte(nil), last...), lastRes.FirstOffset, lastRes.LastOffset)
	appendSome(3)

	// Crash: the state comes from the roll snapshot plus the batches after it.
	h.crashAndReopen(nil)
	l = h.log(tp0)
	expectDuplicate(t, l, append([]byte(nil), last...), lastRes.FirstOffset, lastRes.LastOffset)
	_, err := clientAppend(t, l, idemBatch(t, 42, 0, seq+1, 1, ts))
	mustErrIs(t, err, ErrOutOfOrderSequence)

	// Every snapshot damaged or gone: the batches alone rebuild the state.
	h.crashAndReopen(func() {
		snaps := segmentFiles(t, l.Dir(), snapshotSuffix)
		for i, s := range snaps {
			if i%2 == 0 {
				os.Remove(s)
			} else {
				os.WriteFile(s, []byte("garbage"), 0o644)
			}
		}
	})
	l = h.log(tp0)
	expectDuplicate(t, l, append([]byte(nil), last...), lastRes.FirstOffset, lastRes.LastOffset)
	appendSome(1)

	// A snapshot past the log end (from before a crash cut the tail off)
	// must not be believed.
	h.reopen()
	l = h.log(tp0)
	stale := filepath.Join(l.Dir(), segmentName(l.LogEndOffset()+1000)+snapshotSuffix)
	h.crashAndReopen(func() { os.WriteFile(stale, (&producers{}).encode(), 0o644) })
	l = h.log(tp0)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("snapshot past the log end kept: %v", err)
	}
	expectDuplicate(t, l, append([]byte(nil), last...), lastRes.FirstOffset, lastRes.LastOffset)
}

func TestProducerStateFollowsTruncationAndExpires(t *testing.T) {
	h := newHarness(t, 1, func(h *harness) {
		h.cfg.SegmentBytes = 4096
		h.cfg.ProducerIDExpirationMs = int64(time.Hour / time.Millisecond)
	})
	l := h.log(tp0)
	ts := h.clock.Ms()
	var res []AppendResult
	for i := range 30 {
		res = append(res, mustAppend(t, l, idemBatch(t, 9, 0, int32(i*5), 5, ts)))
	}
	// Truncate back to batch 10: the producer's next sequence is 50 again.
	if err := l.TruncateTo(res[10].FirstOffset); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, idemBatch(t, 9, 0, 50, 5, ts))
	for _, s := range segmentFiles(t, l.Dir(), snapshotSuffix) {
		if off := snapshotOffsetOf(t, s); off > l.LogEndOffset() {
			t.Fatalf("snapshot %d past the log end %d after truncation", off, l.LogEndOffset())
		}
	}
	// Expiry: an hour without a batch and the producer is forgotten, so it
	// may start over at any sequence.
	h.clock.Advance(2 * time.Hour)
	l.EnforceRetention()
	mustAppend(t, l, idemBatch(t, 9, 0, 500, 1, h.clock.Ms()))
	// A full truncation forgets everyone.
	if err := l.TruncateFullyAndStartAt(1000); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, idemBatch(t, 9, 0, 7, 1, h.clock.Ms()))
	if n := len(segmentFiles(t, l.Dir(), snapshotSuffix)); n != 0 {
		t.Fatalf("%d snapshots left after a full truncation", n)
	}
}

func snapshotOffsetOf(t *testing.T, path string) int64 {
	t.Helper()
	var off int64
	for _, c := range filepath.Base(path)[:20] {
		off = off*10 + int64(c-'0')
	}
	return off
}

func TestSnapshotRoundTrip(t *testing.T) {
	var p producers
	h := record.Header{ProducerID: 5, ProducerEpoch: 2, BaseSequence: math.MaxInt32 - 1, LastOffsetDelta: 3, BaseOffset: 100, MaxTimestamp: 77}
	p.update(&h)
	h = record.Header{ProducerID: 1, ProducerEpoch: 0, BaseSequence: 0, LastOffsetDelta: 0, BaseOffset: 104, MaxTimestamp: 78}
	p.update(&h)
	m, err := decodeSnapshot(p.encode())
	if err != nil {
		t.Fatal(err)
	}
	got := m[5].last()
	if m[5].epoch != 2 || *got != (producerBatch{firstSeq: math.MaxInt32 - 1, lastSeq: 1, firstOffset: 100, lastOffset: 103, maxTimestamp: 77}) {
		t.Fatalf("producer 5: epoch %d %+v", m[5].epoch, *got)
	}
	if len(m) != 2 || m[1].last().lastOffset != 104 {
		t.Fatalf("decoded %v", m)
	}
	buf := p.encode()
	buf[len(buf)-1] ^= 1
	if _, err := decodeSnapshot(buf); err == nil {
		t.Fatal("a damaged snapshot decoded")
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	var p producers
	h := record.Header{ProducerID: 5, ProducerEpoch: 2, BaseSequence: 9, LastOffsetDelta: 3, BaseOffset: 100}
	p.update(&h)
	f.Add(p.encode())
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to a snapshot that decodes the same.
		q := producers{m: m}
		m2, err := decodeSnapshot(q.encode())
		if err != nil || len(m2) != len(m) {
			t.Fatalf("re-encoded snapshot: %v, %d of %d producers", err, len(m2), len(m))
		}
	})
}

// An idle log's close does not rewrite a snapshot that already holds its
// state; a log that changed does write one.
func TestCloseRewritesOnlyChangedSnapshots(t *testing.T) {
	h := newHarness(t, 1)
	l := h.log(tp0)
	mustAppend(t, l, idemBatch(t, 3, 0, 0, 2, h.clock.Ms()))
	h.reopen()
	path := filepath.Join(h.log(tp0).Dir(), segmentName(2)+snapshotSuffix)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no snapshot at the log end after a clean close: %v", err)
	}
	os.Chtimes(path, before.ModTime().Add(-time.Hour), before.ModTime().Add(-time.Hour))
	h.reopen() // idle: nothing to write
	if after, err := os.Stat(path); err != nil || !after.ModTime().Before(before.ModTime()) {
		t.Fatalf("an unchanged snapshot was rewritten (%v)", err)
	}
	l = h.log(tp0)
	mustAppend(t, l, idemBatch(t, 3, 0, 2, 1, h.clock.Ms()))
	h.reopen()
	l = h.log(tp0)
	if _, err := os.Stat(filepath.Join(l.Dir(), segmentName(3)+snapshotSuffix)); err != nil {
		t.Fatalf("no snapshot after a change: %v", err)
	}
	_, err = clientAppend(t, l, idemBatch(t, 3, 0, 2, 1, h.clock.Ms()))
	if err != nil {
		t.Fatalf("retry after restarts: %v", err)
	}
	if l.LogEndOffset() != 3 {
		t.Fatalf("retry written: log end %d", l.LogEndOffset())
	}
}
