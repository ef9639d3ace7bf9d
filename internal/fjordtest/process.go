package fjordtest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds the fjord command once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fjordtest-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "fjord")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/fjord")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Process is a `fjord server` running as its own process.
type Process struct {
	t    testing.TB
	Dir  string
	Port int
	args []string
	cmd  *exec.Cmd
	Log  string // path of its log file

	waitCh chan error // receives the process's exit
}

// StartProcess runs `fjord server` on a free loopback port with data in
// dir (a fresh temp dir when empty) and waits until it accepts connections.
func StartProcess(t testing.TB, dir string, overrides ...string) *Process {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p := &Process{t: t, Dir: dir, Port: freePort(t), Log: filepath.Join(dir, "server.log")}
	p.args = []string{"server", "--override", fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d", p.Port),
		"--override", "log.dirs=" + filepath.Join(dir, "data")}
	for _, o := range overrides {
		p.args = append(p.args, "--override", o)
	}
	p.start()
	t.Cleanup(func() {
		if p.cmd != nil {
			p.cmd.Process.Kill()
			<-p.waitCh // the goroutine started with the process owns Wait
		}
	})
	return p
}

func (p *Process) start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(Binary(p.t), p.args...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func(cmd *exec.Cmd) { exited <- cmd.Wait() }(p.cmd)
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
		if err == nil {
			c.Close()
			p.waitCh = exited
			return
		}
		select {
		case err := <-exited:
			p.t.Fatalf("fjord server exited at start: %v\n%s", err, p.tail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("fjord server did not start listening:\n%s", p.tail())
		}
	}
}

// Addr is the bootstrap address.
func (p *Process) Addr() string { return fmt.Sprintf("127.0.0.1:%d", p.Port) }

// Kill9 kills the process with SIGKILL, as a crash would.
func (p *Process) Kill9() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.waitCh
	p.cmd = nil
}

// Stop sends SIGTERM and waits for a clean exit.
func (p *Process) Stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.waitCh:
		if err != nil {
			p.t.Errorf("fjord server exited with %v\n%s", err, p.tail())
		}
	case <-time.After(60 * time.Second):
		p.t.Fatalf("fjord server did not stop on SIGTERM\n%s", p.tail())
	}
	p.cmd = nil
}

// Restart starts the process again on the same port and data.
func (p *Process) Restart() { p.t.Helper(); p.start() }

func (p *Process) tail() string {
	f, err := os.Open(p.Log)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 40 {
			lines = lines[1:]
		}
	}
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
