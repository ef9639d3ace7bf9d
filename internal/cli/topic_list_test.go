package cli

import (
	"strings"
	"testing"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestTopicListTableNamesAndJSON(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	r := ok(t, b, "", "topic", "list")
	if got := lines(r.stdout); len(got) != 1 || !strings.HasPrefix(got[0], "TOPIC") {
		t.Fatalf("empty cluster: %q", r.stdout)
	}
	createTopic(t, b, "beta", 1, nil)
	createTopic(t, b, "alpha", 3, nil)

	got := lines(ok(t, b, "", "topic", "list").stdout)
	if len(got) != 3 || !strings.HasPrefix(got[1], "alpha ") || !strings.HasPrefix(got[2], "beta ") {
		t.Fatalf("table:\n%s", strings.Join(got, "\n"))
	}
	if f := strings.Fields(got[1]); f[1] != "3" || f[2] != "1" {
		t.Errorf("alpha row: %q", got[1])
	}
	if r := ok(t, b, "", "topic", "list", "-q"); r.stdout != "alpha\nbeta\n" {
		t.Errorf("-q: %q", r.stdout)
	}
	if r := ok(t, b, "", "topic", "--list"); r.stdout != "alpha\nbeta\n" {
		t.Errorf("--list: %q", r.stdout)
	}
	listed := decodeJSON[[]listedTopic](t, ok(t, b, "", "topic", "ls", "-o", "json").stdout)
	if len(listed) != 2 || listed[0] != (listedTopic{Topic: "alpha", ID: listed[0].ID, Partitions: 3, ReplicationFactor: 1}) || listed[0].ID == "" {
		t.Errorf("json: %+v", listed)
	}
}
