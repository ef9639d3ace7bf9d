package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

// configResource is what a config belongs to.
type configResource int

const (
	topicResource configResource = iota
	brokerResource
)

// configTarget names one resource: a topic, a broker by id, or (name "")
// the cluster-wide broker default.
type configTarget struct {
	kind configResource
	name string
}

func (t configTarget) String() string {
	switch {
	case t.kind == topicResource:
		return "topic " + t.name
	case t.name == "":
		return "the cluster-wide broker default"
	}
	return "broker " + t.name
}

// parseConfigTarget reads "topic NAME", "broker ID" or "broker default".
func parseConfigTarget(kind, name string) (configTarget, error) {
	switch strings.ToLower(kind) {
	case "topic", "topics":
		if name == "" {
			return configTarget{}, usagef("name the topic")
		}
		return configTarget{kind: topicResource, name: name}, nil
	case "broker", "brokers":
		if name == "default" || name == "" {
			return configTarget{kind: brokerResource}, nil
		}
		if _, err := strconv.ParseInt(name, 10, 32); err != nil {
			return configTarget{}, usagef("broker %q: give a broker id or \"default\"", name)
		}
		return configTarget{kind: brokerResource, name: name}, nil
	}
	return configTarget{}, usagef("%q is not topic or broker", kind)
}

// brokerIDs returns the kadm argument for a broker target: no ids means the
// cluster-wide default.
func (t configTarget) brokerIDs() []int32 {
	if t.name == "" {
		return nil
	}
	id, _ := strconv.ParseInt(t.name, 10, 32)
	return []int32{int32(id)}
}

// kafkaConfigsFlags are kafka-configs.sh's flags, accepted on `fjord
// config` itself.
type kafkaConfigsFlags struct {
	describe, alter, all bool
	entityType           string
	entityName           string
	entityDefault        bool
	topic                string
	broker               string
	addConfig            []string
	deleteConfig         []string
}

func newConfigCommand() *cobra.Command {
	var kf kafkaConfigsFlags
	cmd := &cobra.Command{
		Use:     "config",
		Aliases: []string{"configs"},
		Short:   "Read and change topic and broker configs",
		Long: `Read and change topic and broker configs, with Kafka's key names.

A target is "topic NAME", "broker ID", or "broker default" for the
cluster-wide default of every broker. kafka-configs.sh's flags work too:
--describe or --alter with --entity-type topics|brokers, --entity-name,
--entity-default, --topic, --broker, --add-config k=v,k2=[a,b],
--delete-config k,k2 and --all.`,
		Example: `  fjord config get topic demo
  fjord config set topic demo retention.ms=86400000 cleanup.policy=compact
  fjord config delete topic demo retention.ms
  fjord config get broker 1 log.retention.hours
  fjord config --describe --entity-type topics --entity-name demo`,
	}
	g := addGlobalFlags(cmd)
	f := cmd.Flags()
	f.BoolVar(&kf.describe, "describe", false, "kafka-configs.sh: show configs set on the entity (all with --all)")
	f.BoolVar(&kf.alter, "alter", false, "kafka-configs.sh: change configs with --add-config and --delete-config")
	f.BoolVar(&kf.all, "all", false, "kafka-configs.sh: with --describe, every config")
	f.StringVar(&kf.entityType, "entity-type", "", "kafka-configs.sh: topics or brokers")
	f.StringVar(&kf.entityName, "entity-name", "", "kafka-configs.sh: the topic name or broker id")
	f.BoolVar(&kf.entityDefault, "entity-default", false, "kafka-configs.sh: the cluster-wide broker default")
	f.StringVar(&kf.topic, "topic", "", "kafka-configs.sh: the topic (same as --entity-type topics --entity-name)")
	f.StringVar(&kf.broker, "broker", "", "kafka-configs.sh: the broker id (same as --entity-type brokers --entity-name)")
	f.StringArrayVar(&kf.addConfig, "add-config", nil, "kafka-configs.sh: k=v,k2=[a,b] to set")
	f.StringArrayVar(&kf.deleteConfig, "delete-config", nil, "kafka-configs.sh: k,k2 to remove")
	cmd.RunE = func(c *cobra.Command, args []string) error {
		switch {
		case !kf.describe && !kf.alter && len(args) > 0:
			return unknownSubcommand(c, args[0])
		case !kf.describe && !kf.alter && c.Flags().NFlag() > 0:
			return usagef("give a subcommand (get, set, delete) or --describe or --alter")
		case !kf.describe && !kf.alter:
			return c.Help()
		case kf.describe && kf.alter:
			return usagef("give only one of --describe, --alter")
		case len(args) > 0:
			return usagef("unexpected argument %q", args[0])
		}
		target, err := kf.target()
		if err != nil {
			return err
		}
		if kf.describe {
			return runConfigGet(c.Context(), g, configGetOptions{target: target, setOnly: !kf.all})
		}
		if len(kf.addConfig) == 0 && len(kf.deleteConfig) == 0 {
			return usagef("--alter needs --add-config or --delete-config")
		}
		sets, err := parseKeyValues("--add-config", kf.addConfig, true)
		if err != nil {
			return err
		}
		var dels []string
		for _, d := range kf.deleteConfig {
			for _, k := range strings.Split(d, ",") {
				if k = strings.TrimSpace(k); k != "" {
					dels = append(dels, k)
				}
			}
		}
		adm, err := g.newAdmin()
		if err != nil {
			return err
		}
		defer adm.Close()
		ctx, cancel := g.ctx(c.Context())
		defer cancel()
		return alterConfigs(ctx, g, adm, target, sets, dels)
	}
	parentCommand(cmd)
	cmd.AddCommand(newConfigGetCommand(g), newConfigSetCommand(g), newConfigDeleteCommand(g))
	return cmd
}

