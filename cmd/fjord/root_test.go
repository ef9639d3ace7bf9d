package main

import (
	"errors"
	"io"
	"testing"

	"github.com/spf13/cobra"
)

func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example == "" {
			t.Errorf("%q has no Example in its help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand())
}

// TestClientUsageErrorsExitTwo checks the wiring that turns the client
// commands' usage errors into exit code 2.
func TestClientUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"topic", "create"},                         // RunE
		{"topic", "list", "extra"},                  // Args
		{"topic", "list", "-o", "yaml"},             // PersistentPreRunE
		{"topic", "list", "--no-such-flag"},         // flag parsing
		{"topic", "no-such-command"},                // unknown subcommand
		{"no-such-command"},                         // unknown command
		{"consume", "t", "--group", "g", "-p", "0"}, // conflicting flags
	} {
		root := newRootCommand()
		root.SetArgs(append(args, "-b", "127.0.0.1:1"))
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		err := root.Execute()
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: %v is not a usage error", args, err)
		}
	}
}
