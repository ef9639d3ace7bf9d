package config

import (
	"fmt"
	"strings"
	"testing"
)

// chain renders synonyms compactly: "SOURCE:name=value".
func chain(syns []ConfigSynonym) string {
	parts := make([]string, len(syns))
	for i, s := range syns {
		v := "null"
		if s.Value != nil {
			v = *s.Value
		}
		parts[i] = fmt.Sprintf("%s:%s=%s", s.Source, s.Name, v)
	}
	return strings.Join(parts, " ")
}

func val(e Entry) string {
	if e.Value == nil {
		return "null"
	}
	return *e.Value
}

func find(t *testing.T, entries []Entry, name string) Entry {
	t.Helper()
	for _, e := range entries {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no entry %s", name)
	return Entry{}
}

func TestDescribeTopicReportsSourceAndSynonymChain(t *testing.T) {
	static := mustLoad(t, "log.retention.hours=24")
	dynamic, err := static.WithDynamic(map[string]string{"log.retention.ms": "5000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		b         *Broker
		overrides map[string]string
		key       string
		value     string
		source    Source
		chain     string
	}{
		{"default", Defaults(), nil, "retention.ms", "604800000", SourceDefault,
			"DEFAULT_CONFIG:log.retention.hours=168"},
		{"static hours converted", static, nil, "retention.ms", "86400000", SourceStaticBroker,
			"STATIC_BROKER_CONFIG:log.retention.hours=24 DEFAULT_CONFIG:log.retention.hours=168"},
		{"topic override first", static, map[string]string{"retention.ms": "1000"}, "retention.ms", "1000", SourceDynamicTopic,
			"DYNAMIC_TOPIC_CONFIG:retention.ms=1000 STATIC_BROKER_CONFIG:log.retention.hours=24 DEFAULT_CONFIG:log.retention.hours=168"},
		{"dynamic default over static", dynamic, nil, "retention.ms", "5000", SourceDynamicDefaultBroker,
			"DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=5000 STATIC_BROKER_CONFIG:log.retention.hours=24 DEFAULT_CONFIG:log.retention.hours=168"},
		{"same-name synonym", Defaults(), nil, "min.insync.replicas", "1", SourceDefault,
			"DEFAULT_CONFIG:min.insync.replicas=1"},
		{"flush falls back to scheduler interval", Defaults(), nil, "flush.ms", "9223372036854775807", SourceDefault,
			"DEFAULT_CONFIG:log.flush.scheduler.interval.ms=9223372036854775807"},
		{"no broker synonym", Defaults(), nil, "remote.storage.enable", "false", SourceDefault, ""},
		{"list value", Defaults(), map[string]string{"cleanup.policy": " compact , delete "}, "cleanup.policy", "compact,delete", SourceDynamicTopic,
			"DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete DEFAULT_CONFIG:log.cleanup.policy=delete"},
		{"double value", Defaults(), nil, "min.cleanable.dirty.ratio", "0.5", SourceDefault,
			"DEFAULT_CONFIG:log.cleaner.min.cleanable.ratio=0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := find(t, tt.b.DescribeTopic(tt.overrides), tt.key)
			if val(e) != tt.value || e.Source != tt.source || chain(e.Synonyms) != tt.chain {
				t.Errorf("got %s %v [%s]\nwant %s %v [%s]", val(e), e.Source, chain(e.Synonyms), tt.value, tt.source, tt.chain)
			}
		})
	}
}

func TestDescribeTopicCoversEveryTopicKey(t *testing.T) {
	entries := Defaults().DescribeTopic(map[string]string{"not.a.key": "x"})
	n := 0
	for _, d := range Definitions() {
		if !d.Topic {
			continue
		}
		n++
		e := find(t, entries, d.Name)
		if e.ReadOnly || e.Sensitive || e.Type != d.Type || e.Documentation == "" || e.Value == nil {
			t.Errorf("%s: %+v", d.Name, e)
		}
		// Every topic entry's first synonym must be the source in effect.
		if len(e.Synonyms) > 0 && e.Synonyms[0].Source != e.Source {
			t.Errorf("%s: source %v but chain starts with %v", d.Name, e.Source, e.Synonyms[0].Source)
		}
	}
	if len(entries) != n {
		t.Errorf("%d entries for %d topic keys", len(entries), n)
	}
}

func TestDescribeBrokerFollowsKafkaSynonymRules(t *testing.T) {
	b := mustLoad(t, "log.retention.ms=1000\nlisteners=PLAINTEXT://:9092")
	entries := b.DescribeBroker()
	tests := []struct {
		key, value string
		source     Source
		readOnly   bool
		chain      string
	}{
		{"log.retention.ms", "1000", SourceStaticBroker, false,
			"STATIC_BROKER_CONFIG:log.retention.ms=1000 DEFAULT_CONFIG:log.retention.hours=168"},
		// A key is not sourced from a higher-precedence synonym.
		{"log.retention.hours", "168", SourceDefault, true, "DEFAULT_CONFIG:log.retention.hours=168"},
		{"log.retention.minutes", "null", SourceDefault, true, ""},
		{"listeners", "PLAINTEXT://:9092", SourceStaticBroker, false,
			"STATIC_BROKER_CONFIG:listeners=PLAINTEXT://:9092 DEFAULT_CONFIG:listeners=PLAINTEXT://localhost:9092"},
		{"advertised.listeners", "null", SourceDefault, false, ""},
		{"node.id", "1", SourceDefault, true, "DEFAULT_CONFIG:node.id=1"},
		{"log.flush.scheduler.interval.ms", "9223372036854775807", SourceDefault, true,
			"DEFAULT_CONFIG:log.flush.scheduler.interval.ms=9223372036854775807"},
	}
	for _, tt := range tests {
		e := find(t, entries, tt.key)
		if val(e) != tt.value || e.Source != tt.source || e.ReadOnly != tt.readOnly || chain(e.Synonyms) != tt.chain {
			t.Errorf("%s: got %s %v ro=%v [%s]\nwant %s %v ro=%v [%s]", tt.key, val(e), e.Source, e.ReadOnly, chain(e.Synonyms),
				tt.value, tt.source, tt.readOnly, tt.chain)
		}
	}
	if len(entries) != len(brokerDefs) {
		t.Errorf("%d entries for %d broker keys", len(entries), len(brokerDefs))
	}
}

func TestDescribeBrokerDefaultsListsOnlyClusterDefaults(t *testing.T) {
	b, err := Defaults().WithDynamic(
		map[string]string{"log.retention.ms": "5000", "message.max.bytes": "2000000"},
		map[string]string{"log.retention.ms": "7000"})
	if err != nil {
		t.Fatal(err)
	}
	entries := b.DescribeBrokerDefaults()
	if len(entries) != 2 || entries[0].Name != "log.retention.ms" || entries[1].Name != "message.max.bytes" {
		t.Fatalf("entries = %+v", entries)
	}
	e := entries[0]
	if val(e) != "5000" || e.Source != SourceDynamicDefaultBroker || chain(e.Synonyms) != "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=5000" {
		t.Errorf("got %s %v [%s]", val(e), e.Source, chain(e.Synonyms))
	}
	// The broker's own view puts its per-broker value first.
	own := find(t, b.DescribeBroker(), "log.retention.ms")
	if val(own) != "7000" || own.Source != SourceDynamicBroker ||
		chain(own.Synonyms) != "DYNAMIC_BROKER_CONFIG:log.retention.ms=7000 DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=5000 DEFAULT_CONFIG:log.retention.hours=168" {
		t.Errorf("per-broker: got %s %v [%s]", val(own), own.Source, chain(own.Synonyms))
	}
}
