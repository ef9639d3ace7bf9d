// Package check is the Go side of the compatibility suite's result
// protocol, shared by every client's tests and by the runner.
//
// A client's script (here: a test binary) writes one line per check to
// stdout and ends with a summary:
//
//	CLIENT franz-go v1.22.2
//	PASS [2] produce acks=all codec=zstd
//	FAIL [3] consume from a timestamp: record 2: value "x", want "y"
//	N/A  [5] delete groups: the client has no API for it
//	1 not applicable
//	1 passed, 1 failed
//
// The number in brackets is the scenario (1 admin, 2 produce, 3
// consume, 4 consumer group, 5 configs/groups/offsets, 6 error paths). A
// check name holds no colon; what follows ": " is the detail. Scripts in
// other languages write the same lines (compat/python/common.py,
// compat/node/common.js, compat/kcat/lib.sh).
package check

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Status is a check's outcome.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	NA   Status = "N/A"
)

// Result is one check.
type Result struct {
	Status   Status
	Scenario int
	Name     string
	Detail   string
}

func (r Result) String() string {
	s := fmt.Sprintf("%-4s [%d] %s", r.Status, r.Scenario, r.Name)
	if r.Detail != "" {
		s += ": " + oneLine(r.Detail)
	}
	return s
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", " | ")
}

var (
	resultRE  = regexp.MustCompile(`^(PASS|FAIL|N/A) +\[([1-6])\] ([^:]+?)(?:: (.*))?$`)
	clientRE  = regexp.MustCompile(`^CLIENT (\S+) (.+)$`)
	summaryRE = regexp.MustCompile(`^(\d+) passed, (\d+) failed$`)
)

// ParseResult parses a result line.
func ParseResult(line string) (Result, bool) {
	m := resultRE.FindStringSubmatch(strings.TrimRight(line, "\r"))
	if m == nil {
		return Result{}, false
	}
	n, _ := strconv.Atoi(m[2])
	return Result{Status: Status(m[1]), Scenario: n, Name: strings.TrimSpace(m[3]), Detail: m[4]}, true
}

// ParseClient parses a "CLIENT name version" line.
func ParseClient(line string) (name, version string, ok bool) {
	m := clientRE.FindStringSubmatch(strings.TrimRight(line, "\r"))
	if m == nil {
		return "", "", false
	}
	return m[1], strings.TrimSpace(m[2]), true
}

// ParseSummary parses the final "N passed, N failed" line.
func ParseSummary(line string) (passed, failed int, ok bool) {
	m := summaryRE.FindStringSubmatch(strings.TrimRight(line, "\r"))
	if m == nil {
		return 0, 0, false
	}
	passed, _ = strconv.Atoi(m[1])
	failed, _ = strconv.Atoi(m[2])
	return passed, failed, true
}

// Report collects results and writes each line as it happens.
type Report struct {
	mu      sync.Mutex
	w       io.Writer
	results []Result
}

// NewReport writes to w.
func NewReport(w io.Writer) *Report { return &Report{w: w} }

// Add records a result and prints its line.
func (r *Report) Add(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)
	fmt.Fprintln(r.w, res)
}

// Client prints the CLIENT line.
func (r *Report) Client(name, version string) {
	fmt.Fprintf(r.w, "CLIENT %s %s\n", name, version)
}

// Counts returns how many checks passed, failed and were not applicable.
func (r *Report) Counts() (passed, failed, na int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range r.results {
		switch res.Status {
		case Pass:
			passed++
		case Fail:
			failed++
		case NA:
			na++
		}
	}
	return
}

// Summary prints the closing lines; it returns false if a check failed or
// none ran.
func (r *Report) Summary() bool {
	passed, failed, na := r.Counts()
	if na > 0 {
		fmt.Fprintf(r.w, "%d not applicable\n", na)
	}
	if passed+failed == 0 {
		failed++
		fmt.Fprintln(r.w, Result{Status: Fail, Scenario: 1, Name: "suite", Detail: "no check ran"})
	}
	fmt.Fprintf(r.w, "%d passed, %d failed\n", passed, failed)
	return failed == 0
}

// std is the report of a test binary.
var std = NewReport(os.Stdout)

// T is what a check's body uses to fail: Fatalf records the reason and
// ends the check.
type T struct {
	*testing.T
	msgs []string
}

// Fatalf fails the check with a reason.
func (t *T) Fatalf(format string, args ...any) {
	t.T.Helper()
	t.msgs = append(t.msgs, fmt.Sprintf(format, args...))
	t.T.Fatalf(format, args...)
}

// Errorf fails the check and goes on.
func (t *T) Errorf(format string, args ...any) {
	t.T.Helper()
	t.msgs = append(t.msgs, fmt.Sprintf(format, args...))
	t.T.Errorf(format, args...)
}

// Check runs one check as a subtest and prints its result line.
func Check(t *testing.T, scenario int, name string, fn func(t *T)) {
	t.Helper()
	var ct *T
	ok := t.Run(name, func(st *testing.T) {
		ct = &T{T: st}
		fn(ct)
	})
	res := Result{Status: Pass, Scenario: scenario, Name: name}
	if !ok {
		res.Status = Fail
		if ct != nil {
			res.Detail = strings.Join(ct.msgs, "; ")
		}
		if res.Detail == "" {
			res.Detail = "failed (see the test log)"
		}
	}
	std.Add(res)
}

// NotApplicable records a check the client cannot do, with the reason.
func NotApplicable(scenario int, name, reason string) {
	std.Add(Result{Status: NA, Scenario: scenario, Name: name, Detail: reason})
}

// Main runs a test binary's tests and ends its output with the summary;
// the exit code is non-zero on any failure. clientName and module name the
// client whose version is printed (from the binary's build info).
func Main(m *testing.M, clientName, module string) {
	MainVersion(m, clientName, ModuleVersion(module))
}

// ModuleVersion is the version of a module required by compat/go's go.mod
// (test binaries carry no dependency build info, so it is read from the
// source tree they were built from).
func ModuleVersion(module string) string {
	_, file, _, _ := runtime.Caller(0)
	gomod, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "go.mod"))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == module {
			return f[1]
		}
	}
	return "unknown"
}

// Results returns the results so far.
func (r *Report) Results() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.results)
}

// MainVersion is Main with the version given rather than read from go.mod.
func MainVersion(m *testing.M, clientName, version string) {
	Env(EnvBootstrap) // exits with a hint when not run by compat/run
	std.Client(clientName, version)
	code := m.Run()
	if !std.Summary() && code == 0 {
		code = 1
	}
	os.Exit(code)
}
