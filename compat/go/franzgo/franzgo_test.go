// Package franzgo is the compatibility suite for franz-go (kgo, kadm).
// Run by compat/run; the same binary is a consumer group member for the
// runner's scenario 4 when FJORD_COMPAT_MEMBER is set (member_test.go).
package franzgo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

func TestMain(m *testing.M) {
	if check.MemberMode() {
		member()
		return
	}
	check.Main(m, "franz-go", "github.com/twmb/franz-go")
}

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

func newClient(t *check.T, addr string, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func admin(t *check.T, addr string) *kadm.Client {
	return kadm.NewClient(newClient(t, addr))
}

func createTopic(t *check.T, adm *kadm.Client, topic string, partitions int32, configs map[string]*string) {
	ctx, cancel := timeout()
	defer cancel()
	resp, err := adm.CreateTopic(ctx, partitions, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

func toKgo(topic string, partition int32, recs []check.Rec) []*kgo.Record {
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		kr := &kgo.Record{Topic: topic, Partition: partition, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: []byte(h.Value)})
		}
		out[i] = kr
	}
	return out
}

func fromKgo(recs []*kgo.Record) []check.Rec {
	out := make([]check.Rec, len(recs))
	for i, kr := range recs {
		r := check.Rec{Key: kr.Key, Value: kr.Value, Timestamp: kr.Timestamp}
		for _, h := range kr.Headers {
			r.Headers = append(r.Headers, check.Header{Key: h.Key, Value: string(h.Value)})
		}
		out[i] = r
	}
	return out
}

// consume reads n records of a one-partition topic from the given offset.
func consume(t *check.T, addr, topic string, from kgo.Offset, n int) []*kgo.Record {
	cl := newClient(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: from}}))
	ctx, cancel := timeout()
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d records of %d before the timeout", len(out), n)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
		out = append(out, fs.Records()...)
	}
	if len(out) > n {
		t.Fatalf("consumed %d records, want %d", len(out), n)
	}
	return out
}

func produceSync(t *check.T, cl *kgo.Client, recs ...*kgo.Record) {
	ctx, cancel := timeout()
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

func TestAdmin(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	check.Check(t, 1, "metadata lists the broker and controller", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		md, err := admin(t, addr).BrokerMetadata(ctx)
		if err != nil {
			t.Fatalf("metadata: %v", err)
		}
		if len(md.Brokers) != 1 || fmt.Sprintf("%s:%d", md.Brokers[0].Host, md.Brokers[0].Port) != addr {
			t.Fatalf("brokers %v, want one at %s", md.Brokers, addr)
		}
		if md.Controller != md.Brokers[0].NodeID || md.Cluster == "" {
			t.Fatalf("controller %d cluster %q", md.Controller, md.Cluster)
		}
	})
	check.Check(t, 1, "create topic with partitions and configs", func(t *check.T) {
		adm := admin(t, addr)
		retention := "3600000"
		createTopic(t, adm, "admin-create", 3, map[string]*string{"retention.ms": &retention})
		ctx, cancel := timeout()
		defer cancel()
		td, err := adm.ListTopics(ctx, "admin-create")
		if err != nil || td["admin-create"].Err != nil {
			t.Fatalf("list: %v %v", err, td["admin-create"].Err)
		}
		parts := td["admin-create"].Partitions
		if len(parts) != 3 {
			t.Fatalf("%d partitions, want 3", len(parts))
		}
		for _, p := range parts {
			if p.Leader != 1 || len(p.Replicas) != 1 || len(p.ISR) != 1 {
				t.Fatalf("partition %d: leader %d replicas %v isr %v", p.Partition, p.Leader, p.Replicas, p.ISR)
			}
		}
	})
	check.Check(t, 1, "create an existing topic fails with TOPIC_ALREADY_EXISTS", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		resp, _ := admin(t, addr).CreateTopic(ctx, 1, 1, nil, "admin-create")
		if !errors.Is(resp.Err, kerr.TopicAlreadyExists) {
			t.Fatalf("%v, want TOPIC_ALREADY_EXISTS", resp.Err)
		}
	})
	check.Check(t, 1, "create partitions", func(t *check.T) {
		adm := admin(t, addr)
		ctx, cancel := timeout()
		defer cancel()
		resp, err := adm.UpdatePartitions(ctx, 5, "admin-create")
		if err == nil {
			err = resp["admin-create"].Err
		}
		if err != nil {
			t.Fatalf("create partitions: %v", err)
		}
		td, err := adm.ListTopics(ctx, "admin-create")
		if err != nil || len(td["admin-create"].Partitions) != 5 {
			t.Fatalf("after: %v, %d partitions", err, len(td["admin-create"].Partitions))
		}
	})
	check.Check(t, 1, "delete topic", func(t *check.T) {
		adm := admin(t, addr)
		ctx, cancel := timeout()
		defer cancel()
		resp, err := adm.DeleteTopic(ctx, "admin-create")
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		td, err := adm.ListTopics(ctx)
		if err != nil || td.Has("admin-create") {
			t.Fatalf("after delete: %v, still listed %v", err, td.Has("admin-create"))
		}
	})
	check.Check(t, 1, "a produce to a new topic auto-creates it", func(t *check.T) {
		cl := newClient(t, addr, kgo.AllowAutoTopicCreation())
		produceSync(t, cl, &kgo.Record{Topic: "admin-auto", Value: []byte("v")})
		ctx, cancel := timeout()
		defer cancel()
		td, err := kadm.NewClient(cl).ListTopics(ctx, "admin-auto")
		if err != nil || len(td["admin-auto"].Partitions) != 1 {
			t.Fatalf("auto-created topic: %v %+v", err, td["admin-auto"])
		}
	})
}

