package cli

import (
	"github.com/spf13/cobra"
)

func newConfigSetCommand(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "set (topic NAME | broker ID | broker default) KEY=VALUE...",
		Short: "Set configs of a topic or broker",
		Long: `Set configs of a topic or a broker, leaving its other configs as they are
(IncrementalAlterConfigs). The broker checks each key and value and refuses
unknown keys, bad values and read-only broker configs.`,
		Example: `  fjord config set topic demo retention.ms=86400000
  fjord config set topic demo cleanup.policy=compact min.insync.replicas=2
  fjord config set broker 1 log.cleaner.threads=2
  fjord config set broker default log.retention.ms=604800000`,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, rest, err := configTargetArgs(args)
			if err != nil {
				return err
			}
			if len(rest) == 0 {
				return usagef("give the configs to set as KEY=VALUE")
			}
			sets, err := parseKeyValues("config", rest, false)
			if err != nil {
				return err
			}
			adm, err := g.newAdmin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := g.ctx(cmd.Context())
			defer cancel()
			return alterConfigs(ctx, g, adm, t, sets, nil)
		},
	}
}
