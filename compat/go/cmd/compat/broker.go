package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// broker is a `fjord server` process on a free loopback port with its own
// data directory. Restarts keep the port and the data.
type broker struct {
	bin, dir  string
	port      int
	overrides []string
	cmd       *exec.Cmd
	exited    chan error // receives the process's exit; the goroutine started with it owns Wait
}

func startBroker(bin, dir string, overrides ...string) (*broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b := &broker{bin: bin, dir: dir, port: port, overrides: overrides}
	return b, b.start()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (b *broker) addr() string { return fmt.Sprintf("127.0.0.1:%d", b.port) }

func (b *broker) logPath() string { return filepath.Join(b.dir, "server.log") }

func (b *broker) start() error {
	logf, err := os.OpenFile(b.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"server",
		"--override", "listeners=PLAINTEXT://" + b.addr(),
		"--override", "log.dirs=" + filepath.Join(b.dir, "data")}
	for _, o := range b.overrides {
		args = append(args, "--override", o)
	}
	// A port freed by a stopped broker (or picked free a moment ago) can be
	// taken meanwhile by another process on the machine: retry a few times
	// on a bind failure, then give up with the log.
	for attempt := 0; ; attempt++ {
		bindFailed, err := b.startOnce(args, logf)
		if err == nil || !bindFailed || attempt == 3 {
			return err
		}
		time.Sleep(200 * time.Millisecond) // a back-off before retrying a bind, not synchronisation
	}
}

func (b *broker) startOnce(args []string, logf *os.File) (bindFailed bool, err error) {
	var logStart int64
	if fi, err := logf.Stat(); err == nil {
		logStart = fi.Size()
	}
	cmd := exec.Command(b.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return false, err
	}
	trackGroup(cmd.Process.Pid)
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		untrackGroup(cmd.Process.Pid)
		exited <- err
	}()
	// Ready when this start has logged "broker started" (so a listener of
	// some other process on the port is not taken for ours) and it accepts
	// connections.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if started(b.logPath(), logStart) {
			if c, err := net.DialTimeout("tcp", b.addr(), time.Second); err == nil {
				c.Close()
				b.cmd, b.exited = cmd, exited
				return false, nil
			}
		}
		select {
		case err := <-exited:
			log := b.tail(20)
			return strings.Contains(log, "address already in use"), fmt.Errorf("fjord server exited at start: %v\n%s", err, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return false, fmt.Errorf("fjord server did not listen within 30s\n%s", b.tail(20))
		}
	}
}

// stop sends SIGTERM and waits for the exit (SIGKILL after 30s).
func (b *broker) stop() error {
	if b.cmd == nil {
		return nil
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-b.exited:
	case <-time.After(30 * time.Second):
		b.cmd.Process.Kill()
		<-b.exited
		err = errors.New("did not stop within 30s of SIGTERM")
	}
	b.cmd = nil
	if err != nil {
		return fmt.Errorf("fjord server: %v\n%s", err, b.tail(20))
	}
	return nil
}

// kill stops the broker with SIGKILL (cleanup only).
func (b *broker) kill() {
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Kill()
	<-b.exited
	b.cmd = nil
}

// crash kills the broker with SIGKILL and starts it again on the same port
// and data, as after a crash.
func (b *broker) crash() error {
	b.kill()
	return b.start()
}

// restart stops the broker cleanly and starts it again on the same port
// and data.
func (b *broker) restart() error {
	if err := b.stop(); err != nil {
		return err
	}
	return b.start()
}

func started(log string, from int64) bool {
	f, err := os.Open(log)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return false
	}
	rest, _ := io.ReadAll(f)
	return strings.Contains(string(rest), "broker started")
}

func (b *broker) tail(n int) string { return tailFile(b.logPath(), n) }

func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
