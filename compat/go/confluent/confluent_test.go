// Package confluent is the compatibility suite for confluent-kafka-go v2
// (cgo, with the librdkafka it bundles). member_test.go is the consumer
// group member of the runner's scenario 4.
package confluent

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

func TestMain(m *testing.M) {
	if check.MemberMode() {
		member()
		return
	}
	_, librdkafka := kafka.LibraryVersion()
	check.MainVersion(m, "confluent-kafka-go", check.ModuleVersion("github.com/confluentinc/confluent-kafka-go/v2")+" (librdkafka "+librdkafka+")")
}

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

func newAdmin(t *check.T, addr string) *kafka.AdminClient {
	a, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": addr})
	if err != nil {
		t.Fatalf("admin: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

func createTopic(t *check.T, addr, topic string, partitions int, configs map[string]string) {
	ctx, cancel := timeout()
	defer cancel()
	res, err := newAdmin(t, addr).CreateTopics(ctx, []kafka.TopicSpecification{
		{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1, Config: configs}})
	if err == nil && res[0].Error.Code() != kafka.ErrNoError {
		err = res[0].Error
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

func newProducer(t *check.T, addr string, conf kafka.ConfigMap) *kafka.Producer {
	cm := kafka.ConfigMap{"bootstrap.servers": addr, "linger.ms": 5}
	for k, v := range conf {
		cm[k] = v
	}
	p, err := kafka.NewProducer(&cm)
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// produce sends messages and waits for every delivery report; it returns
// the first delivery error.
func produce(p *kafka.Producer, msgs ...*kafka.Message) error {
	dr := make(chan kafka.Event, len(msgs))
	for _, m := range msgs {
		if err := p.Produce(m, dr); err != nil {
			return err
		}
	}
	var first error
	timeout := time.After(30 * time.Second)
	for range msgs {
		select {
		case ev := <-dr:
			if m, ok := ev.(*kafka.Message); ok && m.TopicPartition.Error != nil && first == nil {
				first = m.TopicPartition.Error
			}
		case <-timeout:
			return fmt.Errorf("no delivery report within 30s")
		}
	}
	return first
}

func toConfluent(topic string, recs []check.Rec) []*kafka.Message {
	out := make([]*kafka.Message, len(recs))
	for i, r := range recs {
		m := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: 0},
			Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
		for _, h := range r.Headers {
			m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: []byte(h.Value)})
		}
		out[i] = m
	}
	return out
}

func fromConfluent(msgs []*kafka.Message) []check.Rec {
	out := make([]check.Rec, len(msgs))
	for i, m := range msgs {
		r := check.Rec{Key: m.Key, Value: m.Value, Timestamp: m.Timestamp}
		for _, h := range m.Headers {
			r.Headers = append(r.Headers, check.Header{Key: h.Key, Value: string(h.Value)})
		}
		out[i] = r
	}
	return out
}

func newConsumer(t *check.T, addr string) *kafka.Consumer {
	c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": addr, "group.id": "compat-assign",
		"enable.auto.commit": false, "fetch.wait.max.ms": 100})
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// consume reads n messages of partition 0 from offset.
func consume(t *check.T, addr, topic string, offset kafka.Offset, n int) []*kafka.Message {
	c := newConsumer(t, addr)
	if err := c.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: offset}}); err != nil {
		t.Fatalf("assign: %v", err)
	}
	var out []*kafka.Message
	deadline := time.Now().Add(30 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		m, err := c.ReadMessage(200 * time.Millisecond)
		if err != nil {
			if err.(kafka.Error).Code() == kafka.ErrTimedOut {
				continue
			}
			t.Fatalf("read: %v", err)
		}
		out = append(out, m)
	}
	if len(out) < n {
		t.Fatalf("read %d of %d messages", len(out), n)
	}
	return out
}

