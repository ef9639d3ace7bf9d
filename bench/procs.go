package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Every child process runs in its own process group, pinned with taskset
// to a core, and is killed with the bench: by killAll on Ctrl-C or an
// error, and by the kernel (Pdeathsig) if the bench itself dies.

var (
	procsMu sync.Mutex
	procs   = map[*proc]bool{} // running children; guarded by procsMu

	// childCPU is the CPU time (user and system, ns) of every child that
	// has ended, to tell the bench's own work from other work on the
	// machine.
	childCPU atomic.Int64
)

func addChildCPU(ps *os.ProcessState) {
	if ps != nil {
		childCPU.Add(int64(ps.UserTime() + ps.SystemTime()))
	}
}

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // after done
	out  *bytes.Buffer
}

// startProc runs name under `taskset -c cpu`; output goes to logPath
// (or, when empty, is kept for errors).
func startProc(label, cpu, logPath, name string, args ...string) (*proc, error) {
	cmd := exec.Command("taskset", append([]string{"-c", cpu, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &proc{name: label, cmd: cmd, done: make(chan struct{}), out: &bytes.Buffer{}}
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		defer f.Close() // the child has its own descriptor
		cmd.Stdout, cmd.Stderr = f, f
	} else {
		cmd.Stdout, cmd.Stderr = p.out, p.out
	}
	procsMu.Lock()
	defer procsMu.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", label, err)
	}
	procs[p] = true
	go func() {
		p.err = cmd.Wait()
		addChildCPU(cmd.ProcessState)
		procsMu.Lock()
		delete(procs, p)
		procsMu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// stop asks the process group to end (SIGTERM) and kills it after grace.
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// killAll kills every running child at once.
func killAll() {
	procsMu.Lock()
	var all []*proc
	for p := range procs {
		all = append(all, p)
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	procsMu.Unlock()
	for _, p := range all {
		<-p.done
	}
}

// runProc runs a command to its end (or ctx's) and returns its stdout;
// stderr comes with the error.
func runProc(ctx context.Context, label, cpu, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", cpu, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	p := &proc{name: label, cmd: cmd, done: make(chan struct{})}
	procsMu.Lock()
	procs[p] = true
	procsMu.Unlock()
	err := cmd.Wait()
	addChildCPU(cmd.ProcessState)
	procsMu.Lock()
	delete(procs, p)
	procsMu.Unlock()
	close(p.done)
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w: %s", label, err, strings.TrimSpace(lastLines(stderr.String(), 5)))
	}
	return stdout.Bytes(), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until addr accepts connections or p exits.
func waitListening(p *proc, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before listening: %v %s", p.name, p.err, lastLines(p.out.String(), 5))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %s not listening after %s", p.name, addr, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cpuTimes is the CPU time all cores spent busy since boot and the time
// the hypervisor took from them (steal), from /proc/stat.
func cpuTimes() (busy, steal time.Duration) {
	var name string
	var v [8]int64 // user nice system idle iowait irq softirq steal
	fmt.Sscan(readFile("/proc/stat"), &name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7])
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(v[0]+v[1]+v[2]+v[5]+v[6]) * tick, time.Duration(v[7]) * tick
}

// selfCPU is this process's CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// otherLoad tracks how busy the machine was with work other than the
// bench's, and how much CPU the hypervisor took, between its start and
// done.
type otherLoad struct {
	start                  time.Time
	busy, steal, ours, own time.Duration
}

func startOtherLoad() otherLoad {
	busy, steal := cpuTimes()
	return otherLoad{start: time.Now(), busy: busy, steal: steal, ours: time.Duration(childCPU.Load()), own: selfCPU()}
}

// done returns the cores other work kept busy and the cores stolen, on
// average.
func (o otherLoad) done() (other, steal float64) {
	wall := time.Since(o.start)
	if wall <= 0 {
		return 0, 0
	}
	busy, st := cpuTimes()
	ours := time.Duration(childCPU.Load()) - o.ours + selfCPU() - o.own
	return max(0, float64(busy-o.busy-ours)/float64(wall)), float64(st-o.steal) / float64(wall)
}

// waitQuiet waits, up to limit, until a second passes with less than
// threshold cores of other work and steal together; it returns how long
// it waited.
func waitQuiet(ctx context.Context, threshold float64, limit time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < limit && ctx.Err() == nil {
		o := startOtherLoad()
		time.Sleep(time.Second)
		other, steal := o.done()
		if other+steal < threshold {
			break
		}
	}
	return time.Since(start).Round(time.Second)
}
