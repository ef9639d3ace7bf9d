package controller

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fjordlabs/fjord/internal/metadata"
)

func TestPlanCreatePartitions(t *testing.T) {
	var recs []metadata.Record
	recs = append(recs, brokerRecord(1), brokerRecord(2), brokerRecord(3))
	recs = append(recs, topicRecords("two", uuid(1), []int32{1, 2}, []int32{2, 3})...)
	recs = append(recs, topicRecords("one", uuid(2), []int32{3})...)
	base := buildImage(t, recs...)

	cases := []struct {
		name string
		reqs []CreatePartitions
		want []string
		// added: the replicas of the partitions added, "topic-p:[replicas]"
		added []string
	}{
		{
			name:  "placed like a new topic, leader rotating from the first new id",
			reqs:  []CreatePartitions{{Topic: "two", Count: 5}},
			want:  []string{"ok"},
			added: []string{"two-2:[3 1]", "two-3:[1 2]", "two-4:[2 3]"},
		},
		{
			name:  "manual assignment",
			reqs:  []CreatePartitions{{Topic: "two", Count: 3, Assignment: [][]int32{{3, 1}}}},
			want:  []string{"ok"},
			added: []string{"two-2:[3 1]"},
		},
		{
			name:  "two topics at once",
			reqs:  []CreatePartitions{{Topic: "one", Count: 2}, {Topic: "two", Count: 3}},
			want:  []string{"ok", "ok"},
			added: []string{"one-1:[2]", "two-2:[3 1]"},
		},
		{
			name: "refusals",
			reqs: []CreatePartitions{
				{Topic: "missing", Count: 3},
				{Topic: "two", Count: 2},
				{Topic: "two", Count: 1},
				{Topic: "two", Count: -1},
				{Topic: "two", Count: 4, Assignment: [][]int32{{1, 2}}},
				{Topic: "two", Count: 3, Assignment: [][]int32{}},
				{Topic: "two", Count: 3, Assignment: [][]int32{{}}},
				{Topic: "two", Count: 3, Assignment: [][]int32{{1, 9}}},
				{Topic: "two", Count: 3, Assignment: [][]int32{{2, 2}}},
				{Topic: "two", Count: 3, Assignment: [][]int32{{1}}},
				{Topic: "one", Count: 2},
			},
			want: []string{
				"unknown topic or partition: ",
				"invalid partitions: Topic already has 2 partition(s).",
				"invalid partitions: The topic two currently has 2 partition(s); 1 would not be an increase.",
				"invalid partitions: The topic two currently has 2 partition(s); -1 would not be an increase.",
				"invalid replica assignment: Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.",
				"invalid replica assignment: Attempted to add 1 additional partition(s), but only 0 assignment(s) were specified.",
				"invalid replica assignment: The manual partition assignment includes an empty replica list.",
				"invalid replica assignment: The manual partition assignment includes broker 9, but no such broker is registered.",
				"invalid replica assignment: The manual partition assignment includes the broker 2 more than once.",
				"invalid replica assignment: The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).",
				"ok",
			},
			added: []string{"one-1:[2]"},
		},
		{
			name: "too many for one operation",
			reqs: []CreatePartitions{{Topic: "one", Count: 9000}, {Topic: "two", Count: 2000}},
			want: []string{
				"policy violation: Unable to perform excessively large batch operation.",
				"policy violation: Unable to perform excessively large batch operation.",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, out := planCreatePartitions(base, c.reqs)
			var got []string
			for _, err := range out {
				got = append(got, errString(err))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			var added []string
			for _, r := range recs {
				pr := r.(*metadata.PartitionRecord)
				if pr.Leader != pr.Replicas[0] || fmt.Sprint(pr.ISR) != fmt.Sprint(pr.Replicas) || pr.LeaderEpoch != 0 {
					t.Errorf("partition %d: leader %d isr %v epoch %d", pr.Partition, pr.Leader, pr.ISR, pr.LeaderEpoch)
				}
				t, _ := base.TopicByID(pr.TopicID)
				added = append(added, fmt.Sprintf("%s-%d:%v", t.Name, pr.Partition, pr.Replicas))
			}
			if strings.Join(added, " ") != strings.Join(c.added, " ") {
				t.Fatalf("added %v, want %v", added, c.added)
			}
			// The records apply, and the topics then have the partitions asked for.
			im := applyRecords(t, base, recs...)
			for i, r := range c.reqs {
				if out[i] != nil {
					continue
				}
				if tp, _ := im.Topic(r.Topic); int32(len(tp.Partitions)) != r.Count {
					t.Errorf("%s has %d partitions, want %d", r.Topic, len(tp.Partitions), r.Count)
				}
			}
		})
	}
}

func TestPlanCreatePartitionsReplicationFactorAboveBrokers(t *testing.T) {
	var recs []metadata.Record
	recs = append(recs, brokerRecord(1), brokerRecord(2))
	recs = append(recs, topicRecords("wide", uuid(1), []int32{1, 2})...)
	im := buildImage(t, recs...)
	// A broker gone from the image (a cluster shrinking, later) leaves the
	// topic wider than the cluster; Kafka's placer message applies.
	narrow := buildImage(t, append([]metadata.Record{brokerRecord(1)}, topicRecords("wide", uuid(1), []int32{1, 2})...)...)
	if _, out := planCreatePartitions(im, []CreatePartitions{{Topic: "wide", Count: 2}}); out[0] != nil {
		t.Fatalf("two brokers: %v", out[0])
	}
	_, out := planCreatePartitions(narrow, []CreatePartitions{{Topic: "wide", Count: 2}})
	if got, want := errString(out[0]), "invalid replication factor: The target replication factor of 2 cannot be reached because only 1 broker(s) are registered."; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