func (kf kafkaConfigsFlags) target() (configTarget, error) {
	switch {
	case kf.topic != "":
		return configTarget{kind: topicResource, name: kf.topic}, nil
	case kf.broker != "":
		return parseConfigTarget("broker", kf.broker)
	case kf.entityType == "":
		return configTarget{}, usagef("give --entity-type topics|brokers (or --topic, --broker)")
	case kf.entityDefault:
		if !strings.HasPrefix(kf.entityType, "broker") {
			return configTarget{}, usagef("--entity-default is only for brokers")
		}
		return configTarget{kind: brokerResource}, nil
	case kf.entityName == "":
		return configTarget{}, usagef("give --entity-name (or --entity-default for brokers)")
	}
	return parseConfigTarget(kf.entityType, kf.entityName)
}

// configTargetArgs reads the leading "topic NAME" or "broker ID" of a
// config subcommand's arguments and returns the rest.
func configTargetArgs(args []string) (configTarget, []string, error) {
	if len(args) < 2 {
		return configTarget{}, nil, usagef("name what to configure: topic NAME, broker ID or broker default")
	}
	t, err := parseConfigTarget(args[0], args[1])
	return t, args[2:], err
}

// alterConfigs sets and deletes configs of one resource with
// IncrementalAlterConfigs, which leaves the other keys as they are, and
// prints what changed.
func alterConfigs(ctx context.Context, g *Globals, adm *kadm.Client, t configTarget, sets [][2]string, deletes []string) error {
	var changes []kadm.AlterConfig
	for _, kv := range sets {
		changes = append(changes, kadm.AlterConfig{Op: kadm.SetConfig, Name: kv[0], Value: kadm.StringPtr(kv[1])})
	}
	for _, k := range deletes {
		changes = append(changes, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	var (
		resps kadm.AlterConfigsResponses
		err   error
	)
	if t.kind == topicResource {
		resps, err = adm.AlterTopicConfigs(ctx, changes, t.name)
	} else {
		resps, err = adm.AlterBrokerConfigs(ctx, changes, t.brokerIDs()...)
	}
	what := "change configs of " + t.String()
	if err != nil {
		return g.kafkaError(what, shardErr(err), "")
	}
	for _, r := range resps {
		if r.Err != nil {
			return g.kafkaError(what, r.Err, r.ErrMessage)
		}
	}
	if len(resps) == 0 {
		return fmt.Errorf("%s: no answer for it", what)
	}
	if g.json() {
		set := map[string]string{}
		for _, kv := range sets {
			set[kv[0]] = kv[1]
		}
		return writeJSON(g.stdout, map[string]any{"resource": t.String(), "set": set, "deleted": nonNil(deletes)})
	}
	for _, kv := range sets {
		fmt.Fprintf(g.stdout, "Set %s=%s on %s.\n", kv[0], kv[1], t)
	}
	for _, k := range deletes {
		fmt.Fprintf(g.stdout, "Removed %s from %s (back to its default).\n", k, t)
	}
	return nil
}
