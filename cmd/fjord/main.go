// Command fjord is the single Fjord binary: `fjord server` runs a node and
// the other subcommands are Kafka-protocol clients.
package main

import (
	"errors"
	"fmt"
	"os"
)

// Exit codes: 0 ok, 1 failure, 2 usage.
func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "fjord:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
