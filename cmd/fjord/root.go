package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fjordlabs/fjord/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "fjord",
		Short: "Fjord: a Kafka-compatible event streaming platform in one binary",
		Long: `Fjord: a Kafka-compatible event streaming platform in one binary.

"fjord server" runs a broker; the other commands are clients that speak the
Kafka protocol, to Fjord or to any Kafka cluster. They find the cluster with
-b/--bootstrap-server, else $FJORD_BROKERS, else localhost:9092.

Exit codes: 0 success, 1 failure, 2 wrong usage.`,
		Example: `  fjord server
  fjord topic create demo --partitions 3
  echo hello | fjord produce demo
  fjord consume demo --from-beginning`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
		// An unknown command is a usage error (cobra's own is exit code 1).
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return usageError{errors.New(msg)}
		},
	}
	// Flag parsing errors are usage errors (exit code 2).
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newServerCommand())
	for _, c := range cli.Commands() {
		markUsageErrors(c)
		root.AddCommand(c)
	}
	perf := cli.PerfCommand()
	markUsageErrors(perf)
	root.AddCommand(perf)
	return root
}

// markUsageErrors turns the client commands' cli.UsageError into this
// package's usageError, so that main exits with code 2.
func markUsageErrors(c *cobra.Command) {
	wrap := func(fn func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
		if fn == nil {
			return nil
		}
		return func(c *cobra.Command, args []string) error {
			err := fn(c, args)
			if err != nil && cli.IsUsage(err) {
				return usageError{err}
			}
			return err
		}
	}
	c.RunE = wrap(c.RunE)
	c.PersistentPreRunE = wrap(c.PersistentPreRunE)
	if c.Args != nil {
		c.Args = wrap(c.Args)
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}
