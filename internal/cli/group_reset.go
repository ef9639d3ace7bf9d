package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// resetStrategy is where the offsets go.
type resetStrategy int

const (
	resetToEarliest resetStrategy = iota + 1
	resetToLatest
	resetToOffset
	resetShiftBy
	resetToTime // to the first offset at or after a timestamp
	resetToCurrent
)

type groupResetOptions struct {
	group     string
	topics    map[string][]int32 // topic -> partitions; nil partitions: all
	allTopics bool               // every topic the group has offsets for
	strategy  resetStrategy
	value     int64 // the offset, the shift, or the timestamp in ms
	execute   bool
}

// groupResetFlags are the flags of `group reset`, Kafka's names, shared
// with `group --reset-offsets`.
type groupResetFlags struct {
	topics                          []string
	allTopics                       bool
	toEarliest, toLatest, toCurrent bool
	toOffset, shiftBy               string
	toDatetime, byDuration          string
	execute, dryRun                 bool
	now                             func() time.Time
}

func (f *groupResetFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringArrayVar(&f.topics, "topic", nil, "topic to reset, or topic:0,1,2 for some partitions (repeatable)")
	fs.BoolVar(&f.allTopics, "all-topics", false, "every topic the group has committed offsets for")
	fs.BoolVar(&f.toEarliest, "to-earliest", false, "to the oldest offset still in the log")
	fs.BoolVar(&f.toLatest, "to-latest", false, "to the end of the log (skip everything)")
	fs.StringVar(&f.toOffset, "to-offset", "", "to this offset (kept within the log)")
	fs.StringVar(&f.shiftBy, "shift-by", "", "move the committed offset by N (negative: back)")
	fs.StringVar(&f.toDatetime, "to-datetime", "", "to the first record at or after this time, e.g. 2024-05-01T12:00:00 (local) or ...Z")
	fs.StringVar(&f.byDuration, "by-duration", "", "to the first record this long ago: PT1H30M (ISO 8601) or 90m")
	fs.BoolVar(&f.toCurrent, "to-current", false, "to the committed offsets (no change; useful with --all-topics to list them)")
	fs.BoolVar(&f.execute, "execute", false, "apply the plan (without it nothing changes)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "show the plan only (the default)")
}

// options checks the flags and returns what to do.
func (f *groupResetFlags) options(group string) (groupResetOptions, error) {
	o := groupResetOptions{group: group, allTopics: f.allTopics, execute: f.execute, topics: map[string][]int32{}}
	if f.execute && f.dryRun {
		return o, usagef("give either --execute or --dry-run, not both")
	}
	if len(f.topics) == 0 && !f.allTopics {
		return o, usagef("say which offsets to reset: --topic TOPIC[:PARTITIONS] or --all-topics")
	}
	if len(f.topics) > 0 && f.allTopics {
		return o, usagef("give either --topic or --all-topics, not both")
	}
	for _, spec := range f.topics {
		t, ps, err := parseTopicPartitions(spec)
		if err != nil {
			return o, err
		}
		if old, seen := o.topics[t]; seen && (old == nil || ps == nil) {
			o.topics[t] = nil
		} else {
			o.topics[t] = append(old, ps...)
		}
	}
	var chosen []string
	now := time.Now
	if f.now != nil {
		now = f.now
	}
	if f.toEarliest {
		chosen, o.strategy = append(chosen, "--to-earliest"), resetToEarliest
	}
	if f.toLatest {
		chosen, o.strategy = append(chosen, "--to-latest"), resetToLatest
	}
	if f.toCurrent {
		chosen, o.strategy = append(chosen, "--to-current"), resetToCurrent
	}
	if f.toOffset != "" {
		n, err := strconv.ParseInt(f.toOffset, 10, 64)
		if err != nil || n < 0 {
			return o, usagef("--to-offset %q is not an offset", f.toOffset)
		}
		chosen, o.strategy, o.value = append(chosen, "--to-offset"), resetToOffset, n
	}
	if f.shiftBy != "" {
		n, err := strconv.ParseInt(f.shiftBy, 10, 64)
		if err != nil {
			return o, usagef("--shift-by %q is not a number", f.shiftBy)
		}
		chosen, o.strategy, o.value = append(chosen, "--shift-by"), resetShiftBy, n
	}
	if f.toDatetime != "" {
		t, err := parseDatetime(f.toDatetime, time.Local)
		if err != nil {
			return o, UsageError{err}
		}
		chosen, o.strategy, o.value = append(chosen, "--to-datetime"), resetToTime, t.UnixMilli()
	}
	if f.byDuration != "" {
		d, err := parseDuration(f.byDuration)
		if err != nil {
			return o, UsageError{err}
		}
		chosen, o.strategy, o.value = append(chosen, "--by-duration"), resetToTime, now().Add(-d).UnixMilli()
	}
	switch len(chosen) {
	case 0:
		return o, usagef("say where to: --to-earliest, --to-latest, --to-offset N, --shift-by N, --to-datetime T, --by-duration D or --to-current")
	case 1:
		return o, nil
	}
	return o, usagef("give only one of %s", strings.Join(chosen, ", "))
}

func newGroupResetCommand(g *Globals) *cobra.Command {
	var (
		f     groupResetFlags
		group string
	)
	cmd := &cobra.Command{
		Use:     "reset GROUP (--topic T[:P,...] | --all-topics) (--to-earliest | --to-latest | --to-offset N | --shift-by N | --to-datetime T | --by-duration D | --to-current) [--execute]",
		Aliases: []string{"reset-offsets"},
		Short:   "Move a group's committed offsets (shows the plan; --execute applies it)",
		Long: `Move the committed offsets of a group: to the oldest or newest record, to
an offset, by a number of records, or to the first record at or after a
time. Offsets are kept within each partition's log. Without --execute only
the plan is shown and nothing changes.

As in Kafka, only a group without active members can be reset: stop its
consumers first. --to-datetime takes 2024-05-01T12:00:00[.000] in local time,
or with Z or +02:00; --by-duration takes ISO 8601 (P1DT2H, PT30M) or Go
durations (90m, 36h).`,
		Example: `  fjord group reset billing --topic orders --to-earliest
  fjord group reset billing --topic orders --to-earliest --execute
  fjord group reset billing --topic orders:0,1 --shift-by -100 --execute
  fjord group reset billing --all-topics --to-datetime 2024-05-01T00:00:00Z --execute
  fjord group reset billing --topic orders --by-duration PT1H --execute`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if group != "" {
				args = append(args, group)
			}
			if len(args) != 1 {
				return usagef("name one group to reset: fjord group reset GROUP --topic T --to-earliest")
			}
			o, err := f.options(args[0])
			if err != nil {
				return err
			}
			return runGroupReset(cmd.Context(), g, o)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&group, "group", "", "group name, as in kafka-consumer-groups.sh")
	return cmd
}

type resetPlanEntry struct {
	Topic         string `json:"topic"`
	Partition     int32  `json:"partition"`
	CurrentOffset int64  `json:"current_offset"` // -1: none committed
	NewOffset     int64  `json:"new_offset"`
}

type resetPlan struct {
	Group    string           `json:"group"`
	Executed bool             `json:"executed"`
	Offsets  []resetPlanEntry `json:"offsets"`
}

func runGroupReset(ctx context.Context, g *Globals, o groupResetOptions) error {
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := g.ctx(ctx)
	defer cancel()
	what := "reset offsets of group " + o.group

	described, err := adm.DescribeGroups(ctx, o.group)
	if err != nil {
		return g.kafkaError(what, shardErr(err), "")
	}
	d, ok := described[o.group]
	switch {
	case !ok:
		return fmt.Errorf("%s: no answer for it", what)
	case d.Err != nil && !errors.Is(d.Err, kerr.GroupIDNotFound):
		return g.kafkaError(what, d.Err, d.ErrMessage)
	case d.Err == nil && d.State != "Empty" && d.State != "Dead":
		return fmt.Errorf("%s: Assignments can only be reset if the group '%s' is inactive, but the current state is %s (%s): stop its consumers first",
			what, o.group, d.State, plural(int64(len(d.Members)), "member"))
	}

	current, err := adm.FetchOffsets(ctx, o.group)
	if err != nil {
		return g.kafkaError(what, err, "")
	}
	if err := current.Error(); err != nil {
		return g.kafkaError("fetch the offsets of group "+o.group, err, "")
	}
	topics := o.topics
	if o.allTopics {
		topics = map[string][]int32{}
		for t := range current {
			topics[t] = nil
		}
		if len(topics) == 0 {
			return fmt.Errorf("%s: the group has no committed offsets; name the topics with --topic", what)
		}
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	sort.Strings(names)
	starts, ends, err := listPartitionOffsets(ctx, g, adm, names, nil)
	if err != nil {
		return err
	}
	var atTime kadm.ListedOffsets
	if o.strategy == resetToTime {
		if atTime, err = adm.ListOffsetsAfterMilli(ctx, o.value, names...); err != nil {
			return g.kafkaError("list offsets by time", shardErr(err), "")
		}
	}

	plan := resetPlan{Group: o.group, Executed: o.execute, Offsets: []resetPlanEntry{}}
	commit := kadm.Offsets{}
	for _, t := range names {
		ps := topics[t]
		if ps == nil {
			for p := range ends[t] {
				ps = append(ps, p)
			}
		}
		slices.Sort(ps)
		ps = slices.Compact(ps)
		for _, p := range ps {
			start, okS := starts[t][p]
			end, okE := ends[t][p]
			if !okS || !okE {
				return g.kafkaError(fmt.Sprintf("%s: topic %s partition %d", what, t, p), kerr.UnknownTopicOrPartition,
					fmt.Sprintf("topic %s has %s", t, plural(int64(len(ends[t])), "partition")))
			}
			cur := int64(-1)
			if c, ok := current.Lookup(t, p); ok && c.Err == nil {
				cur = c.At
			}
			var next int64
			switch o.strategy {
			case resetToEarliest:
				next = start
			case resetToLatest:
				next = end
			case resetToOffset:
				next = o.value
			case resetShiftBy:
				if cur < 0 {
					return fmt.Errorf("%s: topic %s partition %d has no committed offset to shift", what, t, p)
				}
				next = cur + o.value
			case resetToCurrent:
				if cur < 0 {
					continue
				}
				next = cur
			case resetToTime:
				next = end
				if lo, ok := atTime.Lookup(t, p); ok && lo.Err == nil && lo.Offset >= 0 {
					next = lo.Offset
				}
			}
			next = min(max(next, start), end)
			plan.Offsets = append(plan.Offsets, resetPlanEntry{Topic: t, Partition: p, CurrentOffset: cur, NewOffset: next})
			commit.AddOffset(t, p, next, -1)
		}
	}

	if o.execute && len(plan.Offsets) > 0 {
		resps, err := adm.CommitOffsets(ctx, o.group, commit)
		if err != nil {
			return g.kafkaError(what, err, "")
		}
		for _, e := range plan.Offsets {
			if r, ok := resps.Lookup(e.Topic, e.Partition); ok && r.Err != nil {
				return g.kafkaError(fmt.Sprintf("%s: topic %s partition %d", what, e.Topic, e.Partition), r.Err, "")
			}
		}
	}
	if err := printResetPlan(g, plan); err != nil {
		return err
	}
	switch {
	case !o.execute:
		fmt.Fprintln(g.stderr, "Dry run: nothing changed. Add --execute to apply.")
	default:
		fmt.Fprintf(g.stderr, "Reset the offsets of group %s on %s.\n", o.group, plural(int64(len(plan.Offsets)), "partition"))
	}
	return nil
}

func printResetPlan(g *Globals, plan resetPlan) error {
	if g.json() {
		return writeJSON(g.stdout, plan)
	}
	t := newTable(g.stdout, "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET")
	for _, e := range plan.Offsets {
		cur := ""
		if e.CurrentOffset >= 0 {
			cur = fmt.Sprint(e.CurrentOffset)
		}
		t.row(plan.Group, e.Topic, e.Partition, cur, e.NewOffset)
	}
	return t.flush()
}

// parseTopicPartitions reads "topic" or "topic:0,1,2".
func parseTopicPartitions(spec string) (string, []int32, error) {
	t, list, hasList := strings.Cut(spec, ":")
	if t == "" {
		return "", nil, usagef("--topic %q: no topic name", spec)
	}
	if !hasList {
		return t, nil, nil
	}
	var ps []int32
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
		if err != nil || n < 0 {
			return "", nil, usagef("--topic %q: %q is not a partition number", spec, s)
		}
		ps = append(ps, int32(n))
	}
	return t, ps, nil
}

// datetimeLayouts are the forms --to-datetime accepts: Kafka's
// yyyy-MM-ddTHH:mm:SS.sss with an optional zone, and shorter ones.
var datetimeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseDatetime reads a --to-datetime value; without a zone it is in loc.
// All digits is a Unix timestamp in milliseconds.
func parseDatetime(s string, loc *time.Location) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) > 8 {
		return time.UnixMilli(ms), nil
	}
	for _, layout := range datetimeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--to-datetime %q: give a time like 2024-05-01T12:00:00, 2024-05-01T12:00:00.000Z or 2024-05-01T12:00:00+02:00", s)
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// parseDuration reads a --by-duration value: ISO 8601 (Kafka's form,
// PnDTnHnMnS) or a Go duration.
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("--by-duration %q: give an ISO 8601 duration like PT1H30M or P1D, or 90m", s)
	if m := isoDuration.FindStringSubmatch(strings.ToUpper(s)); m != nil && s != "P" && !strings.HasSuffix(strings.ToUpper(s), "T") {
		var d time.Duration
		for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
			if m[i+1] != "" {
				n, _ := strconv.ParseInt(m[i+1], 10, 64)
				d += time.Duration(n) * unit
			}
		}
		if m[4] != "" {
			secs, _ := strconv.ParseFloat(m[4], 64)
			d += time.Duration(secs * float64(time.Second))
		}
		if d <= 0 {
			return 0, bad
		}
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, bad
	}
	return d, nil
}
