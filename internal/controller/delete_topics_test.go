package controller

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fjordlabs/fjord/internal/metadata"
)

// buildImage applies records to the empty image.
func buildImage(t *testing.T, recs ...metadata.Record) *metadata.Image {
	t.Helper()
	return applyRecords(t, metadata.Empty, recs...)
}

// applyRecords applies a plan's records to an image, as the metadata log
// would once they are committed.
func applyRecords(t *testing.T, im *metadata.Image, recs ...metadata.Record) *metadata.Image {
	t.Helper()
	d := metadata.NewDelta(im)
	for i, r := range recs {
		if err := d.Replay(im.Offset()+1+int64(i), r); err != nil {
			t.Fatalf("record %d (%T): %v", i, r, err)
		}
	}
	return d.Apply()
}

func brokerRecord(id int32) metadata.Record {
	return &metadata.RegisterBrokerRecord{BrokerID: id, IncarnationID: metadata.NewUUID()}
}

// topicRecords creates a topic whose partitions have the given replicas.
func topicRecords(name string, id metadata.UUID, replicas ...[]int32) []metadata.Record {
	recs := []metadata.Record{&metadata.TopicRecord{Name: name, TopicID: id}}
	for p, r := range replicas {
		recs = append(recs, partitionRecord(id, int32(p), r))
	}
	return recs
}

func topicConfig(topic, key, value string) metadata.Record {
	return &metadata.ConfigRecord{ResourceType: metadata.ResourceTopic, ResourceName: topic, Name: key, Value: &value}
}

func uuid(b byte) metadata.UUID { return metadata.UUID{0: b, 15: b} }

// errString renders an error as "sentinel: message" for comparisons.
func errString(err error) string {
	if err == nil {
		return "ok"
	}
	var ce *Error
	if errors.As(err, &ce) {
		return fmt.Sprintf("%v: %s", ce.Kind, ce.Message)
	}
	return err.Error()
}

func TestPlanDeleteTopics(t *testing.T) {
	var recs []metadata.Record
	recs = append(recs, brokerRecord(1))
	recs = append(recs, topicRecords("a", uuid(1), []int32{1}, []int32{1})...)
	recs = append(recs, topicRecords("b", uuid(2), []int32{1})...)
	recs = append(recs, topicConfig("a", "retention.ms", "1000"))
	base := buildImage(t, recs...)

	cases := []struct {
		name    string
		refs    []TopicRef
		want    []string // per ref: "name id result"
		removed []string // topics gone after applying the plan
	}{
		{
			name:    "by name",
			refs:    []TopicRef{{Name: "a"}},
			want:    []string{"a 1 ok"},
			removed: []string{"a"},
		},
		{
			name:    "by id",
			refs:    []TopicRef{{ID: uuid(2)}},
			want:    []string{"b 2 ok"},
			removed: []string{"b"},
		},
		{
			name: "unknown name and id",
			refs: []TopicRef{{Name: "nope"}, {ID: uuid(9)}, {Name: ""}},
			want: []string{
				"nope 0 unknown topic or partition: This server does not host this topic-partition.",
				" 9 unknown topic id: ",
				" 0 unknown topic or partition: This server does not host this topic-partition.",
			},
		},
		{
			name: "name and id of the same topic",
			refs: []TopicRef{{Name: "a"}, {ID: uuid(1)}, {Name: "b"}},
			want: []string{
				"a 1 invalid request: The provided topic name maps to an ID that was already supplied.",
				"a 1 invalid request: The provided topic name maps to an ID that was already supplied.",
				"b 2 ok",
			},
			removed: []string{"b"},
		},
		{
			name:    "both",
			refs:    []TopicRef{{Name: "b"}, {Name: "a"}},
			want:    []string{"b 2 ok", "a 1 ok"},
			removed: []string{"a", "b"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, out := planDeleteTopics(base, c.refs)
			var got []string
			for _, d := range out {
				got = append(got, fmt.Sprintf("%s %d %s", d.Name, d.ID[0], errString(d.Err)))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if len(recs) != len(c.removed) {
				t.Fatalf("%d records for %d removals", len(recs), len(c.removed))
			}
			im := applyRecords(t, base, recs...)
			for _, name := range c.removed {
				if _, ok := im.Topic(name); ok {
					t.Errorf("%s still exists", name)
				}
				if cfg := im.TopicConfigs(name); len(cfg) != 0 {
					t.Errorf("%s's configs survived: %v", name, cfg)
				}
			}
			if im.NumTopics() != 2-len(c.removed) {
				t.Errorf("%d topics left", im.NumTopics())
			}
		})
	}
}
