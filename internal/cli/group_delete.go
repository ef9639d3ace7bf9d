package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

type groupDeleteOptions struct {
	groups []string
	all    bool
}

func newGroupDeleteCommand(g *Globals) *cobra.Command {
	var (
		o     groupDeleteOptions
		group []string
	)
	cmd := &cobra.Command{
		Use:     "delete GROUP...",
		Aliases: []string{"rm"},
		Short:   "Delete consumer groups and their committed offsets",
		Long: `Delete consumer groups with their committed offsets. A group with active
members cannot be deleted (NON_EMPTY_GROUP): stop its consumers first.`,
		Example: `  fjord group delete old-app
  fjord group delete app-1 app-2`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.groups = append(args, group...)
			if len(o.groups) == 0 {
				return usagef("name the group to delete")
			}
			return runGroupDelete(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringArrayVar(&group, "group", nil, "group name, as in kafka-consumer-groups.sh (repeatable)")
	return cmd
}

func runGroupDelete(ctx context.Context, g *Globals, o groupDeleteOptions) error {
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
	}
	if len(groups) == 0 {
		fmt.Fprintln(g.stdout, "No groups.")
		return nil
	}
	resps, err := adm.DeleteGroups(ctx, groups...)
	if err != nil {
		return g.kafkaError("delete groups", shardErr(err), "")
	}
	var (
		deleted = []string{}
		errs    []error
	)
	for _, name := range groups {
		r, ok := resps[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("delete group %s: no answer for it", name))
		case r.Err != nil:
			errs = append(errs, g.kafkaError("delete group "+name, r.Err, r.ErrMessage))
		default:
			deleted = append(deleted, name)
		}
	}
	if g.json() {
		if err := writeJSON(g.stdout, map[string]any{"deleted": deleted}); err != nil {
			return err
		}
	} else {
		for _, name := range deleted {
			fmt.Fprintf(g.stdout, "Deleted group %s.\n", name)
		}
	}
	return joinErrors(errs)
}