var codecs = []struct {
	name  string
	codec kgo.CompressionCodec
}{
	{"none", kgo.NoCompression()},
	{"gzip", kgo.GzipCompression()},
	{"snappy", kgo.SnappyCompression()},
	{"lz4", kgo.Lz4Compression()},
	{"zstd", kgo.ZstdCompression()},
}

func TestProduce(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	acks := []struct {
		name string
		opts []kgo.Opt
	}{
		{"0", []kgo.Opt{kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite()}},
		{"1", []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}},
		{"all", []kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks())}},
	}
	for _, a := range acks {
		for _, c := range codecs {
			name := fmt.Sprintf("produce acks=%s codec=%s", a.name, c.name)
			check.Check(t, 2, name, func(t *check.T) {
				topic := fmt.Sprintf("produce-%s-%s", a.name, c.name)
				createTopic(t, admin(t, addr), topic, 1, nil)
				want := check.StandardRecords(check.Base())
				cl := newClient(t, addr, append(a.opts, kgo.ProducerBatchCompression(c.codec), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
				produceSync(t, cl, toKgo(topic, 0, want)...)
				got := consume(t, addr, topic, kgo.NewOffset().AtStart(), len(want))
				if err := check.Compare(fromKgo(got), want); err != nil {
					t.Fatalf("%v", err)
				}
				for i, r := range got {
					if r.Offset != int64(i) {
						t.Fatalf("record %d at offset %d", i, r.Offset)
					}
				}
			})
		}
	}
	check.Check(t, 2, "idempotent producer (the default) writes every record once, in order, with a producer id", func(t *check.T) {
		// kgo is idempotent unless told otherwise: it asks for a producer
		// id with InitProducerId and numbers its batches. Several rounds,
		// each delivered before the next, make several batches.
		const topic = "produce-idempotent"
		createTopic(t, admin(t, addr), topic, 1, nil)
		cl := newClient(t, addr, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		var want []check.Rec
		for _, round := range check.IdempotentRecords(check.Base()) {
			produceSync(t, cl, toKgo(topic, 0, round)...)
			want = append(want, round...)
		}
		got := consume(t, addr, topic, kgo.NewOffset().AtStart(), len(want))
		if err := check.Compare(fromKgo(got), want); err != nil {
			t.Fatalf("%v", err)
		}
		for i, r := range got {
			if r.Offset != int64(i) {
				t.Fatalf("record %d at offset %d", i, r.Offset)
			}
			if r.ProducerID < 0 || r.ProducerID != got[0].ProducerID || r.ProducerEpoch != got[0].ProducerEpoch {
				t.Fatalf("record %d: producer id %d epoch %d (record 0: %d epoch %d)", i, r.ProducerID, r.ProducerEpoch, got[0].ProducerID, got[0].ProducerEpoch)
			}
		}
		endOffset(t, addr, topic, int64(len(want)))
		batches, err := check.BatchesWithFranz(addr, topic)
		if err == nil {
			err = check.CheckIdempotentBatches(batches, len(want))
		}
		if err != nil {
			t.Fatalf("stored batches: %v", err)
		}
	})
	check.Check(t, 2, "transactional producer is refused cleanly (transactions not implemented)", func(t *check.T) {
		// Fjord answers InitProducerId with a transactional id with
		// INVALID_REQUEST, which kgo does not retry: beginning the
		// transaction (or else its first produce) fails at once, and
		// nothing is written.
		const topic = "produce-transactional"
		createTopic(t, admin(t, addr), topic, 1, nil)
		cl := newClient(t, addr, kgo.TransactionalID("compat-franz-go"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		ctx, cancel := timeout()
		defer cancel()
		done := make(chan error, 1)
		go func() {
			if err := cl.BeginTransaction(); err != nil {
				done <- fmt.Errorf("begin transaction: %w", err)
				return
			}
			done <- cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: 0, Value: []byte("v")}).FirstErr()
		}()
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			t.Fatalf("no answer within 30s")
		}
		switch {
		case err == nil:
			t.Fatalf("a transactional produce succeeded")
		case ctx.Err() != nil:
			t.Fatalf("failed only at the 30s timeout: %v", err)
		case !errors.Is(err, kerr.InvalidRequest):
			t.Fatalf("%v, want INVALID_REQUEST", err)
		}
		endOffset(t, addr, topic, 0)
	})
	check.NotApplicable(2, "transactional produce",
		"Fjord does not implement transactions yet: InitProducerId with a transactional id is refused with INVALID_REQUEST (checked)")
}

// endOffset checks the end offset of partition 0 of topic.
func endOffset(t *check.T, addr, topic string, want int64) {
	ctx, cancel := timeout()
	defer cancel()
	offs, err := admin(t, addr).ListEndOffsets(ctx, topic)
	if err == nil {
		err = offs.Error()
	}
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	o, _ := offs.Lookup(topic, 0)
	if o.Offset != want {
		t.Fatalf("end offset %d, want %d", o.Offset, want)
	}
}

func TestConsume(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	const topic = "consume"
	var want []check.Rec
	setup := func(t *check.T) {
		if want != nil {
			return
		}
		createTopic(t, admin(t, addr), topic, 1, nil)
		recs := check.StandardRecords(check.Base())
		produceSync(t, newClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner())), toKgo(topic, 0, recs)...)
		want = recs
	}
	check.Check(t, 3, "consume from earliest", func(t *check.T) {
		setup(t)
		if err := check.Compare(fromKgo(consume(t, addr, topic, kgo.NewOffset().AtStart(), len(want))), want); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from an offset", func(t *check.T) {
		setup(t)
		got := consume(t, addr, topic, kgo.NewOffset().At(3), len(want)-3)
		if err := check.Compare(fromKgo(got), want[3:]); err != nil {
			t.Fatalf("%v", err)
		}
		if got[0].Offset != 3 {
			t.Fatalf("first offset %d", got[0].Offset)
		}
	})
	check.Check(t, 3, "consume from a timestamp", func(t *check.T) {
		setup(t)
		got := consume(t, addr, topic, kgo.NewOffset().AfterMilli(want[4].Timestamp.UnixMilli()), len(want)-4)
		if err := check.Compare(fromKgo(got), want[4:]); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from latest", func(t *check.T) {
		setup(t)
		consumer := newClient(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtEnd()}}))
		producer := newClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
		// The consumer resolves "latest" asynchronously: produce markers
		// until it sees one; it must never see a record from before it started.
		got := check.LatestMarkers(t, func(marker string) error {
			ctx, cancel := timeout()
			defer cancel()
			return producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: 0, Value: []byte(marker)}).FirstErr()
		}, func(ctx context.Context) ([]string, error) {
			fs := consumer.PollFetches(ctx)
			if err := fs.Err0(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return nil, err
			}
			var vals []string
			for _, r := range fs.Records() {
				vals = append(vals, string(r.Value))
			}
			return vals, nil
		})
		_ = got
	})
}

