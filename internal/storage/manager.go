package storage

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fjordlabs/fjord/internal/vfs"
)

// ManagerOptions configure a Manager. Zero values take the defaults noted.
type ManagerOptions struct {
	// Dirs are the log directories (log.dirs). Required.
	Dirs []string
	// FS is the filesystem; default vfs.Default.
	FS vfs.FS
	// RecoveryThreadsPerDir is num.recovery.threads.per.data.dir; default 2.
	RecoveryThreadsPerDir int
	// Config returns the log configuration for a topic, used for logs
	// found on disk at open. Default: DefaultConfig for every topic.
	Config func(topic string) Config
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default().
	Logger *slog.Logger
	// IndexCacheBytes bounds memory for closed segments' indexes; default
	// 64 MiB.
	IndexCacheBytes int64
	// RetentionCheckInterval is log.retention.check.interval.ms; default 5m.
	RetentionCheckInterval time.Duration
	// FlushCheckInterval is how often flush.ms is checked
	// (log.flush.scheduler.interval.ms); default 1s. Kafka's default never
	// checks, which makes flush.ms do nothing; Fjord's does.
	FlushCheckInterval time.Duration
	// CheckpointInterval is log.flush.offset.checkpoint.interval.ms (and
	// the start offset checkpoint interval); default 1m.
	CheckpointInterval time.Duration
	// BackgroundWorkers run rolled-segment flushes and deletions; default 2.
	BackgroundWorkers int
}

