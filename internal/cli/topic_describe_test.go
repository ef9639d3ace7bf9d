package cli

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestTopicDescribePartitionsOffsetsAndConfigs(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "demo", 2, map[string]*string{"retention.ms": kadm.StringPtr("86400000")})
	var rs []*kgo.Record
	for range 5 {
		rs = append(rs, &kgo.Record{Topic: "demo", Value: []byte("v")})
	}
	produceRecords(t, b, rs...)

	r := ok(t, b, "", "topic", "describe", "demo")
	for _, want := range []string{"Topic:               demo", "Partitions:          2", "Replication factor:  1",
		"Configs:             retention.ms=86400000", "PARTITION  LEADER  EPOCH  REPLICAS  ISR"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("describe lacks %q:\n%s", want, r.stdout)
		}
	}

	out := decodeJSON[[]describedTopic](t, ok(t, b, "", "topic", "describe", "demo", "-o", "json").stdout)
	if len(out) != 1 {
		t.Fatalf("json: %+v", out)
	}
	d := out[0]
	if d.Topic != "demo" || d.ID == "" || d.Partitions != 2 || d.ReplicationFactor != 1 ||
		d.Configs["retention.ms"] == nil || *d.Configs["retention.ms"] != "86400000" || len(d.Configs) != 1 {
		t.Errorf("json: %+v", d)
	}
	var total int64
	for i, p := range d.PartitionDetails {
		if p.Partition != int32(i) || p.Leader != 1 || len(p.Replicas) != 1 || len(p.ISR) != 1 || p.LogStartOffset != 0 {
			t.Errorf("partition %d: %+v", i, p)
		}
		total += p.HighWatermark
	}
	if total != 5 {
		t.Errorf("high watermarks add up to %d, want 5", total)
	}
}

func TestTopicDescribeAllAndUnknown(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "one", 1, nil)
	createTopic(t, b, "two", 1, nil)
	all := decodeJSON[[]describedTopic](t, ok(t, b, "", "topic", "describe", "-o", "json").stdout)
	if len(all) != 2 || all[0].Topic != "one" || all[1].Topic != "two" {
		t.Errorf("all topics: %+v", all)
	}
	fails(t, b, 1, "", []string{"topic", "describe", "nope"}, "describe topic nope: UNKNOWN_TOPIC_OR_PARTITION: ")
	// The known one is still described; the exit code says one failed.
	r := fails(t, b, 1, "", []string{"topic", "describe", "one", "nope"}, "nope")
	if !strings.Contains(r.stdout, "Topic:               one") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	ok(t, b, "", "topic", "--describe", "--topic", "one")
}