func TestAdmin(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	check.Check(t, 1, "metadata lists the broker and controller", func(t *check.T) {
		a := newAdmin(t, addr)
		md, err := a.GetMetadata(nil, true, 10000)
		if err != nil {
			t.Fatalf("metadata: %v", err)
		}
		if len(md.Brokers) != 1 || fmt.Sprintf("%s:%d", md.Brokers[0].Host, md.Brokers[0].Port) != addr {
			t.Fatalf("brokers %+v", md.Brokers)
		}
		ctx, cancel := timeout()
		defer cancel()
		dc, err := a.DescribeCluster(ctx)
		if err != nil || dc.Controller == nil || dc.Controller.ID != 1 || len(dc.Nodes) != 1 || dc.ClusterID == nil {
			t.Fatalf("describe cluster: %v %+v", err, dc)
		}
	})
	check.Check(t, 1, "create topic with partitions and configs", func(t *check.T) {
		createTopic(t, addr, "admin-create", 3, map[string]string{"retention.ms": "3600000"})
		topic := "admin-create"
		md, err := newAdmin(t, addr).GetMetadata(&topic, false, 10000)
		if err != nil {
			t.Fatalf("metadata: %v", err)
		}
		tm := md.Topics[topic]
		if tm.Error.Code() != kafka.ErrNoError || len(tm.Partitions) != 3 {
			t.Fatalf("topic %+v", tm)
		}
		for _, p := range tm.Partitions {
			if p.Leader != 1 || len(p.Replicas) != 1 || len(p.Isrs) != 1 {
				t.Fatalf("partition %+v", p)
			}
		}
	})
	check.Check(t, 1, "create an existing topic fails with TOPIC_ALREADY_EXISTS", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		res, err := newAdmin(t, addr).CreateTopics(ctx, []kafka.TopicSpecification{{Topic: "admin-create", NumPartitions: 1, ReplicationFactor: 1}})
		if err != nil || res[0].Error.Code() != kafka.ErrTopicAlreadyExists {
			t.Fatalf("%v %v, want TOPIC_ALREADY_EXISTS", err, res)
		}
	})
	check.Check(t, 1, "create partitions", func(t *check.T) {
		a := newAdmin(t, addr)
		ctx, cancel := timeout()
		defer cancel()
		res, err := a.CreatePartitions(ctx, []kafka.PartitionsSpecification{{Topic: "admin-create", IncreaseTo: 5}})
		if err == nil && res[0].Error.Code() != kafka.ErrNoError {
			err = res[0].Error
		}
		if err != nil {
			t.Fatalf("create partitions: %v", err)
		}
		topic := "admin-create"
		md, err := a.GetMetadata(&topic, false, 10000)
		if err != nil || len(md.Topics[topic].Partitions) != 5 {
			t.Fatalf("after: %v %+v", err, md.Topics[topic])
		}
	})
	check.Check(t, 1, "delete topic", func(t *check.T) {
		a := newAdmin(t, addr)
		ctx, cancel := timeout()
		defer cancel()
		res, err := a.DeleteTopics(ctx, []string{"admin-create"})
		if err == nil && res[0].Error.Code() != kafka.ErrNoError {
			err = res[0].Error
		}
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		md, err := a.GetMetadata(nil, true, 10000)
		if _, ok := md.Topics["admin-create"]; err != nil || ok {
			t.Fatalf("after delete: %v, listed %v", err, ok)
		}
	})
	check.Check(t, 1, "a produce to a new topic auto-creates it", func(t *check.T) {
		topic := "admin-auto"
		p := newProducer(t, addr, nil)
		if err := produce(p, &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Value: []byte("v")}); err != nil {
			t.Fatalf("produce: %v", err)
		}
		md, err := newAdmin(t, addr).GetMetadata(&topic, false, 10000)
		if err != nil || len(md.Topics[topic].Partitions) != 1 {
			t.Fatalf("auto-created topic: %v %+v", err, md.Topics[topic])
		}
	})
}

var codecs = []string{"none", "gzip", "snappy", "lz4", "zstd"}

