package config

import (
	"errors"
	"slices"
	"testing"
)

func TestValidateTopicRejectsWithKafkaMessages(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]string
		kind      error
		key       string
		kafkaMsg  string
	}{
		{"unknown key", map[string]string{"no.such": "1"}, ErrUnknown, "no.such",
			"Unknown topic config name: no.such"},
		{"broker key on a topic", map[string]string{"log.retention.ms": "1"}, ErrUnknown, "log.retention.ms",
			"Unknown topic config name: log.retention.ms"},
		{"not a number", map[string]string{"retention.ms": "abc"}, ErrInvalid, "retention.ms",
			"Invalid value abc for configuration retention.ms: Not a number of type LONG"},
		{"retention below -1", map[string]string{"retention.ms": "-2"}, ErrInvalid, "retention.ms",
			"Invalid value -2 for configuration retention.ms: Value must be at least -1"},
		{"segment.bytes below Kafka 4 minimum", map[string]string{"segment.bytes": "14"}, ErrInvalid, "segment.bytes",
			"Invalid value 14 for configuration segment.bytes: Value must be at least 1048576"},
		{"segment.ms zero", map[string]string{"segment.ms": "0"}, ErrInvalid, "segment.ms",
			"Invalid value 0 for configuration segment.ms: Value must be at least 1"},
		{"timestamp type", map[string]string{"message.timestamp.type": "BrokerTime"}, ErrInvalid, "message.timestamp.type",
			"Invalid value BrokerTime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime"},
		{"cleanup policy element", map[string]string{"cleanup.policy": "delete, archive"}, ErrInvalid, "cleanup.policy",
			"Invalid value archive for configuration cleanup.policy: String must be one of: compact, delete"},
		{"compression type", map[string]string{"compression.type": "none"}, ErrInvalid, "compression.type",
			"Invalid value none for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{"gzip level", map[string]string{"compression.gzip.level": "10"}, ErrInvalid, "compression.gzip.level",
			"Invalid value 10 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1"},
		{"zstd level", map[string]string{"compression.zstd.level": "23"}, ErrInvalid, "compression.zstd.level",
			"Invalid value 23 for configuration compression.zstd.level: Value must be no more than 22"},
		{"dirty ratio", map[string]string{"min.cleanable.dirty.ratio": "-0.1"}, ErrInvalid, "min.cleanable.dirty.ratio",
			"Invalid value -0.1 for configuration min.cleanable.dirty.ratio: Value must be at least 0.0"},
		{"boolean", map[string]string{"preallocate": "1"}, ErrInvalid, "preallocate",
			"Invalid value 1 for configuration preallocate: Expected value to be either true or false"},
		{"throttled replicas", map[string]string{"leader.replication.throttled.replicas": "0:1,x"}, ErrInvalid, "leader.replication.throttled.replicas",
			"Invalid value 0:1,x for configuration leader.replication.throttled.replicas: Must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."},
		{"min.insync.replicas zero", map[string]string{"min.insync.replicas": "0"}, ErrInvalid, "min.insync.replicas",
			"Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"},
		{"compaction lags inverted", map[string]string{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"}, ErrConflict, "min.compaction.lag.ms",
			"Conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"},
		{"tiered storage", map[string]string{"remote.storage.enable": "true"}, ErrConflict, "remote.storage.enable",
			"Tiered storage functionality is disabled in the broker (remote.log.storage.system.enable=false); topic cannot be configured with remote log storage"},
	}
	b := Defaults()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := b.ValidateTopic(tt.overrides)
			var e *Error
			if !errors.Is(err, tt.kind) || !errors.As(err, &e) {
				t.Fatalf("ValidateTopic error = %v, want *Error wrapping %v", err, tt.kind)
			}
			if e.Name != tt.key || e.KafkaMessage() != tt.kafkaMsg {
				t.Errorf("got %s / %q\nwant %s / %q", e.Name, e.KafkaMessage(), tt.key, tt.kafkaMsg)
			}
		})
	}
}

