package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestServerRejectsInvalidConfigNamingTheKey(t *testing.T) {
	bin := fjordtest.Binary(t)
	cmd := exec.Command(bin, "server", "--override", "log.retention.ms=soon", "--override", "log.dirs="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	var ee *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if !strings.Contains(stderr.String(), "log.retention.ms") || !strings.Contains(stderr.String(), "soon") {
		t.Fatalf("error does not name the key and value: %s", stderr.String())
	}
	if err := exec.Command(bin, "server", "--no-such-flag").Run(); !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("bad flag: %v", err)
	}
}

// TestServerPropertiesEnvAndCleanShutdown runs the binary from a
// server.properties file plus a FJORD_* variable, checks both apply, stops
// it with SIGINT and checks the clean shutdown marker.
func TestServerPropertiesEnvAndCleanShutdown(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "server.properties")
	os.WriteFile(props, []byte("# a Kafka-style file\nnum.partitions = 3\nunknown.key=1\n"), 0o644)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(fjordtest.Binary(t), "server", props, "--override", "listeners=PLAINTEXT://"+addr,
		"--override", "log.dirs="+filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "FJORD_AUTO_CREATE_TOPICS_ENABLE=false")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for {
		if _, err := adm.ListBrokers(ctx); err == nil {
			break
		} else if ctx.Err() != nil {
			t.Fatalf("server did not come up: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond) // waiting for another process to start listening
	}
	if _, err := adm.CreateTopic(ctx, -1, -1, nil, "fromfile"); err != nil {
		t.Fatal(err)
	}
	td, err := adm.ListTopics(ctx, "fromfile")
	if err != nil || len(td["fromfile"].Partitions) != 3 {
		t.Fatalf("num.partitions from the file did not apply: %v %v", td, err)
	}
	md, err := adm.Metadata(ctx, "auto")
	if err != nil {
		t.Fatal(err)
	}
	if td, ok := md.Topics["auto"]; !ok || td.Err == nil {
		t.Fatalf("FJORD_AUTO_CREATE_TOPICS_ENABLE=false did not apply: %+v", td)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v\n%s", err, logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "data", ".kafka_cleanshutdown")); err != nil {
		t.Fatalf("no clean shutdown marker: %v", err)
	}
	if !strings.Contains(logs.String(), "unknown.key") {
		t.Fatalf("no warning for the unknown key:\n%s", logs.String())
	}
}