func TestProduce(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	for _, acks := range []string{"0", "1", "all"} {
		for _, codec := range codecs {
			check.Check(t, 2, fmt.Sprintf("produce acks=%s codec=%s", acks, codec), func(t *check.T) {
				topic := fmt.Sprintf("produce-%s-%s", acks, codec)
				createTopic(t, addr, topic, 1, nil)
				want := check.StandardRecords(check.Base())
				p := newProducer(t, addr, kafka.ConfigMap{"acks": acks, "compression.type": codec})
				if err := produce(p, toConfluent(topic, want)...); err != nil {
					t.Fatalf("produce: %v", err)
				}
				got := consume(t, addr, topic, kafka.OffsetBeginning, len(want))
				if err := check.Compare(fromConfluent(got), want); err != nil {
					t.Fatalf("%v", err)
				}
				for i, m := range got {
					if m.TopicPartition.Offset != kafka.Offset(i) {
						t.Fatalf("record %d at offset %v", i, m.TopicPartition.Offset)
					}
				}
			})
		}
	}
	check.Check(t, 2, "idempotent producer (enable.idempotence) writes every record once, in order, with a producer id", func(t *check.T) {
		// librdkafka's idempotent producer asks for a producer id with
		// InitProducerId and numbers its batches. Several rounds, each
		// delivered before the next, make several batches.
		topic := "produce-idempotent"
		createTopic(t, addr, topic, 1, nil)
		p := newProducer(t, addr, kafka.ConfigMap{"enable.idempotence": true})
		var want []check.Rec
		for _, round := range check.IdempotentRecords(check.Base()) {
			if err := produce(p, toConfluent(topic, round)...); err != nil {
				t.Fatalf("produce: %v", err)
			}
			want = append(want, round...)
		}
		got := consume(t, addr, topic, kafka.OffsetBeginning, len(want))
		if err := check.Compare(fromConfluent(got), want); err != nil {
			t.Fatalf("%v", err)
		}
		for i, m := range got {
			if m.TopicPartition.Offset != kafka.Offset(i) {
				t.Fatalf("record %d at offset %v", i, m.TopicPartition.Offset)
			}
		}
		_, high, err := newConsumer(t, addr).QueryWatermarkOffsets(topic, 0, 10000)
		if err != nil || high != int64(len(want)) {
			t.Fatalf("end offset %d (%v), want %d", high, err, len(want))
		}
		// librdkafka's messages do not show a batch's producer id: read
		// the batch headers with raw fetches.
		batches, err := check.BatchesWithFranz(addr, topic)
		if err == nil {
			err = check.CheckIdempotentBatches(batches, len(want))
		}
		if err != nil {
			t.Fatalf("stored batches: %v", err)
		}
	})
	// No refusal check: librdkafka takes INVALID_REQUEST to InitProducerId
	// as retriable and asks again every 500 ms until InitTransactions
	// times out.
	check.NotApplicable(2, "transactional produce",
		"Fjord does not implement transactions yet: InitProducerId with a transactional id is refused with INVALID_REQUEST, which librdkafka retries until InitTransactions times out")
}

func TestConsume(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	topic := "consume"
	var want []check.Rec
	setup := func(t *check.T) {
		if want != nil {
			return
		}
		createTopic(t, addr, topic, 1, nil)
		recs := check.StandardRecords(check.Base())
		if err := produce(newProducer(t, addr, nil), toConfluent(topic, recs)...); err != nil {
			t.Fatalf("produce: %v", err)
		}
		want = recs
	}
	check.Check(t, 3, "consume from earliest", func(t *check.T) {
		setup(t)
		if err := check.Compare(fromConfluent(consume(t, addr, topic, kafka.OffsetBeginning, len(want))), want); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from an offset", func(t *check.T) {
		setup(t)
		if err := check.Compare(fromConfluent(consume(t, addr, topic, 3, len(want)-3)), want[3:]); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from a timestamp", func(t *check.T) {
		setup(t)
		c := newConsumer(t, addr)
		tps, err := c.OffsetsForTimes([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: kafka.Offset(want[4].Timestamp.UnixMilli())}}, 10000)
		if err != nil || tps[0].Offset != 4 {
			t.Fatalf("offsets for times: %v %+v, want 4", err, tps)
		}
		if err := check.Compare(fromConfluent(consume(t, addr, topic, tps[0].Offset, len(want)-4)), want[4:]); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from latest", func(t *check.T) {
		setup(t)
		c := newConsumer(t, addr)
		if err := c.Assign([]kafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: kafka.OffsetEnd}}); err != nil {
			t.Fatalf("assign: %v", err)
		}
		p := newProducer(t, addr, nil)
		check.LatestMarkers(t, func(marker string) error {
			return produce(p, &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: 0}, Value: []byte(marker)})
		}, func(ctx context.Context) ([]string, error) {
			var vals []string
			for ctx.Err() == nil {
				m, err := c.ReadMessage(50 * time.Millisecond)
				if err != nil {
					if err.(kafka.Error).Code() == kafka.ErrTimedOut {
						continue
					}
					return vals, err
				}
				vals = append(vals, string(m.Value))
			}
			return vals, nil
		})
	})
}