func TestValidateTopicChecksCrossFieldRulesAgainstBrokerDefaults(t *testing.T) {
	b := mustLoad(t, "log.cleaner.max.compaction.lag.ms=1000")
	if err := b.ValidateTopic(map[string]string{"min.compaction.lag.ms": "2000"}); !errors.Is(err, ErrConflict) {
		t.Errorf("min lag above broker max lag: error = %v, want ErrConflict", err)
	}
	if err := b.ValidateTopic(map[string]string{"min.compaction.lag.ms": "2000", "max.compaction.lag.ms": "3000"}); err != nil {
		t.Errorf("both lags overridden consistently: %v", err)
	}
}

func TestValidateTopicAcceptsEveryKnownKeyAtItsDefault(t *testing.T) {
	overrides := map[string]string{}
	for _, d := range Definitions() {
		if d.Topic {
			overrides[d.Name] = d.Default
		}
	}
	if err := Defaults().ValidateTopic(overrides); err != nil {
		t.Fatal(err)
	}
}

func TestValidateTopicAcceptsTypicalOverrides(t *testing.T) {
	good := []map[string]string{
		nil,
		{"cleanup.policy": "compact,delete"},
		{"cleanup.policy": ""},
		{"retention.ms": "-1", "retention.bytes": "-1"},
		{"compression.type": "zstd", "compression.zstd.level": "-5"},
		{"message.timestamp.type": "LogAppendTime"},
		{"follower.replication.throttled.replicas": "*"},
		{"leader.replication.throttled.replicas": "0:1, 1:2"},
		{"segment.bytes": "1048576", "segment.ms": "1"},
		{"message.downconversion.enable": "false"},
		{"remote.storage.enable": "false", "local.retention.ms": "-2"},
	}
	b := Defaults()
	for _, o := range good {
		if err := b.ValidateTopic(o); err != nil {
			t.Errorf("ValidateTopic(%v): %v", o, err)
		}
	}
}

func TestResolveTopicLayersOverridesOnBrokerDefaults(t *testing.T) {
	b := mustLoad(t, "log.retention.hours=1\nlog.segment.bytes=2097152\ncompression.type=lz4\nlog.cleanup.policy=compact")
	got, err := b.ResolveTopic(map[string]string{"segment.bytes": "4194304", "cleanup.policy": "compact,delete", "flush.messages": "10"})
	if err != nil {
		t.Fatal(err)
	}
	if got.RetentionMs != 3600000 || got.SegmentBytes != 4194304 || got.CompressionType != CompressionLz4 ||
		got.CleanupPolicy != (CleanupPolicy{Delete: true, Compact: true}) || got.FlushMessages != 10 {
		t.Errorf("ResolveTopic = %+v", got)
	}
	def := b.TopicDefaults()
	if def.SegmentBytes != 2097152 || def.CleanupPolicy != (CleanupPolicy{Compact: true}) || def.FlushMessages != NoLimit {
		t.Errorf("TopicDefaults = %+v", def)
	}
}

func TestMaxSegmentMsHonoursCompactionLag(t *testing.T) {
	tests := []struct {
		overrides map[string]string
		want      int64
	}{
		{nil, 604800000},
		{map[string]string{"max.compaction.lag.ms": "1000"}, 604800000},
		{map[string]string{"cleanup.policy": "compact", "max.compaction.lag.ms": "1000"}, 1000},
		{map[string]string{"cleanup.policy": "compact", "segment.ms": "500", "max.compaction.lag.ms": "1000"}, 500},
	}
	for _, tt := range tests {
		c, err := Defaults().ResolveTopic(tt.overrides)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.MaxSegmentMs(); got != tt.want {
			t.Errorf("%v: MaxSegmentMs = %d, want %d", tt.overrides, got, tt.want)
		}
	}
}

func TestResolvedTopicSlicesAreCopies(t *testing.T) {
	b := Defaults()
	c, _ := b.ResolveTopic(map[string]string{"leader.replication.throttled.replicas": "0:1"})
	c.LeaderReplicationThrottledReplicas[0] = "mutated"
	again, _ := b.ResolveTopic(map[string]string{"leader.replication.throttled.replicas": "0:1"})
	if !slices.Equal(again.LeaderReplicationThrottledReplicas, []string{"0:1"}) {
		t.Error("mutating a resolved config leaked into the next")
	}
}
