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
	return root
}
