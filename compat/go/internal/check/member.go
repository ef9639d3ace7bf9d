package check

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Consumer group members (scenario 4). The runner starts members as
// processes with EnvBootstrap, EnvTopic, EnvGroup and EnvMember (the
// member's name, used as its client id) set, and reads their stdout:
//
//	assigned 0 3 5       the member's whole assignment after each change
//	record 3 17 KEY VAL  a record consumed: partition, offset, key, value
//
// Other lines are ignored. Members commit what they consumed (manual
// commits after each poll, or the client's auto-commit where that is how
// the client works), leave the group on SIGTERM (commit, close, exit 0)
// and are killed with SIGKILL when the scenario needs a crash. The runner
// produces keys and values without spaces.

// Member timings, the same in every client; the runner's waits depend on
// them.
const (
	SessionTimeout    = 4 * time.Second
	HeartbeatInterval = 400 * time.Millisecond
	RebalanceTimeout  = 20 * time.Second
)

// MemberMode reports whether this process is to run as a group member.
func MemberMode() bool { return os.Getenv(EnvMember) != "" }

// MemberConfig is a member's part in the group.
type MemberConfig struct{ Bootstrap, Topic, Group, Name string }

// MemberEnv reads the member's configuration from the environment.
func MemberEnv() MemberConfig {
	return MemberConfig{Bootstrap: Env(EnvBootstrap), Topic: Env(EnvTopic), Group: Env(EnvGroup), Name: Env(EnvMember)}
}

var memberOut = struct {
	sync.Mutex
	w *bufio.Writer
}{w: bufio.NewWriter(os.Stdout)}

func memberLine(s string) {
	memberOut.Lock()
	defer memberOut.Unlock()
	memberOut.w.WriteString(s)
	memberOut.w.WriteByte('\n')
	memberOut.w.Flush()
}

// PrintAssigned reports the member's whole current assignment.
func PrintAssigned(partitions []int32) {
	ps := slices.Clone(partitions)
	slices.Sort(ps)
	var b strings.Builder
	b.WriteString("assigned")
	for _, p := range ps {
		b.WriteString(" " + strconv.Itoa(int(p)))
	}
	memberLine(b.String())
}

// PrintRecord reports a consumed record.
func PrintRecord(partition int32, offset int64, key, value []byte) {
	memberLine(fmt.Sprintf("record %d %d %s %s", partition, offset, key, value))
}

// Terminated returns a context cancelled on SIGTERM or SIGINT.
func Terminated() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
}

// Assignment tracks a member's partitions for clients whose callbacks
// report changes (added and removed) rather than the whole assignment.
type Assignment struct {
	mu sync.Mutex
	ps map[int32]bool
}

// Add adds partitions and prints the assignment.
func (a *Assignment) Add(ps ...int32) { a.change(ps, true) }

// Remove removes partitions and prints the assignment.
func (a *Assignment) Remove(ps ...int32) { a.change(ps, false) }

// Set replaces the assignment and prints it.
func (a *Assignment) Set(ps ...int32) {
	a.mu.Lock()
	a.ps = nil
	a.mu.Unlock()
	a.change(ps, true)
}

func (a *Assignment) change(ps []int32, add bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ps == nil {
		a.ps = map[int32]bool{}
	}
	for _, p := range ps {
		if add {
			a.ps[p] = true
		} else {
			delete(a.ps, p)
		}
	}
	var all []int32
	for p := range a.ps {
		all = append(all, p)
	}
	PrintAssigned(all)
}

// Die reports a member's fatal error and exits non-zero.
func Die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "member: "+format+"\n", args...)
	os.Exit(1)
}
