package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// result is what one run of the fjord binary did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "stderr:\n" + r.stderr
}

// fjord runs the fjord binary as a user would, with stdin, against the
// broker (-b is added when b is not nil), and returns what it printed and
// its exit code. FJORD_BROKERS is removed from its environment.
func fjord(t *testing.T, b *fjordtest.Broker, stdin string, args ...string) result {
	t.Helper()
	cmd := fjordCmd(t, b, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("fjord %v: %v", args, err)
	}
	return r
}

// fjordCmd prepares a run of the binary; it is killed if the test runs
// past a generous deadline.
func fjordCmd(t *testing.T, b *fjordtest.Broker, args ...string) *exec.Cmd {
	t.Helper()
	if b != nil {
		args = append(args, "-b", b.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, fjordtest.Binary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FJORD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// ok runs fjord and fails the test unless it exits 0.
func ok(t *testing.T, b *fjordtest.Broker, stdin string, args ...string) result {
	t.Helper()
	r := fjord(t, b, stdin, args...)
	if r.code != 0 {
		t.Fatalf("fjord %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// fails runs fjord and checks the exit code and that stderr names the
// failure (every want is in it).
func fails(t *testing.T, b *fjordtest.Broker, code int, stdin string, args []string, want ...string) result {
	t.Helper()
	r := fjord(t, b, stdin, args...)
	if r.code != code {
		t.Fatalf("fjord %s: want exit %d, got %s", strings.Join(args, " "), code, r)
	}
	if !strings.HasPrefix(r.stderr, "fjord: ") {
		t.Errorf("fjord %s: stderr does not start with \"fjord: \":\n%s", strings.Join(args, " "), r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("fjord %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, r.stderr)
		}
	}
	return r
}

// decodeJSON parses a command's JSON output.
func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return v
}

// produceRecords writes records with kgo and waits for them.
func produceRecords(t *testing.T, b *fjordtest.Broker, rs ...*kgo.Record) {
	t.Helper()
	cl := b.Client(kgo.AllowAutoTopicCreation())
	if err := cl.ProduceSync(fjordtest.Context(t), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// createTopic creates a topic with kadm.
func createTopic(t *testing.T, b *fjordtest.Broker, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	resp, err := b.Admin().CreateTopic(fjordtest.Context(t), partitions, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
}

// lines splits output into lines without the trailing empty one.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestEveryCommandHasExampleAndShortHelp(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%s has no Short help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	for _, c := range Commands() {
		walk(c)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"topic", "create"},
		{"topic", "create", "x", "--no-such-flag"},
		{"topic", "crate", "x"},
		{"topic", "list", "extra"},
		{"topic", "list", "-o", "xml"},
		{"topic", "--create"},
		{"topic", "--list", "--describe"},
		{"produce"},
		{"produce", "t", "--acks", "2"},
		{"produce", "t", "--compression", "brotli"},
		{"consume", "t", "--offset", "soon"},
		{"consume", "t", "--group", "g", "--partition", "0"},
		{"consume", "t", "--format", "%q"},
		{"group", "reset", "g", "--topic", "t"},
		{"group", "reset", "g", "--to-earliest"},
		{"group", "reset", "g", "--topic", "t", "--to-earliest", "--to-latest"},
		{"config", "get", "table", "x"},
		{"config", "set", "topic", "x", "novalue"},
		{"cluster", "info", "--timeout", "0s"},
		{"nonsense"},
	} {
		// A broker address that nothing listens on: usage is checked
		// before any connection.
		r := fjord(t, nil, "", append(args, "-b", "127.0.0.1:1")...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "fjord: ") {
			t.Errorf("fjord %s: want exit 2 with a message, got %s", strings.Join(args, " "), r)
		}
	}
}

func TestBootstrapServerFromFlagThenEnvThenDefault(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)

	// FJORD_BROKERS when there is no -b.
	cmd := fjordCmd(t, nil, "cluster", "info", "-o", "json")
	cmd.Env = append(cmd.Env, "FJORD_BROKERS="+b.Addr())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("with FJORD_BROKERS: %v", err)
	}
	if info := decodeJSON[clusterInfo](t, string(out)); len(info.Brokers) != 1 {
		t.Fatalf("brokers: %+v", info.Brokers)
	}

	// -b wins over FJORD_BROKERS, and a list may name dead brokers first.
	cmd = fjordCmd(t, nil, "cluster", "info", "-b", "127.0.0.1:1,"+b.Addr())
	cmd.Env = append(cmd.Env, "FJORD_BROKERS=127.0.0.1:1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("-b over FJORD_BROKERS: %v\n%s", err, out)
	}
}

func TestBrokersDefaultToLocalhost9092(t *testing.T) {
	t.Setenv("FJORD_BROKERS", "")
	g := &Globals{Output: "table", Timeout: time.Second}
	if err := g.resolve(); err != nil || g.Brokers != DefaultBrokers {
		t.Fatalf("default: %q, %v", g.Brokers, err)
	}
	t.Setenv("FJORD_BROKERS", "k1:9092, k2:9093")
	g = &Globals{Output: "table", Timeout: time.Second}
	if err := g.resolve(); err != nil || strings.Join(g.seeds(), " ") != "k1:9092 k2:9093" {
		t.Fatalf("FJORD_BROKERS: %q, %v", g.seeds(), err)
	}
}

func TestUnreachableClusterFailsFastNamingTheAddress(t *testing.T) {
	t.Parallel()
	start := time.Now()
	fails(t, nil, 1, "", []string{"topic", "list", "-b", "127.0.0.1:1"}, "cannot connect to 127.0.0.1:1", "connection refused")
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v to fail", d)
	}
}

func TestParseKeyValues(t *testing.T) {
	got, err := parseKeyValues("--add-config", []string{"a=1,b=[x,y]", "c="}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"a", "1"}, {"b", "x,y"}, {"c", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("pair %d: got %v, want %v", i, got[i], want[i])
		}
	}
	// Without comma lists a value keeps its commas.
	got, err = parseKeyValues("--config", []string{"cleanup.policy=compact,delete"}, false)
	if err != nil || len(got) != 1 || got[0][1] != "compact,delete" {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"novalue", "=x"} {
		if _, err := parseKeyValues("--config", []string{bad}, false); !IsUsage(err) {
			t.Errorf("%q: want a usage error, got %v", bad, err)
		}
	}
}

// TestNoBrokerInternals keeps the client commands on the Kafka protocol:
// no non-test file imports Fjord's own packages.
func TestNoBrokerInternals(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if strings.Contains(imp.Path.Value, "github.com/fjordlabs/fjord/") {
				t.Errorf("%s imports %s: client commands speak only the Kafka protocol", f, imp.Path.Value)
			}
		}
	}
}

func itoa[T ~int32 | ~int64 | ~int](n T) string { return strconv.FormatInt(int64(n), 10) }

// readRecords reads n records of topic from the start of every partition
// with kgo, sorted by partition and offset.
func readRecords(t *testing.T, b *fjordtest.Broker, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := fjordtest.Context(t)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records of %s: %v", len(out), n, topic, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	slices.SortFunc(out, func(a, b *kgo.Record) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
	return out
}