func TestConfigsGroupsOffsets(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	describe := func(t *check.T, typ kafka.ResourceType, name string) map[string]kafka.ConfigEntryResult {
		ctx, cancel := timeout()
		defer cancel()
		res, err := newAdmin(t, addr).DescribeConfigs(ctx, []kafka.ConfigResource{{Type: typ, Name: name}})
		if err == nil && res[0].Error.Code() != kafka.ErrNoError {
			err = res[0].Error
		}
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		return res[0].Config
	}
	check.Check(t, 5, "describe topic configs", func(t *check.T) {
		createTopic(t, addr, "configs", 1, map[string]string{"retention.ms": "3600000"})
		c := describe(t, kafka.ResourceTopic, "configs")
		if e := c["retention.ms"]; e.Value != "3600000" || e.Source != kafka.ConfigSourceDynamicTopic {
			t.Fatalf("retention.ms %+v", e)
		}
		if e := c["cleanup.policy"]; e.Value != "delete" || e.Source != kafka.ConfigSourceDefault {
			t.Fatalf("cleanup.policy %+v", e)
		}
	})
	alter := func(t *check.T, incremental bool, entries ...kafka.ConfigEntry) {
		ctx, cancel := timeout()
		defer cancel()
		a := newAdmin(t, addr)
		rs := []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: "configs", Config: entries}}
		var res []kafka.ConfigResourceResult
		var err error
		if incremental {
			res, err = a.IncrementalAlterConfigs(ctx, rs)
		} else {
			res, err = a.AlterConfigs(ctx, rs)
		}
		if err == nil && res[0].Error.Code() != kafka.ErrNoError {
			err = res[0].Error
		}
		if err != nil {
			t.Fatalf("alter: %v", err)
		}
	}
	check.Check(t, 5, "alter topic configs (AlterConfigs)", func(t *check.T) {
		alter(t, false, kafka.ConfigEntry{Name: "segment.bytes", Value: "1048576", Operation: kafka.AlterOperationSet})
		c := describe(t, kafka.ResourceTopic, "configs")
		if e := c["segment.bytes"]; e.Value != "1048576" || e.Source != kafka.ConfigSourceDynamicTopic {
			t.Fatalf("segment.bytes %+v", e)
		}
		if e := c["retention.ms"]; e.Source == kafka.ConfigSourceDynamicTopic {
			t.Fatalf("retention.ms still set: AlterConfigs replaces the whole set (%+v)", e)
		}
	})
	check.Check(t, 5, "alter topic configs (IncrementalAlterConfigs)", func(t *check.T) {
		alter(t, true,
			kafka.ConfigEntry{Name: "retention.ms", Value: "7200000", IncrementalOperation: kafka.AlterConfigOpTypeSet},
			kafka.ConfigEntry{Name: "segment.bytes", IncrementalOperation: kafka.AlterConfigOpTypeDelete})
		c := describe(t, kafka.ResourceTopic, "configs")
		if e := c["retention.ms"]; e.Value != "7200000" || e.Source != kafka.ConfigSourceDynamicTopic {
			t.Fatalf("retention.ms %+v", e)
		}
		if e := c["segment.bytes"]; e.Source == kafka.ConfigSourceDynamicTopic {
			t.Fatalf("segment.bytes not deleted: %+v", e)
		}
	})
	check.Check(t, 5, "describe broker configs", func(t *check.T) {
		if e := describe(t, kafka.ResourceBroker, "1")["auto.create.topics.enable"]; e.Value != "true" {
			t.Fatalf("auto.create.topics.enable %+v", e)
		}
	})

	const group = "admin-group"
	topic := "group-topic"
	describeGroup := func(t *check.T) kafka.ConsumerGroupDescription {
		ctx, cancel := timeout()
		defer cancel()
		res, err := newAdmin(t, addr).DescribeConsumerGroups(ctx, []string{group})
		if err == nil && res.ConsumerGroupDescriptions[0].Error.Code() != kafka.ErrNoError {
			err = res.ConsumerGroupDescriptions[0].Error
		}
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		return res.ConsumerGroupDescriptions[0]
	}
	check.Check(t, 5, "describe a group with a member", func(t *check.T) {
		createTopic(t, addr, topic, 2, nil)
		if err := produce(newProducer(t, addr, nil), &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: 0}, Value: []byte("a")}); err != nil {
			t.Fatalf("produce: %v", err)
		}
		c, err := kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": addr, "group.id": group, "client.id": "describer",
			"auto.offset.reset": "earliest", "enable.auto.commit": false})
		if err != nil {
			t.Fatalf("consumer: %v", err)
		}
		defer c.Close()
		if err := c.Subscribe(topic, nil); err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		m, err := c.ReadMessage(30 * time.Second)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if _, err := c.CommitMessage(m); err != nil {
			t.Fatalf("commit: %v", err)
		}
		g := describeGroup(t)
		if g.State != kafka.ConsumerGroupStateStable || len(g.Members) != 1 || g.Members[0].ClientID != "describer" ||
			len(g.Members[0].Assignment.TopicPartitions) != 2 {
			t.Fatalf("group %+v", g)
		}
		if err := c.Close(); err != nil { // leaves the group
			t.Fatalf("close: %v", err)
		}
	})
	check.Check(t, 5, "list groups", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		res, err := newAdmin(t, addr).ListConsumerGroups(ctx)
		if err != nil || len(res.Errors) > 0 || !slices.ContainsFunc(res.Valid, func(g kafka.ConsumerGroupListing) bool {
			return g.GroupID == group && g.State == kafka.ConsumerGroupStateEmpty && !g.IsSimpleConsumerGroup
		}) {
			t.Fatalf("groups %+v %v", res, err)
		}
	})
	check.Check(t, 5, "fetch committed offsets", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		res, err := newAdmin(t, addr).ListConsumerGroupOffsets(ctx, []kafka.ConsumerGroupTopicPartitions{
			{Group: group, Partitions: []kafka.TopicPartition{{Topic: &topic, Partition: 0}}}})
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		if ps := res.ConsumerGroupsTopicPartitions[0].Partitions; len(ps) != 1 || ps[0].Offset != 1 || ps[0].Error != nil {
			t.Fatalf("committed %+v", ps)
		}
	})
	check.Check(t, 5, "delete groups", func(t *check.T) {
		a := newAdmin(t, addr)
		ctx, cancel := timeout()
		defer cancel()
		res, err := a.DeleteConsumerGroups(ctx, []string{group})
		if err == nil && res.ConsumerGroupResults[0].Error.Code() != kafka.ErrNoError {
			err = res.ConsumerGroupResults[0].Error
		}
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		res, err = a.DeleteConsumerGroups(ctx, []string{group})
		if err != nil || res.ConsumerGroupResults[0].Error.Code() != kafka.ErrGroupIDNotFound {
			t.Fatalf("deleting again: %v %+v, want GROUP_ID_NOT_FOUND", err, res)
		}
	})
	check.Check(t, 5, "list offsets (earliest, latest, by timestamp, max timestamp)", func(t *check.T) {
		topic := "offsets"
		createTopic(t, addr, topic, 1, nil)
		want := check.StandardRecords(check.Base())
		if err := produce(newProducer(t, addr, nil), toConfluent(topic, want)...); err != nil {
			t.Fatalf("produce: %v", err)
		}
		a := newAdmin(t, addr)
		for _, c := range []struct {
			name string
			spec kafka.OffsetSpec
			want kafka.Offset
		}{
			{"earliest", kafka.EarliestOffsetSpec, 0},
			{"latest", kafka.LatestOffsetSpec, kafka.Offset(len(want))},
			{"by timestamp", kafka.NewOffsetSpecForTimestamp(want[5].Timestamp.UnixMilli() - 1), 5},
			{"max timestamp", kafka.MaxTimestampOffsetSpec, kafka.Offset(len(want) - 1)},
		} {
			ctx, cancel := timeout()
			res, err := a.ListOffsets(ctx, map[kafka.TopicPartition]kafka.OffsetSpec{{Topic: &topic, Partition: 0}: c.spec})
			cancel()
			if err != nil || len(res.ResultInfos) != 1 {
				t.Fatalf("%s: %v %+v", c.name, err, res)
			}
			for _, info := range res.ResultInfos {
				if info.Error.Code() != kafka.ErrNoError || info.Offset != c.want {
					t.Fatalf("%s: %v (%v), want %v", c.name, info.Offset, info.Error, c.want)
				}
			}
		}
		// The consumer's watermarks are ListOffsets too.
		low, high, err := newConsumer(t, addr).QueryWatermarkOffsets(topic, 0, 10000)
		if err != nil || low != 0 || high != int64(len(want)) {
			t.Fatalf("watermarks %d %d %v", low, high, err)
		}
	})
}

