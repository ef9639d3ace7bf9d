package cli

import (
	"testing"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// topicConfig reads one config of a topic with kadm.
func topicConfig(t *testing.T, b *fjordtest.Broker, topic, key string) (string, string) {
	t.Helper()
	rcs, err := b.Admin().DescribeTopicConfigs(fjordtest.Context(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rcs[0].Configs {
		if c.Key == key {
			return c.MaybeValue(), c.Source.String()
		}
	}
	t.Fatalf("topic %s has no config %s", topic, key)
	return "", ""
}

func TestConfigSetTopicKeepsOtherConfigs(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 1, map[string]*string{"cleanup.policy": ptr("compact")})
	r := ok(t, b, "", "config", "set", "topic", "demo", "retention.ms=60000", "max.message.bytes=5000")
	if r.stdout != "Set retention.ms=60000 on topic demo.\nSet max.message.bytes=5000 on topic demo.\n" {
		t.Errorf("stdout: %q", r.stdout)
	}
	for key, want := range map[string]string{"retention.ms": "60000", "max.message.bytes": "5000", "cleanup.policy": "compact"} {
		if v, src := topicConfig(t, b, "demo", key); v != want || src != "DYNAMIC_TOPIC_CONFIG" {
			t.Errorf("%s = %q (%s), want %q set on the topic", key, v, src, want)
		}
	}
	// kafka-configs.sh --alter --add-config, with a list value.
	ok(t, b, "", "config", "--alter", "--entity-type", "topics", "--entity-name", "demo",
		"--add-config", "cleanup.policy=[compact,delete],retention.ms=1000")
	if v, _ := topicConfig(t, b, "demo", "cleanup.policy"); v != "compact,delete" {
		t.Errorf("cleanup.policy = %q", v)
	}
	fails(t, b, 1, "", []string{"config", "set", "topic", "demo", "no.such=1"}, "change configs of topic demo: INVALID_CONFIG: ")
	fails(t, b, 1, "", []string{"config", "set", "topic", "demo", "retention.ms=soon"}, "INVALID_CONFIG")
	fails(t, b, 1, "", []string{"config", "set", "topic", "nope", "retention.ms=1"}, "UNKNOWN_TOPIC_OR_PARTITION")
	fails(t, b, 2, "", []string{"config", "set", "topic", "demo"}, "KEY=VALUE")
}

func TestConfigSetBroker(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	ok(t, b, "", "config", "set", "broker", "1", "log.retention.ms=3600000")
	all := decodeJSON[[]configEntry](t, ok(t, b, "", "config", "get", "broker", "1", "log.retention.ms", "-o", "json").stdout)
	if len(all) != 1 || all[0].Value == nil || *all[0].Value != "3600000" || all[0].Source != "DYNAMIC_BROKER_CONFIG" {
		t.Errorf("log.retention.ms: %+v", all)
	}
	ok(t, b, "", "config", "set", "broker", "default", "log.retention.ms=7200000")
	def := decodeJSON[[]configEntry](t, ok(t, b, "", "config", "get", "broker", "default", "--set-only", "-o", "json").stdout)
	if len(def) != 1 || def[0].Key != "log.retention.ms" || *def[0].Value != "7200000" {
		t.Errorf("cluster default: %+v", def)
	}
}
