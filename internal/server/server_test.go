package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/server"
)

func TestFranzGoClientDowngradesApiVersionsAndReadsMetadata(t *testing.T) {
	ts := startServer(t, server.Options{}, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(ts.addr), kgo.ClientID("kgo-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()

	meta, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	if err != nil {
		t.Fatalf("BrokerMetadata: %v", err)
	}
	if meta.Cluster != "fjord-test" || len(meta.Brokers) != 1 || meta.Brokers[0].Port != int32(ts.Listeners()[0].Addr.Port) {
		t.Fatalf("unexpected metadata: %+v", meta)
	}

	// A raw kmsg request through the client, at the version it negotiated.
	resp, err := cl.Request(ctx, kmsg.NewPtrApiVersionsRequest())
	if err != nil {
		t.Fatalf("ApiVersions: %v", err)
	}
	if av := resp.(*kmsg.ApiVersionsResponse); av.ErrorCode != 0 || av.Version != 3 {
		t.Fatalf("ApiVersions: error %d at v%d, want 0 at v3", av.ErrorCode, av.Version)
	}

	// kgo opens with the newest ApiVersions it knows; the fake serves up to
	// v3, so the first must have been answered as unsupported and the client
	// must have come back at v3 (flexible header, v0 response header).
	var sawUnsupported, sawV3 bool
	for _, r := range ts.d.requests() {
		if r.Key != 18 {
			continue
		}
		sawUnsupported = sawUnsupported || (r.UnsupportedVersion && r.Version > 3)
		sawV3 = sawV3 || (!r.UnsupportedVersion && r.Version == 3)
		if r.ClientID != "kgo-test" || r.Conn == nil || r.Conn.ListenerName != "PLAINTEXT" {
			t.Fatalf("request lacks client or connection info: %+v", r)
		}
	}
	if !sawUnsupported || !sawV3 {
		t.Fatalf("expected an unsupported ApiVersions then a v3 one; saw unsupported=%v v3=%v", sawUnsupported, sawV3)
	}
}

func TestApiVersionsEveryVersionAndUnsupportedOnesGetV0ErrorBody(t *testing.T) {
	ts := startServer(t, server.Options{}, nil)
	c := dial(t, ts.addr)
	for v := int16(0); v <= 3; v++ {
		c.send(frameOf(kmsg.NewPtrApiVersionsRequest(), v, int32(100+v)))
		resp := kmsg.NewPtrApiVersionsResponse()
		if corr := c.recv(resp, v); corr != int32(100+v) || resp.ErrorCode != 0 || len(resp.ApiKeys) != 3 {
			t.Fatalf("v%d: correlation %d error %d keys %d", v, corr, resp.ErrorCode, len(resp.ApiKeys))
		}
	}
	// v4 is one kmsg can parse but the dispatcher does not serve; v99 is one
	// nobody knows. Both get a v0 body: no tagged fields anywhere.
	for _, v := range []int16{4, 99} {
		c.send(frameOf(kmsg.NewPtrApiVersionsRequest(), v, int32(200+v)))
		resp := kmsg.NewPtrApiVersionsResponse()
		if corr := c.recv(resp, 0); corr != int32(200+v) || resp.ErrorCode != kerr.UnsupportedVersion.Code || len(resp.ApiKeys) != 3 {
			t.Fatalf("v%d: correlation %d error %d keys %d", v, corr, resp.ErrorCode, len(resp.ApiKeys))
		}
	}
	c.roundTrip(1) // and the connection is still served
}

func TestPipelinedRequestsAreAnsweredInOrderAndNilResponsesWriteNothing(t *testing.T) {
	ts := startServer(t, server.Options{}, nil)
	c := dial(t, ts.addr)

	produce := kmsg.NewPtrProduceRequest()
	produce.Acks = 0
	metadata := kmsg.NewPtrMetadataRequest()
	metadata.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("t")}}
	c.send(
		frameOf(kmsg.NewPtrApiVersionsRequest(), 0, 10),
		frameOf(metadata, 1, 11),
		frameOf(produce, 9, 12), // acks=0: no response at all
		frameOf(metadata, 12, 13),
		frameOf(kmsg.NewPtrApiVersionsRequest(), 3, 14),
	)

	if corr := c.recv(kmsg.NewPtrApiVersionsResponse(), 0); corr != 10 {
		t.Fatalf("first response: correlation %d, want 10", corr)
	}
	m := kmsg.NewPtrMetadataResponse()
	if corr := c.recv(m, 1); corr != 11 || len(m.Topics) != 1 {
		t.Fatalf("second response: correlation %d topics %d, want 11 and 1", corr, len(m.Topics))
	}
	m = kmsg.NewPtrMetadataResponse()
	if corr := c.recv(m, 12); corr != 13 || len(m.Topics) != 1 || *m.Topics[0].Topic != "t" {
		t.Fatalf("third response: correlation %d, want 13 (flexible metadata)", corr)
	}
	if corr := c.recv(kmsg.NewPtrApiVersionsResponse(), 3); corr != 14 {
		t.Fatalf("fourth response: correlation %d, want 14", corr)
	}

	var order []int32
	for _, r := range ts.d.requests() {
		order = append(order, r.CorrelationID)
	}
	if want := []int32{10, 11, 12, 13, 14}; !equalInt32s(order, want) {
		t.Fatalf("dispatch order %v, want %v", order, want)
	}
	if st := ts.Stats(); st.Requests != 5 || st.ConnectionsOpen != 1 || st.BytesIn == 0 || st.BytesOut == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func equalInt32s(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOversizedFrameClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t, server.Options{MaxRequestBytes: 1024}, nil)
	other := dial(t, ts.addr)
	other.roundTrip(1)

	c := dial(t, ts.addr)
	c.send(binary.BigEndian.AppendUint32(nil, 1025))
	c.expectClosed()
	if !strings.Contains(ts.logs.String(), "socket.request.max.bytes") {
		t.Fatalf("no log line saying why:\n%s", ts.logs)
	}

	other.roundTrip(2)
	dial(t, ts.addr).roundTrip(3)
}

