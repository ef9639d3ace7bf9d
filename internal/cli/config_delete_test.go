package cli

import (
	"testing"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestConfigDeleteRevertsToTheDefault(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 1, map[string]*string{"retention.ms": ptr("1000"), "cleanup.policy": ptr("compact")})
	r := ok(t, b, "", "config", "delete", "topic", "demo", "retention.ms")
	if r.stdout != "Removed retention.ms from topic demo (back to its default).\n" {
		t.Errorf("stdout: %q", r.stdout)
	}
	if v, src := topicConfig(t, b, "demo", "retention.ms"); v != "604800000" || src == "DYNAMIC_TOPIC_CONFIG" {
		t.Errorf("retention.ms = %q (%s)", v, src)
	}
	if v, _ := topicConfig(t, b, "demo", "cleanup.policy"); v != "compact" {
		t.Errorf("cleanup.policy = %q, the other config must stay", v)
	}
	ok(t, b, "", "config", "--alter", "--topic", "demo", "--delete-config", "cleanup.policy")
	if _, src := topicConfig(t, b, "demo", "cleanup.policy"); src == "DYNAMIC_TOPIC_CONFIG" {
		t.Errorf("cleanup.policy still set on the topic")
	}
	fails(t, b, 2, "", []string{"config", "delete", "topic", "demo", "retention.ms=5"}, "only the key")
	fails(t, b, 2, "", []string{"config", "delete", "topic", "demo"}, "name the configs")
	fails(t, b, 1, "", []string{"config", "delete", "topic", "nope", "retention.ms"}, "UNKNOWN_TOPIC_OR_PARTITION")
}
