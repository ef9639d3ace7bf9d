package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
)

type topicAlterOptions struct {
	topic         string
	partitions    int32 // -1: unchanged
	configs       []string
	deleteConfigs []string
	ifExists      bool
}

func newTopicAlterCommand(g *Globals) *cobra.Command {
	var (
		o     topicAlterOptions
		topic string
	)
	cmd := &cobra.Command{
		Use:   "alter TOPIC",
		Short: "Add partitions to a topic or change its configs",
		Long: `Raise a topic's partition count with --partitions (the new total; Kafka
cannot remove partitions), or set and remove topic configs with --config and
--delete-config (as fjord config set/delete do). Adding partitions changes
which partition a key maps to.`,
		Example: `  fjord topic alter demo --partitions 6
  fjord topic alter demo --config retention.ms=3600000 --delete-config cleanup.policy`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := topicArgs(args, nil)
			if topic != "" {
				names = append(names, topic)
			}
			if len(names) != 1 {
				return usagef("name one topic to alter: fjord topic alter TOPIC --partitions N")
			}
			o.topic = names[0]
			return runTopicAlter(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.Int32VarP(&o.partitions, "partitions", "p", -1, "the new partition count (at least the current one)")
	f.StringArrayVarP(&o.configs, "config", "c", nil, "set a topic config key=value (repeatable)")
	f.StringArrayVar(&o.deleteConfigs, "delete-config", nil, "remove a topic config, back to the broker's default (repeatable)")
	f.BoolVar(&o.ifExists, "if-exists", false, "succeed if the topic does not exist")
	f.StringVar(&topic, "topic", "", "topic name, as in kafka-topics.sh")
	return cmd
}

func runTopicAlter(ctx context.Context, g *Globals, o topicAlterOptions) error {
	if o.partitions == -1 && len(o.configs) == 0 && len(o.deleteConfigs) == 0 {
		return usagef("nothing to alter: give --partitions, --config or --delete-config")
	}
	if o.partitions == 0 || o.partitions < -1 {
		return usagef("--partitions must be at least 1")
	}
	sets, err := parseKeyValues("--config", o.configs, false)
	if err != nil {
		return err
	}
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := g.ctx(ctx)
	defer cancel()
	if o.partitions > 0 {
		resps, err := adm.UpdatePartitions(ctx, int(o.partitions), o.topic)
		if err == nil {
			r, ok := resps[o.topic]
			switch {
			case !ok:
				err = kerr.UnknownTopicOrPartition
			case r.Err != nil:
				if errors.Is(r.Err, kerr.UnknownTopicOrPartition) && o.ifExists {
					fmt.Fprintf(g.stdout, "Topic %s does not exist.\n", o.topic)
					return nil
				}
				return g.kafkaError("add partitions to topic "+o.topic, r.Err, r.ErrMessage)
			}
		}
		if err != nil {
			return g.kafkaError("add partitions to topic "+o.topic, shardErr(err), "")
		}
		if !g.json() {
			fmt.Fprintf(g.stdout, "Topic %s now has %s.\n", o.topic, plural(int64(o.partitions), "partition"))
		}
	}
	if len(sets) > 0 || len(o.deleteConfigs) > 0 {
		err := alterConfigs(ctx, g, adm, configTarget{kind: topicResource, name: o.topic}, sets, o.deleteConfigs)
		if errors.Is(err, kerr.UnknownTopicOrPartition) && o.ifExists {
			fmt.Fprintf(g.stdout, "Topic %s does not exist.\n", o.topic)
			return nil
		}
		if err != nil {
			return err
		}
	}
	if g.json() {
		return writeJSON(g.stdout, map[string]any{"topic": o.topic, "altered": true})
	}
	return nil
}
