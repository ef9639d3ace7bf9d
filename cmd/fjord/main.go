// Command fjord is the single Fjord binary: `fjord server` runs a node and
// the other subcommands are Kafka-protocol clients.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "fjord:", err)
		os.Exit(1)
	}
}
