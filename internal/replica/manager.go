package replica

import (
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/storage"
)

// Options configure a Manager.
type Options struct {
	NodeID int32
	Logs   *storage.Manager
	// Config returns the broker's current configuration (static plus the
	// dynamic layers from the metadata log).
	Config func() *config.Broker
	Logger *slog.Logger
	// Internal reports partitions the manager must never treat as strays
	// (the metadata log).
	Internal func(storage.TopicPartition) bool
}

// Manager is the set of partitions this broker hosts.
type Manager struct {
	opts Options

	mu    sync.Mutex // serialises metadata application
	parts atomic.Pointer[map[storage.TopicPartition]*Partition]
	first bool
}

// NewManager returns an empty manager; it fills as metadata is published.
func NewManager(opts Options) *Manager {
	m := &Manager{opts: opts, first: true}
	empty := map[storage.TopicPartition]*Partition{}
	m.parts.Store(&empty)
	return m
}

// Partition finds a hosted partition. It takes no lock.
func (m *Manager) Partition(tp storage.TopicPartition) (*Partition, bool) {
	p, ok := (*m.parts.Load())[tp]
	return p, ok
}

// Partitions returns every hosted partition.
func (m *Manager) Partitions() []*Partition {
	ps := *m.parts.Load()
	out := make([]*Partition, 0, len(ps))
	for _, p := range ps {
		out = append(out, p)
	}
	return out
}

// CompleteAppends makes deferred flushes (AppendOptions.DeferFlush) of
// several partitions durable together, then advances their high
// watermarks. errs[i] is non-nil when parts[i]'s flush failed: its records
// are written but not durable and must not be acknowledged.
func (m *Manager) CompleteAppends(parts []*Partition, results []storage.AppendResult) []error {
	logs := make([]*storage.Log, len(parts))
	upTo := make([]int64, len(parts))
	for i, p := range parts {
		logs[i], upTo[i] = p.Log, results[i].LastOffset+1
	}
	errs := m.opts.Logs.FlushAll(logs, upTo)
	for i, p := range parts {
		if errs[i] == nil {
			p.maybeAdvanceHighWatermark()
		}
	}
	return errs
}

// StorageConfig turns a resolved topic configuration, and the broker
// configuration's few per-log settings, into the log's.
func StorageConfig(tc config.TopicConfig, b *config.Broker) storage.Config {
	c := storage.DefaultConfig()
	c.ProducerIDExpirationMs = int64(b.Int("producer.id.expiration.ms"))
	c.SegmentBytes = int64(tc.SegmentBytes)
	c.SegmentMs = tc.SegmentMs
	c.SegmentJitterMs = tc.SegmentJitterMs
	c.SegmentIndexBytes = int64(tc.SegmentIndexBytes)
	c.IndexIntervalBytes = int64(tc.IndexIntervalBytes)
	c.RetentionMs = tc.RetentionMs
	c.RetentionBytes = tc.RetentionBytes
	c.FlushMessages = tc.FlushMessages
	c.FlushMs = tc.FlushMs
	c.FileDeleteDelayMs = tc.FileDeleteDelayMs
	c.MaxMessageBytes = int64(tc.MaxMessageBytes)
	c.LogAppendTime = tc.MessageTimestampType == config.LogAppendTime
	c.TimestampBeforeMaxMs = tc.MessageTimestampBeforeMaxMs
	c.TimestampAfterMaxMs = tc.MessageTimestampAfterMaxMs
	c.Delete = tc.CleanupPolicy.Delete
	c.Compact = tc.CleanupPolicy.Compact
	switch tc.CompressionType {
	case config.CompressionProducer:
		c.Compression = storage.CompressionProducer
	case "uncompressed":
		c.Compression = storage.Compression{Codec: record.CodecNone}
	case "gzip":
		c.Compression = storage.Compression{Codec: record.CodecGzip}
	case "snappy":
		c.Compression = storage.Compression{Codec: record.CodecSnappy}
	case "lz4":
		c.Compression = storage.Compression{Codec: record.CodecLZ4}
	case "zstd":
		c.Compression = storage.Compression{Codec: record.CodecZstd}
	}
	return c
}

// topicConfig resolves a topic's effective configuration. Overrides in the
// image were validated when they were set; should one not resolve (a broker
// downgrade), the broker's defaults apply and the problem is logged.
func (m *Manager) topicConfig(im *metadata.Image, topic string) config.TopicConfig {
	b := m.opts.Config()
	tc, err := b.ResolveTopic(im.TopicConfigs(topic))
	if err != nil {
		m.opts.Logger.Error("topic config does not resolve; using broker defaults", "topic", topic, "err", err)
		return b.TopicDefaults()
	}
	return tc
}

