package metadata

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/storage"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// LogTopic is the metadata log's partition, as in Kafka.
var LogTopic = storage.TopicPartition{Topic: "__cluster_metadata", Partition: 0}

// Publisher is told of every change, in log order, after it is committed.
// It runs on the appending goroutine: a request that changed metadata is
// answered only once every publisher has seen the change.
type Publisher func(d *Delta, im *Image)

// LocalOptions configure a single-node metadata log.
type LocalOptions struct {
	FS     vfs.FS
	Logger *slog.Logger
	Now    func() time.Time
	// SnapshotBytes is how many bytes of records between snapshots
	// (metadata.log.max.record.bytes.between.snapshots); default 20 MiB.
	SnapshotBytes int64
}

// Local is the metadata log of a single node: a local partition log, made
// durable on every append, with periodic snapshots. Appends are serialised;
// readers use Image, which never blocks.
type Local struct {
	opts LocalOptions
	log  *storage.Log

	mu         sync.Mutex // serialises Append, snapshots and publishing
	publishers []Publisher
	sinceSnap  int64

	image atomic.Pointer[Image]
}

// ErrSnapshotGap: the log was trimmed past every usable snapshot, so the
// metadata cannot be rebuilt.
var ErrSnapshotGap = errors.New("metadata: log trimmed beyond the available snapshots")

// OpenLocal loads the metadata from the newest usable snapshot and the log
// after it.
func OpenLocal(log *storage.Log, opts LocalOptions) (*Local, error) {
	if opts.FS == nil {
		opts.FS = vfs.Default
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SnapshotBytes <= 0 {
		opts.SnapshotBytes = 20 << 20
	}
	l := &Local{opts: opts, log: log}
	im, from, err := l.loadSnapshot()
	if err != nil {
		return nil, err
	}
	if from < log.LogStartOffset() {
		return nil, fmt.Errorf("%w: snapshot ends at %d, log starts at %d", ErrSnapshotGap, from, log.LogStartOffset())
	}
	log.SetHighWatermark(log.LogEndOffset())
	d := NewDelta(im)
	n := 0
	if err := readRecords(log, from, func(off int64, r Record) error {
		n++
		return d.Replay(off, r)
	}); err != nil {
		return nil, fmt.Errorf("metadata: replay from %d: %w", from, err)
	}
	l.image.Store(d.Apply())
	opts.Logger.Info("metadata loaded", "snapshot_end", from, "replayed", n, "offset", l.Image().Offset(),
		"topics", l.Image().NumTopics())
	return l, nil
}

// Image is the latest committed metadata.
func (l *Local) Image() *Image { return l.image.Load() }

// Subscribe adds a publisher and immediately gives it the whole current
// image as a delta from the empty image, so it can build its state.
func (l *Local) Subscribe(p Publisher) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	im := l.Image()
	d := NewDelta(Empty)
	for _, r := range im.Records() {
		if err := d.Replay(im.Offset(), r); err != nil {
			return err
		}
	}
	p(d, im)
	l.publishers = append(l.publishers, p)
	return nil
}

// Append commits records as one atomic batch: it checks they apply to the
// current image, writes and fsyncs them, applies them and tells every
// publisher, then returns the new image.
func (l *Local) Append(records []Record) (*Image, error) {
	if len(records) == 0 {
		return l.Image(), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	base := l.Image()
	next := l.log.LogEndOffset()
	d := NewDelta(base)
	for i, r := range records {
		if err := d.Replay(next+int64(i), r); err != nil {
			return nil, err // refused before anything is written
		}
	}
	batch, err := encodeBatch(records, l.opts.Now().UnixMilli())
	if err != nil {
		return nil, err
	}
	res, err := l.log.Append(batch, storage.AppendOptions{Origin: storage.OriginInternal, LeaderEpoch: max(l.log.LatestEpoch(), 0)})
	if err != nil {
		return nil, fmt.Errorf("metadata: append: %w", err)
	}
	if res.FirstOffset != next {
		return nil, fmt.Errorf("metadata: append landed at %d, expected %d", res.FirstOffset, next)
	}
	if err := l.log.Flush(); err != nil {
		return nil, fmt.Errorf("metadata: flush: %w", err)
	}
	l.log.SetHighWatermark(l.log.LogEndOffset())
	im := d.Apply()
	l.image.Store(im)
	for _, p := range l.publishers {
		p(d, im)
	}
	l.sinceSnap += int64(len(batch))
	if l.sinceSnap >= l.opts.SnapshotBytes {
		if err := l.snapshotLocked(); err != nil {
			l.opts.Logger.Warn("metadata snapshot failed", "err", err)
		}
	}
	return im, nil
}

// Snapshot writes a snapshot of the current image now.
func (l *Local) Snapshot() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snapshotLocked()
}

func encodeBatch(records []Record, now int64) ([]byte, error) {
	b := record.NewBuilder(record.BuilderOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1})
	for _, r := range records {
		k, v, err := Encode(r)
		if err != nil {
			return nil, err
		}
		b.Add(now, k, v)
	}
	return b.Build(nil)
}

