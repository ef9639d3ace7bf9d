package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

type groupListOptions struct {
	states    []string // only groups in these states, when set
	namesOnly bool
}

func newGroupListCommand(g *Globals) *cobra.Command {
	var o groupListOptions
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List consumer groups with their states",
		Example: `  fjord group list
  fjord group list --state Empty -q
  fjord group list -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGroupList(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringSliceVar(&o.states, "state", nil, "only groups in this state: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead (repeatable)")
	cmd.Flags().BoolVarP(&o.namesOnly, "quiet", "q", false, "print only the names, one a line")
	return cmd
}

type listedGroup struct {
	Group        string `json:"group"`
	State        string `json:"state"`
	ProtocolType string `json:"protocol_type"`
	Coordinator  int32  `json:"coordinator"`
}

func runGroupList(ctx context.Context, g *Globals, o groupListOptions) error {
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := g.ctx(ctx)
	defer cancel()
	groups, err := adm.ListGroups(ctx, o.states...)
	if err != nil {
		return g.kafkaError("list groups", shardErr(err), "")
	}
	out := []listedGroup{}
	for _, l := range groups.Sorted() {
		out = append(out, listedGroup{Group: l.Group, State: l.State, ProtocolType: l.ProtocolType, Coordinator: l.Coordinator})
	}
	switch {
	case g.json():
		return writeJSON(g.stdout, out)
	case o.namesOnly:
		for _, l := range out {
			fmt.Fprintln(g.stdout, l.Group)
		}
		return nil
	}
	t := newTable(g.stdout, "GROUP", "STATE", "PROTOCOL-TYPE", "COORDINATOR")
	for _, l := range out {
		t.row(l.Group, l.State, l.ProtocolType, l.Coordinator)
	}
	return t.flush()
}
