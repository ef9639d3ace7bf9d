package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

func newClusterCommand() *cobra.Command {
	cmd := parentCommand(&cobra.Command{
		Use:   "cluster",
		Short: "Describe the cluster",
		Example: `  fjord cluster info
  fjord cluster info --api-versions -o json`,
	})
	g := addGlobalFlags(cmd)
	cmd.AddCommand(newClusterInfoCommand(g))
	return cmd
}

type clusterInfo struct {
	ClusterID  string        `json:"cluster_id"`
	Controller int32         `json:"controller"`
	Brokers    []clusterNode `json:"brokers"`
	apis       bool          // print the API versions table
	errs       map[int32]error
}

type clusterNode struct {
	ID           int32        `json:"id"`
	Host         string       `json:"host"`
	Port         int32        `json:"port"`
	Rack         *string      `json:"rack"`
	KafkaVersion string       `json:"kafka_version"`
	APIVersions  []apiVersion `json:"api_versions,omitempty"`
}

type apiVersion struct {
	Key  int16  `json:"key"`
	Name string `json:"name"`
	Min  int16  `json:"min"`
	Max  int16  `json:"max"`
}

func newClusterInfoCommand(g *Globals) *cobra.Command {
	var apis bool
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show the brokers, the controller, the cluster id and the Kafka versions",
		Long: `Show the cluster id, the controller and every broker with its address,
rack and the Kafka version its API versions match (a guess: brokers do not
send their software version). --api-versions lists every API each broker
serves with its version range.`,
		Example: `  fjord cluster info
  fjord cluster info -b kafka1:9092,kafka2:9092 --api-versions
  fjord cluster info -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, err := g.newAdmin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := g.ctx(cmd.Context())
			defer cancel()
			md, err := adm.BrokerMetadata(ctx)
			if err != nil {
				return g.kafkaError("read cluster metadata", err, "")
			}
			vs, err := adm.ApiVersions(ctx)
			if err != nil {
				return g.kafkaError("read API versions", err, "")
			}
			info := clusterInfo{ClusterID: md.Cluster, Controller: md.Controller, apis: apis, errs: map[int32]error{}}
			for _, b := range md.Brokers {
				n := clusterNode{ID: b.NodeID, Host: b.Host, Port: b.Port, Rack: b.Rack}
				v, ok := vs[b.NodeID]
				switch {
				case !ok:
				case v.Err != nil:
					info.errs[b.NodeID] = v.Err
				default:
					n.KafkaVersion = versionGuess(v)
					if apis {
						v.EachKeySorted(func(key, min, max int16) {
							n.APIVersions = append(n.APIVersions, apiVersion{key, kmsg.NameForKey(key), min, max})
						})
					}
				}
				info.Brokers = append(info.Brokers, n)
			}
			if err := info.print(g); err != nil {
				return err
			}
			for id, err := range info.errs {
				return g.kafkaError(fmt.Sprintf("read API versions of broker %d", id), err, "")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&apis, "api-versions", false, "list the API versions each broker serves")
	return cmd
}

func (info clusterInfo) print(g *Globals) error {
	if g.json() {
		info.Brokers = nonNil(info.Brokers)
		return writeJSON(g.stdout, info)
	}
	t := newTable(g.stdout)
	t.row("Cluster ID:", info.ClusterID)
	t.row("Controller:", info.Controller)
	t.row("Brokers:", len(info.Brokers))
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout)
	t = newTable(g.stdout, "BROKER", "HOST", "PORT", "RACK", "CONTROLLER", "KAFKA-VERSION")
	for _, b := range info.Brokers {
		ctl := ""
		if b.ID == info.Controller {
			ctl = "yes"
		}
		rack := ""
		if b.Rack != nil {
			rack = *b.Rack
		}
		ver := b.KafkaVersion
		if err := info.errs[b.ID]; err != nil {
			ver = "unknown (" + err.Error() + ")"
		}
		t.row(b.ID, b.Host, b.Port, rack, ctl, ver)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if !info.apis {
		return nil
	}
	fmt.Fprintln(g.stdout)
	t = newTable(g.stdout, "BROKER", "KEY", "API", "MIN", "MAX")
	for _, b := range info.Brokers {
		for _, a := range b.APIVersions {
			t.row(b.ID, a.Key, a.Name, a.Min, a.Max)
		}
	}
	return t.flush()
}

// versionGuess is the Kafka release whose API versions the broker matches.
// APIs the broker does not serve are left out of the comparison: a broker
// that serves few APIs (Fjord while it grows) would otherwise look like
// Kafka 0.8.
func versionGuess(v kadm.BrokerApiVersions) string {
	var skip []int16
	for k := int16(0); k <= kmsg.MaxKey; k++ {
		if _, ok := v.KeyMaxVersion(k); !ok {
			skip = append(skip, k)
		}
	}
	return v.VersionGuess(kversion.SkipKeys(skip...))
}
