package cli

import "testing"

func TestGroupDeleteRemovesEmptyGroupsOnly(t *testing.T) {
	t.Parallel()
	b := startGroupBroker(t)
	fillDemo(t, b)
	commitOffsets(t, b, "old", map[string]map[int32]int64{"demo": {0: 1}})
	commitOffsets(t, b, "older", map[string]map[int32]int64{"demo": {0: 1}})
	joinGroup(t, b, "live", 1)

	if r := ok(t, b, "", "group", "delete", "old"); r.stdout != "Deleted group old.\n" {
		t.Errorf("stdout: %q", r.stdout)
	}
	if got := committed(t, b, "old"); len(got) != 0 {
		t.Errorf("offsets of a deleted group: %v", got)
	}
	fails(t, b, 1, "", []string{"group", "delete", "live"}, "delete group live: NON_EMPTY_GROUP: ")
	fails(t, b, 1, "", []string{"group", "delete", "old"}, "delete group old: GROUP_ID_NOT_FOUND: ")
	ok(t, b, "", "group", "--delete", "--group", "older")
	if r := ok(t, b, "", "group", "list", "-q"); r.stdout != "live\n" {
		t.Errorf("left: %q", r.stdout)
	}
}
