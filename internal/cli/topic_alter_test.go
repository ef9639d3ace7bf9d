package cli

import (
	"strings"
	"testing"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestTopicAlterAddsPartitions(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 2, nil)
	r := ok(t, b, "", "topic", "alter", "demo", "--partitions", "5")
	if r.stdout != "Topic demo now has 5 partitions.\n" {
		t.Errorf("stdout: %q", r.stdout)
	}
	md, err := b.Admin().Metadata(fjordtest.Context(t), "demo")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(md.Topics["demo"].Partitions); n != 5 {
		t.Errorf("%d partitions, want 5", n)
	}
	ok(t, b, "", "topic", "--alter", "--topic", "demo", "--partitions", "6")
}

func TestTopicAlterRefusesToShrinkWithKafkasReason(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 3, nil)
	r := fails(t, b, 1, "", []string{"topic", "alter", "demo", "--partitions", "2"},
		"add partitions to topic demo: INVALID_PARTITIONS: ")
	if !strings.Contains(r.stderr, "3") {
		t.Errorf("the reason should give the current count: %s", r.stderr)
	}
	fails(t, b, 1, "", []string{"topic", "alter", "nope", "--partitions", "2"}, "UNKNOWN_TOPIC_OR_PARTITION")
	ok(t, b, "", "topic", "alter", "nope", "--partitions", "2", "--if-exists")
	fails(t, b, 2, "", []string{"topic", "alter", "demo"}, "nothing to alter")
}

func TestTopicAlterSetsAndDeletesConfigs(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 1, nil)
	ok(t, b, "", "topic", "alter", "demo", "--config", "retention.ms=1000", "--config", "max.message.bytes=2000")
	ok(t, b, "", "topic", "alter", "demo", "--delete-config", "max.message.bytes")
	out := decodeJSON[[]describedTopic](t, ok(t, b, "", "topic", "describe", "demo", "-o", "json").stdout)
	c := out[0].Configs
	if len(c) != 1 || c["retention.ms"] == nil || *c["retention.ms"] != "1000" {
		t.Errorf("configs set on the topic: %v", c)
	}
	fails(t, b, 1, "", []string{"topic", "alter", "demo", "--config", "retention.ms=soon"}, "INVALID_CONFIG")
}