func TestMalformedFramesCloseTheConnection(t *testing.T) {
	truncated := frameOf(&kmsg.MetadataRequest{Topics: []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("abc")}}}, 4, 1)
	truncated = truncated[:len(truncated)-2]
	binary.BigEndian.PutUint32(truncated, uint32(len(truncated)-4))

	header := func(key, version int16) []byte {
		b := binary.BigEndian.AppendUint32(nil, 10)
		b = binary.BigEndian.AppendUint16(b, uint16(key))
		b = binary.BigEndian.AppendUint16(b, uint16(version))
		b = binary.BigEndian.AppendUint32(b, 7)
		return binary.BigEndian.AppendUint16(b, 0xffff) // null client id
	}

	for _, tc := range []struct {
		name  string
		frame []byte
		log   string
	}{
		{"negative size", []byte{0xff, 0xff, 0xff, 0xff}, "negative request size"},
		{"size beyond the default limit", []byte{0x7f, 0xff, 0xff, 0xff}, "socket.request.max.bytes"},
		{"empty frame", []byte{0, 0, 0, 0}, "malformed request header"},
		{"garbage header", []byte{0, 0, 0, 3, 1, 2, 3}, "malformed request header"},
		{"key unknown to Kafka", header(9999, 0), "unknown API key"},
		{"key not served", header(19, 0), "unknown API key"}, // CreateTopics
		{"version not served", frameOf(kmsg.NewPtrMetadataRequest(), 13, 1), "unsupported API version"},
		{"truncated body", truncated, "malformed request body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, server.Options{}, nil)
			c := dial(t, ts.addr)
			c.send(tc.frame)
			c.expectClosed()
			if logs := ts.logs.String(); !strings.Contains(logs, tc.log) || !strings.Contains(logs, "remote=") {
				t.Fatalf("log does not say %q with the remote address:\n%s", tc.log, logs)
			}
			dial(t, ts.addr).roundTrip(2) // everyone else is still served
		})
	}
}

