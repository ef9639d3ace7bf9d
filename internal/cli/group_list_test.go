package cli

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// startGroupBroker starts a broker whose new groups form at once.
func startGroupBroker(t *testing.T) *fjordtest.Broker {
	return fjordtest.Start(t, "group.initial.rebalance.delay.ms=0")
}

// commitOffsets commits offsets for a group without members, as a tool
// does; the group exists afterwards, Empty.
func commitOffsets(t *testing.T, b *fjordtest.Broker, group string, offsets map[string]map[int32]int64) {
	t.Helper()
	os := kadm.Offsets{}
	for topic, ps := range offsets {
		for p, at := range ps {
			os.AddOffset(topic, p, at, -1)
		}
	}
	if err := b.Admin().CommitAllOffsets(fjordtest.Context(t), group, os); err != nil {
		t.Fatal(err)
	}
}

// committed returns a group's committed offsets.
func committed(t *testing.T, b *fjordtest.Broker, group string) map[string]map[int32]int64 {
	t.Helper()
	resps, err := b.Admin().FetchOffsets(fjordtest.Context(t), group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[int32]int64{}
	resps.Each(func(r kadm.OffsetResponse) {
		if r.Err != nil {
			t.Fatalf("fetch offsets of %s: %v", group, r.Err)
		}
		if out[r.Topic] == nil {
			out[r.Topic] = map[int32]int64{}
		}
		out[r.Topic][r.Partition] = r.At
	})
	return out
}

func TestGroupListShowsGroupsAndStates(t *testing.T) {
	t.Parallel()
	b := startGroupBroker(t)
	if r := ok(t, b, "", "group", "list", "-q"); r.stdout != "" {
		t.Errorf("no groups: %q", r.stdout)
	}
	fillDemo(t, b)
	commitOffsets(t, b, "beta", map[string]map[int32]int64{"demo": {0: 1}})
	commitOffsets(t, b, "alpha", map[string]map[int32]int64{"demo": {1: 2}})

	got := lines(ok(t, b, "", "group", "list").stdout)
	if len(got) != 3 || strings.Join(strings.Fields(got[1]), " ") != "alpha Empty - 1" ||
		!strings.HasPrefix(got[2], "beta ") {
		t.Errorf("table:\n%s", strings.Join(got, "\n"))
	}
	if r := ok(t, b, "", "group", "list", "-q"); r.stdout != "alpha\nbeta\n" {
		t.Errorf("-q: %q", r.stdout)
	}
	if r := ok(t, b, "", "group", "--list"); r.stdout != "alpha\nbeta\n" {
		t.Errorf("--list: %q", r.stdout)
	}
	if r := ok(t, b, "", "group", "list", "--state", "Stable", "-q"); r.stdout != "" {
		t.Errorf("--state Stable: %q", r.stdout)
	}
	listed := decodeJSON[[]listedGroup](t, ok(t, b, "", "group", "list", "-o", "json").stdout)
	if len(listed) != 2 || listed[0] != (listedGroup{Group: "alpha", State: "Empty", Coordinator: 1}) {
		t.Errorf("json: %+v", listed)
	}
}
