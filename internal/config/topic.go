package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// CompressionType is a topic's compression.type.
type CompressionType string

const (
	CompressionProducer     CompressionType = "producer" // keep the producer's codec
	CompressionUncompressed CompressionType = "uncompressed"
	CompressionGzip         CompressionType = "gzip"
	CompressionSnappy       CompressionType = "snappy"
	CompressionLz4          CompressionType = "lz4"
	CompressionZstd         CompressionType = "zstd"
)

// TimestampType is a topic's message.timestamp.type.
type TimestampType string

const (
	CreateTime    TimestampType = "CreateTime"
	LogAppendTime TimestampType = "LogAppendTime"
)

// CleanupPolicy is a topic's cleanup.policy. Both may be set; neither (an
// empty list) means segments are never removed.
type CleanupPolicy struct {
	Delete  bool // remove segments past retention.ms / retention.bytes
	Compact bool // keep the latest record per key
}

// NoLimit is Kafka's "never" for the flush settings and the timestamp
// bounds (Long.MAX_VALUE); -1 plays that part for the retention settings.
const NoLimit int64 = 1<<63 - 1

// TopicConfig is the typed effective configuration of one topic: overrides
// on top of the broker's defaults. It carries what the storage layer and the
// produce path need; everything else is reachable through DescribeTopic.
type TopicConfig struct {
	CleanupPolicy        CleanupPolicy
	CompressionType      CompressionType
	CompressionGzipLevel int32
	CompressionLz4Level  int32
	CompressionZstdLevel int32
	DeleteRetentionMs    int64
	FileDeleteDelayMs    int64
	FlushMessages        int64 // NoLimit: never force an fsync by count
	FlushMs              int64 // NoLimit: never force an fsync by age
	IndexIntervalBytes   int32
	LocalRetentionBytes  int64 // -2: follow RetentionBytes
	LocalRetentionMs     int64 // -2: follow RetentionMs
	MaxCompactionLagMs   int64
	MaxMessageBytes      int32
	// MessageTimestampAfterMaxMs and MessageTimestampBeforeMaxMs bound
	// CreateTime timestamps around the broker clock; NoLimit disables.
	MessageTimestampAfterMaxMs  int64
	MessageTimestampBeforeMaxMs int64
	MessageTimestampType        TimestampType
	MinCleanableDirtyRatio      float64
	MinCompactionLagMs          int64
	MinInsyncReplicas           int32
	Preallocate                 bool
	RetentionBytes              int64 // -1: unlimited
	RetentionMs                 int64 // -1: unlimited
	SegmentBytes                int32
	SegmentIndexBytes           int32
	SegmentJitterMs             int64
	SegmentMs                   int64
	UncleanLeaderElectionEnable bool
	// LeaderReplicationThrottledReplicas and the follower variant are
	// "partition:broker" pairs or the single entry "*".
	LeaderReplicationThrottledReplicas   []string
	FollowerReplicationThrottledReplicas []string
}

// MaxSegmentMs is how old the active segment may get before it rolls. Like
// Kafka, a compacted topic also rolls by max.compaction.lag.ms so that no
// record stays in the uncompactable active segment past that lag.
func (t TopicConfig) MaxSegmentMs() int64 {
	if t.CleanupPolicy.Compact && t.MaxCompactionLagMs > 0 {
		return min(t.MaxCompactionLagMs, t.SegmentMs)
	}
	return t.SegmentMs
}

// topicValue is a topic configuration's effective value and its provenance.
type topicValue struct {
	value  any
	source Source
	key    string // the key that supplied the value: the topic key or a broker synonym
}

// resolveTopicKey applies Kafka's precedence for one topic configuration:
// the topic's override, else the first of its broker synonyms with a value
// (each looked up through the broker's layers), else its own default.
func (b *Broker) resolveTopicKey(d *Definition, overrides map[string]any) topicValue {
	if v, ok := overrides[d.Name]; ok {
		return topicValue{v, SourceDynamicTopic, d.Name}
	}
	for _, s := range d.Synonyms {
		_, set, src := b.lookup(s.Name)
		if set.value == nil {
			continue
		}
		return topicValue{scale(set.value, s.Scale, d.NegativeIsUnlimited), src, s.Name}
	}
	return topicValue{defaultValues[d], SourceDefault, d.Name}
}

