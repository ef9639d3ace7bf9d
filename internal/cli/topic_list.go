package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

type topicListOptions struct {
	internal  bool // include internal topics (__consumer_offsets, ...)
	namesOnly bool // one name a line, as kafka-topics.sh --list prints
}

func newTopicListCommand(g *Globals) *cobra.Command {
	var o topicListOptions
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List topics with their partition counts and replication factors",
		Example: `  fjord topic list
  fjord topic list --internal
  fjord topic list -q | xargs -n1 fjord topic describe
  fjord topic list -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTopicList(cmd.Context(), g, o)
		},
	}
	cmd.Flags().BoolVarP(&o.internal, "internal", "a", false, "include internal topics")
	cmd.Flags().BoolVarP(&o.namesOnly, "quiet", "q", false, "print only the names, one a line")
	return cmd
}

type listedTopic struct {
	Topic             string `json:"topic"`
	ID                string `json:"id,omitempty"`
	Partitions        int    `json:"partitions"`
	ReplicationFactor int    `json:"replication_factor"`
	Internal          bool   `json:"internal"`
}

func runTopicList(ctx context.Context, g *Globals, o topicListOptions) error {
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := g.ctx(ctx)
	defer cancel()
	var details kadm.TopicDetails
	if o.internal {
		details, err = adm.ListTopicsWithInternal(ctx)
	} else {
		details, err = adm.ListTopics(ctx)
	}
	if err != nil {
		return g.kafkaError("list topics", err, "")
	}
	out := []listedTopic{}
	for _, name := range details.Names() {
		d := details[name]
		lt := listedTopic{Topic: name, Partitions: len(d.Partitions), Internal: d.IsInternal}
		lt.ID = topicID(d.ID)
		if p, ok := d.Partitions[0]; ok {
			lt.ReplicationFactor = len(p.Replicas)
		}
		out = append(out, lt)
	}
	switch {
	case g.json():
		return writeJSON(g.stdout, out)
	case o.namesOnly:
		for _, t := range out {
			fmt.Fprintln(g.stdout, t.Topic)
		}
		return nil
	}
	t := newTable(g.stdout, "TOPIC", "PARTITIONS", "REPLICATION-FACTOR")
	for _, lt := range out {
		name := lt.Topic
		if lt.Internal {
			name += " (internal)"
		}
		t.row(name, lt.Partitions, lt.ReplicationFactor)
	}
	return t.flush()
}
