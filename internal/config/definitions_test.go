package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestEveryDefinitionIsDocumentedOnOneLine(t *testing.T) {
	for _, d := range Definitions() {
		if d.Doc == "" || strings.Contains(d.Doc, "\n") || strings.TrimSpace(d.Doc) != d.Doc || !strings.HasSuffix(d.Doc, ".") {
			t.Errorf("%s: doc %q", d.Name, d.Doc)
		}
		if d.NoDefault && d.Default != "" {
			t.Errorf("%s: NoDefault with a default", d.Name)
		}
	}
}

// A topic key's default is what its broker synonyms resolve to when nothing
// is configured; otherwise DescribeConfigs and the documentation disagree.
func TestTopicDefaultsEqualTheirResolvedBrokerDefaults(t *testing.T) {
	entries := Defaults().DescribeTopic(nil)
	for _, d := range Definitions() {
		if !d.Topic {
			continue
		}
		e := find(t, entries, d.Name)
		want, _ := topicDefs[d.Name].parse(d.Default)
		if val(e) != formatValue(want) {
			t.Errorf("%s: table default %q, resolved %q", d.Name, formatValue(want), val(e))
		}
	}
}

// Kafka lets only a topic key's first broker synonym change at runtime; the
// other units (log.retention.hours, …) are read-only. Describe relies on
// this to report sources consistently.
func TestOnlyFirstSynonymsAreDynamic(t *testing.T) {
	for _, d := range Definitions() {
		for i, s := range d.Synonyms {
			mode := brokerDefs[s.Name].Mode
			if i == 0 && mode != ModeClusterWide {
				t.Errorf("%s: first synonym %s is %v, want cluster-wide", d.Name, s.Name, mode)
			}
			if i > 0 && mode != ModeReadOnly {
				t.Errorf("%s: secondary synonym %s is %v, want read-only", d.Name, s.Name, mode)
			}
		}
	}
}

func TestTopicValidatorsMatchTheirFirstSynonym(t *testing.T) {
	for _, d := range Definitions() {
		if !d.Topic || len(d.Synonyms) != 1 {
			continue
		}
		b := brokerDefs[d.Synonyms[0].Name]
		if b.Type != d.Type || b.ValidValues() != d.ValidValues() || b.Default != d.Default {
			t.Errorf("%s (%s %s %q) vs %s (%s %s %q)", d.Name, d.Type, d.ValidValues(), d.Default,
				b.Name, b.Type, b.ValidValues(), b.Default)
		}
	}
}

// TopicConfig must grow with the table: every topic key is a field, apart
// from the ones that change nothing in Fjord today.
func TestTopicConfigHasAFieldPerTopicKey(t *testing.T) {
	notInTopicConfig := map[string]bool{
		"message.downconversion.enable": true, // no-op in Kafka 4
		"remote.storage.enable":         true, // only false is accepted
		"remote.log.copy.disable":       true,
		"remote.log.delete.on.disable":  true,
	}
	n := 0
	for _, d := range Definitions() {
		if d.Topic && !notInTopicConfig[d.Name] {
			n++
		}
	}
	if fields := reflect.TypeFor[TopicConfig]().NumField(); fields != n {
		t.Errorf("TopicConfig has %d fields for %d topic keys", fields, n)
	}
}

func TestLookupsSeparateTopicAndBrokerKeys(t *testing.T) {
	if d, ok := TopicDefinition("retention.ms"); !ok || !d.Topic || len(d.Synonyms) != 3 {
		t.Errorf("TopicDefinition(retention.ms) = %+v, %v", d, ok)
	}
	if _, ok := TopicDefinition("log.retention.ms"); ok {
		t.Error("broker key found as topic key")
	}
	if d, ok := BrokerDefinition("min.insync.replicas"); !ok || d.Topic || d.Mode != ModeClusterWide {
		t.Errorf("BrokerDefinition(min.insync.replicas) = %+v, %v", d, ok)
	}
}

func TestFormatValueMatchesJava(t *testing.T) {
	for v, want := range map[any]string{
		0.5: "0.5", 1.0: "1.0", 0.0: "0.0", 1e7: "1.0E7", 1.7976931348623157e308: "1.7976931348623157E308",
		0.0001: "1.0E-4", -2.5: "-2.5", int64(-1): "-1", true: "true",
	} {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%v) = %q, want %q", v, got, want)
		}
	}
}
