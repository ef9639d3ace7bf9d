package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
)

type topicDeleteOptions struct {
	topics   []string
	ifExists bool
}

func newTopicDeleteCommand(g *Globals) *cobra.Command {
	var (
		o     topicDeleteOptions
		topic []string
	)
	cmd := &cobra.Command{
		Use:     "delete TOPIC...",
		Aliases: []string{"rm"},
		Short:   "Delete topics and all their records",
		Example: `  fjord topic delete demo
  fjord topic delete old-1 old-2 --if-exists`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.topics = topicArgs(args, topic)
			if len(o.topics) == 0 {
				return usagef("name the topic to delete: fjord topic delete TOPIC")
			}
			return runTopicDelete(cmd.Context(), g, o)
		},
	}
	cmd.Flags().BoolVar(&o.ifExists, "if-exists", false, "succeed if the topic does not exist")
	cmd.Flags().StringArrayVar(&topic, "topic", nil, "topic name, as in kafka-topics.sh (repeatable)")
	return cmd
}

type deletedTopic struct {
	Topic   string `json:"topic"`
	Existed bool   `json:"existed"`
}

func runTopicDelete(ctx context.Context, g *Globals, o topicDeleteOptions) error {
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := g.ctx(ctx)
	defer cancel()
	resps, err := adm.DeleteTopics(ctx, o.topics...)
	if err != nil {
		return g.kafkaError("delete topic", shardErr(err), "")
	}
	var (
		out  = []deletedTopic{}
		errs []error
	)
	for _, t := range o.topics {
		r, ok := resps[t]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("delete topic %s: no answer for it", t))
		case errors.Is(r.Err, kerr.UnknownTopicOrPartition) && o.ifExists:
			out = append(out, deletedTopic{Topic: t})
		case r.Err != nil:
			errs = append(errs, g.kafkaError("delete topic "+t, r.Err, r.ErrMessage))
		default:
			out = append(out, deletedTopic{Topic: t, Existed: true})
		}
	}
	if g.json() {
		if err := writeJSON(g.stdout, out); err != nil {
			return err
		}
	} else {
		for _, d := range out {
			if d.Existed {
				fmt.Fprintf(g.stdout, "Deleted topic %s.\n", d.Topic)
			} else {
				fmt.Fprintf(g.stdout, "Topic %s does not exist.\n", d.Topic)
			}
		}
	}
	return joinErrors(errs)
}
