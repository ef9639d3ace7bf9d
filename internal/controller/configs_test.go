package controller

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/metadata"
)

func set(k, v string) ConfigChange { return ConfigChange{Name: k, Op: OpSet, Value: v} }
func del(k string) ConfigChange    { return ConfigChange{Name: k, Op: OpDelete} }

// recordStrings renders ConfigRecords as "type/name key=value" ("key=null"
// for a removal).
func recordStrings(recs []metadata.Record) []string {
	var out []string
	for _, r := range recs {
		cr := r.(*metadata.ConfigRecord)
		v := "null"
		if cr.Value != nil {
			v = *cr.Value
		}
		out = append(out, fmt.Sprintf("%d/%s %s=%s", cr.ResourceType, cr.ResourceName, cr.Name, v))
	}
	return out
}

func brokerConfig(name, key, value string) metadata.Record {
	return &metadata.ConfigRecord{ResourceType: metadata.ResourceBroker, ResourceName: name, Name: key, Value: &value}
}

func TestPlanAlterConfigs(t *testing.T) {
	var recs []metadata.Record
	recs = append(recs, brokerRecord(1))
	recs = append(recs, topicRecords("t", uuid(1), []int32{1})...)
	recs = append(recs, topicConfig("t", "retention.ms", "1000"), topicConfig("t", "max.message.bytes", "2000"))
	recs = append(recs, brokerConfig("1", "log.retention.ms", "5000"))
	base := buildImage(t, recs...)
	b := config.Defaults()

	topic := func(name string, replace bool, changes ...ConfigChange) AlterConfigs {
		return AlterConfigs{Resource: metadata.ConfigResource{Type: metadata.ResourceTopic, Name: name}, Replace: replace, Changes: changes}
	}
	broker := func(name string, replace bool, changes ...ConfigChange) AlterConfigs {
		return AlterConfigs{Resource: metadata.ConfigResource{Type: metadata.ResourceBroker, Name: name}, Replace: replace, Changes: changes}
	}
	cases := []struct {
		name string
		req  AlterConfigs
		want string   // the error, or "ok"
		recs []string // the records planned
	}{
		// Topics: only changed keys are written.
		{"topic set", topic("t", false, set("retention.ms", "1000"), set("segment.ms", "60000")), "ok",
			[]string{"2/t segment.ms=60000"}},
		{"topic delete", topic("t", false, del("retention.ms"), del("not.set")), "ok",
			[]string{"2/t retention.ms=null"}},
		{"topic append from the default", topic("t", false, ConfigChange{Name: "cleanup.policy", Op: OpAppend, Value: "compact"}), "ok",
			[]string{"2/t cleanup.policy=delete,compact"}},
		{"topic subtract from the default", topic("t", false, ConfigChange{Name: "cleanup.policy", Op: OpSubtract, Value: "delete"}), "ok",
			[]string{"2/t cleanup.policy="}},
		{"topic legacy replace", topic("t", true, set("retention.ms", "1000"), set("segment.ms", "60000")), "ok",
			[]string{"2/t segment.ms=60000", "2/t max.message.bytes=null"}},
		{"topic append to a non-list", topic("t", false, ConfigChange{Name: "retention.ms", Op: OpAppend, Value: "1"}),
			"invalid config: Can't APPEND to key retention.ms because its type is not LIST.", nil},
		{"topic subtract on an unknown key", topic("t", false, ConfigChange{Name: "nope", Op: OpSubtract, Value: "1"}),
			"invalid config: Can't SUBTRACT to key nope because its type is not LIST.", nil},
		{"topic unknown key", topic("t", false, set("nope", "1")), "invalid config: Unknown topic config name: nope", nil},
		{"topic bad value", topic("t", false, set("segment.ms", "0")), "invalid config: Invalid value 0 for configuration segment.ms: Value must be at least 1", nil},
		{"topic unknown", topic("gone", false, set("segment.ms", "60000")), "unknown topic or partition: The topic 'gone' does not exist.", nil},
		{"topic unknown with a bad value", topic("gone", false, set("segment.ms", "x")), "invalid config: Invalid value x for configuration segment.ms: Not a number of type LONG", nil},
		{"topic default resource", topic("", false, set("segment.ms", "60000")), "invalid request: Default topic resources are not allowed.", nil},
		{"topic invalid name", topic("a b", false, set("segment.ms", "60000")),
			"invalid topic: Topic name is invalid: 'a b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'", nil},

		// Brokers: every key named is written, changed or not.
		{"broker set unchanged", broker("1", false, set("log.retention.ms", "5000")), "ok",
			[]string{"4/1 log.retention.ms=5000"}},
		{"broker id spelled differently", broker("01", false, set("log.segment.bytes", "2097152")), "ok",
			[]string{"4/1 log.retention.ms=5000", "4/1 log.segment.bytes=2097152"}},
		{"broker delete", broker("1", false, del("log.retention.ms")), "ok",
			[]string{"4/1 log.retention.ms=null"}},
		{"cluster default", broker("", false, set("log.segment.bytes", "2097152")), "ok",
			[]string{"4/ log.segment.bytes=2097152"}},
		{"broker append from the default", broker("1", false, ConfigChange{Name: "log.cleanup.policy", Op: OpAppend, Value: "compact,delete"}), "ok",
			[]string{"4/1 log.cleanup.policy=delete,compact", "4/1 log.retention.ms=5000"}},
		{"broker legacy replace", broker("1", true, set("log.segment.bytes", "2097152")), "ok",
			[]string{"4/1 log.segment.bytes=2097152", "4/1 log.retention.ms=null"}},
		{"broker append to a non-list", broker("1", false, ConfigChange{Name: "log.retention.ms", Op: OpAppend, Value: "1"}),
			"invalid config: Config value append is not allowed for config key: log.retention.ms", nil},
		{"broker subtract on an unknown key", broker("1", false, ConfigChange{Name: "nope", Op: OpSubtract, Value: "1"}),
			"invalid config: Unknown config name: nope", nil},
		{"broker unknown key", broker("1", false, set("nope", "1")), "invalid config: Unknown broker config name: nope", nil},
		{"broker read-only key", broker("1", false, set("log.dirs", "/x")), "invalid request: Cannot update these configs dynamically: Set(log.dirs)", nil},
		{"per-broker key as a default", broker("", false, set("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT")),
			"invalid request: Cannot update these configs at default cluster level, broker id must be specified: Set(listener.security.protocol.map)", nil},
		{"broker bad value", broker("1", false, set("log.segment.bytes", "12")),
			"invalid request: Invalid value 12 for configuration log.segment.bytes: Value must be at least 1048576", nil},
		{"another broker", broker("2", false, set("log.retention.ms", "1")), "invalid request: Unexpected broker id, expected 1, but received 2", nil},
		{"broker name not a number", broker("x", false, set("log.retention.ms", "1")), "invalid request: Node id must be an integer, but it is: x", nil},

		{"unknown resource type", AlterConfigs{Resource: metadata.ConfigResource{Type: 16, Name: "m"}}, "invalid request: Unknown resource type 16", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, out := planAlterConfigs(base, b, 1, []AlterConfigs{c.req})
			if got := errString(out[0]); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if got := recordStrings(recs); strings.Join(got, " | ") != strings.Join(c.recs, " | ") {
				t.Fatalf("records %q, want %q", got, c.recs)
			}
			applyRecords(t, base, recs...) // the plan applies
		})
	}
}

