// Package cli holds Fjord's client subcommands: `fjord topic`, `produce`,
// `consume`, `group`, `config` and `cluster`, one file per subcommand. They
// speak only the Kafka protocol through franz-go (kgo, kadm), so they work
// against any Kafka cluster; this package must not import Fjord's broker
// packages (a test checks it).
//
// The kinder subcommand form is the primary interface; the flags users
// already type for Kafka's shell scripts (--bootstrap-server, --topic,
// --create, --describe, --reset-offsets --to-earliest --execute,
// --property print.key=true, ...) are accepted where they map naturally.
//
// Errors that come from how a command was called are UsageError (exit code
// 2); Kafka errors read "<what failed>: <KAFKA_ERROR_NAME>: <message>".
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// DefaultBrokers is the bootstrap server when neither -b nor FJORD_BROKERS
// is given: the zero-configuration `fjord server`.
const DefaultBrokers = "localhost:9092"

// Commands returns the client subcommands, each with the global flags
// (-b/--bootstrap-server, --timeout, -o) as persistent flags.
func Commands() []*cobra.Command {
	return []*cobra.Command{
		newTopicCommand(),
		newProduceCommand(),
		newConsumeCommand(),
		newGroupCommand(),
		newConfigCommand(),
		newClusterCommand(),
	}
}

// UsageError marks an error in how a command was called (exit code 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// usagef returns a UsageError.
func usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// IsUsage reports whether err is a usage error.
func IsUsage(err error) bool {
	var ue UsageError
	return errors.As(err, &ue)
}

// Globals are the flags every client subcommand takes.
type Globals struct {
	Brokers string        // -b/--bootstrap-server, else FJORD_BROKERS, else DefaultBrokers
	Timeout time.Duration // how long one operation may wait for the cluster
	Output  string        // "table" or "json"

	stdin          io.Reader
	stdout, stderr io.Writer
}

// addGlobalFlags registers the global flags on a top-level command and
// returns where they land; the streams are the command's own.
func addGlobalFlags(cmd *cobra.Command) *Globals {
	g := &Globals{}
	f := cmd.PersistentFlags()
	f.StringVarP(&g.Brokers, "bootstrap-server", "b", "", "comma-separated host:port list (default $FJORD_BROKERS, else "+DefaultBrokers+")")
	f.StringVar(&g.Brokers, "brokers", "", "alias of --bootstrap-server")
	f.Lookup("brokers").Hidden = true
	f.DurationVar(&g.Timeout, "timeout", 30*time.Second, "how long to wait for the cluster in each operation")
	f.StringVarP(&g.Output, "output", "o", "table", "output format: table or json")
	prev := cmd.PersistentPreRunE
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		g.stdin, g.stdout, g.stderr = c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr()
		if err := g.resolve(); err != nil {
			return err
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
	return g
}

func (g *Globals) resolve() error {
	if g.Brokers == "" {
		g.Brokers = os.Getenv("FJORD_BROKERS")
	}
	if g.Brokers == "" {
		g.Brokers = DefaultBrokers
	}
	if len(g.seeds()) == 0 {
		return usagef("--bootstrap-server: no broker address in %q", g.Brokers)
	}
	switch g.Output {
	case "table", "json":
	default:
		return usagef("--output: %q is not table or json", g.Output)
	}
	if g.Timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	return nil
}

// seeds splits the bootstrap list.
func (g *Globals) seeds() []string {
	var out []string
	for _, s := range strings.Split(g.Brokers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// json reports whether the output format is JSON.
func (g *Globals) json() bool { return g.Output == "json" }

// parentCommand is a command whose work is done by its subcommands. Run
// without one it prints its help; with an unknown one it is a usage error
// (cobra would print the help and exit 0).
func parentCommand(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	if cmd.RunE == nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownSubcommand(c, args[0])
			}
			return c.Help()
		}
	}
	return cmd
}

func unknownSubcommand(c *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, c.CommandPath())
	if s := c.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	if len(names) > 0 {
		msg += " (commands: " + strings.Join(names, ", ") + ")"
	}
	return UsageError{errors.New(msg)}
}

// exactArgs is cobra.ExactArgs as a usage error naming what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s (got %d arguments); see %s --help", c.CommandPath(), what, len(args), c.CommandPath())
		}
		return nil
	}
}

// rangeArgs is cobra.RangeArgs as a usage error.
func rangeArgs(min, max int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < min || (max >= 0 && len(args) > max) {
			return usagef("%s takes %s (got %d arguments); see %s --help", c.CommandPath(), what, len(args), c.CommandPath())
		}
		return nil
	}
}