func TestConfigsGroupsOffsets(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	check.Check(t, 5, "describe topic configs", func(t *check.T) {
		adm := admin(t, addr)
		retention := "3600000"
		createTopic(t, adm, "configs", 1, map[string]*string{"retention.ms": &retention})
		ctx, cancel := timeout()
		defer cancel()
		rc, err := adm.DescribeTopicConfigs(ctx, "configs")
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		c, err := rc.On("configs", nil)
		if err != nil || c.Err != nil {
			t.Fatalf("describe: %v %v", err, c.Err)
		}
		got := map[string]kadm.Config{}
		for _, kv := range c.Configs {
			got[kv.Key] = kv
		}
		if kv := got["retention.ms"]; kv.MaybeValue() != "3600000" || kv.Source != kmsg.ConfigSourceDynamicTopicConfig {
			t.Fatalf("retention.ms = %q from %v", kv.MaybeValue(), kv.Source)
		}
		if kv := got["cleanup.policy"]; kv.MaybeValue() != "delete" || kv.Source != kmsg.ConfigSourceDefaultConfig {
			t.Fatalf("cleanup.policy = %q from %v", kv.MaybeValue(), kv.Source)
		}
	})
	check.Check(t, 5, "alter topic configs (AlterConfigs)", func(t *check.T) {
		adm := admin(t, addr)
		ctx, cancel := timeout()
		defer cancel()
		v := "1048576"
		resp, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "segment.bytes", Value: &v}}, "configs")
		if err == nil {
			_, err = resp.On("configs", nil)
		}
		if err != nil {
			t.Fatalf("alter: %v", err)
		}
		wantConfigs(t, adm, "configs", map[string]string{"segment.bytes": "1048576", "retention.ms": ""})
	})
	check.Check(t, 5, "alter topic configs (IncrementalAlterConfigs)", func(t *check.T) {
		adm := admin(t, addr)
		ctx, cancel := timeout()
		defer cancel()
		v := "7200000"
		resp, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
			{Op: kadm.SetConfig, Name: "retention.ms", Value: &v},
			{Op: kadm.DeleteConfig, Name: "segment.bytes"},
		}, "configs")
		if err == nil {
			_, err = resp.On("configs", nil)
		}
		if err != nil {
			t.Fatalf("alter: %v", err)
		}
		wantConfigs(t, adm, "configs", map[string]string{"retention.ms": "7200000", "segment.bytes": ""})
	})
	check.Check(t, 5, "describe broker configs", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		rc, err := admin(t, addr).DescribeBrokerConfigs(ctx, 1)
		if err != nil || len(rc) != 1 || rc[0].Err != nil {
			t.Fatalf("describe: %v %v", err, rc)
		}
		for _, kv := range rc[0].Configs {
			if kv.Key == "auto.create.topics.enable" {
				return
			}
		}
		t.Fatalf("no auto.create.topics.enable among %d configs", len(rc[0].Configs))
	})

	const group, topic = "admin-group", "group-topic"
	check.Check(t, 5, "describe a group with a member", func(t *check.T) {
		adm := admin(t, addr)
		createTopic(t, adm, topic, 2, nil)
		produceSync(t, newClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner())), &kgo.Record{Topic: topic, Partition: 0, Value: []byte("a")})
		cl := newClient(t, addr, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ClientID("describer"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		ctx, cancel := timeout()
		defer cancel()
		for n := 0; n < 1; {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("no record consumed")
			}
			n += len(fs.Records())
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
		dg, err := adm.DescribeGroups(ctx, group)
		if err != nil || dg[group].Err != nil {
			t.Fatalf("describe: %v %v", err, dg[group].Err)
		}
		g := dg[group]
		if g.State != "Stable" || g.ProtocolType != "consumer" || len(g.Members) != 1 || g.Members[0].ClientID != "describer" {
			t.Fatalf("group %+v", g)
		}
		a, ok := g.Members[0].Assigned.AsConsumer()
		if !ok || len(a.Topics) != 1 || a.Topics[0].Topic != topic || len(a.Topics[0].Partitions) != 2 {
			t.Fatalf("assignment %+v", a)
		}
		cl.Close() // leaves the group
	})
	check.Check(t, 5, "list groups", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		lg, err := admin(t, addr).ListGroups(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		g, ok := lg[group]
		if !ok || g.State != "Empty" || g.ProtocolType != "consumer" {
			t.Fatalf("groups %+v", lg)
		}
	})
	check.Check(t, 5, "fetch committed offsets", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		os, err := admin(t, addr).FetchOffsets(ctx, group)
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		if o, ok := os.Lookup(topic, 0); !ok || o.Err != nil || o.At != 1 {
			t.Fatalf("partition 0 committed %+v", o)
		}
	})
	check.Check(t, 5, "delete groups", func(t *check.T) {
		adm := admin(t, addr)
		ctx, cancel := timeout()
		defer cancel()
		resp, err := adm.DeleteGroup(ctx, group)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		lg, err := adm.ListGroups(ctx)
		if err != nil || slices.Contains(lg.Groups(), group) {
			t.Fatalf("after delete: %v %v", err, lg.Groups())
		}
		resp, _ = adm.DeleteGroup(ctx, group)
		if !errors.Is(resp.Err, kerr.GroupIDNotFound) {
			t.Fatalf("deleting again: %v, want GROUP_ID_NOT_FOUND", resp.Err)
		}
	})
	check.Check(t, 5, "list offsets (earliest, latest, by timestamp, max timestamp)", func(t *check.T) {
		adm := admin(t, addr)
		createTopic(t, adm, "offsets", 1, nil)
		want := check.StandardRecords(check.Base())
		produceSync(t, newClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner())), toKgo("offsets", 0, want)...)
		ctx, cancel := timeout()
		defer cancel()
		at := func(lo kadm.ListedOffsets, err error) int64 {
			if err != nil {
				t.Fatalf("list offsets: %v", err)
			}
			o, ok := lo.Lookup("offsets", 0)
			if !ok || o.Err != nil {
				t.Fatalf("list offsets: %+v", o)
			}
			return o.Offset
		}
		if o := at(adm.ListStartOffsets(ctx, "offsets")); o != 0 {
			t.Fatalf("earliest %d", o)
		}
		if o := at(adm.ListEndOffsets(ctx, "offsets")); o != int64(len(want)) {
			t.Fatalf("latest %d", o)
		}
		if o := at(adm.ListOffsetsAfterMilli(ctx, want[5].Timestamp.UnixMilli()-1, "offsets")); o != 5 {
			t.Fatalf("by timestamp %d, want 5", o)
		}
		if o := at(adm.ListMaxTimestampOffsets(ctx, "offsets")); o != int64(len(want)-1) {
			t.Fatalf("max timestamp at %d, want %d", o, len(want)-1)
		}
	})
}