// OnMetadata applies a metadata change: it is a metadata.Publisher.
func (m *Manager) OnMetadata(d *metadata.Delta, im *metadata.Image) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := maps.Clone(*m.parts.Load())
	changed := false

	for _, t := range d.RemovedTopics() {
		for _, pi := range t.Partitions {
			tp := storage.TopicPartition{Topic: t.Name, Partition: pi.ID}
			if p, ok := next[tp]; ok && p.TopicID == t.ID {
				m.dropLocked(next, p)
				changed = true
			}
		}
	}
	for t, ids := range d.ChangedPartitions() {
		tc := m.topicConfig(im, t.Name)
		for _, id := range ids {
			pi := t.Partitions[id]
			tp := storage.TopicPartition{Topic: t.Name, Partition: id}
			p, ok := next[tp]
			if ok && p.TopicID != t.ID {
				m.dropLocked(next, p) // a recreated topic: the old log goes
				ok = false
			}
			if !hosts(pi, m.opts.NodeID) {
				if ok {
					m.dropLocked(next, p)
				}
				changed = true
				continue
			}
			if !ok {
				var err error
				if p, err = m.openLocked(tp, t.ID, tc); err != nil {
					m.opts.Logger.Error("creating a partition log", "partition", tp, "err", err)
					continue
				}
				next[tp] = p
			}
			p.replicas.Store(&pi.Replicas)
			p.isr.Store(&pi.ISR)
			p.leader.Store(pi.Leader)
			p.leaderEpoch.Store(pi.LeaderEpoch)
			p.minISR.Store(tc.MinInsyncReplicas)
			p.maybeAdvanceHighWatermark()
			changed = true
		}
	}
	for _, res := range d.ChangedConfigs() {
		switch res.Type {
		case metadata.ResourceTopic:
			m.applyConfigLocked(next, im, func(p *Partition) bool { return p.TP.Topic == res.Name })
		case metadata.ResourceBroker:
			m.applyConfigLocked(next, im, func(*Partition) bool { return true })
		}
	}
	if changed {
		m.parts.Store(&next)
	}
	if m.first {
		m.first = false
		m.removeStraysLocked(im)
	}
}

func hosts(p *metadata.Partition, node int32) bool {
	for _, r := range p.Replicas {
		if r == node {
			return true
		}
	}
	return false
}

func (m *Manager) openLocked(tp storage.TopicPartition, id metadata.UUID, tc config.TopicConfig) (*Partition, error) {
	l, err := m.opts.Logs.GetOrCreate(tp, StorageConfig(tc, m.opts.Config()))
	if err != nil {
		return nil, err
	}
	l.SetConfig(StorageConfig(tc, m.opts.Config()))
	if cur, ok, err := l.TopicID(); err != nil || !ok || cur != id {
		if ok && cur != id {
			// A directory of an older topic with the same name.
			m.opts.Logger.Warn("replacing the log of a deleted topic", "partition", tp)
			if err := m.opts.Logs.Delete(tp); err != nil {
				return nil, err
			}
			if l, err = m.opts.Logs.GetOrCreate(tp, StorageConfig(tc, m.opts.Config())); err != nil {
				return nil, err
			}
		}
		if err := l.SetTopicID(id); err != nil {
			return nil, err
		}
	}
	p := &Partition{TP: tp, TopicID: id, Log: l, nodeID: m.opts.NodeID}
	none := []int32{}
	p.isr.Store(&none)
	p.replicas.Store(&none)
	p.leader.Store(-1)
	return p, nil
}

// dropLocked removes a partition and deletes its log.
func (m *Manager) dropLocked(next map[storage.TopicPartition]*Partition, p *Partition) {
	delete(next, p.TP)
	p.deleted.Store(true)
	p.wakeAll()
	if err := m.opts.Logs.Delete(p.TP); err != nil {
		m.opts.Logger.Error("deleting a partition log", "partition", p.TP, "err", err)
	}
}

func (m *Manager) applyConfigLocked(next map[storage.TopicPartition]*Partition, im *metadata.Image, match func(*Partition) bool) {
	cache := map[string]config.TopicConfig{}
	for _, p := range next {
		if !match(p) {
			continue
		}
		tc, ok := cache[p.TP.Topic]
		if !ok {
			tc = m.topicConfig(im, p.TP.Topic)
			cache[p.TP.Topic] = tc
		}
		p.Log.SetConfig(StorageConfig(tc, m.opts.Config()))
		p.minISR.Store(tc.MinInsyncReplicas)
	}
}

// removeStraysLocked deletes logs on disk that the metadata does not
// assign to this broker: partitions of topics deleted while it was down.
func (m *Manager) removeStraysLocked(im *metadata.Image) {
	parts := *m.parts.Load()
	for _, l := range m.opts.Logs.Logs() {
		tp := l.TopicPartition()
		if _, ok := parts[tp]; ok || (m.opts.Internal != nil && m.opts.Internal(tp)) {
			continue
		}
		m.opts.Logger.Warn("deleting a log no topic owns", "partition", tp)
		if err := m.opts.Logs.Delete(tp); err != nil {
			m.opts.Logger.Error("deleting a stray log", "partition", tp, "err", err)
		}
	}
}