func (o *ManagerOptions) setDefaults() {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.RecoveryThreadsPerDir <= 0 {
		o.RecoveryThreadsPerDir = 2
	}
	if o.Config == nil {
		o.Config = func(string) Config { return DefaultConfig() }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.IndexCacheBytes <= 0 {
		o.IndexCacheBytes = 64 << 20
	}
	if o.RetentionCheckInterval <= 0 {
		o.RetentionCheckInterval = 5 * time.Minute
	}
	if o.FlushCheckInterval <= 0 {
		o.FlushCheckInterval = time.Second
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = time.Minute
	}
	if o.BackgroundWorkers <= 0 {
		o.BackgroundWorkers = 2
	}
}

// ErrDuplicateLog: the same partition was found in two log directories.
var ErrDuplicateLog = errors.New("storage: partition found in more than one log directory")

// Manager owns every partition log of a broker across its log directories:
// it opens and recovers them at start, places new ones, deletes them, and
// runs the background work (retention, flush.ms, checkpoints) on a fixed set
// of goroutines however many partitions there are.
type Manager struct {
	opts ManagerOptions
	env  *env

	mu   sync.RWMutex
	logs map[TopicPartition]*Log
	root map[*Log]string // the log directory each log lives in

	// cpMu serialises checkpoint writes.
	cpMu sync.Mutex

	// flushJobs feeds the flusher goroutines of FlushAll.
	flushJobs chan flushJob

	startMoved chan struct{}
	stop       chan struct{}
	done       chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// OpenManager opens every partition log in opts.Dirs, recovering those that
// were not shut down cleanly, and starts the background work.
func OpenManager(opts ManagerOptions) (*Manager, error) {
	if len(opts.Dirs) == 0 {
		return nil, errors.New("storage: no log directories")
	}
	opts.setDefaults()
	m := &Manager{
		opts:       opts,
		logs:       make(map[TopicPartition]*Log),
		root:       make(map[*Log]string),
		startMoved: make(chan struct{}, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	m.env = &env{
		fs:     opts.FS,
		now:    opts.Now,
		sched:  newScheduler(opts.BackgroundWorkers),
		cache:  newIndexCache(opts.IndexCacheBytes),
		logger: opts.Logger,
		logStartMoved: func() {
			select {
			case m.startMoved <- struct{}{}:
			default:
			}
		},
	}
	for _, d := range opts.Dirs {
		if err := m.openDir(d); err != nil {
			m.abort()
			return nil, err
		}
	}
	// The markers are removed only once every log is open, so a crash
	// during startup still counts as unclean next time.
	for _, d := range opts.Dirs {
		if err := opts.FS.Remove(filepath.Join(d, cleanShutdownFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			m.abort()
			return nil, err
		}
		if err := opts.FS.SyncDir(d); err != nil {
			m.abort()
			return nil, err
		}
	}
	m.flushJobs = make(chan flushJob)
	for range flushWorkers {
		go m.flusher()
	}
	go m.background()
	return m, nil
}

// flushWorkers is how many fsyncs FlushAll runs at once. fsync waits on the
// disk, not the CPU; issuing them together lets the filesystem journal
// commit them in one go (group commit across partitions).
const flushWorkers = 16

type flushJob struct {
	log    *Log
	offset int64
	err    *error
	wg     *sync.WaitGroup
}

func (m *Manager) flusher() {
	for j := range m.flushJobs {
		*j.err = j.log.flushTo(j.offset)
		j.wg.Done()
	}
}

// FlushAll makes the offsets below upTo[i] of logs[i] durable, fsyncing
// the logs concurrently, and returns each one's error.
func (m *Manager) FlushAll(logs []*Log, upTo []int64) []error {
	errs := make([]error, len(logs))
	if len(logs) == 1 {
		errs[0] = logs[0].flushTo(upTo[0])
		return errs
	}
	var wg sync.WaitGroup
	wg.Add(len(logs))
	for i, l := range logs {
		m.flushJobs <- flushJob{log: l, offset: upTo[i], err: &errs[i], wg: &wg}
	}
	wg.Wait()
	return errs
}

// abort closes what a failed open had opened, without claiming a clean
// shutdown.
func (m *Manager) abort() {
	for _, l := range m.logs {
		l.close()
	}
	m.env.sched.close()
	close(m.done)
}

func (m *Manager) openDir(dir string) error {
	fsys := m.opts.FS
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("storage: log directory %s: %w", dir, err)
	}
	_, err := fsys.Stat(filepath.Join(dir, cleanShutdownFile))
	clean := err == nil
	rps, err := readOffsetCheckpoint(fsys, filepath.Join(dir, recoveryPointCheckpointFile))
	if err != nil {
		m.opts.Logger.Warn("recovery point checkpoint unreadable; recovering every log in the directory", "dir", dir, "err", err)
		rps, clean = nil, false
	}
	starts, err := readOffsetCheckpoint(fsys, filepath.Join(dir, logStartCheckpointFile))
	if err != nil {
		m.opts.Logger.Warn("log start offset checkpoint unreadable; using each log's first segment", "dir", dir, "err", err)
		starts = nil
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return err
	}
	type job struct {
		tp   TopicPartition
		path string
	}
	var jobs []job
	for _, de := range entries {
		if !de.IsDir() {
			continue
		}
		name, path := de.Name(), filepath.Join(dir, de.Name())
		switch {
		case strings.HasSuffix(name, "-delete"):
			m.env.sched.submit(func() {
				if err := fsys.RemoveAll(path); err != nil {
					m.opts.Logger.Warn("removing a deleted partition", "dir", path, "err", err)
				}
			})
			continue
		case strings.HasSuffix(name, "-future"), strings.HasSuffix(name, "-stray"):
			m.opts.Logger.Warn("ignoring partition directory", "dir", path)
			continue
		}
		tp, ok := parseLogDirName(name)
		if !ok {
			m.opts.Logger.Warn("ignoring unexpected directory in log directory", "dir", path)
			continue
		}
		jobs = append(jobs, job{tp, path})
	}
	start := time.Now()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan job)
	)
	for range m.opts.RecoveryThreadsPerDir {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				st := openState{recoveryPoint: -1, logStart: -1, clean: clean}
				if o, ok := rps[j.tp]; ok {
					st.recoveryPoint = o
				}
				if o, ok := starts[j.tp]; ok {
					st.logStart = o
				}
				l, err := openLog(m.env, j.path, j.tp, m.opts.Config(j.tp.Topic), st)
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
					}
				case m.logs[j.tp] != nil:
					l.close()
					if firstErr == nil {
						firstErr = fmt.Errorf("%w: %s in %s and %s", ErrDuplicateLog, j.tp, m.root[m.logs[j.tp]], dir)
					}
				default:
					m.logs[j.tp] = l
					m.root[l] = dir
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		m.opts.Logger.Info("opened log directory", "dir", dir, "partitions", len(jobs), "clean_shutdown", clean, "took", time.Since(start))
	}
	return firstErr
}

// Get returns the log of a partition, if this broker has it.
func (m *Manager) Get(tp TopicPartition) (*Log, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	l, ok := m.logs[tp]
	return l, ok
}

// Logs returns every log.
func (m *Manager) Logs() []*Log {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Log, 0, len(m.logs))
	for _, l := range m.logs {
		out = append(out, l)
	}
	return out
}

