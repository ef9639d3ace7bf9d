package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// kafkaGroupsFlags are kafka-consumer-groups.sh's flags, accepted on
// `fjord group` itself.
type kafkaGroupsFlags struct {
	list, describe, delete, resetOffsets bool
	groups                               []string
	allGroups                            bool
	state                                string
	members, offsets, verbose            bool
	reset                                groupResetFlags
}

func newGroupCommand() *cobra.Command {
	var kf kafkaGroupsFlags
	cmd := &cobra.Command{
		Use:     "group",
		Aliases: []string{"groups", "consumer-groups"},
		Short:   "List, describe, delete consumer groups and reset their offsets",
		Long: `List, describe and delete consumer groups, and move their committed offsets.

kafka-consumer-groups.sh's flags work too: --list, --describe, --delete and
--reset-offsets with --group, --all-groups, --topic, --all-topics,
--to-earliest, --to-latest, --to-offset, --shift-by, --to-datetime,
--by-duration, --to-current, --dry-run and --execute.`,
		Example: `  fjord group list
  fjord group describe billing
  fjord group reset billing --topic orders --to-earliest --execute
  fjord group delete old-app
  fjord group --bootstrap-server localhost:9092 --describe --group billing
  fjord group --reset-offsets --group billing --topic orders --to-latest --execute`,
	}
	g := addGlobalFlags(cmd)
	f := cmd.Flags()
	f.BoolVar(&kf.list, "list", false, "kafka-consumer-groups.sh: list the groups' names")
	f.BoolVar(&kf.describe, "describe", false, "kafka-consumer-groups.sh: describe --group")
	f.BoolVar(&kf.delete, "delete", false, "kafka-consumer-groups.sh: delete --group")
	f.BoolVar(&kf.resetOffsets, "reset-offsets", false, "kafka-consumer-groups.sh: reset the offsets of --group")
	f.StringArrayVar(&kf.groups, "group", nil, "kafka-consumer-groups.sh: the group (repeatable)")
	f.BoolVar(&kf.allGroups, "all-groups", false, "kafka-consumer-groups.sh: every group")
	f.StringVar(&kf.state, "state", "", "kafka-consumer-groups.sh: with --list, only groups in this state")
	f.BoolVar(&kf.members, "members", false, "kafka-consumer-groups.sh: with --describe, the members")
	f.BoolVar(&kf.offsets, "offsets", false, "kafka-consumer-groups.sh: with --describe, the offsets (default)")
	f.BoolVar(&kf.verbose, "verbose", false, "kafka-consumer-groups.sh: with --describe --members, the assignments")
	kf.reset.register(cmd)
	cmd.RunE = func(c *cobra.Command, args []string) error {
		var actions []string
		for name, on := range map[string]bool{"--list": kf.list, "--describe": kf.describe, "--delete": kf.delete,
			"--reset-offsets": kf.resetOffsets} {
			if on {
				actions = append(actions, name)
			}
		}
		switch {
		case len(actions) == 0 && len(args) > 0:
			return unknownSubcommand(c, args[0])
		case len(actions) == 0 && c.Flags().NFlag() > 0:
			return usagef("give a subcommand (list, describe, delete, reset) or one of --list, --describe, --delete, --reset-offsets")
		case len(actions) == 0:
			return c.Help()
		case len(actions) > 1:
			return usagef("give only one of %s", strings.Join(actions, ", "))
		case len(args) > 0:
			return usagef("unexpected argument %q: name the group with --group", args[0])
		}
		ctx := c.Context()
		needGroups := func(action string) error {
			if len(kf.groups) == 0 && !kf.allGroups {
				return usagef("%s needs --group or --all-groups", action)
			}
			return nil
		}
		switch {
		case kf.list:
			o := groupListOptions{namesOnly: true}
			if kf.state != "" {
				o.states = []string{kf.state}
			}
			return runGroupList(ctx, g, o)
		case kf.describe:
			if err := needGroups("--describe"); err != nil {
				return err
			}
			return runGroupDescribe(ctx, g, groupDescribeOptions{groups: kf.groups, all: kf.allGroups,
				membersOnly: kf.members && !kf.offsets})
		case kf.delete:
			if err := needGroups("--delete"); err != nil {
				return err
			}
			return runGroupDelete(ctx, g, groupDeleteOptions{groups: kf.groups, all: kf.allGroups})
		default:
			if len(kf.groups) != 1 {
				return usagef("--reset-offsets needs one --group")
			}
			o, err := kf.reset.options(kf.groups[0])
			if err != nil {
				return err
			}
			return runGroupReset(ctx, g, o)
		}
	}
	parentCommand(cmd)
	cmd.AddCommand(
		newGroupListCommand(g),
		newGroupDescribeCommand(g),
		newGroupDeleteCommand(g),
		newGroupResetCommand(g),
	)
	return cmd
}
