package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

// waitLong bounds every wait in these tests. It is a failure detector, never a
// synchronisation: a correct run finishes each wait as soon as the awaited
// event happens.
const waitLong = 10 * time.Second

// fakeDispatcher serves ApiVersions, Metadata and Produce with fixed answers,
// in the versions of ranges. before, when set, runs first on every request
// and can block, fail or panic to exercise the server.
type fakeDispatcher struct {
	ranges map[int16][2]int16
	addr   *net.TCPAddr // advertised as node 1 in Metadata
	before func(ctx context.Context, req *server.Request) error

	mu   sync.Mutex
	seen []server.Request // copies, Body dropped
}

func newFakeDispatcher() *fakeDispatcher {
	return &fakeDispatcher{ranges: map[int16][2]int16{
		0:  {3, 9},  // Produce
		3:  {0, 12}, // Metadata
		18: {0, 3},  // ApiVersions: below kmsg's max so that clients must downgrade
	}}
}

func (d *fakeDispatcher) VersionRange(key int16) (lo, hi int16, ok bool) {
	r, ok := d.ranges[key]
	return r[0], r[1], ok
}

func (d *fakeDispatcher) Serve(ctx context.Context, req *server.Request) (kmsg.Response, error) {
	d.mu.Lock()
	cp := *req
	cp.Body = nil
	d.seen = append(d.seen, cp)
	d.mu.Unlock()

	if d.before != nil {
		if err := d.before(ctx, req); err != nil {
			return nil, err
		}
	}
	switch body := req.Body.(type) {
	case nil: // UnsupportedVersion: only ApiVersions gets here
		resp := d.apiVersions()
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		return resp, nil
	case *kmsg.ApiVersionsRequest:
		return d.apiVersions(), nil
	case *kmsg.MetadataRequest:
		resp := kmsg.NewPtrMetadataResponse()
		resp.ClusterID = kmsg.StringPtr("fjord-test")
		resp.ControllerID = 1
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID = 1
		if d.addr != nil {
			b.Host, b.Port = d.addr.IP.String(), int32(d.addr.Port)
		}
		resp.Brokers = append(resp.Brokers, b)
		for _, t := range body.Topics {
			rt := kmsg.NewMetadataResponseTopic()
			rt.Topic = t.Topic
			rt.ErrorCode = kerr.UnknownTopicOrPartition.Code
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil
	case *kmsg.ProduceRequest:
		if body.Acks == 0 {
			return nil, nil
		}
		return kmsg.NewPtrProduceResponse(), nil
	}
	return nil, errors.New("fake dispatcher: unexpected request")
}

func (d *fakeDispatcher) apiVersions() *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	for key, r := range d.ranges {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = key, r[0], r[1]
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	return resp
}

func (d *fakeDispatcher) requests() []server.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]server.Request(nil), d.seen...)
}

// topicIs is a before hook condition: a Metadata request naming topic.
func topicIs(req *server.Request, topic string) bool {
	m, ok := req.Body.(*kmsg.MetadataRequest)
	if !ok {
		return false
	}
	for _, t := range m.Topics {
		if t.Topic != nil && *t.Topic == topic {
			return true
		}
	}
	return false
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testServer struct {
	*server.Server
	d    *fakeDispatcher
	addr string
	logs *syncBuffer
}

// startServer starts a server on 127.0.0.1:0 serving d (a new fake if nil).
// Cleanup closes it and checks that no server goroutine outlives it.
func startServer(t *testing.T, opts server.Options, d *fakeDispatcher) *testServer {
	t.Helper()
	if d == nil {
		d = newFakeDispatcher()
	}
	logs := new(syncBuffer)
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Listeners == nil {
		opts.Listeners = []server.ListenerConfig{{Name: "PLAINTEXT", Host: "127.0.0.1"}}
	}
	s, err := server.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	addr := s.Listeners()[0].Addr
	d.addr = addr
	if err := s.Start(d); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		checkNoServerGoroutines(t)
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &testServer{Server: s, d: d, addr: addr.String(), logs: logs}
}

// checkNoServerGoroutines fails if a goroutine of this package's server or
// connections is still alive. Goroutines finish their deferred calls after
// signalling the WaitGroup, so a few scheduler passes are allowed for them to
// disappear from the dump.
func checkNoServerGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "internal/server.(*conn).") || strings.Contains(g, "internal/server.(*Server).accept") ||
				strings.Contains(g, "internal/server.(*Server).stop") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server goroutines leaked:\n%s", strings.Join(leaked, "\n\n"))
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// rawConn is a bare socket speaking Kafka framing through kmsg, for what a
// real client will not do (pipelining exact frames, sending garbage).
type rawConn struct {
	t testing.TB
	net.Conn
	f *kmsg.RequestFormatter
}

func dial(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, waitLong)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, Conn: nc, f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw-test"))}
}

func frameOf(req kmsg.Request, version int16, corr int32) []byte {
	req.SetVersion(version)
	return kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw-test")).AppendRequest(nil, req, corr)
}

// send writes all frames with a single Write, so the server sees them
// pipelined.
func (c *rawConn) send(frames ...[]byte) {
	c.t.Helper()
	if _, err := c.Write(bytes.Join(frames, nil)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// recv reads one response into resp, parsed at version, and returns its
// correlation id.
func (c *rawConn) recv(resp kmsg.Response, version int16) int32 {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(waitLong))
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		c.t.Fatalf("reading response size: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c, body); err != nil {
		c.t.Fatalf("reading response body: %v", err)
	}
	r := kbin.Reader{Src: body}
	corr := r.Int32()
	resp.SetVersion(version)
	if resp.IsFlexible() && resp.Key() != 18 {
		kmsg.SkipTags(&r)
	}
	if err := resp.ReadFrom(r.Src); err != nil {
		c.t.Fatalf("parsing %s v%d response: %v", kmsg.NameForKey(resp.Key()), version, err)
	}
	return corr
}

// expectClosed waits for the server to close the connection, failing if it
// instead sends bytes or stays open for waitLong.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(waitLong))
	var b [1]byte
	n, err := c.Read(b[:])
	switch {
	case n > 0:
		c.t.Fatalf("expected the connection to be closed, got data")
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.t.Fatalf("connection still open after %v", waitLong)
	case err == nil:
		c.t.Fatalf("expected the connection to be closed")
	}
}

// roundTrip checks the connection is still served.
func (c *rawConn) roundTrip(corr int32) {
	c.t.Helper()
	c.send(frameOf(kmsg.NewPtrApiVersionsRequest(), 0, corr))
	resp := kmsg.NewPtrApiVersionsResponse()
	if got := c.recv(resp, 0); got != corr || resp.ErrorCode != 0 {
		c.t.Fatalf("ApiVersions round trip: correlation %d error %d, want %d and 0", got, resp.ErrorCode, corr)
	}
}