func TestIdleConnectionIsClosed(t *testing.T) {
	ts := startServer(t, server.Options{IdleTimeout: 50 * time.Millisecond}, nil)
	c := dial(t, ts.addr)
	c.roundTrip(1)
	c.expectClosed()
	if !strings.Contains(ts.logs.String(), "idle") {
		t.Fatalf("no idle reason logged:\n%s", ts.logs)
	}
}

func TestRequestSlowerThanIdleTimeoutIsNotCutOff(t *testing.T) {
	const idle = 50 * time.Millisecond
	d := newFakeDispatcher()
	d.before = func(ctx context.Context, req *server.Request) error {
		if topicIs(req, "slow") {
			// The behaviour under test is elapsed time itself: the request
			// must outlast several idle periods.
			select {
			case <-time.After(5 * idle):
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		return nil
	}
	ts := startServer(t, server.Options{IdleTimeout: idle}, d)
	c := dial(t, ts.addr)
	slow := kmsg.NewPtrMetadataRequest()
	slow.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("slow")}}
	c.send(frameOf(slow, 9, 5))
	if corr := c.recv(kmsg.NewPtrMetadataResponse(), 9); corr != 5 {
		t.Fatalf("correlation %d, want 5", corr)
	}
}

func TestGracefulShutdownFinishesInFlightRequestThenCloses(t *testing.T) {
	entered := make(chan struct{})
	d := newFakeDispatcher()
	d.before = func(ctx context.Context, req *server.Request) error {
		if topicIs(req, "long-poll") {
			close(entered)
			<-ctx.Done() // a long poll returns early when the server shuts down
		}
		return nil
	}
	ts := startServer(t, server.Options{}, d)
	idle := dial(t, ts.addr)
	idle.roundTrip(1) // accepted and registered before the shutdown

	busy := dial(t, ts.addr)
	poll := kmsg.NewPtrMetadataRequest()
	poll.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("long-poll")}}
	busy.send(frameOf(poll, 12, 42))
	select {
	case <-entered:
	case <-time.After(waitLong):
		t.Fatal("long poll never reached the dispatcher")
	}

	shutdownErr := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		shutdownErr <- ts.Shutdown(ctx)
	}()

	resp := kmsg.NewPtrMetadataResponse()
	if corr := busy.recv(resp, 12); corr != 42 || len(resp.Topics) != 1 {
		t.Fatalf("in-flight response: correlation %d topics %d, want 42 and 1", corr, len(resp.Topics))
	}
	busy.expectClosed()
	idle.expectClosed()
	if err := <-shutdownErr; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case <-ts.Done():
	default:
		t.Fatal("Done not closed after Shutdown returned")
	}
	if nc, err := net.DialTimeout("tcp", ts.addr, waitLong); err == nil {
		nc.Close()
		t.Fatal("still accepting after Shutdown")
	}
	checkNoServerGoroutines(t)
}

func TestShutdownDeadlineForcesConnectionsClosed(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	d := newFakeDispatcher()
	d.before = func(ctx context.Context, req *server.Request) error {
		if topicIs(req, "stuck") {
			close(entered)
			<-release // ignores ctx
		}
		return nil
	}
	ts := startServer(t, server.Options{}, d)
	c := dial(t, ts.addr)
	stuck := kmsg.NewPtrMetadataRequest()
	stuck.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("stuck")}}
	c.send(frameOf(stuck, 12, 1))
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ts.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown with an expired context: %v", err)
	}
	c.expectClosed()
	close(release)
	select {
	case <-ts.Done():
	case <-time.After(waitLong):
		t.Fatal("server goroutines did not exit after the dispatcher returned")
	}
}

func TestPeerDisconnectCancelsServeContext(t *testing.T) {
	entered, cause := make(chan struct{}), make(chan error, 1)
	d := newFakeDispatcher()
	d.before = func(ctx context.Context, req *server.Request) error {
		if topicIs(req, "long-poll") {
			close(entered)
			<-ctx.Done()
			cause <- context.Cause(ctx)
		}
		return nil
	}
	ts := startServer(t, server.Options{}, d)
	c := dial(t, ts.addr)
	poll := kmsg.NewPtrMetadataRequest()
	poll.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("long-poll")}}
	c.send(frameOf(poll, 12, 1))
	<-entered
	c.Close()
	select {
	case err := <-cause:
		if err == nil {
			t.Fatal("no cancellation cause")
		}
	case <-time.After(waitLong):
		t.Fatal("Serve's context was not cancelled when the peer left")
	}
	dial(t, ts.addr).roundTrip(2)
}