// readRecords calls fn for each record of log at or after from.
func readRecords(log *storage.Log, from int64, fn func(off int64, r Record) error) error {
	var it record.Records
	defer it.Release()
	var buf []byte
	for off := from; off < log.LogEndOffset(); {
		sl, err := log.Read(off, storage.ReadOptions{MaxBytes: 1 << 20, MinOneBatch: true})
		if err != nil {
			return err
		}
		buf, err = sl.AppendTo(buf[:0])
		sl.Release()
		if err != nil {
			return err
		}
		if len(buf) == 0 {
			return fmt.Errorf("metadata: no data at offset %d below the log end %d", off, log.LogEndOffset())
		}
		sc := record.NewScanner(buf, 0)
		for sc.Next() {
			if err := it.Reset(sc.Batch(), 0); err != nil {
				return err
			}
			for it.Next() {
				rec := it.Record()
				if rec.Offset < off {
					continue
				}
				r, err := Decode(rec.Key, rec.Value)
				if err != nil {
					return fmt.Errorf("offset %d: %w", rec.Offset, err)
				}
				if err := fn(rec.Offset, r); err != nil {
					return fmt.Errorf("offset %d: %w", rec.Offset, err)
				}
			}
			if err := it.Err(); err != nil {
				return err
			}
			off = sc.Header().NextOffset()
		}
		if err := sc.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Snapshot files.

const snapshotSuffix = ".checkpoint"

type snapshotFile struct {
	end   int64 // the offset after the last record it covers
	epoch int32
	path  string
}

func (l *Local) snapshots() ([]snapshotFile, error) {
	entries, err := l.opts.FS.ReadDir(l.log.Dir())
	if err != nil {
		return nil, err
	}
	var out []snapshotFile
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, snapshotSuffix) || strings.HasPrefix(name, "leader-epoch") {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(name, snapshotSuffix), "-")
		if len(parts) != 2 {
			continue
		}
		end, err1 := strconv.ParseInt(parts[0], 10, 64)
		epoch, err2 := strconv.ParseInt(parts[1], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, snapshotFile{end, int32(epoch), filepath.Join(l.log.Dir(), name)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].end > out[j].end }) // newest first
	return out, nil
}

// loadSnapshot reads the newest snapshot that reads whole, returning its
// image and end offset (Empty and 0 when there is none).
func (l *Local) loadSnapshot() (*Image, int64, error) {
	snaps, err := l.snapshots()
	if err != nil {
		return nil, 0, err
	}
	for _, s := range snaps {
		im, err := l.readSnapshot(s)
		if err != nil {
			l.opts.Logger.Warn("skipping unreadable metadata snapshot", "file", s.path, "err", err)
			continue
		}
		return im, s.end, nil
	}
	// Without a snapshot the log must hold everything from offset 0.
	return Empty, 0, nil
}

func (l *Local) readSnapshot(s snapshotFile) (*Image, error) {
	data, err := vfs.ReadFile(l.opts.FS, s.path)
	if err != nil {
		return nil, err
	}
	d := NewDelta(Empty)
	var it record.Records
	defer it.Release()
	sc := record.NewScanner(data, 0)
	for sc.Next() {
		if err := it.Reset(sc.Batch(), 0); err != nil {
			return nil, err
		}
		for it.Next() {
			r, err := Decode(it.Record().Key, it.Record().Value)
			if err != nil {
				return nil, err
			}
			if err := d.Replay(s.end-1, r); err != nil {
				return nil, err
			}
		}
		if err := it.Err(); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	im := d.Apply()
	im.offset = s.end - 1
	return im, nil
}

// snapshotLocked writes the current image as a snapshot, then trims the
// log below the previous snapshot and removes older snapshot files.
func (l *Local) snapshotLocked() error {
	im := l.Image()
	end := im.Offset() + 1
	epoch := max(l.log.LatestEpoch(), 0)
	var data []byte
	recs := im.Records()
	for len(recs) > 0 {
		n := min(len(recs), 1000)
		b, err := encodeBatch(recs[:n], l.opts.Now().UnixMilli())
		if err != nil {
			return err
		}
		data = append(data, b...)
		recs = recs[n:]
	}
	path := filepath.Join(l.log.Dir(), fmt.Sprintf("%020d-%010d%s", end, epoch, snapshotSuffix))
	if err := vfs.WriteFileAtomic(l.opts.FS, path, data); err != nil {
		return err
	}
	l.sinceSnap = 0
	snaps, err := l.snapshots()
	if err != nil || len(snaps) < 2 {
		return err
	}
	// Keep two snapshots; the log must reach back to the older one.
	keep := snaps[1]
	for _, s := range snaps[2:] {
		if err := l.opts.FS.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if keep.end > l.log.LogStartOffset() {
		if _, err := l.log.DeleteRecordsBefore(keep.end); err != nil {
			return err
		}
	}
	return nil
}
