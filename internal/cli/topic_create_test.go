package cli

import (
	"strings"
	"testing"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestTopicCreateWithPartitionsAndConfigs(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	r := ok(t, b, "", "topic", "create", "orders", "--partitions", "3", "--replication-factor", "1",
		"--config", "retention.ms=3600000", "-c", "cleanup.policy=compact,delete")
	if want := "Created topic orders (3 partitions, replication factor 1).\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	ctx := fjordtest.Context(t)
	adm := b.Admin()
	md, err := adm.Metadata(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(md.Topics["orders"].Partitions); n != 3 {
		t.Errorf("%d partitions, want 3", n)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range rcs[0].Configs {
		got[c.Key] = c.MaybeValue()
	}
	if got["retention.ms"] != "3600000" || got["cleanup.policy"] != "compact,delete" {
		t.Errorf("configs: retention.ms=%q cleanup.policy=%q", got["retention.ms"], got["cleanup.policy"])
	}
}

func TestTopicCreateDefaultsAndSeveralTopics(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t, "num.partitions=2")
	r := ok(t, b, "", "topic", "create", "a", "b", "-o", "json")
	created := decodeJSON[[]createdTopic](t, r.stdout)
	if len(created) != 2 || created[0].Topic != "a" || created[1].Topic != "b" {
		t.Fatalf("created: %+v", created)
	}
	for _, c := range created {
		if c.Partitions != 2 || c.ReplicationFactor != 1 || c.ID == "" {
			t.Errorf("%+v: want the broker's 2 partitions, replication factor 1 and an ID", c)
		}
	}
}

func TestTopicCreateExistingFailsUnlessIfNotExists(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	ok(t, b, "", "topic", "create", "demo")
	fails(t, b, 1, "", []string{"topic", "create", "demo"}, "create topic demo: TOPIC_ALREADY_EXISTS: ")
	r := ok(t, b, "", "topic", "create", "demo", "--if-not-exists")
	if !strings.Contains(r.stdout, "already exists") {
		t.Errorf("stdout: %q", r.stdout)
	}
}

func TestTopicCreateRefusedByBrokerNamesKafkaError(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	fails(t, b, 1, "", []string{"topic", "create", "demo", "--replication-factor", "3"}, "create topic demo: INVALID_REPLICATION_FACTOR: ")
	fails(t, b, 1, "", []string{"topic", "create", "demo", "--config", "no.such.config=1"}, "create topic demo: INVALID_CONFIG: ")
	fails(t, b, 1, "", []string{"topic", "create", "bad/name"}, "create topic bad/name: INVALID_TOPIC_EXCEPTION: ")
	fails(t, b, 2, "", []string{"topic", "create", "demo", "--partitions", "0"}, "--partitions")
	fails(t, b, 2, "", []string{"topic", "create", "demo", "--config", "retention.ms"}, "key=value")
}

func TestTopicCreateKafkaTopicsFlags(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	ok(t, b, "", "topic", "--bootstrap-server", b.Addr(), "--create", "--topic", "legacy",
		"--partitions", "4", "--replication-factor", "1", "--config", "retention.ms=1000")
	ok(t, b, "", "topic", "--create", "--topic", "legacy", "--if-not-exists")
	md, err := b.Admin().Metadata(fjordtest.Context(t), "legacy")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(md.Topics["legacy"].Partitions); n != 4 {
		t.Errorf("%d partitions, want 4", n)
	}
	fails(t, b, 2, "", []string{"topic", "--create"}, "--create needs --topic")
}