func scale(v any, by Scale, negativeIsUnlimited bool) any {
	n, ok := v.(int64)
	if !ok {
		return v
	}
	n *= int64(by) // int hours × 3.6e6 stays far below the int64 limit
	if negativeIsUnlimited && n < 0 {
		n = -1
	}
	return n
}

func (b *Broker) resolveTopic(overrides map[string]any) map[string]topicValue {
	out := make(map[string]topicValue, len(topicDefs))
	for name, d := range topicDefs {
		out[name] = b.resolveTopicKey(d, overrides)
	}
	return out
}

// parseTopicOverrides checks each override on its own: known key, value of
// the right type passing its validator. Keys are checked in sorted order so
// the reported error is deterministic.
func parseTopicOverrides(overrides map[string]string) (map[string]any, error) {
	parsed := make(map[string]any, len(overrides))
	for _, k := range slices.Sorted(maps.Keys(overrides)) {
		d := topicDefs[k]
		if d == nil {
			e := &Error{Kind: ErrUnknown, Name: k, topic: true}
			if brokerDefs[k] != nil {
				e.Reason = "it is a broker configuration"
			}
			return nil, e
		}
		v, err := d.parse(overrides[k])
		if err != nil {
			err.topic = true
			return nil, err
		}
		parsed[k] = v
	}
	return parsed, nil
}

// ValidateTopic checks a topic's complete set of overrides, as CreateTopics
// gives them or as they would stand after an AlterConfigs or
// IncrementalAlterConfigs (the caller applies SET/DELETE/APPEND/SUBTRACT
// first). It returns the first problem as an *Error wrapping ErrUnknown,
// ErrInvalid or ErrConflict; all map to Kafka's INVALID_CONFIG. Cross-field
// rules are checked on the effective values, broker defaults included, as
// Kafka does.
func (b *Broker) ValidateTopic(overrides map[string]string) error {
	_, err := b.ResolveTopic(overrides)
	return err
}

// ResolveTopic validates a topic's overrides and returns its effective
// configuration.
func (b *Broker) ResolveTopic(overrides map[string]string) (TopicConfig, error) {
	parsed, err := parseTopicOverrides(overrides)
	if err != nil {
		return TopicConfig{}, err
	}
	eff := b.resolveTopic(parsed)
	if err := b.checkTopic(eff, true); err != nil {
		return TopicConfig{}, err
	}
	return topicConfigOf(eff), nil
}

// checkTopic applies Kafka's cross-field topic rules to effective values.
// It serves topic overrides (forTopic) and the broker's own defaults; in the
// latter case the error names the broker key that supplied the value.
func (b *Broker) checkTopic(eff map[string]topicValue, forTopic bool) *Error {
	minLag, maxLag := eff["min.compaction.lag.ms"], eff["max.compaction.lag.ms"]
	if minLag.value.(int64) > maxLag.value.(int64) {
		name := minLag.key
		if forTopic {
			name = "min.compaction.lag.ms"
		}
		e := conflict(name, fmt.Sprintf("conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)",
			minLag.value, maxLag.value))
		e.topic = forTopic
		return e
	}
	if eff["remote.storage.enable"].value.(bool) && !b.Bool("remote.log.storage.system.enable") {
		return &Error{Kind: ErrConflict, Name: "remote.storage.enable", topic: true,
			Reason: "tiered storage functionality is disabled in the broker (remote.log.storage.system.enable=false); topic cannot be configured with remote log storage"}
	}
	return nil
}

