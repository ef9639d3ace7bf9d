package cli

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// joinGroup runs a kgo group member consuming demo from the start that
// reads n records and commits them; it stays in the group until the test
// ends.
func joinGroup(t *testing.T, b *fjordtest.Broker, group string, n int) *kgo.Client {
	t.Helper()
	cl := b.Client(kgo.ConsumerGroup(group), kgo.ConsumeTopics("demo"), kgo.ClientID("app-1"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	ctx := fjordtest.Context(t)
	var got []*kgo.Record
	for len(got) < n {
		fs := cl.PollRecords(ctx, n-len(got))
		if ctx.Err() != nil {
			t.Fatalf("group member read %d of %d records", len(got), n)
		}
		got = append(got, fs.Records()...)
	}
	if err := cl.CommitRecords(ctx, got...); err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestGroupDescribeShowsMembersAssignmentsOffsetsAndLag(t *testing.T) {
	t.Parallel()
	b := startGroupBroker(t)
	fillDemo(t, b)
	joinGroup(t, b, "app", 8)
	// Two more records on partition 0 that the member has not committed.
	produceRecords(t, b, &kgo.Record{Topic: "demo", Partition: 0, Value: []byte("x")}, &kgo.Record{Topic: "demo", Partition: 0, Value: []byte("y")})

	out := decodeJSON[[]describedGroup](t, ok(t, b, "", "group", "describe", "app", "-o", "json").stdout)
	if len(out) != 1 {
		t.Fatalf("json: %+v", out)
	}
	d := out[0]
	if d.Group != "app" || d.State != "Stable" || d.ProtocolType != "consumer" || d.Protocol == "" || d.Coordinator != 1 {
		t.Errorf("group: %+v", d)
	}
	if len(d.Members) != 1 || d.Members[0].ClientID != "app-1" || formatAssignment(d.Members[0].Assignment) != "demo:0,1" {
		t.Fatalf("members: %+v", d.Members)
	}
	if len(d.Offsets) != 2 {
		t.Fatalf("offsets: %+v", d.Offsets)
	}
	var lag int64
	for _, p := range d.Offsets {
		want := map[int32]int64{0: 5, 1: 3}[p.Partition]
		if p.CommittedOffset != want || p.MemberID != d.Members[0].MemberID || p.Lag != p.LogEndOffset-want {
			t.Errorf("partition %d: %+v, want committed %d", p.Partition, p, want)
		}
		lag += p.Lag
	}
	if lag != 2 || d.TotalLag != 2 {
		t.Errorf("lag %d, total %d; want the 2 new records", lag, d.TotalLag)
	}

	r := ok(t, b, "", "group", "describe", "app")
	for _, want := range []string{"State:        Stable", "Members:      1", "Total lag:    2", "app-1", "demo:0,1",
		"TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	r = ok(t, b, "", "group", "--describe", "--group", "app", "--members")
	if strings.Contains(r.stdout, "CURRENT-OFFSET") || !strings.Contains(r.stdout, "app-1") {
		t.Errorf("--members:\n%s", r.stdout)
	}
}

func TestGroupDescribeEmptyAllAndUnknown(t *testing.T) {
	t.Parallel()
	b := startGroupBroker(t)
	fillDemo(t, b)
	commitOffsets(t, b, "idle", map[string]map[int32]int64{"demo": {0: 2}})
	commitOffsets(t, b, "other", map[string]map[int32]int64{"demo": {1: 3}})
	out := decodeJSON[[]describedGroup](t, ok(t, b, "", "group", "describe", "--all", "-o", "json").stdout)
	if len(out) != 2 || out[0].Group != "idle" || out[0].State != "Empty" || len(out[0].Members) != 0 ||
		len(out[0].Offsets) != 1 || out[0].Offsets[0].CommittedOffset != 2 || out[0].Offsets[0].Lag != 3 || out[0].TotalLag != 3 {
		t.Errorf("--all: %+v", out)
	}
	fails(t, b, 1, "", []string{"group", "describe", "nope"}, "describe group nope: GROUP_ID_NOT_FOUND: ")
	fails(t, b, 2, "", []string{"group", "describe"}, "name the group")
}
