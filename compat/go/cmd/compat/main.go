// Command compat runs Fjord's client compatibility suite: it builds
// fjord, and for each client starts fresh brokers on free loopback ports,
// runs the client's script (scenarios 1, 2, 3, 5 and 6), then scenario 4,
// the consumer group, with the client's member command (group.go). It
// prints every check, writes docs/compatibility.md from the results, and
// exits non-zero if any check failed.
//
//	compat/run                          every client; rewrites docs/compatibility.md
//	compat/run -clients kcat,sarama     some clients; the document is left alone
//	compat/run -check-doc               every client; fails if the document is not what this run produced
//
// Each client gets two brokers: one with Fjord's defaults
// (FJORD_COMPAT_BOOTSTRAP) and one with auto.create.topics.enable=false
// (FJORD_COMPAT_NOAUTO_BOOTSTRAP), both with group timings fit for tests.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

// client is one client under test. Paths in script and member are
// relative to the repository root; "{bin}" is the directory of the built
// Go test binaries and "{python}" the Python interpreter.
type client struct {
	name   string
	goPkg  string // Go clients: the package under compat/go; its test binary is both script and member
	script []string
	member []string
}

var clients = []client{
	{name: "franz-go", goPkg: "franzgo"},
	{name: "sarama", goPkg: "sarama"},
	{name: "kafka-go", goPkg: "kafkago"},
	{name: "confluent-kafka-go", goPkg: "confluent"},
	{name: "kcat", script: []string{"bash", "compat/kcat/kcat.sh"}, member: []string{"bash", "compat/kcat/member.sh"}},
	{name: "kafka-python", script: []string{"{python}", "compat/python/kafka_python_compat.py"},
		member: []string{"{python}", "compat/python/kafka_python_compat.py", "member"}},
	{name: "confluent-kafka-python", script: []string{"{python}", "compat/python/confluent_kafka_compat.py"},
		member: []string{"{python}", "compat/python/confluent_kafka_compat.py", "member"}},
	{name: "kafkajs", script: []string{"node", "compat/node/kafkajs_compat.js"},
		member: []string{"node", "compat/node/kafkajs_compat.js", "member"}},
}

// brokerOverrides apply to every broker: rebalances without Kafka's
// initial 3s delay, and session timeouts down to a second.
var brokerOverrides = []string{"group.initial.rebalance.delay.ms=0", "group.min.session.timeout.ms=1000"}

type clientResult struct {
	name, version string
	results       []check.Result
	took          time.Duration
}

