// Package sarama is the compatibility suite for IBM/sarama, with its
// default protocol version (Kafka 2.8) unless a check says otherwise.
// member_test.go is the consumer group member of the runner's scenario 4.
package sarama

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

func TestMain(m *testing.M) {
	if check.MemberMode() {
		member()
		return
	}
	check.Main(m, "sarama", "github.com/IBM/sarama")
}

func config() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = "compat-sarama"
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond // closing a consumer waits for its fetch in flight
	return cfg
}

func newAdmin(t *check.T, addr string) sarama.ClusterAdmin {
	adm, err := sarama.NewClusterAdmin([]string{addr}, config())
	if err != nil {
		t.Fatalf("admin: %v", err)
	}
	t.Cleanup(func() { adm.Close() })
	return adm
}

func newClient(t *check.T, addr string, cfg *sarama.Config) sarama.Client {
	if cfg == nil {
		cfg = config()
	}
	cl, err := sarama.NewClient([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func newProducer(t *check.T, addr string, cfg *sarama.Config) sarama.SyncProducer {
	if cfg == nil {
		cfg = config()
	}
	p, err := sarama.NewSyncProducer([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func createTopic(t *check.T, adm sarama.ClusterAdmin, topic string, partitions int32, configs map[string]*string) {
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: configs}, false); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

func toSarama(topic string, recs []check.Rec) []*sarama.ProducerMessage {
	out := make([]*sarama.ProducerMessage, len(recs))
	for i, r := range recs {
		m := &sarama.ProducerMessage{Topic: topic, Partition: 0, Timestamp: r.Timestamp}
		if r.Key != nil {
			m.Key = sarama.ByteEncoder(r.Key)
		}
		if r.Value != nil {
			m.Value = sarama.ByteEncoder(r.Value)
		}
		for _, h := range r.Headers {
			m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(h.Key), Value: []byte(h.Value)})
		}
		out[i] = m
	}
	return out
}

func fromSarama(msgs []*sarama.ConsumerMessage) []check.Rec {
	out := make([]check.Rec, len(msgs))
	for i, m := range msgs {
		r := check.Rec{Key: m.Key, Value: m.Value, Timestamp: m.Timestamp}
		for _, h := range m.Headers {
			r.Headers = append(r.Headers, check.Header{Key: string(h.Key), Value: string(h.Value)})
		}
		out[i] = r
	}
	return out
}

// consume reads n records of partition 0 from offset.
func consume(t *check.T, addr string, cfg *sarama.Config, topic string, offset int64, n int) []*sarama.ConsumerMessage {
	if cfg == nil {
		cfg = config()
	}
	c, err := sarama.NewConsumer([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, offset)
	if err != nil {
		t.Fatalf("consume partition: %v", err)
	}
	defer pc.Close()
	var out []*sarama.ConsumerMessage
	timeout := time.After(30 * time.Second)
	for len(out) < n {
		select {
		case m := <-pc.Messages():
			out = append(out, m)
		case err := <-pc.Errors():
			t.Fatalf("consume: %v", err)
		case <-timeout:
			t.Fatalf("consumed %d records of %d before the timeout", len(out), n)
		}
	}
	return out
}

func TestAdmin(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	check.Check(t, 1, "metadata lists the broker and controller", func(t *check.T) {
		brokers, controller, err := newAdmin(t, addr).DescribeCluster()
		if err != nil {
			t.Fatalf("describe cluster: %v", err)
		}
		if len(brokers) != 1 || brokers[0].Addr() != addr || controller != brokers[0].ID() {
			t.Fatalf("brokers %v controller %d", brokers, controller)
		}
		cl := newClient(t, addr, nil)
		if c, err := cl.Controller(); err != nil || c.ID() != 1 {
			t.Fatalf("controller: %v", err)
		}
	})
	check.Check(t, 1, "create topic with partitions and configs", func(t *check.T) {
		adm := newAdmin(t, addr)
		retention := "3600000"
		createTopic(t, adm, "admin-create", 3, map[string]*string{"retention.ms": &retention})
		md, err := adm.DescribeTopics([]string{"admin-create"})
		if err != nil || len(md) != 1 || md[0].Err != sarama.ErrNoError {
			t.Fatalf("describe: %v %v", err, md)
		}
		if len(md[0].Partitions) != 3 {
			t.Fatalf("%d partitions", len(md[0].Partitions))
		}
		for _, p := range md[0].Partitions {
			if p.Leader != 1 || len(p.Replicas) != 1 || len(p.Isr) != 1 {
				t.Fatalf("partition %d: leader %d replicas %v isr %v", p.ID, p.Leader, p.Replicas, p.Isr)
			}
		}
	})
	check.Check(t, 1, "create an existing topic fails with TOPIC_ALREADY_EXISTS", func(t *check.T) {
		err := newAdmin(t, addr).CreateTopic("admin-create", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false)
		if !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			t.Fatalf("%v, want TOPIC_ALREADY_EXISTS", err)
		}
	})
	check.Check(t, 1, "create partitions", func(t *check.T) {
		adm := newAdmin(t, addr)
		if err := adm.CreatePartitions("admin-create", 5, nil, false); err != nil {
			t.Fatalf("create partitions: %v", err)
		}
		md, err := adm.DescribeTopics([]string{"admin-create"})
		if err != nil || len(md[0].Partitions) != 5 {
			t.Fatalf("after: %v %d partitions", err, len(md[0].Partitions))
		}
	})
	check.Check(t, 1, "delete topic", func(t *check.T) {
		adm := newAdmin(t, addr)
		if err := adm.DeleteTopic("admin-create"); err != nil {
			t.Fatalf("delete: %v", err)
		}
		topics, err := adm.ListTopics()
		if _, ok := topics["admin-create"]; err != nil || ok {
			t.Fatalf("after delete: %v, listed %v", err, ok)
		}
	})
	check.Check(t, 1, "a produce to a new topic auto-creates it", func(t *check.T) {
		cfg := config()
		cfg.Producer.Partitioner = sarama.NewHashPartitioner
		if _, _, err := newProducer(t, addr, cfg).SendMessage(&sarama.ProducerMessage{Topic: "admin-auto", Value: sarama.StringEncoder("v")}); err != nil {
			t.Fatalf("produce: %v", err)
		}
		md, err := newAdmin(t, addr).DescribeTopics([]string{"admin-auto"})
		if err != nil || md[0].Err != sarama.ErrNoError || len(md[0].Partitions) != 1 {
			t.Fatalf("auto-created topic: %v %+v", err, md)
		}
	})
}

var codecs = []struct {
	name  string
	codec sarama.CompressionCodec
}{
	{"none", sarama.CompressionNone},
	{"gzip", sarama.CompressionGZIP},
	{"snappy", sarama.CompressionSnappy},
	{"lz4", sarama.CompressionLZ4},
	{"zstd", sarama.CompressionZSTD},
}

// produceAndReadBack produces the standard records to a new one-partition
// topic and compares what a consumer reads.
func produceAndReadBack(t *check.T, addr, topic string, cfg *sarama.Config) {
	createTopic(t, newAdmin(t, addr), topic, 1, nil)
	want := check.StandardRecords(check.Base())
	msgs := toSarama(topic, want)
	if err := newProducer(t, addr, cfg).SendMessages(msgs); err != nil {
		t.Fatalf("produce: %v", err)
	}
	got := consume(t, addr, cfg, topic, sarama.OffsetOldest, len(want))
	if err := check.Compare(fromSarama(got), want); err != nil {
		t.Fatalf("%v", err)
	}
	for i, m := range got {
		if m.Offset != int64(i) {
			t.Fatalf("record %d at offset %d", i, m.Offset)
		}
	}
}

func TestProduce(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	acks := []struct {
		name string
		acks sarama.RequiredAcks
	}{{"0", sarama.NoResponse}, {"1", sarama.WaitForLocal}, {"all", sarama.WaitForAll}}
	for _, a := range acks {
		for _, c := range codecs {
			check.Check(t, 2, fmt.Sprintf("produce acks=%s codec=%s", a.name, c.name), func(t *check.T) {
				cfg := config()
				cfg.Producer.RequiredAcks = a.acks
				cfg.Producer.Compression = c.codec
				produceAndReadBack(t, addr, fmt.Sprintf("produce-%s-%s", a.name, c.name), cfg)
			})
		}
	}
	check.Check(t, 2, "produce and consume with Version=4.0.0", func(t *check.T) {
		cfg := config()
		cfg.Version = sarama.V4_0_0_0
		cfg.Producer.RequiredAcks = sarama.WaitForAll
		cfg.Producer.Compression = sarama.CompressionZSTD
		produceAndReadBack(t, addr, "produce-v4", cfg)
	})
	idempotentConfig := func() *sarama.Config {
		// What Sarama requires of an idempotent producer.
		cfg := config()
		cfg.Version = sarama.V2_8_0_0
		cfg.Producer.Idempotent = true
		cfg.Producer.RequiredAcks = sarama.WaitForAll
		cfg.Net.MaxOpenRequests = 1
		cfg.Producer.Retry.Max = 3
		return cfg
	}
	check.Check(t, 2, "idempotent producer (Producer.Idempotent) writes every record once, in order, with a producer id", func(t *check.T) {
		// Sarama's idempotent producer asks for a producer id with
		// InitProducerId and numbers its batches. Several rounds, each
		// delivered before the next, make several batches.
		const topic = "produce-idempotent"
		createTopic(t, newAdmin(t, addr), topic, 1, nil)
		cfg := idempotentConfig()
		p := newProducer(t, addr, cfg)
		var want []check.Rec
		for _, round := range check.IdempotentRecords(check.Base()) {
			if err := p.SendMessages(toSarama(topic, round)); err != nil {
				t.Fatalf("produce: %v", err)
			}
			want = append(want, round...)
		}
		got := consume(t, addr, nil, topic, sarama.OffsetOldest, len(want))
		if err := check.Compare(fromSarama(got), want); err != nil {
			t.Fatalf("%v", err)
		}
		for i, m := range got {
			if m.Offset != int64(i) {
				t.Fatalf("record %d at offset %d", i, m.Offset)
			}
		}
		end, err := newClient(t, addr, nil).GetOffset(topic, 0, sarama.OffsetNewest)
		if err != nil || end != int64(len(want)) {
			t.Fatalf("end offset %d (%v), want %d", end, err, len(want))
		}
		// Sarama's consumer does not show a batch's producer id: read
		// the batch headers with raw fetches.
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
		// INVALID_REQUEST, which Sarama takes as fatal: creating the
		// producer fails at once.
		cfg := idempotentConfig()
		cfg.Producer.Transaction.ID = "compat-sarama"
		done := make(chan error, 1)
		go func() {
			p, err := sarama.NewSyncProducer([]string{addr}, cfg)
			if err == nil {
				p.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("a transactional producer was created")
			}
			if !errors.Is(err, sarama.ErrInvalidRequest) {
				t.Fatalf("%v, want INVALID_REQUEST", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no answer within 30s")
		}
	})
	check.NotApplicable(2, "transactional produce",
		"Fjord does not implement transactions yet: InitProducerId with a transactional id is refused with INVALID_REQUEST (checked)")
}

func TestConsume(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	const topic = "consume"
	var want []check.Rec
	setup := func(t *check.T) {
		if want != nil {
			return
		}
		createTopic(t, newAdmin(t, addr), topic, 1, nil)
		recs := check.StandardRecords(check.Base())
		if err := newProducer(t, addr, nil).SendMessages(toSarama(topic, recs)); err != nil {
			t.Fatalf("produce: %v", err)
		}
		want = recs
	}
	check.Check(t, 3, "consume from earliest", func(t *check.T) {
		setup(t)
		if err := check.Compare(fromSarama(consume(t, addr, nil, topic, sarama.OffsetOldest, len(want))), want); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from an offset", func(t *check.T) {
		setup(t)
		got := consume(t, addr, nil, topic, 3, len(want)-3)
		if err := check.Compare(fromSarama(got), want[3:]); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from a timestamp", func(t *check.T) {
		setup(t)
		off, err := newClient(t, addr, nil).GetOffset(topic, 0, want[4].Timestamp.UnixMilli())
		if err != nil || off != 4 {
			t.Fatalf("offset for the timestamp: %d %v, want 4", off, err)
		}
		if err := check.Compare(fromSarama(consume(t, addr, nil, topic, off, len(want)-4)), want[4:]); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from latest", func(t *check.T) {
		setup(t)
		c, err := sarama.NewConsumer([]string{addr}, config())
		if err != nil {
			t.Fatalf("consumer: %v", err)
		}
		defer c.Close()
		pc, err := c.ConsumePartition(topic, 0, sarama.OffsetNewest)
		if err != nil {
			t.Fatalf("consume partition: %v", err)
		}
		defer pc.Close()
		p := newProducer(t, addr, nil)
		check.LatestMarkers(t, func(marker string) error {
			_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(marker)})
			return err
		}, func(ctx context.Context) ([]string, error) {
			var vals []string
			for {
				select {
				case m := <-pc.Messages():
					vals = append(vals, string(m.Value))
				case err := <-pc.Errors():
					return vals, err
				case <-ctx.Done():
					return vals, nil
				}
			}
		})
	})
}

func TestConfigsGroupsOffsets(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	topicConfig := func(t *check.T, adm sarama.ClusterAdmin, name string) map[string]sarama.ConfigEntry {
		entries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: name})
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		out := map[string]sarama.ConfigEntry{}
		for _, e := range entries {
			out[e.Name] = e
		}
		return out
	}
	check.Check(t, 5, "describe topic configs", func(t *check.T) {
		adm := newAdmin(t, addr)
		retention := "3600000"
		createTopic(t, adm, "configs", 1, map[string]*string{"retention.ms": &retention})
		c := topicConfig(t, adm, "configs")
		if e := c["retention.ms"]; e.Value != "3600000" || e.Source != sarama.SourceTopic || e.Default {
			t.Fatalf("retention.ms %+v", e)
		}
		if e := c["cleanup.policy"]; e.Value != "delete" || e.Source != sarama.SourceDefault {
			t.Fatalf("cleanup.policy %+v", e)
		}
	})
	check.Check(t, 5, "alter topic configs (AlterConfigs)", func(t *check.T) {
		adm := newAdmin(t, addr)
		v := "1048576"
		if err := adm.AlterConfig(sarama.TopicResource, "configs", map[string]*string{"segment.bytes": &v}, false); err != nil {
			t.Fatalf("alter: %v", err)
		}
		c := topicConfig(t, adm, "configs")
		if e := c["segment.bytes"]; e.Value != "1048576" || e.Source != sarama.SourceTopic {
			t.Fatalf("segment.bytes %+v", e)
		}
		if e := c["retention.ms"]; e.Source == sarama.SourceTopic {
			t.Fatalf("retention.ms still set: AlterConfigs replaces the whole set (%+v)", e)
		}
	})
	check.Check(t, 5, "alter topic configs (IncrementalAlterConfigs)", func(t *check.T) {
		adm := newAdmin(t, addr)
		v := "7200000"
		err := adm.IncrementalAlterConfig(sarama.TopicResource, "configs", map[string]sarama.IncrementalAlterConfigsEntry{
			"retention.ms":  {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v},
			"segment.bytes": {Operation: sarama.IncrementalAlterConfigsOperationDelete},
		}, false)
		if err != nil {
			t.Fatalf("alter: %v", err)
		}
		c := topicConfig(t, adm, "configs")
		if e := c["retention.ms"]; e.Value != "7200000" || e.Source != sarama.SourceTopic {
			t.Fatalf("retention.ms %+v", e)
		}
		if e := c["segment.bytes"]; e.Source == sarama.SourceTopic {
			t.Fatalf("segment.bytes not deleted: %+v", e)
		}
	})
	check.Check(t, 5, "describe broker configs", func(t *check.T) {
		entries, err := newAdmin(t, addr).DescribeConfig(sarama.ConfigResource{Type: sarama.BrokerResource, Name: "1"})
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		if !slices.ContainsFunc(entries, func(e sarama.ConfigEntry) bool { return e.Name == "auto.create.topics.enable" && e.Value == "true" }) {
			t.Fatalf("no auto.create.topics.enable=true among %d entries", len(entries))
		}
	})

	const group, topic = "admin-group", "group-topic"
	check.Check(t, 5, "describe a group with a member", func(t *check.T) {
		adm := newAdmin(t, addr)
		createTopic(t, adm, topic, 2, nil)
		if _, _, err := newProducer(t, addr, nil).SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder("a")}); err != nil {
			t.Fatalf("produce: %v", err)
		}
		cfg := config()
		cfg.ClientID = "describer"
		cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
		cg, err := sarama.NewConsumerGroup([]string{addr}, group, cfg)
		if err != nil {
			t.Fatalf("consumer group: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		h := &oneRecord{got: make(chan struct{})}
		done := make(chan error, 1)
		go func() { done <- cg.Consume(ctx, []string{topic}, h) }()
		select {
		case <-h.got:
		case err := <-done:
			t.Fatalf("consume: %v", err)
		case <-ctx.Done():
			t.Fatalf("no record consumed")
		}
		gs, err := adm.DescribeConsumerGroups([]string{group})
		if err != nil || len(gs) != 1 || gs[0].Err != sarama.ErrNoError {
			t.Fatalf("describe: %v %+v", err, gs)
		}
		g := gs[0]
		if g.State != "Stable" || g.ProtocolType != "consumer" || len(g.Members) != 1 {
			t.Fatalf("group %+v", g)
		}
		for _, m := range g.Members {
			a, err := m.GetMemberAssignment()
			if err != nil || m.ClientId != "describer" || len(a.Topics[topic]) != 2 {
				t.Fatalf("member %s: assignment %+v %v", m.ClientId, a, err)
			}
		}
		cancel()
		<-done
		if err := cg.Close(); err != nil { // commits and leaves
			t.Fatalf("close: %v", err)
		}
	})
	check.Check(t, 5, "list groups", func(t *check.T) {
		groups, err := newAdmin(t, addr).ListConsumerGroups()
		if err != nil || groups[group] != "consumer" {
			t.Fatalf("groups %v %v", groups, err)
		}
		gs, err := newAdmin(t, addr).DescribeConsumerGroups([]string{group})
		if err != nil || gs[0].State != "Empty" {
			t.Fatalf("after the member left: %v %+v", err, gs)
		}
	})
	check.Check(t, 5, "fetch committed offsets", func(t *check.T) {
		resp, err := newAdmin(t, addr).ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1}})
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		if b := resp.GetBlock(topic, 0); b == nil || b.Err != sarama.ErrNoError || b.Offset != 1 {
			t.Fatalf("partition 0 committed %+v", b)
		}
	})
	check.Check(t, 5, "delete groups", func(t *check.T) {
		adm := newAdmin(t, addr)
		if err := adm.DeleteConsumerGroup(group); err != nil {
			t.Fatalf("delete: %v", err)
		}
		groups, err := adm.ListConsumerGroups()
		if _, ok := groups[group]; err != nil || ok {
			t.Fatalf("after delete: %v %v", err, groups)
		}
		if err := adm.DeleteConsumerGroup(group); !errors.Is(err, sarama.ErrGroupIDNotFound) {
			t.Fatalf("deleting again: %v, want GROUP_ID_NOT_FOUND", err)
		}
	})
	check.Check(t, 5, "list offsets (earliest, latest, by timestamp)", func(t *check.T) {
		createTopic(t, newAdmin(t, addr), "offsets", 1, nil)
		want := check.StandardRecords(check.Base())
		if err := newProducer(t, addr, nil).SendMessages(toSarama("offsets", want)); err != nil {
			t.Fatalf("produce: %v", err)
		}
		cl := newClient(t, addr, nil)
		for _, c := range []struct {
			name string
			ts   int64
			want int64
		}{
			{"earliest", sarama.OffsetOldest, 0},
			{"latest", sarama.OffsetNewest, int64(len(want))},
			{"by timestamp", want[5].Timestamp.UnixMilli() - 1, 5},
			{"after the last timestamp", time.Now().Add(time.Hour).UnixMilli(), -1},
		} {
			if o, err := cl.GetOffset("offsets", 0, c.ts); err != nil || o != c.want {
				t.Fatalf("%s: %d %v, want %d", c.name, o, err, c.want)
			}
		}
	})
}