// deriveTopicDefaults resolves the topic defaults and checks them against
// the topic validators, as Kafka does when it builds a log configuration
// from the broker's: a broker value can pass its own (often looser) check
// and still be unusable for topics, e.g. log.retention.minutes=0.
func (b *Broker) deriveTopicDefaults() (TopicConfig, error) {
	eff := b.resolveTopic(nil)
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(eff)) {
		tv, d := eff[name], topicDefs[name]
		if tv.source == SourceDefault || d.valid == nil {
			continue
		}
		if bad, reason := d.valid.check(tv.value); reason != "" {
			errs = append(errs, invalid(tv.key, bad, fmt.Sprintf("as the default for topic configuration %s: %s", name, reason)))
		}
	}
	// Kafka's KafkaConfig requires log.retention.ms to be -1 or positive;
	// zero would delete every segment as soon as it closes.
	if r := eff["retention.ms"]; r.value.(int64) == 0 {
		errs = append(errs, invalid(r.key, "0", "log.retention.ms must be unlimited (-1) or, greater than or equal to 1"))
	}
	if len(errs) > 0 {
		return TopicConfig{}, errors.Join(errs...)
	}
	if err := b.checkTopic(eff, false); err != nil {
		return TopicConfig{}, err
	}
	return topicConfigOf(eff), nil
}

// topicConfigOf builds the typed view; each field is read by its Kafka name
// from the one resolution above.
func topicConfigOf(eff map[string]topicValue) TopicConfig {
	i64 := func(k string) int64 { return eff[k].value.(int64) }
	i32 := func(k string) int32 { return int32(eff[k].value.(int64)) }
	bl := func(k string) bool { return eff[k].value.(bool) }
	str := func(k string) string { return eff[k].value.(string) }
	list := func(k string) []string { return slices.Clone(eff[k].value.([]string)) }
	policy := list("cleanup.policy")
	return TopicConfig{
		CleanupPolicy: CleanupPolicy{
			Delete:  slices.Contains(policy, "delete"),
			Compact: slices.Contains(policy, "compact"),
		},
		CompressionType:                      CompressionType(str("compression.type")),
		CompressionGzipLevel:                 i32("compression.gzip.level"),
		CompressionLz4Level:                  i32("compression.lz4.level"),
		CompressionZstdLevel:                 i32("compression.zstd.level"),
		DeleteRetentionMs:                    i64("delete.retention.ms"),
		FileDeleteDelayMs:                    i64("file.delete.delay.ms"),
		FlushMessages:                        i64("flush.messages"),
		FlushMs:                              i64("flush.ms"),
		IndexIntervalBytes:                   i32("index.interval.bytes"),
		LocalRetentionBytes:                  i64("local.retention.bytes"),
		LocalRetentionMs:                     i64("local.retention.ms"),
		MaxCompactionLagMs:                   i64("max.compaction.lag.ms"),
		MaxMessageBytes:                      i32("max.message.bytes"),
		MessageTimestampAfterMaxMs:           i64("message.timestamp.after.max.ms"),
		MessageTimestampBeforeMaxMs:          i64("message.timestamp.before.max.ms"),
		MessageTimestampType:                 TimestampType(str("message.timestamp.type")),
		MinCleanableDirtyRatio:               eff["min.cleanable.dirty.ratio"].value.(float64),
		MinCompactionLagMs:                   i64("min.compaction.lag.ms"),
		MinInsyncReplicas:                    i32("min.insync.replicas"),
		Preallocate:                          bl("preallocate"),
		RetentionBytes:                       i64("retention.bytes"),
		RetentionMs:                          i64("retention.ms"),
		SegmentBytes:                         i32("segment.bytes"),
		SegmentIndexBytes:                    i32("segment.index.bytes"),
		SegmentJitterMs:                      i64("segment.jitter.ms"),
		SegmentMs:                            i64("segment.ms"),
		UncleanLeaderElectionEnable:          bl("unclean.leader.election.enable"),
		LeaderReplicationThrottledReplicas:   list("leader.replication.throttled.replicas"),
		FollowerReplicationThrottledReplicas: list("follower.replication.throttled.replicas"),
	}
}
