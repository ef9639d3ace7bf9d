package cli

import (
	"strings"
	"testing"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestConfigGetTopicShowsValuesAndSources(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t, "log.retention.hours=48")
	createTopic(t, b, "demo", 1, map[string]*string{"cleanup.policy": ptr("compact")})

	all := decodeJSON[[]configEntry](t, ok(t, b, "", "config", "get", "topic", "demo", "-o", "json").stdout)
	got := map[string]configEntry{}
	for _, e := range all {
		got[e.Key] = e
	}
	if e := got["cleanup.policy"]; e.Value == nil || *e.Value != "compact" || e.Source != "DYNAMIC_TOPIC_CONFIG" {
		t.Errorf("cleanup.policy: %+v", e)
	}
	if e := got["retention.ms"]; e.Value == nil || *e.Value != "172800000" || e.Source != "STATIC_BROKER_CONFIG" {
		t.Errorf("retention.ms inherited from log.retention.hours=48: %+v", e)
	}
	if e := got["segment.bytes"]; e.Value == nil || e.Source != "DEFAULT_CONFIG" {
		t.Errorf("segment.bytes: %+v", e)
	}

	r := ok(t, b, "", "config", "get", "topic", "demo", "cleanup.policy", "retention.ms")
	want := []string{"KEY VALUE SOURCE", "cleanup.policy compact topic", "retention.ms 172800000 static broker"}
	if got := lines(r.stdout); len(got) != 3 || strings.Join(strings.Fields(got[1]), " ") != want[1] ||
		strings.Join(strings.Fields(got[2]), " ") != want[2] {
		t.Errorf("named keys:\n%s", r.stdout)
	}
	if r := ok(t, b, "", "config", "get", "topic", "demo", "--set-only", "-o", "json"); len(decodeJSON[[]configEntry](t, r.stdout)) != 1 {
		t.Errorf("--set-only: %s", r.stdout)
	}
	// kafka-configs.sh --describe shows what is set on the topic.
	r = ok(t, b, "", "config", "--describe", "--entity-type", "topics", "--entity-name", "demo")
	if got := lines(r.stdout); len(got) != 2 || !strings.HasPrefix(got[1], "cleanup.policy") {
		t.Errorf("--describe:\n%s", r.stdout)
	}

	fails(t, b, 1, "", []string{"config", "get", "topic", "nope"}, "read configs of topic nope: UNKNOWN_TOPIC_OR_PARTITION: ")
	fails(t, b, 1, "", []string{"config", "get", "topic", "demo", "no.such.key"}, "no config named no.such.key")
	fails(t, b, 2, "", []string{"config", "get", "topic"}, "topic NAME")
}

func TestConfigGetBroker(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t, "num.partitions=7")
	all := decodeJSON[[]configEntry](t, ok(t, b, "", "config", "get", "broker", "1", "-o", "json").stdout)
	found := false
	for _, e := range all {
		if e.Key == "num.partitions" {
			found = e.Value != nil && *e.Value == "7" && e.Source == "STATIC_BROKER_CONFIG"
		}
	}
	if !found || len(all) < 20 {
		t.Errorf("num.partitions=7 (static) among %d configs: %v", len(all), found)
	}
	ok(t, b, "", "config", "get", "broker", "default")
	fails(t, b, 2, "", []string{"config", "get", "broker", "one"}, "broker id")
}