func TestErrors(t *testing.T) {
	addr, noauto := check.Env(check.EnvBootstrap), check.Env(check.EnvNoAutoBootstrap)
	check.Check(t, 6, "produce to an unknown topic with auto-create off fails (Local: Unknown topic)", func(t *check.T) {
		// librdkafka reports the broker's UNKNOWN_TOPIC_OR_PARTITION in
		// metadata as its local error _UNKNOWN_TOPIC.
		topic := "no-such-topic"
		p := newProducer(t, noauto, kafka.ConfigMap{"topic.metadata.propagation.max.ms": 1000, "message.timeout.ms": 10000})
		err := produce(p, &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Value: []byte("v")})
		if ke, ok := err.(kafka.Error); !ok || (ke.Code() != kafka.ErrUnknownTopic && ke.Code() != kafka.ErrUnknownTopicOrPart) {
			t.Fatalf("produce: %v, want an unknown topic error", err)
		}
		md, err := newAdmin(t, noauto).GetMetadata(nil, true, 10000)
		if _, ok := md.Topics[topic]; err != nil || ok {
			t.Fatalf("topic created anyway (%v)", err)
		}
	})
	check.Check(t, 6, "metadata for an unknown topic with auto-create off", func(t *check.T) {
		topic := "no-such-topic"
		md, err := newAdmin(t, noauto).GetMetadata(&topic, false, 10000)
		if err != nil || md.Topics[topic].Error.Code() != kafka.ErrUnknownTopicOrPart {
			t.Fatalf("metadata: %v %+v, want UNKNOWN_TOPIC_OR_PARTITION", err, md.Topics[topic])
		}
	})
	check.Check(t, 6, "a record over max.message.bytes fails with MESSAGE_TOO_LARGE", func(t *check.T) {
		topic := "too-large"
		createTopic(t, addr, topic, 1, map[string]string{"max.message.bytes": "1024"})
		p := newProducer(t, addr, nil)
		err := produce(p, &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: 0}, Value: []byte(check.Incompressible(4096))})
		if ke, ok := err.(kafka.Error); !ok || ke.Code() != kafka.ErrMsgSizeTooLarge {
			t.Fatalf("produce: %v, want MESSAGE_TOO_LARGE", err)
		}
		if err := produce(p, &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: 0}, Value: []byte("small")}); err != nil {
			t.Fatalf("a small record after: %v", err)
		}
	})
	check.Check(t, 6, "acks=2 fails with INVALID_REQUIRED_ACKS", func(t *check.T) {
		topic := "bad-acks"
		createTopic(t, addr, topic, 1, nil)
		p := newProducer(t, addr, kafka.ConfigMap{"acks": 2, "message.timeout.ms": 10000})
		err := produce(p, &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: 0}, Value: []byte("v")})
		if ke, ok := err.(kafka.Error); !ok || ke.Code() != kafka.ErrInvalidRequiredAcks {
			t.Fatalf("produce: %v, want INVALID_REQUIRED_ACKS", err)
		}
	})
}
