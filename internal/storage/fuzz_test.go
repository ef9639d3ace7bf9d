package storage

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// Fuzz targets for the decoders of what storage reads back from disk: index
// files and segment files after a crash. Run one with
//
//	go test -fuzz=FuzzSegmentRecovery -fuzztime=30s ./internal/storage

func offsetIndexOf(entries ...[2]int32) []byte {
	var b []byte
	for _, e := range entries {
		b = appendOffsetEntry(b, e[0], e[1])
	}
	return b
}

func timeIndexOf(entries ...[2]int64) []byte {
	var b []byte
	for _, e := range entries {
		b = appendTimeEntry(b, e[0], int32(e[1]))
	}
	return b
}

// FuzzOffsetIndex feeds arbitrary bytes to the offset index check and
// lookups. They must never panic; on an index that passes the check they
// must agree with a linear search and be monotonic.
func FuzzOffsetIndex(f *testing.F) {
	f.Add([]byte{}, int64(100), int32(0), int64(0), int64(10))
	f.Add(offsetIndexOf([2]int32{3, 0}, [2]int32{9, 100}, [2]int32{20, 250}), int64(300), int32(10), int64(120), int64(21))
	f.Add(offsetIndexOf([2]int32{3, 0}, [2]int32{3, 100}), int64(300), int32(3), int64(100), int64(5))
	f.Add(offsetIndexOf([2]int32{-1, 0}, [2]int32{math.MaxInt32, math.MaxInt32}), int64(math.MaxInt64), int32(-1), int64(-1), int64(-1))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 2, 0}, int64(3), int32(1), int64(2), int64(2))
	f.Fuzz(func(t *testing.T, b []byte, logSize int64, rel int32, pos int64, relLimit int64) {
		err := checkOffsetIndex(b, logSize)
		got := floorOffset(b, rel)
		gotPos := floorPosition(b, pos, relLimit)
		if err != nil {
			return
		}
		n := len(b) / offsetEntrySize
		// Linear searches, the definition of both lookups.
		wantFloor := func(r int32) int64 {
			p := int64(0)
			for i := range n {
				if er, ep := offsetEntryAt(b, i); er <= r {
					p = int64(ep)
				}
			}
			return p
		}
		wantPos := func(p, lim int64) int64 {
			out := int64(-1)
			for i := range n {
				if er, ep := offsetEntryAt(b, i); int64(ep) <= p && int64(er) < lim {
					out = int64(ep)
				}
			}
			return out
		}
		if want := wantFloor(rel); got != want {
			t.Fatalf("floorOffset(%d) = %d, want %d", rel, got, want)
		}
		if want := wantPos(pos, relLimit); gotPos != want {
			t.Fatalf("floorPosition(%d, %d) = %d, want %d", pos, relLimit, gotPos, want)
		}
		if got >= logSize && n > 0 {
			t.Fatalf("floorOffset points at %d, past the log's %d bytes", got, logSize)
		}
		prev, prevPos := int64(-1), int64(-2)
		for i := range n {
			er, ep := offsetEntryAt(b, i)
			// An entry's own offset finds it; lookups only move forward.
			if p := floorOffset(b, er); p != int64(ep) || p < prev {
				t.Fatalf("floorOffset(%d) = %d at entry %d (%d, %d), previous %d", er, p, i, er, ep, prev)
			}
			if p := floorPosition(b, int64(ep), math.MaxInt64); p != int64(ep) || p < prevPos {
				t.Fatalf("floorPosition(%d) = %d at entry %d", ep, p, i)
			}
			prev, prevPos = int64(ep), int64(ep)
		}
	})
}

// FuzzTimeIndex does the same for the time index.
func FuzzTimeIndex(f *testing.F) {
	f.Add([]byte{}, int64(100), int64(0))
	f.Add(timeIndexOf([2]int64{100, 0}, [2]int64{200, 5}, [2]int64{300, 5}), int64(10), int64(250))
	f.Add(timeIndexOf([2]int64{100, 0}, [2]int64{100, 5}), int64(10), int64(100))
	f.Add(timeIndexOf([2]int64{math.MinInt64, 0}, [2]int64{math.MaxInt64, math.MaxInt32}), int64(math.MaxInt32), int64(math.MaxInt64))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 7}, int64(0), int64(1))
	f.Fuzz(func(t *testing.T, b []byte, maxRel int64, ts int64) {
		err := checkTimeIndex(b, maxRel)
		got := floorTime(b, ts)
		lastTS, lastRel, ok := lastTimeEntry(b)
		n := len(b) / timeEntrySize
		if ok != (n > 0) {
			t.Fatalf("lastTimeEntry found=%v for %d entries", ok, n)
		}
		if err != nil {
			return
		}
		want := int32(0)
		for i := range n {
			if et, er := timeEntryAt(b, i); et <= ts {
				want = er
			}
		}
		if got != want {
			t.Fatalf("floorTime(%d) = %d, want %d", ts, got, want)
		}
		if n > 0 {
			if et, er := timeEntryAt(b, n-1); et != lastTS || er != lastRel {
				t.Fatalf("lastTimeEntry (%d, %d), last entry (%d, %d)", lastTS, lastRel, et, er)
			}
		}
		prevTS, prevRel := int64(math.MinInt64), int32(-1)
		for i := range n {
			et, er := timeEntryAt(b, i)
			if i > 0 && et <= prevTS {
				t.Fatalf("check passed with timestamps %d then %d", prevTS, et)
			}
			if r := floorTime(b, et); r != er || r < prevRel || int64(r) > maxRel {
				t.Fatalf("floorTime(%d) = %d at entry %d (%d, %d)", et, r, i, et, er)
			}
			prevTS, prevRel = et, er
		}
	})
}

