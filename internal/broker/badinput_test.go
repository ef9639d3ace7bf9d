package broker_test

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/fjordlabs/fjord/internal/fjordtest"
	"github.com/fjordlabs/fjord/internal/record"
)

// rawConn sends frames on a plain socket.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// expectClosed waits for the broker to close the connection.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	buf := make([]byte, 1024)
	for {
		_, err := c.Read(buf)
		if errors.Is(err, io.EOF) || isReset(err) {
			return
		}
		if err != nil {
			t.Fatalf("waiting for close: %v", err)
		}
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

func frame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// stillServes checks the broker answers a normal client.
func stillServes(t *testing.T, b *fjordtest.Broker) {
	t.Helper()
	if _, err := b.Admin().ListBrokers(fjordtest.Context(t)); err != nil {
		t.Fatalf("broker stopped serving others: %v", err)
	}
}

func TestMalformedRequestsCloseOnlyThatConnection(t *testing.T) {
	b := fjordtest.Start(t, "socket.request.max.bytes=1048576")
	bystander := rawConn(t, b.Addr()) // an idle, well-behaved connection
	cases := map[string][]byte{
		"garbage header":    frame([]byte{0xff, 0xff}),
		"unknown api key":   frame(append([]byte{0x7f, 0x00, 0, 0, 0, 0, 0, 0, 0, 1}, 'x')),
		"truncated body":    frame(append([]byte{0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff}, 0x05)),
		"oversized frame":   binary.BigEndian.AppendUint32(nil, 64<<20),
		"negative size":     binary.BigEndian.AppendUint32(nil, 0x80000000),
		"unsupported fetch": frame(kmsgFrameBody(t, func() kmsg.Request { r := kmsg.NewPtrFetchRequest(); r.SetVersion(2); return r }())),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			c := rawConn(t, b.Addr())
			c.Write(data)
			expectClosed(t, c)
			stillServes(t, b)
		})
	}
	// The bystander connection is still usable.
	bystander.Write(frame(kmsgFrameBody(t, kmsg.NewPtrApiVersionsRequest())))
	var size [4]byte
	if _, err := io.ReadFull(bystander, size[:]); err != nil {
		t.Fatalf("bystander connection broken: %v", err)
	}
}

// kmsgFrameBody encodes a request header v1 and body (no size prefix).
func kmsgFrameBody(t *testing.T, r kmsg.Request) []byte {
	t.Helper()
	var f kmsg.RequestFormatter
	out := f.AppendRequest(nil, r, 1)
	return out[4:]
}

func TestUnsupportedApiVersionsGetsV0Answer(t *testing.T) {
	b := fjordtest.Start(t)
	c := rawConn(t, b.Addr())
	// ApiVersions v99 with an empty body.
	c.Write(frame([]byte{0, 18, 0, 99, 0, 0, 0, 7, 0xff, 0xff}))
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	io.ReadFull(c, body)
	if corr := binary.BigEndian.Uint32(body); corr != 7 {
		t.Fatalf("correlation id %d", corr)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	if err := resp.ReadFrom(body[4:]); err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.UnsupportedVersion.Code || len(resp.ApiKeys) == 0 {
		t.Fatalf("error %d with %d keys", resp.ErrorCode, len(resp.ApiKeys))
	}
}

func TestProduceErrorsAreKafkas(t *testing.T) {
	b := fjordtest.Start(t, "auto.create.topics.enable=false")
	ctx := fjordtest.Context(t)
	adm := b.Admin()
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"max.message.bytes": ptr("10000")}, "p"); err != nil {
		t.Fatal(err)
	}
	batch := func(n, size int, ts int64) []byte {
		bld := record.NewBuilder(record.BuilderOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1})
		for range n {
			bld.Add(ts, nil, bytes.Repeat([]byte("v"), size))
		}
		out, _ := bld.Build(nil)
		return out
	}
	now := time.Now().UnixMilli()
	corrupt := batch(2, 10, now)
	corrupt[len(corrupt)-1] ^= 1
	cases := []struct {
		name    string
		topic   string
		acks    int16
		records []byte
		want    *kerr.Error
	}{
		{"unknown topic with auto-create off", "nope", 1, batch(1, 10, now), kerr.UnknownTopicOrPartition},
		{"acks=2", "p", 2, batch(1, 10, now), kerr.InvalidRequiredAcks},
		{"bad crc", "p", 1, corrupt, kerr.CorruptMessage},
		{"too large for the topic", "p", 1, batch(1, 20000, now), kerr.MessageTooLarge},
		{"two batches", "p", 1, append(batch(1, 10, now), batch(1, 10, now)...), kerr.InvalidRecord},
		{"timestamp a day ahead", "p", 1, batch(1, 10, now+24*3600*1000), kerr.InvalidTimestamp},
		{"internal topic", "__consumer_offsets", 1, batch(1, 10, now), kerr.InvalidTopicException},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := kmsg.NewPtrProduceRequest()
			req.Acks = tc.acks
			req.TimeoutMillis = 5000
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = tc.topic
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Records = tc.records
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			// Raw: kgo rewrites a request's acks to its own setting.
			resp := rawRequest(t, b.Addr(), req, 9).(*kmsg.ProduceResponse)
			got := resp.Topics[0].Partitions[0]
			if got.ErrorCode != tc.want.Code {
				t.Fatalf("error %v, want %v", kerr.ErrorForCode(got.ErrorCode), tc.want)
			}
		})
	}
	// Nothing from the rejected requests was written.
	offs, err := adm.ListEndOffsets(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := offs.Lookup("p", 0); o.Offset != 0 {
		t.Fatalf("rejected produces wrote %d records", o.Offset)
	}
	// And kgo surfaces the Kafka error for a too large record.
	big := make([]byte, 50000)
	rand.Read(big) // incompressible: kgo compresses with snappy by default
	err = b.Client(kgo.ProducerBatchMaxBytes(1<<20), kgo.DisableIdempotentWrite()).
		ProduceSync(ctx, &kgo.Record{Topic: "p", Value: big}).FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("kgo produce of a too large record: %v", err)
	}
}

