package cli

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type configGetOptions struct {
	target  configTarget
	keys    []string // all when empty
	setOnly bool     // only configs set on the resource itself
}

func newConfigGetCommand(g *Globals) *cobra.Command {
	var o configGetOptions
	cmd := &cobra.Command{
		Use:     "get (topic NAME | broker ID | broker default) [KEY...]",
		Aliases: []string{"describe"},
		Short:   "Show configs with their values and where each value comes from",
		Long: `Show the configs of a topic or broker: every key with its value and its
source (topic: set on the topic; dynamic broker / dynamic default: set at
runtime on the broker or for all brokers; static broker: server.properties;
default). Name keys to show only those; --set-only shows only the configs
set on this topic or broker.`,
		Example: `  fjord config get topic demo
  fjord config get topic demo retention.ms cleanup.policy
  fjord config get topic demo --set-only
  fjord config get broker 1 -o json
  fjord config get broker default --set-only`,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, rest, err := configTargetArgs(args)
			if err != nil {
				return err
			}
			o.target, o.keys = t, rest
			return runConfigGet(cmd.Context(), g, o)
		},
	}
	cmd.Flags().BoolVar(&o.setOnly, "set-only", false, "only configs set on this topic or broker, not inherited ones")
	return cmd
}

type configEntry struct {
	Key       string  `json:"key"`
	Value     *string `json:"value"`
	Source    string  `json:"source"`
	Sensitive bool    `json:"sensitive,omitempty"`
}

func runConfigGet(ctx context.Context, g *Globals, o configGetOptions) error {
	adm, err := g.newAdmin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := g.ctx(ctx)
	defer cancel()
	var rcs kadm.ResourceConfigs
	if o.target.kind == topicResource {
		rcs, err = adm.DescribeTopicConfigs(ctx, o.target.name)
	} else {
		rcs, err = adm.DescribeBrokerConfigs(ctx, o.target.brokerIDs()...)
	}
	what := "read configs of " + o.target.String()
	if err != nil {
		return g.kafkaError(what, shardErr(err), "")
	}
	if len(rcs) != 1 {
		return fmt.Errorf("%s: %d answers for one resource", what, len(rcs))
	}
	rc := rcs[0]
	if rc.Err != nil {
		return g.kafkaError(what, rc.Err, rc.ErrMessage)
	}
	missing := map[string]bool{}
	for _, k := range o.keys {
		missing[k] = true
	}
	out := []configEntry{}
	for _, c := range rc.Configs {
		if len(o.keys) > 0 && !slices.Contains(o.keys, c.Key) {
			continue
		}
		delete(missing, c.Key)
		if o.setOnly && !setOnResource(o.target, c.Source) {
			continue
		}
		out = append(out, configEntry{Key: c.Key, Value: c.Value, Source: c.Source.String(), Sensitive: c.Sensitive})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if len(missing) > 0 {
		var names []string
		for k := range missing {
			names = append(names, k)
		}
		sort.Strings(names)
		return fmt.Errorf("%s: no config named %s", what, strings.Join(names, ", "))
	}
	if g.json() {
		return writeJSON(g.stdout, out)
	}
	t := newTable(g.stdout, "KEY", "VALUE", "SOURCE")
	for _, e := range out {
		v := "null"
		switch {
		case e.Sensitive:
			v = "(sensitive)"
		case e.Value != nil:
			v = *e.Value
			if v == "" {
				v = `""`
			}
		}
		src, _ := kmsg.ParseConfigSource(e.Source)
		t.row(e.Key, v, sourceName(src))
	}
	return t.flush()
}

// setOnResource reports whether a config with this source was set on the
// resource itself rather than inherited.
func setOnResource(t configTarget, s kmsg.ConfigSource) bool {
	switch {
	case t.kind == topicResource:
		return s == kmsg.ConfigSourceDynamicTopicConfig
	case t.name == "":
		return s == kmsg.ConfigSourceDynamicDefaultBrokerConfig
	}
	return s == kmsg.ConfigSourceDynamicBrokerConfig || s == kmsg.ConfigSourceDynamicBrokerLoggerConfig
}

// sourceName is a config source as the table shows it.
func sourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDynamicTopicConfig:
		return "topic"
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return "dynamic broker"
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return "dynamic default"
	case kmsg.ConfigSourceStaticBrokerConfig:
		return "static broker"
	case kmsg.ConfigSourceDefaultConfig:
		return "default"
	case kmsg.ConfigSourceDynamicBrokerLoggerConfig:
		return "broker logger"
	}
	return strings.ToLower(s.String())
}