type oneRecord struct{ got chan struct{} }

func (h *oneRecord) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *oneRecord) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *oneRecord) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		s.MarkMessage(m, "")
		s.Commit()
		select {
		case <-h.got:
		default:
			close(h.got)
		}
	}
	return nil
}

func TestErrors(t *testing.T) {
	addr, noauto := check.Env(check.EnvBootstrap), check.Env(check.EnvNoAutoBootstrap)
	check.Check(t, 6, "produce to an unknown topic with auto-create off fails with UNKNOWN_TOPIC_OR_PARTITION", func(t *check.T) {
		cfg := config()
		cfg.Metadata.Retry.Max = 1
		cfg.Producer.Retry.Max = 1
		_, _, err := newProducer(t, noauto, cfg).SendMessage(&sarama.ProducerMessage{Topic: "no-such-topic", Value: sarama.StringEncoder("v")})
		if !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			t.Fatalf("produce: %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
		}
		topics, err := newAdmin(t, noauto).ListTopics()
		if _, ok := topics["no-such-topic"]; err != nil || ok {
			t.Fatalf("topic created anyway (%v)", err)
		}
	})
	check.Check(t, 6, "consume an unknown topic with auto-create off fails with UNKNOWN_TOPIC_OR_PARTITION", func(t *check.T) {
		c, err := sarama.NewConsumer([]string{noauto}, config())
		if err != nil {
			t.Fatalf("consumer: %v", err)
		}
		defer c.Close()
		_, err = c.ConsumePartition("no-such-topic", 0, sarama.OffsetOldest)
		if !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			t.Fatalf("consume: %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
		}
	})
	check.Check(t, 6, "a record over max.message.bytes fails with MESSAGE_TOO_LARGE", func(t *check.T) {
		max := "1024"
		createTopic(t, newAdmin(t, addr), "too-large", 1, map[string]*string{"max.message.bytes": &max})
		p := newProducer(t, addr, nil)
		_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "too-large", Value: sarama.StringEncoder(check.Incompressible(4096))})
		if !errors.Is(err, sarama.ErrMessageSizeTooLarge) {
			t.Fatalf("produce: %v, want MESSAGE_TOO_LARGE", err)
		}
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "too-large", Value: sarama.StringEncoder("small")}); err != nil {
			t.Fatalf("a small record after: %v", err)
		}
	})
	check.Check(t, 6, "acks=2 fails with INVALID_REQUIRED_ACKS", func(t *check.T) {
		createTopic(t, newAdmin(t, addr), "bad-acks", 1, nil)
		cfg := config()
		cfg.Producer.RequiredAcks = 2
		_, _, err := newProducer(t, addr, cfg).SendMessage(&sarama.ProducerMessage{Topic: "bad-acks", Value: sarama.StringEncoder("v")})
		if !errors.Is(err, sarama.ErrInvalidRequiredAcks) {
			t.Fatalf("produce: %v, want INVALID_REQUIRED_ACKS", err)
		}
	})
}