func TestFetchErrors(t *testing.T) {
	b := fjordtest.Start(t)
	ctx := fjordtest.Context(t)
	if _, err := b.Admin().CreateTopic(ctx, 1, 1, nil, "f"); err != nil {
		t.Fatal(err)
	}
	cl := b.Client(byName())
	produceAll(t, cl, &kgo.Record{Topic: "f", Value: []byte("a")}, &kgo.Record{Topic: "f", Value: []byte("b")})
	fetch := func(topic string, offset int64) int16 {
		req := kmsg.NewPtrFetchRequest()
		req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 0, 1, 1<<20
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.FetchOffset, rp.PartitionMaxBytes = offset, 1<<20
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].Partitions[0].ErrorCode
	}
	if code := fetch("f", 5); code != kerr.OffsetOutOfRange.Code {
		t.Fatalf("offset past the end: %v", kerr.ErrorForCode(code))
	}
	if code := fetch("f", 2); code != 0 {
		t.Fatalf("offset at the end: %v", kerr.ErrorForCode(code))
	}
	if code := fetch("nope", 0); code != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("unknown topic: %v", kerr.ErrorForCode(code))
	}
}

func ptr(s string) *string { return &s }

// rawRequest sends one request at the given version on a fresh socket and
// decodes the response.
func rawRequest(t *testing.T, addr string, req kmsg.Request, version int16) kmsg.Response {
	t.Helper()
	req.SetVersion(version)
	c := rawConn(t, addr)
	var f kmsg.RequestFormatter
	if _, err := c.Write(f.AppendRequest(nil, req, 42)); err != nil {
		t.Fatal(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatal(err)
	}
	resp := req.ResponseKind()
	skip := 4 // correlation id
	if resp.IsFlexible() && req.Key() != 18 {
		skip++ // empty tagged fields
	}
	if err := resp.ReadFrom(body[skip:]); err != nil {
		t.Fatal(err)
	}
	return resp
}

// byName caps the client at the last Produce and Fetch versions that name
// topics by name (v13 switched to topic IDs), for hand-built requests.
func byName() kgo.Opt {
	v := kversion.Stable()
	v.SetMaxKeyVersion(0, 12)
	v.SetMaxKeyVersion(1, 12)
	return kgo.MaxVersions(v)
}

// TestRequestsBeforeHangUpAreServed: a client that writes acks=0 produces
// and closes its socket at once must not lose them; Kafka serves every
// request it has read in full.
func TestRequestsBeforeHangUpAreServed(t *testing.T) {
	b := fjordtest.Start(t)
	ctx := fjordtest.Context(t)
	if _, err := b.Admin().CreateTopic(ctx, 1, 1, nil, "ack0"); err != nil {
		t.Fatal(err)
	}
	const conns, perConn = 20, 5
	for range conns {
		c := rawConn(t, b.Addr())
		var out []byte
		for i := range perConn {
			bld := record.NewBuilder(record.BuilderOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1})
			bld.Add(time.Now().UnixMilli(), nil, []byte{byte(i)})
			batch, _ := bld.Build(nil)
			req := kmsg.NewPtrProduceRequest()
			req.SetVersion(9)
			req.Acks, req.TimeoutMillis = 0, 5000
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = "ack0"
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Records = batch
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			var f kmsg.RequestFormatter
			// AppendRequest sizes the frame from the start of dst: one frame each.
			out = append(out, f.AppendRequest(nil, req, int32(i))...)
		}
		if _, err := c.Write(out); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	got := consumeN(t, b.Addr(), "ack0", conns*perConn)
	if len(got) != conns*perConn {
		t.Fatalf("%d of %d acks=0 records", len(got), conns*perConn)
	}
}
