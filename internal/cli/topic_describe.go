package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type topicDescribeOptions struct {
	topics []string // all topics when empty
}

func newTopicDescribeCommand(g *Globals) *cobra.Command {
	var (
		o     topicDescribeOptions
		topic []string
	)
	cmd := &cobra.Command{
		Use:   "describe [TOPIC...]",
		Short: "Show topics' partitions, leaders, replicas, ISR, offsets and configs",
		Long: `Show each topic's ID, partition count, replication factor and the configs
set on the topic (those that are not the broker's default), then one row per
partition: leader, leader epoch, replicas, in-sync replicas, offline
replicas, log start offset, high watermark and the number of records
between them. Without a topic, every topic is described.`,
		Example: `  fjord topic describe demo
  fjord topic describe
  fjord topic describe orders events -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.topics = topicArgs(args, topic)
			return runTopicDescribe(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringArrayVar(&topic, "topic", nil, "topic name, as in kafka-topics.sh (repeatable)")
	return cmd
}

type describedTopic struct {
	Topic             string               `json:"topic"`
	ID                string               `json:"id,omitempty"`
	Internal          bool                 `json:"internal"`
	Partitions        int                  `json:"partitions"`
	ReplicationFactor int                  `json:"replication_factor"`
	Configs           map[string]*string   `json:"configs"`
	ConfigsError      string               `json:"configs_error,omitempty"`
	PartitionDetails  []describedPartition `json:"partition_details"`
}

type describedPartition struct {
	Partition       int32   `json:"partition"`
	Leader          int32   `json:"leader"`
	LeaderEpoch     int32   `json:"leader_epoch"`
	Replicas        []int32 `json:"replicas"`
	ISR             []int32 `json:"isr"`
	OfflineReplicas []int32 `json:"offline_replicas"`
	LogStartOffset  int64   `json:"log_start_offset"`
	HighWatermark   int64   `json:"high_watermark"`
	Error           string  `json:"error,omitempty"`
}

func runTopicDescribe(ctx context.Context, g *Globals, o topicDescribeOptions) error {
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := g.ctx(ctx)
	defer cancel()
	md, err := adm.Metadata(ctx, o.topics...)
	if err != nil {
		return g.kafkaError("describe topics", err, "")
	}
	var (
		errs  []error
		names []string
	)
	for _, name := range o.topics {
		if d, ok := md.Topics[name]; !ok || d.Err != nil {
			var err error = kerr.UnknownTopicOrPartition
			if ok {
				err = d.Err
			}
			errs = append(errs, g.kafkaError("describe topic "+name, err, ""))
		}
	}
	for _, name := range md.Topics.Names() {
		if md.Topics[name].Err == nil {
			names = append(names, name)
		}
	}
	if len(o.topics) > 0 && len(errs) == len(o.topics) {
		return joinErrors(errs)
	}

	var starts, ends kadm.ListedOffsets
	if len(names) > 0 {
		if starts, err = adm.ListStartOffsets(ctx, names...); err != nil {
			return g.kafkaError("list log start offsets", shardErr(err), "")
		}
		if ends, err = adm.ListEndOffsets(ctx, names...); err != nil {
			return g.kafkaError("list high watermarks", shardErr(err), "")
		}
	}
	configs, configsErr := topicOverrides(ctx, adm, names)

	out := []describedTopic{}
	for _, name := range names {
		d := md.Topics[name]
		dt := describedTopic{Topic: name, Internal: d.IsInternal, Partitions: len(d.Partitions),
			Configs: configs[name], PartitionDetails: []describedPartition{}}
		dt.ID = topicID(d.ID)
		if configsErr != nil {
			dt.ConfigsError = configsErr.Error()
		}
		if dt.Configs == nil {
			dt.Configs = map[string]*string{}
		}
		for _, p := range d.Partitions.Sorted() {
			dp := describedPartition{Partition: p.Partition, Leader: p.Leader, LeaderEpoch: p.LeaderEpoch,
				Replicas: nonNil(p.Replicas), ISR: nonNil(p.ISR), OfflineReplicas: nonNil(p.OfflineReplicas),
				LogStartOffset: -1, HighWatermark: -1}
			if dt.ReplicationFactor == 0 {
				dt.ReplicationFactor = len(p.Replicas)
			}
			var perr error
			if p.Err != nil {
				perr = p.Err
			}
			if s, ok := starts.Lookup(name, p.Partition); ok {
				if s.Err == nil {
					dp.LogStartOffset = s.Offset
				} else if perr == nil {
					perr = s.Err
				}
			}
			if e, ok := ends.Lookup(name, p.Partition); ok {
				if e.Err == nil {
					dp.HighWatermark = e.Offset
				} else if perr == nil {
					perr = e.Err
				}
			}
			if perr != nil {
				dp.Error = perr.Error()
			}
			dt.PartitionDetails = append(dt.PartitionDetails, dp)
		}
		out = append(out, dt)
	}
	if err := printDescribedTopics(g, out); err != nil {
		return err
	}
	return joinErrors(errs)
}

// topicOverrides returns the configs set on each topic itself, not
// inherited from the broker. A cluster that cannot describe configs still
// gets its partitions described.
func topicOverrides(ctx context.Context, adm *kadm.Client, topics []string) (map[string]map[string]*string, error) {
	out := map[string]map[string]*string{}
	if len(topics) == 0 {
		return out, nil
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return out, shardErr(err)
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			continue
		}
		m := map[string]*string{}
		for _, c := range rc.Configs {
			if c.Source == kmsg.ConfigSourceDynamicTopicConfig {
				m[c.Key] = c.Value
			}
		}
		out[rc.Name] = m
	}
	return out, nil
}

func printDescribedTopics(g *Globals, out []describedTopic) error {
	if g.json() {
		return writeJSON(g.stdout, out)
	}
	for i, dt := range out {
		if i > 0 {
			fmt.Fprintln(g.stdout)
		}
		t := newTable(g.stdout)
		name := dt.Topic
		if dt.Internal {
			name += " (internal)"
		}
		t.row("Topic:", name)
		t.row("ID:", dt.ID)
		t.row("Partitions:", dt.Partitions)
		t.row("Replication factor:", dt.ReplicationFactor)
		t.row("Configs:", formatConfigs(dt.Configs, dt.ConfigsError))
		if err := t.flush(); err != nil {
			return err
		}
		fmt.Fprintln(g.stdout)
		t = newTable(g.stdout, "PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "OFFLINE", "LOG-START", "HIGH-WATERMARK", "RECORDS")
		for _, p := range dt.PartitionDetails {
			records, start, hw := "", "", ""
			if p.LogStartOffset >= 0 {
				start = fmt.Sprint(p.LogStartOffset)
			}
			if p.HighWatermark >= 0 {
				hw = fmt.Sprint(p.HighWatermark)
			}
			if p.LogStartOffset >= 0 && p.HighWatermark >= 0 {
				records = fmt.Sprint(p.HighWatermark - p.LogStartOffset)
			}
			leader := fmt.Sprint(p.Leader)
			if p.Leader < 0 {
				leader = "none"
			}
			if p.Error != "" {
				records = p.Error
			}
			t.row(p.Partition, leader, p.LeaderEpoch, int32List(p.Replicas), int32List(p.ISR),
				int32List(p.OfflineReplicas), start, hw, records)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}

// formatConfigs prints configs as "k=v, k2=v2" sorted by key.
func formatConfigs(cs map[string]*string, errText string) string {
	if errText != "" {
		return "unknown (" + errText + ")"
	}
	if len(cs) == 0 {
		return "none set on the topic"
	}
	keys := make([]string, 0, len(cs))
	for k := range cs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := "(sensitive)"
		if cs[k] != nil {
			v = *cs[k]
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, ", ")
}