func TestDispatcherPanicAndErrorCloseOnlyThatConnection(t *testing.T) {
	d := newFakeDispatcher()
	d.before = func(ctx context.Context, req *server.Request) error {
		switch {
		case topicIs(req, "panic"):
			panic("handler bug")
		case topicIs(req, "error"):
			return errors.New("handler refused")
		}
		return nil
	}
	ts := startServer(t, server.Options{}, d)
	other := dial(t, ts.addr)
	other.roundTrip(1)

	for _, topic := range []string{"panic", "error"} {
		c := dial(t, ts.addr)
		req := kmsg.NewPtrMetadataRequest()
		req.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr(topic)}}
		c.send(frameOf(req, 12, 1))
		c.expectClosed()
		other.roundTrip(2)
	}
	logs := ts.logs.String()
	for _, want := range []string{"dispatcher panicked", "handler bug", "stack=", "handler refused"} {
		if !strings.Contains(logs, want) {
			t.Fatalf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	_, err := server.New(server.Options{Listeners: []server.ListenerConfig{{Name: "SSL", Host: "127.0.0.1"}}})
	if !errors.Is(err, server.ErrUnsupportedSecurityProtocol) || !strings.Contains(err.Error(), "security protocol SSL is not supported yet") {
		t.Fatalf("SSL listener: %v", err)
	}
	_, err = server.New(server.Options{Listeners: []server.ListenerConfig{{Name: "EXTERNAL", Host: "127.0.0.1", SecurityProtocol: "SASL_SSL"}}})
	if !errors.Is(err, server.ErrUnsupportedSecurityProtocol) {
		t.Fatalf("SASL_SSL listener: %v", err)
	}
	for name, opts := range map[string]server.Options{
		"no listeners":            {},
		"name without a protocol": {Listeners: []server.ListenerConfig{{Name: "INTERNAL", Host: "127.0.0.1"}}},
		"duplicate names":         {Listeners: []server.ListenerConfig{{Name: "PLAINTEXT", Host: "127.0.0.1"}, {Name: "PLAINTEXT", Host: "127.0.0.1"}}},
		"port out of range":       {Listeners: []server.ListenerConfig{{Name: "PLAINTEXT", Port: 70000}}},
		"negative max request":    {Listeners: []server.ListenerConfig{{Name: "PLAINTEXT"}}, MaxRequestBytes: -1},
	} {
		if _, err := server.New(opts); !errors.Is(err, server.ErrInvalidOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestListenersReportBoundPortsAndNames(t *testing.T) {
	ts := startServer(t, server.Options{Listeners: []server.ListenerConfig{
		{Name: "PLAINTEXT", Host: "127.0.0.1"},
		{Name: "INTERNAL", Host: "127.0.0.1", SecurityProtocol: "PLAINTEXT"},
	}}, nil)
	ls := ts.Listeners()
	if len(ls) != 2 || ls[1].Name != "INTERNAL" || ls[1].SecurityProtocol != "PLAINTEXT" || ls[0].Addr.Port == 0 || ls[1].Addr.Port == 0 {
		t.Fatalf("listeners %+v", ls)
	}
	dial(t, ls[1].Addr.String()).roundTrip(1)
	if r := ts.d.requests(); len(r) != 1 || r[0].Conn.ListenerName != "INTERNAL" || r[0].Conn.LocalAddr.String() != ls[1].Addr.String() {
		t.Fatalf("request connection info %+v", r[0].Conn)
	}
	if err := ts.Start(newFakeDispatcher()); !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("second Start: %v", err)
	}
}

func TestCloseBeforeStartReleasesListeners(t *testing.T) {
	s, err := server.New(server.Options{Listeners: []server.ListenerConfig{{Name: "PLAINTEXT", Host: "127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Start(newFakeDispatcher()); !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
	<-s.Done()
}
