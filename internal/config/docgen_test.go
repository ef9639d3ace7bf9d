package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the definitions table")

// TestReferenceDocIsCurrent keeps docs/configuration.md generated from the
// table. Run `go generate ./internal/config` after changing definitions.
func TestReferenceDocIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "configuration.md")
	want := ReferenceDoc()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go generate ./internal/config)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale; run go generate ./internal/config", path)
	}
}
