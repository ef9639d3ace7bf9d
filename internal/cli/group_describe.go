package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

type groupDescribeOptions struct {
	groups      []string
	all         bool
	membersOnly bool
}

func newGroupDescribeCommand(g *Globals) *cobra.Command {
	var (
		o     groupDescribeOptions
		group []string
	)
	cmd := &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Show a group's state, members, assignments, committed offsets and lag",
		Long: `Show each group's state, protocol and coordinator, its members with their
assigned partitions, and per partition the committed offset, the log end
offset and the lag (how many records the group has still to read).`,
		Example: `  fjord group describe billing
  fjord group describe --all
  fjord group describe billing -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.groups = append(args, group...)
			if len(o.groups) == 0 && !o.all {
				return usagef("name the group to describe, or give --all")
			}
			return runGroupDescribe(cmd.Context(), g, o)
		},
	}
	cmd.Flags().BoolVarP(&o.all, "all", "a", false, "describe every group")
	cmd.Flags().StringArrayVar(&group, "group", nil, "group name, as in kafka-consumer-groups.sh (repeatable)")
	return cmd
}

type describedGroup struct {
	Group        string           `json:"group"`
	State        string           `json:"state"`
	ProtocolType string           `json:"protocol_type"`
	Protocol     string           `json:"protocol"`
	Coordinator  int32            `json:"coordinator"`
	Members      []groupMember    `json:"members"`
	Offsets      []groupPartition `json:"offsets"`
	TotalLag     int64            `json:"total_lag"`
}

type groupMember struct {
	MemberID   string             `json:"member_id"`
	InstanceID *string            `json:"instance_id"`
	ClientID   string             `json:"client_id"`
	Host       string             `json:"host"`
	Assignment map[string][]int32 `json:"assignment"`
}

type groupPartition struct {
	Topic           string `json:"topic"`
	Partition       int32  `json:"partition"`
	CommittedOffset int64  `json:"committed_offset"` // -1: none
	LogStartOffset  int64  `json:"log_start_offset"`
	LogEndOffset    int64  `json:"log_end_offset"`
	Lag             int64  `json:"lag"` // -1: no committed offset
	MemberID        string `json:"member_id,omitempty"`
	ClientID        string `json:"client_id,omitempty"`
	Host            string `json:"host,omitempty"`
	Error           string `json:"error,omitempty"`
}

func runGroupDescribe(ctx context.Context, g *Globals, o groupDescribeOptions) error {
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := g.ctx(ctx)
	defer cancel()
	groups := o.groups
	if o.all {
		listed, err := adm.ListGroups(ctx)
		if err != nil {
			return g.kafkaError("list groups", shardErr(err), "")
		}
		groups = listed.Groups()
		if len(groups) == 0 {
			if g.json() {
				return writeJSON(g.stdout, []describedGroup{})
			}
			fmt.Fprintln(g.stdout, "No groups.")
			return nil
		}
	}
	lags, err := adm.Lag(ctx, groups...)
	if err != nil {
		return g.kafkaError("describe groups", shardErr(err), "")
	}
	sort.Strings(groups)
	var (
		out  = []describedGroup{}
		errs []error
	)
	for _, name := range groups {
		l, ok := lags[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("describe group %s: no answer for it", name))
			continue
		case l.DescribeErr != nil:
			errs = append(errs, g.kafkaError("describe group "+name, l.DescribeErr, ""))
			continue
		case l.FetchErr != nil:
			errs = append(errs, g.kafkaError("fetch the offsets of group "+name, l.FetchErr, ""))
			continue
		case l.State == "Dead" && len(l.Members) == 0 && len(l.Lag) == 0:
			errs = append(errs, g.kafkaError("describe group "+name, kerr.GroupIDNotFound, "group "+name+" does not exist"))
			continue
		}
		out = append(out, toDescribedGroup(l))
	}
	if err := printDescribedGroups(g, out, o.membersOnly); err != nil {
		return err
	}
	return joinErrors(errs)
}

func toDescribedGroup(l kadm.DescribedGroupLag) describedGroup {
	d := describedGroup{Group: l.Group, State: l.State, ProtocolType: l.ProtocolType, Protocol: l.Protocol,
		Coordinator: l.Coordinator.NodeID, Members: []groupMember{}, Offsets: []groupPartition{}}
	for _, m := range l.Members {
		gm := groupMember{MemberID: m.MemberID, InstanceID: m.InstanceID, ClientID: m.ClientID, Host: m.ClientHost,
			Assignment: map[string][]int32{}}
		if c, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range c.Topics {
				ps := append([]int32(nil), t.Partitions...)
				sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
				gm.Assignment[t.Topic] = ps
			}
		}
		d.Members = append(d.Members, gm)
	}
	for _, ml := range l.Lag.Sorted() {
		if ml.Commit.At < 0 && ml.Member == nil {
			continue // neither committed nor assigned: not the group's
		}
		if ml.Commit.At < 0 {
			// As kafka-consumer-groups.sh: where the member will start
			// is unknown, so is the lag.
			ml.Lag = -1
		}
		gp := groupPartition{Topic: ml.Topic, Partition: ml.Partition, CommittedOffset: ml.Commit.At,
			LogStartOffset: ml.Start.Offset, LogEndOffset: ml.End.Offset, Lag: ml.Lag}
		if ml.Start.Err != nil {
			gp.LogStartOffset = -1
		}
		if ml.End.Err != nil {
			gp.LogEndOffset = -1
		}
		if ml.Member != nil {
			gp.MemberID, gp.ClientID, gp.Host = ml.Member.MemberID, ml.Member.ClientID, ml.Member.ClientHost
		}
		if ml.Err != nil {
			gp.Error = ml.Err.Error()
		}
		if ml.Lag > 0 {
			d.TotalLag += ml.Lag
		}
		d.Offsets = append(d.Offsets, gp)
	}
	return d
}

func printDescribedGroups(g *Globals, out []describedGroup, membersOnly bool) error {
	if g.json() {
		return writeJSON(g.stdout, out)
	}
	for i, d := range out {
		if i > 0 {
			fmt.Fprintln(g.stdout)
		}
		t := newTable(g.stdout)
		t.row("Group:", d.Group)
		t.row("State:", d.State)
		proto := d.ProtocolType
		if d.Protocol != "" {
			proto += " (" + d.Protocol + ")"
		}
		t.row("Protocol:", proto)
		t.row("Coordinator:", d.Coordinator)
		t.row("Members:", len(d.Members))
		t.row("Total lag:", d.TotalLag)
		if err := t.flush(); err != nil {
			return err
		}
		if len(d.Members) > 0 {
			fmt.Fprintln(g.stdout)
			t = newTable(g.stdout, "MEMBER-ID", "CLIENT-ID", "HOST", "ASSIGNMENT")
			for _, m := range d.Members {
				t.row(m.MemberID, m.ClientID, m.Host, formatAssignment(m.Assignment))
			}
			if err := t.flush(); err != nil {
				return err
			}
		}
		if membersOnly || len(d.Offsets) == 0 {
			continue
		}
		fmt.Fprintln(g.stdout)
		t = newTable(g.stdout, "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID", "CLIENT-ID", "HOST")
		for _, p := range d.Offsets {
			cur, end, lag := "", "", fmt.Sprint(p.Lag)
			if p.CommittedOffset >= 0 {
				cur = fmt.Sprint(p.CommittedOffset)
			}
			if p.LogEndOffset >= 0 {
				end = fmt.Sprint(p.LogEndOffset)
			}
			if p.Lag < 0 {
				lag = ""
			}
			if p.Error != "" {
				lag = p.Error
			}
			t.row(p.Topic, p.Partition, cur, end, lag, p.MemberID, p.ClientID, p.Host)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}

// formatAssignment prints "orders:0,1 payments:2".
func formatAssignment(a map[string][]int32) string {
	topics := make([]string, 0, len(a))
	for t := range a {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	parts := make([]string, len(topics))
	for i, t := range topics {
		parts[i] = t + ":" + int32List(a[t])
	}
	return strings.Join(parts, " ")
}