func main() {
	root := flag.String("root", "", "repository root (default: found from the working directory)")
	only := flag.String("clients", "", "comma-separated clients to run (default all: "+clientNames()+")")
	docPath := flag.String("doc", "", "results document (default ROOT/docs/compatibility.md; written only when every client ran)")
	checkDoc := flag.Bool("check-doc", false, "do not write the document: fail if it differs from this run's results")
	python := flag.String("python", "/usr/bin/python3", "Python interpreter with Debian's python3-kafka and python3-confluent-kafka")
	scriptTimeout := flag.Duration("timeout", 4*time.Minute, "time limit of one client's script")
	keep := flag.Bool("keep", false, "keep the temporary directory (broker data, logs)")
	flag.Parse()
	killGroupsOnSignal()

	if *root == "" {
		r, err := findRoot()
		if err != nil {
			fatal(err)
		}
		*root = r
	}
	selected := clients
	if *only != "" {
		selected = nil
		for _, n := range strings.Split(*only, ",") {
			i := slices.IndexFunc(clients, func(c client) bool { return c.name == strings.TrimSpace(n) })
			if i < 0 {
				fatal(fmt.Errorf("unknown client %q (known: %s)", n, clientNames()))
			}
			selected = append(selected, clients[i])
		}
	}
	if *checkDoc && len(selected) != len(clients) {
		fatal(errors.New("-check-doc needs every client (the document covers them all)"))
	}
	if *docPath == "" {
		*docPath = filepath.Join(*root, "docs", "compatibility.md")
	}

	tmp, err := os.MkdirTemp("", "fjord-compat-")
	if err != nil {
		fatal(err)
	}
	if *keep {
		fmt.Println("temporary directory:", tmp)
	} else {
		defer os.RemoveAll(tmp)
		removeOnSignal = tmp
	}

	start := time.Now()
	fjord := filepath.Join(tmp, "fjord")
	if err := run(*root, "go", "build", "-o", fjord, "./cmd/fjord"); err != nil {
		fatal(fmt.Errorf("building fjord: %w", err))
	}
	bin := filepath.Join(tmp, "bin")
	var goPkgs []string
	for _, c := range selected {
		if c.goPkg != "" {
			goPkgs = append(goPkgs, "./"+c.goPkg)
		}
	}
	if len(goPkgs) > 0 {
		if err := run(filepath.Join(*root, "compat", "go"), "go", append([]string{"test", "-c", "-o", bin + "/"}, goPkgs...)...); err != nil {
			fatal(fmt.Errorf("building the Go clients' tests: %w", err))
		}
	}
	fmt.Printf("built fjord and the Go tests in %.1fs\n", time.Since(start).Seconds())

	var all []clientResult
	for _, c := range selected {
		dir := filepath.Join(tmp, c.name)
		os.MkdirAll(dir, 0o755)
		r := runClient(c, *root, fjord, bin, *python, dir, *scriptTimeout)
		all = append(all, r)
	}

	passed, failed, na := 0, 0, 0
	for _, r := range all {
		for _, res := range r.results {
			switch res.Status {
			case check.Pass:
				passed++
			case check.Fail:
				failed++
			case check.NA:
				na++
			}
		}
	}
	fmt.Println()
	for _, r := range all {
		p, f, n := count(r.results)
		fmt.Printf("%-24s %-16s %3d passed, %d failed, %2d not applicable  %5.1fs\n", r.name, r.version, p, f, n, r.took.Seconds())
	}
	fmt.Printf("whole suite: %.1fs\n", time.Since(start).Seconds())

	docOK := true
	if len(selected) == len(clients) {
		doc := renderDoc(all)
		if *checkDoc {
			old, _ := os.ReadFile(*docPath)
			if !bytes.Equal(old, []byte(doc)) {
				docOK = false
				fmt.Printf("%s is not what this run produced: run compat/run and commit it\n", *docPath)
				os.WriteFile(filepath.Join(tmp, "compatibility.md"), []byte(doc), 0o644)
				diff, _ := exec.Command("diff", "-u", *docPath, filepath.Join(tmp, "compatibility.md")).CombinedOutput()
				os.Stdout.Write(diff)
			}
		} else if err := os.WriteFile(*docPath, []byte(doc), 0o644); err != nil {
			fatal(err)
		} else {
			fmt.Println("wrote", *docPath)
		}
	}
	if na > 0 {
		fmt.Printf("%d not applicable\n", na)
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 || !docOK {
		os.Exit(1)
	}
}

func count(rs []check.Result) (p, f, n int) {
	for _, r := range rs {
		switch r.Status {
		case check.Pass:
			p++
		case check.Fail:
			f++
		case check.NA:
			n++
		}
	}
	return
}

// runClient runs one client's script and group scenario on fresh brokers.
func runClient(c client, root, fjord, bin, python, dir string, timeout time.Duration) clientResult {
	start := time.Now()
	res := clientResult{name: c.name, version: "unknown"}
	fail := func(scenario int, name, detail string) {
		r := check.Result{Status: check.Fail, Scenario: scenario, Name: name, Detail: detail}
		res.results = append(res.results, r)
		fmt.Println("  " + r.String())
	}
	fmt.Printf("\n== %s\n", c.name)

	main, err := startBroker(fjord, filepath.Join(dir, "broker"), brokerOverrides...)
	if err != nil {
		fail(0, "start the broker", err.Error())
		return res
	}
	defer main.kill()
	noauto, err := startBroker(fjord, filepath.Join(dir, "broker-noauto"), append(slices.Clone(brokerOverrides), "auto.create.topics.enable=false")...)
	if err != nil {
		fail(0, "start the broker", err.Error())
		return res
	}
	defer noauto.kill()

	env := append(os.Environ(),
		check.EnvBootstrap+"="+main.addr(),
		check.EnvNoAutoBootstrap+"="+noauto.addr(),
		check.EnvFjord+"="+fjord,
		"PYTHONUNBUFFERED=1")
	script, member, cwd := c.script, c.member, root
	if c.goPkg != "" {
		testBin := filepath.Join(bin, c.goPkg+".test")
		script = []string{testBin, "-test.timeout", timeout.String()}
		member = []string{testBin}
		cwd = filepath.Join(root, "compat", "go", c.goPkg)
	}
	expand := func(args []string) []string {
		out := make([]string, len(args))
		for i, a := range args {
			a = strings.ReplaceAll(a, "{python}", python)
			if strings.HasPrefix(a, "compat/") {
				a = filepath.Join(root, a)
			}
			out[i] = a
		}
		return out
	}
	script, member = expand(script), expand(member)

	// Scenarios 1, 2, 3, 5, 6: the client's script.
	scriptStart := time.Now()
	version, results, problem := runScript(script, cwd, env, filepath.Join(dir, "script.log"), timeout)
	if version != "" {
		res.version = version
	}
	res.results = append(res.results, results...)
	if problem != "" {
		fail(0, "script", problem+"\n"+indent(tailFile(filepath.Join(dir, "script.log"), 30)))
	}
	fmt.Printf("  (script: %.1fs)\n", time.Since(scriptStart).Seconds())

	// Scenario 4 on the same broker.
	groupStart := time.Now()
	report := check.NewReport(prefixWriter{os.Stdout})
	runGroupScenario(c.name, member, env, dir, main, report)
	for _, r := range groupResults(report) {
		res.results = append(res.results, r)
	}
	fmt.Printf("  (consumer group: %.1fs)\n", time.Since(groupStart).Seconds())
	if err := main.stop(); err != nil {
		fail(0, "broker shutdown", err.Error())
	}
	if err := noauto.stop(); err != nil {
		fail(0, "broker shutdown", err.Error())
	}
	res.took = time.Since(start)
	return res
}

func groupResults(r *check.Report) []check.Result { return r.Results() }

type prefixWriter struct{ w io.Writer }

func (p prefixWriter) Write(b []byte) (int, error) {
	_, err := p.w.Write(append([]byte("  "), b...))
	return len(b), err
}

// runScript runs a client's script, echoing its result lines, and returns
// the client version, the results, and what was wrong with the run as a
// whole (no summary, a summary that disagrees, a non-zero exit with no
// failed check, a timeout).
func runScript(args []string, cwd string, env []string, logPath string, timeout time.Duration) (version string, results []check.Result, problem string) {
	logf, err := os.Create(logPath)
	if err != nil {
		return "", nil, err.Error()
	}
	defer logf.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir, cmd.Env = cwd, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err.Error()
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Sprintf("cannot run %s: %v", strings.Join(args, " "), err)
	}
	trackGroup(cmd.Process.Pid)
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever the script left running
		untrackGroup(cmd.Process.Pid)
	}()
	var last string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(logf, line)
		if strings.TrimSpace(line) == "" {
			continue
		}
		last = line
		if name, v, ok := check.ParseClient(line); ok {
			version = v
			fmt.Printf("  client %s %s\n", name, v)
		} else if r, ok := check.ParseResult(line); ok {
			results = append(results, r)
			fmt.Println("  " + r.String())
		}
	}
	waitErr := cmd.Wait()
	p, f, _ := count(results)
	sp, sf, ok := check.ParseSummary(last)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		problem = fmt.Sprintf("killed after %v", timeout)
	case !ok:
		problem = fmt.Sprintf("the output does not end with \"N passed, N failed\" (exit: %v)", waitErr)
	case sp != p || sf != f:
		problem = fmt.Sprintf("summary %q, but %d passed and %d failed lines", last, p, f)
	case (waitErr != nil) != (f > 0):
		problem = fmt.Sprintf("exit %v with %d failed checks", waitErr, f)
	}
	return version, results, problem
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// findRoot walks up from the working directory to Fjord's module root.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module github.com/fjordlabs/fjord\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the fjord repository: give -root")
		}
		dir = parent
	}
}

func clientNames() string {
	var ns []string
	for _, c := range clients {
		ns = append(ns, c.name)
	}
	return strings.Join(ns, ",")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "compat:", err)
	os.Exit(1)
}
