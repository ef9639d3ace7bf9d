// Package fjordtest starts real Fjord brokers for tests: in-process on a
// loopback port with a temporary data directory, or as a separate `fjord
// server` process that a test can kill -9. Tests drive them with real Kafka
// clients (franz-go's kgo and kadm).
package fjordtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/internal/broker"
	"github.com/fjordlabs/fjord/internal/config"
)

// Broker is an in-process broker for a test.
type Broker struct {
	*broker.Broker
	t         testing.TB
	Dir       string
	overrides []string
	port      int
}

// Start runs a broker on 127.0.0.1 with an ephemeral port and a fresh data
// directory; overrides are server.properties key=value pairs. It is shut
// down when the test ends.
func Start(t testing.TB, overrides ...string) *Broker {
	t.Helper()
	b := &Broker{t: t, Dir: t.TempDir(), overrides: overrides}
	b.start()
	t.Cleanup(func() { b.Stop() })
	return b
}

func (b *Broker) start() {
	b.t.Helper()
	listener := fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", b.port)
	ov := append([]string{"listeners=" + listener, "log.dirs=" + filepath.Join(b.Dir, "data")}, b.overrides...)
	cfg, _, err := config.Load(config.Sources{Overrides: ov})
	if err != nil {
		b.t.Fatalf("fjordtest: config: %v", err)
	}
	br, err := broker.Start(broker.Options{Config: cfg, Logger: Logger(b.t)})
	if err != nil {
		b.t.Fatalf("fjordtest: start: %v", err)
	}
	b.Broker = br
	if b.port == 0 {
		fmt.Sscanf(br.Addr()[strings.LastIndexByte(br.Addr(), ':')+1:], "%d", &b.port)
	}
}

// Stop shuts the broker down cleanly (idempotent).
func (b *Broker) Stop() {
	if b.Broker == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		b.t.Errorf("fjordtest: shutdown: %v", err)
	}
	b.Broker = nil
}

// Restart stops the broker cleanly and starts it again on the same port
// and data, so connected clients reconnect by themselves.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	b.start()
}

// Addr is the bootstrap address.
func (b *Broker) Addr() string { return fmt.Sprintf("127.0.0.1:%d", b.port) }

// Client returns a kgo client for the broker, closed when the test ends.
func (b *Broker) Client(opts ...kgo.Opt) *kgo.Client {
	return NewClient(b.t, b.Addr(), opts...)
}

// Admin returns a kadm client, closed when the test ends.
func (b *Broker) Admin() *kadm.Client { return kadm.NewClient(b.Client()) }

// NewClient returns a kgo client for addr, closed when the test ends.
func NewClient(t testing.TB, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Logger logs to the test when run with -v, otherwise nowhere.
func Logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Context returns a context that ends with the test or after a generous
// timeout.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