func wantConfigs(t *check.T, adm *kadm.Client, topic string, want map[string]string) {
	ctx, cancel := timeout()
	defer cancel()
	rc, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	c, err := rc.On(topic, nil)
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	for _, kv := range c.Configs {
		w, ok := want[kv.Key]
		if !ok {
			continue
		}
		dynamic := kv.Source == kmsg.ConfigSourceDynamicTopicConfig
		if w == "" && dynamic || w != "" && (!dynamic || kv.MaybeValue() != w) {
			t.Fatalf("%s = %q (source %v), want %q", kv.Key, kv.MaybeValue(), kv.Source, w)
		}
	}
}

func TestErrors(t *testing.T) {
	addr, noauto := check.Env(check.EnvBootstrap), check.Env(check.EnvNoAutoBootstrap)
	check.Check(t, 6, "produce to an unknown topic with auto-create off fails with UNKNOWN_TOPIC_OR_PARTITION", func(t *check.T) {
		cl := newClient(t, noauto, kgo.UnknownTopicRetries(2))
		ctx, cancel := timeout()
		defer cancel()
		err := cl.ProduceSync(ctx, &kgo.Record{Topic: "no-such-topic", Value: []byte("v")}).FirstErr()
		if !errors.Is(err, kerr.UnknownTopicOrPartition) {
			t.Fatalf("produce: %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
		}
		td, err := kadm.NewClient(cl).ListTopics(ctx)
		if err != nil || td.Has("no-such-topic") {
			t.Fatalf("topic created anyway (%v)", err)
		}
	})
	check.Check(t, 6, "metadata for an unknown topic with auto-create off", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		td, err := admin(t, noauto).ListTopics(ctx, "no-such-topic")
		if err != nil || !errors.Is(td["no-such-topic"].Err, kerr.UnknownTopicOrPartition) {
			t.Fatalf("metadata: %v %v, want UNKNOWN_TOPIC_OR_PARTITION", err, td["no-such-topic"].Err)
		}
	})
	check.Check(t, 6, "a record over max.message.bytes fails with MESSAGE_TOO_LARGE", func(t *check.T) {
		max := "1024"
		createTopic(t, admin(t, addr), "too-large", 1, map[string]*string{"max.message.bytes": &max})
		cl := newClient(t, addr)
		ctx, cancel := timeout()
		defer cancel()
		err := cl.ProduceSync(ctx, &kgo.Record{Topic: "too-large", Value: []byte(check.Incompressible(4096))}).FirstErr()
		if !errors.Is(err, kerr.MessageTooLarge) {
			t.Fatalf("produce: %v, want MESSAGE_TOO_LARGE", err)
		}
		// A record under the limit still goes through.
		produceSync(t, cl, &kgo.Record{Topic: "too-large", Value: []byte("small")})
	})
	check.NotApplicable(6, "acks=2 fails with INVALID_REQUIRED_ACKS",
		"kgo.RequiredAcks offers only 0, 1 and all, and kgo rewrites the acks of a raw ProduceRequest to the configured value")
}
