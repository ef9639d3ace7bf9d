package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

func newConfigDeleteCommand(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:     "delete (topic NAME | broker ID | broker default) KEY...",
		Aliases: []string{"unset", "rm"},
		Short:   "Remove configs from a topic or broker, back to their defaults",
		Long: `Remove configs set on a topic or a broker, so that the inherited value
(the broker's, or the default) applies again.`,
		Example: `  fjord config delete topic demo retention.ms
  fjord config delete broker 1 log.cleaner.threads`,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, keys, err := configTargetArgs(args)
			if err != nil {
				return err
			}
			if len(keys) == 0 {
				return usagef("name the configs to remove")
			}
			for _, k := range keys {
				if strings.Contains(k, "=") {
					return usagef("%q: give only the key to remove, without a value", k)
				}
			}
			adm, err := g.newAdmin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := g.ctx(cmd.Context())
			defer cancel()
			return alterConfigs(ctx, g, adm, t, nil, keys)
		},
	}
}