// GetOrCreate returns the partition's log, creating it empty in the log
// directory holding the fewest partitions if it does not exist.
func (m *Manager) GetOrCreate(tp TopicPartition, cfg Config) (*Log, error) {
	return m.GetOrCreateIn(tp, cfg, "")
}

// GetOrCreateIn is GetOrCreate with the directory for a new log chosen by
// the caller (one of the manager's directories; "" picks as GetOrCreate
// does). An existing log is returned wherever it is.
func (m *Manager) GetOrCreateIn(tp TopicPartition, cfg Config, dir string) (*Log, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.logs[tp]; ok {
		return l, nil
	}
	if dir == "" {
		count := make(map[string]int, len(m.opts.Dirs))
		for _, d := range m.root {
			count[d]++
		}
		dir = m.opts.Dirs[0]
		for _, d := range m.opts.Dirs[1:] {
			if count[d] < count[dir] {
				dir = d
			}
		}
	} else if !slices.Contains(m.opts.Dirs, dir) {
		return nil, fmt.Errorf("storage: %s is not a log directory of this manager", dir)
	}
	l, err := openLog(m.env, filepath.Join(dir, tp.String()), tp, cfg, openState{recoveryPoint: -1, logStart: -1})
	if err != nil {
		return nil, err
	}
	if err := m.opts.FS.SyncDir(dir); err != nil {
		l.close()
		return nil, err
	}
	m.logs[tp] = l
	m.root[l] = dir
	return l, nil
}

// Delete removes a partition's log (topic deletion): the log is closed, its
// directory renamed "<topic>-<partition>.<id>-delete" at once and removed
// in the background. Readers still holding its segments finish first.
func (m *Manager) Delete(tp TopicPartition) error {
	m.mu.Lock()
	l, ok := m.logs[tp]
	if !ok {
		m.mu.Unlock()
		return nil
	}
	dir := m.root[l]
	delete(m.logs, tp)
	delete(m.root, l)
	m.mu.Unlock()

	// Taking flushMu waits for a flush in progress (a rolled segment's,
	// in the background): once the directory is renamed, a late flush
	// would write index files into whatever is created under the old name.
	// Later flushes see the log closed.
	l.mu.Lock()
	l.flushMu.Lock()
	l.closed.Store(true)
	segs := l.segments()
	l.flushMu.Unlock()
	for _, s := range segs {
		m.env.cache.remove(s)
		s.release()
	}
	l.releasePendingLocked()
	l.mu.Unlock()

	var id [16]byte
	rand.Read(id[:])
	gone := filepath.Join(dir, tp.String()+"."+hex.EncodeToString(id[:])+"-delete")
	if err := m.opts.FS.Rename(l.dir, gone); err != nil {
		return fmt.Errorf("storage: delete %s: %w", tp, err)
	}
	if err := m.opts.FS.SyncDir(dir); err != nil {
		return err
	}
	delay := time.Duration(l.cfg.Load().FileDeleteDelayMs) * time.Millisecond
	m.env.sched.after(delay, func() {
		if err := m.opts.FS.RemoveAll(gone); err != nil {
			m.opts.Logger.Warn("removing a deleted partition", "dir", gone, "err", err)
		}
	})
	m.writeCheckpoints()
	return nil
}

// background runs the periodic work until Close.
func (m *Manager) background() {
	defer close(m.done)
	retention := time.NewTicker(m.opts.RetentionCheckInterval)
	flush := time.NewTicker(m.opts.FlushCheckInterval)
	checkpoint := time.NewTicker(m.opts.CheckpointInterval)
	defer retention.Stop()
	defer flush.Stop()
	defer checkpoint.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-retention.C:
			m.EnforceRetention()
		case <-flush.C:
			m.flushDue()
		case <-checkpoint.C:
			m.writeCheckpoints()
		case <-m.startMoved:
			m.writeCheckpoints()
		}
	}
}