func TestPlanAlterConfigsResourcesFailAlone(t *testing.T) {
	var recs []metadata.Record
	recs = append(recs, brokerRecord(1))
	recs = append(recs, topicRecords("t", uuid(1), []int32{1})...)
	base := buildImage(t, recs...)
	reqs := []AlterConfigs{
		{Resource: metadata.ConfigResource{Type: metadata.ResourceTopic, Name: "t"}, Changes: []ConfigChange{set("min.cleanable.dirty.ratio", "1.1"), set("compression.type", "lz4")}},
		{Resource: metadata.ConfigResource{Type: metadata.ResourceTopic, Name: "t"}, Changes: []ConfigChange{set("compression.type", "snappy")}},
	}
	planned, out := planAlterConfigs(base, config.Defaults(), 1, reqs)
	if out[0] == nil || out[1] != nil {
		t.Fatalf("results %v", out)
	}
	if got := recordStrings(planned); len(got) != 1 || got[0] != "2/t compression.type=snappy" {
		t.Fatalf("records %v", got)
	}
}

func TestListOps(t *testing.T) {
	cases := []struct {
		topic    bool
		op       ConfigOp
		old, arg string
		want     string
	}{
		{true, OpAppend, "delete", "compact", "delete,compact"},
		{true, OpAppend, "delete", "delete", "delete"},
		{true, OpAppend, "", "compact,compact", "compact"},
		{true, OpAppend, "a,,b,", "c", "a,b,c"},
		{true, OpSubtract, "a,b,a", "a", "b,a"},
		{true, OpSubtract, "a,b", "c", "a,b"},
		{false, OpAppend, "delete", "compact,compact", "delete,compact,compact"},
		{false, OpAppend, "", "a", "a"},
		{false, OpSubtract, "a,b,a", "a,a", "b"},
		{false, OpSubtract, "a,b", "b", "a"},
	}
	for _, c := range cases {
		f := brokerListOp
		if c.topic {
			f = topicListOp
		}
		if got := f(c.op, c.old, c.arg); got != c.want {
			t.Errorf("topic=%v %s %q on %q: %q, want %q", c.topic, c.op, c.arg, c.old, got, c.want)
		}
	}
	for s, want := range map[string][]string{"": {""}, "a": {"a"}, "a,": {"a"}, ",a": {"", "a"}, ",": {}, "a,,b": {"a", "", "b"}} {
		if got := javaSplit(s); !slices.Equal(got, want) {
			t.Errorf("javaSplit(%q) = %q, want %q", s, got, want)
		}
	}
}
