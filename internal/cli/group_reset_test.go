package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestGroupResetShowsThePlanAndChangesNothingWithoutExecute(t *testing.T) {
	t.Parallel()
	b := startGroupBroker(t)
	fillDemo(t, b)
	start := map[string]map[int32]int64{"demo": {0: 4, 1: 3}}
	commitOffsets(t, b, "app", start)

	r := ok(t, b, "", "group", "reset", "app", "--topic", "demo", "--to-earliest")
	want := []string{"GROUP TOPIC PARTITION CURRENT-OFFSET NEW-OFFSET", "app demo 0 4 0", "app demo 1 3 0"}
	got := lines(r.stdout)
	for i := range got {
		got[i] = strings.Join(strings.Fields(got[i]), " ")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "Dry run: nothing changed") {
		t.Errorf("stderr: %q", r.stderr)
	}
	if c := committed(t, b, "app"); fmt.Sprint(c) != fmt.Sprint(start) {
		t.Errorf("a dry run changed the offsets: %v", c)
	}
	plan := decodeJSON[resetPlan](t, ok(t, b, "", "group", "reset", "app", "--topic", "demo:1", "--shift-by", "-1", "--dry-run", "-o", "json").stdout)
	if plan.Executed || len(plan.Offsets) != 1 || plan.Offsets[0] != (resetPlanEntry{Topic: "demo", Partition: 1, CurrentOffset: 3, NewOffset: 2}) {
		t.Errorf("json plan: %+v", plan)
	}
}

func TestGroupResetStrategiesWithExecute(t *testing.T) {
	t.Parallel()
	b := startGroupBroker(t)
	fillDemo(t, b) // partition 0: offsets 0-4, times ...000-...004; partition 1: 0-2, times ...005-...007
	for _, c := range []struct {
		args []string
		want map[int32]int64
	}{
		{[]string{"--topic", "demo", "--to-earliest"}, map[int32]int64{0: 0, 1: 0}},
		{[]string{"--topic", "demo", "--to-latest"}, map[int32]int64{0: 5, 1: 3}},
		{[]string{"--topic", "demo", "--to-offset", "4"}, map[int32]int64{0: 4, 1: 3}},
		{[]string{"--topic", "demo", "--shift-by", "-2"}, map[int32]int64{0: 1, 1: 0}},
		{[]string{"--topic", "demo", "--shift-by", "10"}, map[int32]int64{0: 5, 1: 3}},
		{[]string{"--topic", "demo:1", "--to-earliest"}, map[int32]int64{0: 3, 1: 0}},
		{[]string{"--all-topics", "--to-datetime", "2023-11-14T22:13:20.003Z"}, map[int32]int64{0: 3, 1: 0}},
		{[]string{"--all-topics", "--to-datetime", "2023-11-14T23:13:20.006+01:00"}, map[int32]int64{0: 5, 1: 1}},
		{[]string{"--topic", "demo", "--to-datetime", "1700000000001"}, map[int32]int64{0: 1, 1: 0}},
		{[]string{"--topic", "demo", "--by-duration", "PT1H"}, map[int32]int64{0: 5, 1: 3}},
		{[]string{"--all-topics", "--to-current"}, map[int32]int64{0: 3, 1: 2}},
	} {
		commitOffsets(t, b, "app", map[string]map[int32]int64{"demo": {0: 3, 1: 2}})
		r := ok(t, b, "", append([]string{"group", "reset", "app", "--execute"}, c.args...)...)
		if !strings.Contains(r.stderr, "Reset the offsets of group app") {
			t.Errorf("%v: stderr %q", c.args, r.stderr)
		}
		if got := committed(t, b, "app")["demo"]; fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%v: offsets %v, want %v", c.args, got, c.want)
		}
	}
	// kafka-consumer-groups.sh's form.
	ok(t, b, "", "group", "--reset-offsets", "--group", "app", "--topic", "demo", "--to-earliest", "--execute")
	if got := committed(t, b, "app")["demo"]; got[0] != 0 || got[1] != 0 {
		t.Errorf("--reset-offsets: %v", got)
	}
	// A group that does not exist yet gets its offsets.
	ok(t, b, "", "group", "reset", "new-app", "--topic", "demo", "--to-offset", "2", "--execute")
	if got := committed(t, b, "new-app")["demo"]; got[0] != 2 || got[1] != 2 {
		t.Errorf("new group: %v", got)
	}
	fails(t, b, 1, "", []string{"group", "reset", "app", "--topic", "nope", "--to-earliest"}, "UNKNOWN_TOPIC_OR_PARTITION")
	fails(t, b, 1, "", []string{"group", "reset", "app", "--topic", "demo:9", "--to-earliest"}, "partition 9", "UNKNOWN_TOPIC_OR_PARTITION")
	fails(t, b, 1, "", []string{"group", "reset", "fresh", "--topic", "demo", "--shift-by", "1"}, "no committed offset to shift")
}

func TestGroupResetRefusesAnActiveGroup(t *testing.T) {
	t.Parallel()
	b := startGroupBroker(t)
	fillDemo(t, b)
	joinGroup(t, b, "live", 8)
	before := committed(t, b, "live")
	fails(t, b, 1, "", []string{"group", "reset", "live", "--topic", "demo", "--to-earliest", "--execute"},
		"reset offsets of group live: Assignments can only be reset if the group 'live' is inactive, but the current state is Stable")
	if after := committed(t, b, "live"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("offsets changed: %v -> %v", before, after)
	}
}

func TestParseResetValues(t *testing.T) {
	utc := time.UTC
	for in, want := range map[string]time.Time{
		"2024-05-01T12:00:00":           time.Date(2024, 5, 1, 12, 0, 0, 0, utc),
		"2024-05-01T12:00:00.250":       time.Date(2024, 5, 1, 12, 0, 0, 250e6, utc),
		"2024-05-01T12:00:00Z":          time.Date(2024, 5, 1, 12, 0, 0, 0, utc),
		"2024-05-01T12:00:00.000+02:00": time.Date(2024, 5, 1, 10, 0, 0, 0, utc),
		"2024-05-01T12:00:00-0100":      time.Date(2024, 5, 1, 13, 0, 0, 0, utc),
		"2024-05-01T12:00":              time.Date(2024, 5, 1, 12, 0, 0, 0, utc),
		"2024-05-01":                    time.Date(2024, 5, 1, 0, 0, 0, 0, utc),
		"1714564800000":                 time.Date(2024, 5, 1, 12, 0, 0, 0, utc),
	} {
		got, err := parseDatetime(in, utc)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "2024-13-01", "12:00"} {
		if _, err := parseDatetime(bad, utc); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	for in, want := range map[string]time.Duration{
		"PT1H": time.Hour, "P1DT2H": 26 * time.Hour, "PT30M": 30 * time.Minute, "PT1.5S": 1500 * time.Millisecond,
		"pt10m": 10 * time.Minute, "90m": 90 * time.Minute, "36h": 36 * time.Hour,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"P", "PT", "-PT1H", "PT0S", "1d", "-5m"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	if topic, ps, err := parseTopicPartitions("orders:0,2"); err != nil || topic != "orders" || fmt.Sprint(ps) != "[0 2]" {
		t.Errorf("orders:0,2: %q %v %v", topic, ps, err)
	}
	for _, bad := range []string{":0", "orders:x", "orders:-1"} {
		if _, _, err := parseTopicPartitions(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