// noSyncFS skips fsyncs: the fuzz target reopens a log thousands of times
// and durability is not what it checks.
type noSyncFS struct{ vfs.FS }

type noSyncFile struct{ vfs.File }

func (noSyncFile) Sync() error { return nil }

func (f noSyncFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	file, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return noSyncFile{file}, nil
}

func (noSyncFS) SyncDir(string) error { return nil }

// FuzzSegmentRecovery appends arbitrary bytes to a segment holding a few
// valid batches and recovers it as after a crash: the open must succeed
// (damage is cut off, never fatal), the valid prefix must survive, and every
// batch served must pass its checks.
func FuzzSegmentRecovery(f *testing.F) {
	// The pristine directory: a few batches in two epochs, one compressed.
	src := newHarness(f, 1)
	l := src.log(tp0)
	for i, codec := range []record.Codec{record.CodecNone, record.CodecZstd, record.CodecNone} {
		if _, err := l.Append(makeBatch(f, l.LogEndOffset(), 2, 20, src.clock.Ms(), codec), AppendOptions{Origin: OriginClient, LeaderEpoch: int32(i / 2)}); err != nil {
			f.Fatal(err)
		}
	}
	prefixEnd := l.LogEndOffset()
	segName := segmentName(0) + logSuffix
	src.crash()
	segDir := filepath.Join(src.dirs[0], tp0.String())
	prefix, err := os.ReadFile(filepath.Join(segDir, segName))
	if err != nil {
		f.Fatal(err)
	}
	epochs, err := os.ReadFile(filepath.Join(segDir, leaderEpochCheckpointFile))
	if err != nil {
		f.Fatal(err)
	}

	next := func(epoch int32, codec record.Codec) []byte {
		b := makeBatch(f, prefixEnd, 2, 20, src.clock.Ms(), codec)
		record.SetBaseOffset(b, prefixEnd)
		record.SetPartitionLeaderEpoch(b, epoch)
		return b
	}
	good := next(1, record.CodecNone)
	f.Add(good)                                   // a valid batch: kept
	f.Add(good[:len(good)-1])                     // torn
	f.Add(next(0, record.CodecNone))              // an epoch going back
	f.Add(next(5, record.CodecSnappy))            // an epoch the checkpoint does not know
	f.Add(append(bytes.Clone(good), good...))     // the same offsets twice
	f.Add(make([]byte, 70))                       // zeroes
	f.Add(binary.BigEndian.AppendUint64(nil, 42)) // shorter than a header
	f.Add(append(prefix[:61:61], 0xff))           // a header copied from the prefix

	f.Fuzz(func(t *testing.T, tail []byte) {
		h := newHarness(t, 1, func(h *harness) {
			h.fs = noSyncFS{vfs.Default}
			dir := filepath.Join(h.dirs[0], tp0.String())
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, segName), append(bytes.Clone(prefix), tail...), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, leaderEpochCheckpointFile), epochs, 0o644); err != nil {
				t.Fatal(err)
			}
		})
		l, ok := h.m.Get(tp0)
		if !ok {
			t.Fatal("log not found after recovery")
		}
		leo := l.LogEndOffset()
		if leo < prefixEnd {
			t.Fatalf("recovery lost the valid prefix: end %d, want at least %d", leo, prefixEnd)
		}
		if l.Size() < int64(len(prefix)) || l.Size() > int64(len(prefix)+len(tail)) {
			t.Fatalf("recovered %d bytes from a prefix of %d and a tail of %d", l.Size(), len(prefix), len(tail))
		}
		// Every batch served passes its checks, offsets follow on, and
		// the prefix comes back byte for byte.
		var served []byte
		for off := int64(0); off < leo; {
			sl, err := l.Read(off, ReadOptions{MaxBytes: 1 << 20, MinOneBatch: true})
			if err != nil {
				t.Fatalf("read at %d: %v", off, err)
			}
			buf, err := sl.AppendTo(nil)
			sl.Release()
			if err != nil || len(buf) == 0 {
				t.Fatalf("read at %d: %d bytes, %v", off, len(buf), err)
			}
			sc := record.NewScanner(buf, 0)
			for sc.Next() {
				if sc.Header().BaseOffset != off {
					t.Fatalf("batch at %d where %d was expected", sc.Header().BaseOffset, off)
				}
				off = sc.Header().NextOffset()
			}
			if sc.Err() != nil {
				t.Fatalf("served a bad batch: %v", sc.Err())
			}
			served = append(served, buf...)
		}
		if !bytes.HasPrefix(served, prefix) {
			t.Fatal("the valid prefix changed")
		}
		// The recovered log takes appends at its end.
		res, err := l.Append(makeBatch(t, leo, 1, 20, h.clock.Ms(), record.CodecNone), AppendOptions{Origin: OriginClient, LeaderEpoch: max(l.LatestEpoch(), 0)})
		if err != nil || res.FirstOffset != leo {
			t.Fatalf("append after recovery: offset %d, %v; want %d", res.FirstOffset, err, leo)
		}
	})
}
