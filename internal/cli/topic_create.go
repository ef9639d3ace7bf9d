package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
)

type topicCreateOptions struct {
	topics            []string
	partitions        int32 // -1: the broker's num.partitions
	replicationFactor int16 // -1: the broker's default.replication.factor
	configs           []string
	ifNotExists       bool
}

func newTopicCreateCommand(g *Globals) *cobra.Command {
	var (
		o     topicCreateOptions
		topic []string
	)
	cmd := &cobra.Command{
		Use:   "create TOPIC...",
		Short: "Create topics",
		Long: `Create one or more topics. Without --partitions or --replication-factor the
broker's defaults (num.partitions, default.replication.factor) apply.
--config sets a topic configuration key (Kafka's names: retention.ms,
cleanup.policy, max.message.bytes, ...).`,
		Example: `  fjord topic create demo
  fjord topic create orders --partitions 6 --replication-factor 3
  fjord topic create events --config retention.ms=86400000 --config cleanup.policy=compact
  fjord topic create demo --if-not-exists`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.topics = topicArgs(args, topic)
			if len(o.topics) == 0 {
				return usagef("name the topic to create: fjord topic create TOPIC")
			}
			return runTopicCreate(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.Int32VarP(&o.partitions, "partitions", "p", -1, "number of partitions (default: the broker's num.partitions)")
	f.Int16VarP(&o.replicationFactor, "replication-factor", "r", -1, "replicas per partition (default: the broker's default.replication.factor)")
	f.StringArrayVarP(&o.configs, "config", "c", nil, "topic configuration key=value (repeatable)")
	f.BoolVar(&o.ifNotExists, "if-not-exists", false, "succeed if the topic already exists")
	f.StringArrayVar(&topic, "topic", nil, "topic name, as in kafka-topics.sh (repeatable)")
	return cmd
}

type createdTopic struct {
	Topic             string `json:"topic"`
	ID                string `json:"id,omitempty"`
	Partitions        int32  `json:"partitions"`
	ReplicationFactor int16  `json:"replication_factor"`
	Existed           bool   `json:"already_existed,omitempty"`
}

func runTopicCreate(ctx context.Context, g *Globals, o topicCreateOptions) error {
	kvs, err := parseKeyValues("--config", o.configs, false)
	if err != nil {
		return err
	}
	if o.partitions == 0 || o.partitions < -1 {
		return usagef("--partitions must be at least 1")
	}
	if o.replicationFactor == 0 || o.replicationFactor < -1 {
		return usagef("--replication-factor must be at least 1")
	}
	configs := make(map[string]*string, len(kvs))
	for _, kv := range kvs {
		configs[kv[0]] = &kv[1]
	}
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := g.ctx(ctx)
	defer cancel()
	resps, err := adm.CreateTopics(ctx, o.partitions, o.replicationFactor, configs, o.topics...)
	if err != nil {
		return g.kafkaError("create topic", err, "")
	}
	var (
		out  []createdTopic
		errs []error
	)
	for _, t := range o.topics {
		r, ok := resps[t]
		if !ok {
			errs = append(errs, fmt.Errorf("create topic %s: no answer for it", t))
			continue
		}
		if errors.Is(r.Err, kerr.TopicAlreadyExists) && o.ifNotExists {
			out = append(out, createdTopic{Topic: t, Partitions: -1, ReplicationFactor: -1, Existed: true})
			continue
		}
		if r.Err != nil {
			errs = append(errs, g.kafkaError("create topic "+t, r.Err, r.ErrMessage))
			continue
		}
		ct := createdTopic{Topic: t, Partitions: r.NumPartitions, ReplicationFactor: r.ReplicationFactor}
		ct.ID = topicID(r.ID)
		out = append(out, ct)
	}
	if g.json() {
		if err := writeJSON(g.stdout, nonNil(out)); err != nil {
			return err
		}
	} else {
		for _, ct := range out {
			switch {
			case ct.Existed:
				fmt.Fprintf(g.stdout, "Topic %s already exists.\n", ct.Topic)
			case ct.Partitions > 0 && ct.ReplicationFactor > 0:
				fmt.Fprintf(g.stdout, "Created topic %s (%s, replication factor %d).\n",
					ct.Topic, plural(int64(ct.Partitions), "partition"), ct.ReplicationFactor)
			default:
				fmt.Fprintf(g.stdout, "Created topic %s.\n", ct.Topic)
			}
		}
	}
	return joinErrors(errs)
}
