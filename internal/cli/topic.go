package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// kafkaTopicsFlags are kafka-topics.sh's flags, accepted on `fjord topic`
// itself: `fjord topic --create --topic demo --partitions 3`.
type kafkaTopicsFlags struct {
	create, list, describe, delete, alter bool
	topic                                 string
	partitions                            int32
	replicationFactor                     int16
	configs                               []string
	ifExists, ifNotExists                 bool
}

func newTopicCommand() *cobra.Command {
	var kf kafkaTopicsFlags
	cmd := &cobra.Command{
		Use:     "topic",
		Aliases: []string{"topics"},
		Short:   "Create, list, describe, alter and delete topics",
		Long: `Create, list, describe, alter and delete topics.

kafka-topics.sh's flags work too: --create, --list, --describe, --alter and
--delete with --topic, --partitions, --replication-factor, --config,
--if-exists and --if-not-exists.`,
		Example: `  fjord topic create demo --partitions 3 --config retention.ms=86400000
  fjord topic list
  fjord topic describe demo
  fjord topic alter demo --partitions 6
  fjord topic delete demo
  fjord topic --bootstrap-server localhost:9092 --create --topic demo --partitions 3`,
	}
	g := addGlobalFlags(cmd)
	f := cmd.Flags()
	f.BoolVar(&kf.create, "create", false, "kafka-topics.sh: create --topic")
	f.BoolVar(&kf.list, "list", false, "kafka-topics.sh: list the topics' names")
	f.BoolVar(&kf.describe, "describe", false, "kafka-topics.sh: describe --topic, or every topic")
	f.BoolVar(&kf.alter, "alter", false, "kafka-topics.sh: raise the --partitions of --topic")
	f.BoolVar(&kf.delete, "delete", false, "kafka-topics.sh: delete --topic")
	f.StringVar(&kf.topic, "topic", "", "kafka-topics.sh: the topic")
	f.Int32Var(&kf.partitions, "partitions", -1, "kafka-topics.sh: partition count")
	f.Int16Var(&kf.replicationFactor, "replication-factor", -1, "kafka-topics.sh: replication factor")
	f.StringArrayVar(&kf.configs, "config", nil, "kafka-topics.sh: topic config key=value (repeatable)")
	f.BoolVar(&kf.ifExists, "if-exists", false, "kafka-topics.sh: with --alter or --delete, do nothing if the topic does not exist")
	f.BoolVar(&kf.ifNotExists, "if-not-exists", false, "kafka-topics.sh: with --create, do nothing if the topic exists")
	cmd.RunE = func(c *cobra.Command, args []string) error {
		var actions []string
		for name, on := range map[string]bool{"--create": kf.create, "--list": kf.list, "--describe": kf.describe,
			"--alter": kf.alter, "--delete": kf.delete} {
			if on {
				actions = append(actions, name)
			}
		}
		switch {
		case len(actions) == 0 && len(args) > 0:
			return unknownSubcommand(c, args[0])
		case len(actions) == 0 && c.Flags().NFlag() > 0:
			return usagef("give a subcommand (create, list, describe, alter, delete) or one of --create, --list, --describe, --alter, --delete")
		case len(actions) == 0:
			return c.Help()
		case len(actions) > 1:
			return usagef("give only one of %s", strings.Join(actions, ", "))
		case len(args) > 0:
			return usagef("unexpected argument %q: name the topic with --topic", args[0])
		}
		var topics []string
		if kf.topic != "" {
			topics = []string{kf.topic}
		}
		needTopic := func(action string) error {
			if len(topics) == 0 {
				return usagef("%s needs --topic", action)
			}
			return nil
		}
		ctx := c.Context()
		switch {
		case kf.create:
			if err := needTopic("--create"); err != nil {
				return err
			}
			return runTopicCreate(ctx, g, topicCreateOptions{topics: topics, partitions: kf.partitions,
				replicationFactor: kf.replicationFactor, configs: kf.configs, ifNotExists: kf.ifNotExists})
		case kf.list:
			return runTopicList(ctx, g, topicListOptions{namesOnly: true})
		case kf.describe:
			return runTopicDescribe(ctx, g, topicDescribeOptions{topics: topics})
		case kf.alter:
			if err := needTopic("--alter"); err != nil {
				return err
			}
			return runTopicAlter(ctx, g, topicAlterOptions{topic: topics[0], partitions: kf.partitions,
				configs: kf.configs, ifExists: kf.ifExists})
		default:
			if err := needTopic("--delete"); err != nil {
				return err
			}
			return runTopicDelete(ctx, g, topicDeleteOptions{topics: topics, ifExists: kf.ifExists})
		}
	}
	parentCommand(cmd)
	cmd.AddCommand(
		newTopicCreateCommand(g),
		newTopicListCommand(g),
		newTopicDescribeCommand(g),
		newTopicAlterCommand(g),
		newTopicDeleteCommand(g),
	)
	return cmd
}

// topicArgs merges positional topic names with --topic.
func topicArgs(args []string, flag []string) []string {
	return append(append([]string(nil), args...), flag...)
}
