package main

import (
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "fjord",
		Short:         "Fjord: a Kafka-compatible event streaming platform in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	// Flag parsing errors are usage errors (exit code 2).
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newServerCommand())
	return root
}
