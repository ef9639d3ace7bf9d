package config

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateDynamicEnforcesUpdateModes(t *testing.T) {
	b := Defaults()
	tests := []struct {
		name     string
		level    DynamicLevel
		proposed map[string]string
		want     error
		kafkaMsg string
	}{
		{"cluster-wide key at default level", LevelClusterDefault, map[string]string{"log.retention.ms": "1000"}, nil, ""},
		{"cluster-wide key for one broker", LevelBroker, map[string]string{"num.io.threads": "10"}, nil, ""},
		{"per-broker key for one broker", LevelBroker, map[string]string{"listeners": "PLAINTEXT://localhost:9093"}, nil, ""},
		{"nothing", LevelClusterDefault, nil, nil, ""},
		{"read-only key", LevelBroker, map[string]string{"log.retention.hours": "1"}, ErrReadOnly,
			"Cannot update these configs dynamically: [log.retention.hours]"},
		{"read-only identity", LevelBroker, map[string]string{"node.id": "2"}, ErrReadOnly,
			"Cannot update these configs dynamically: [node.id]"},
		{"per-broker key as cluster default", LevelClusterDefault, map[string]string{"listeners": "PLAINTEXT://:9093"}, ErrPerBroker,
			"Cannot update these configs at default cluster level, broker id must be specified: [listeners]"},
		{"unknown key", LevelBroker, map[string]string{"no.such": "1"}, ErrUnknown, "Unknown broker config name: no.such"},
		{"topic key", LevelBroker, map[string]string{"retention.ms": "1"}, ErrUnknown, "Unknown broker config name: retention.ms"},
		{"invalid value", LevelClusterDefault, map[string]string{"log.segment.bytes": "100"}, ErrInvalid,
			"Invalid value 100 for configuration log.segment.bytes: Value must be at least 1048576"},
		{"cross-field", LevelClusterDefault, map[string]string{"log.cleaner.min.compaction.lag.ms": "10", "log.cleaner.max.compaction.lag.ms": "5"}, ErrConflict,
			"Conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"},
		{"listener change breaking inter-broker listener", LevelBroker, map[string]string{"listeners": "SSL://:9093"}, ErrConflict, ""},
		{"thread pool may double", LevelClusterDefault, map[string]string{"num.io.threads": "16"}, nil, ""},
		{"thread pool may not more than double", LevelClusterDefault, map[string]string{"num.io.threads": "17"}, ErrInvalid,
			"Invalid value 17 for configuration num.io.threads: Dynamic thread count update validation failed for num.io.threads=17, value should not be greater than double the current value 8"},
		{"thread pool may not drop below half", LevelClusterDefault, map[string]string{"num.io.threads": "3"}, ErrInvalid,
			"Invalid value 3 for configuration num.io.threads: Dynamic thread count update validation failed for num.io.threads=3, value should be at least half the current value 8"},
		{"half uses integer division as in Kafka", LevelClusterDefault, map[string]string{"num.network.threads": "1"}, nil, ""},
		{"cleaner threads at least one", LevelClusterDefault, map[string]string{"log.cleaner.threads": "0"}, ErrInvalid, ""},
		{"dynamic max connections positive", LevelClusterDefault, map[string]string{"max.connections": "0"}, ErrInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := b.ValidateDynamic(tt.level, tt.proposed)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("ValidateDynamic error = %v, want %v", err, tt.want)
			}
			var e *Error
			if tt.kafkaMsg != "" && (!errors.As(err, &e) || e.KafkaMessage() != tt.kafkaMsg) {
				t.Errorf("Kafka message = %q\nwant %q", e.KafkaMessage(), tt.kafkaMsg)
			}
		})
	}
}

func TestWithDynamicLayersAboveStatic(t *testing.T) {
	static := mustLoad(t, "message.max.bytes=1000\nnum.io.threads=4")
	b, err := static.WithDynamic(
		map[string]string{"message.max.bytes": "2000", "num.io.threads": "6"},
		map[string]string{"message.max.bytes": "3000"})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key    string
		want   int32
		source Source
	}{
		{"message.max.bytes", 3000, SourceDynamicBroker},
		{"num.io.threads", 6, SourceDynamicDefaultBroker},
		{"num.network.threads", 3, SourceDefault},
	}
	for _, c := range checks {
		if got := b.Int(c.key); got != c.want || b.Source(c.key) != c.source {
			t.Errorf("%s = %d (%v), want %d (%v)", c.key, got, b.Source(c.key), c.want, c.source)
		}
	}
	if got := b.TopicDefaults().MaxMessageBytes; got != 3000 {
		t.Errorf("topic default max.message.bytes = %d, want 3000", got)
	}
	if static.Int("message.max.bytes") != 1000 {
		t.Error("WithDynamic changed the original configuration")
	}
	// Replacing the layers drops values no longer present.
	back, err := b.WithDynamic(nil, nil)
	if err != nil || back.Int("message.max.bytes") != 1000 || back.Source("message.max.bytes") != SourceStaticBroker {
		t.Errorf("after clearing dynamic layers: %d %v %v", back.Int("message.max.bytes"), back.Source("message.max.bytes"), err)
	}
}

func TestWithDynamicRejectsWhatValidateDynamicRejects(t *testing.T) {
	b := Defaults()
	if _, err := b.WithDynamic(map[string]string{"listeners": "PLAINTEXT://:1"}, nil); !errors.Is(err, ErrPerBroker) {
		t.Errorf("per-broker key as default: %v", err)
	}
	if _, err := b.WithDynamic(nil, map[string]string{"log.dirs": "/x"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only key: %v", err)
	}
	// A resize beyond Kafka's bounds was checked when it was made, so
	// applying it from the metadata log is allowed.
	if nb, err := b.WithDynamic(map[string]string{"num.io.threads": "64"}, nil); err != nil || nb.Int("num.io.threads") != 64 {
		t.Errorf("applying a large resize: %v", err)
	}
	if _, err := b.WithDynamic(nil, map[string]string{"listeners": "PLAINTEXT://:9092,SSL://:9092"}); err == nil || !strings.Contains(err.Error(), "port") {
		t.Errorf("clashing listeners accepted: %v", err)
	}
}