// EnforceRetention runs one retention pass over every log, returning how
// many segments it deleted.
func (m *Manager) EnforceRetention() int {
	n := 0
	for _, l := range m.Logs() {
		n += l.EnforceRetention()
	}
	return n
}

// flushDue flushes the logs whose flush.ms has passed since their last
// flush.
func (m *Manager) flushDue() {
	now := m.opts.Now().UnixMilli()
	for _, l := range m.Logs() {
		cfg := l.cfg.Load()
		if cfg.FlushMs == math.MaxInt64 || l.leo.Load() <= l.recoveryPoint.Load() {
			continue
		}
		if now-l.lastFlushMs.Load() >= cfg.FlushMs {
			if err := l.Flush(); err != nil && !errors.Is(err, ErrClosed) {
				m.opts.Logger.Warn("flush.ms flush failed", "dir", l.dir, "err", err)
			}
		}
	}
}

// Checkpoint writes the recovery point and log start offset checkpoints of
// every log directory now.
func (m *Manager) Checkpoint() error { return m.writeCheckpoints() }

func (m *Manager) writeCheckpoints() error {
	m.cpMu.Lock()
	defer m.cpMu.Unlock()
	m.mu.RLock()
	rps := make(map[string]map[TopicPartition]int64, len(m.opts.Dirs))
	starts := make(map[string]map[TopicPartition]int64, len(m.opts.Dirs))
	for _, d := range m.opts.Dirs {
		rps[d] = map[TopicPartition]int64{}
		starts[d] = map[TopicPartition]int64{}
	}
	for tp, l := range m.logs {
		d := m.root[l]
		rps[d][tp] = l.recoveryPoint.Load()
		starts[d][tp] = l.logStart.Load()
	}
	m.mu.RUnlock()
	var firstErr error
	for _, d := range m.opts.Dirs {
		if err := writeOffsetCheckpoint(m.opts.FS, filepath.Join(d, recoveryPointCheckpointFile), rps[d]); err != nil && firstErr == nil {
			firstErr = err
		}
		if err := writeOffsetCheckpoint(m.opts.FS, filepath.Join(d, logStartCheckpointFile), starts[d]); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		m.opts.Logger.Warn("writing checkpoints", "err", firstErr)
	}
	return firstErr
}

// Close stops the background work, flushes and closes every log, writes the
// checkpoints and, if all of that succeeded, the clean shutdown markers
// that let the next start skip recovery.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		close(m.stop)
		<-m.done
		close(m.flushJobs)
		m.env.sched.close()
		var firstErr error
		for _, l := range m.Logs() {
			if err := l.close(); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		if err := m.writeCheckpoints(); err != nil && firstErr == nil {
			firstErr = err
		}
		if firstErr == nil {
			marker, _ := json.Marshal(map[string]int{"version": 0})
			for _, d := range m.opts.Dirs {
				if err := vfs.WriteFileAtomic(m.opts.FS, filepath.Join(d, cleanShutdownFile), marker); err != nil && firstErr == nil {
					firstErr = err
				}
			}
		}
		m.closeErr = firstErr
	})
	return m.closeErr
}

// DirInfo describes a log directory for DescribeLogDirs.
type DirInfo struct {
	Path        string
	TotalBytes  int64 // -1 when unknown
	UsableBytes int64
	Logs        []*Log
}

// Dirs describes each log directory and the logs in it.
func (m *Manager) Dirs() []DirInfo {
	m.mu.RLock()
	byDir := map[string][]*Log{}
	for l, d := range m.root {
		byDir[d] = append(byDir[d], l)
	}
	m.mu.RUnlock()
	out := make([]DirInfo, 0, len(m.opts.Dirs))
	for _, d := range m.opts.Dirs {
		info := DirInfo{Path: d, TotalBytes: -1, UsableBytes: -1, Logs: byDir[d]}
		var st syscall.Statfs_t
		if err := syscall.Statfs(d, &st); err == nil {
			info.TotalBytes = int64(st.Blocks) * st.Bsize
			info.UsableBytes = int64(st.Bavail) * st.Bsize
		}
		sort.Slice(info.Logs, func(i, j int) bool {
			a, b := info.Logs[i].tp, info.Logs[j].tp
			return a.Topic < b.Topic || (a.Topic == b.Topic && a.Partition < b.Partition)
		})
		out = append(out, info)
	}
	return out
}
