// Package kafkago is the compatibility suite for segmentio/kafka-go: its
// Client for admin requests, Writer, Reader, and (member_test.go) the
// ConsumerGroup API for the runner's scenario 4.
package kafkago

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

func TestMain(m *testing.M) {
	if check.MemberMode() {
		member()
		return
	}
	check.Main(m, "kafka-go", "github.com/segmentio/kafka-go")
}

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// client returns a Client with its own Transport: a Transport answers
// Metadata requests from a cache it refreshes every 6 seconds, so a shared
// one would show topics as they were before a change.
func client(addr string) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second, Transport: &kafka.Transport{}}
}

func createTopic(t *check.T, addr, topic string, partitions int, configs ...kafka.ConfigEntry) {
	ctx, cancel := timeout()
	defer cancel()
	resp, err := client(addr).CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
		{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: configs}}})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

func metadata(t *check.T, addr string, topics ...string) *kafka.MetadataResponse {
	ctx, cancel := timeout()
	defer cancel()
	md, err := client(addr).Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	return md
}

func writer(addr, topic string) *kafka.Writer {
	// Its own Transport, whose metadata cache starts fresh (see client).
	return &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, BatchTimeout: 5 * time.Millisecond, Transport: &kafka.Transport{},
		RequiredAcks: kafka.RequireAll, MaxAttempts: 3, WriteBackoffMin: 50 * time.Millisecond}
}

func write(t *check.T, w *kafka.Writer, msgs ...kafka.Message) {
	defer w.Close()
	ctx, cancel := timeout()
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func toKafka(recs []check.Rec) []kafka.Message {
	out := make([]kafka.Message, len(recs))
	for i, r := range recs {
		m := kafka.Message{Key: r.Key, Value: r.Value, Time: r.Timestamp}
		for _, h := range r.Headers {
			m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: []byte(h.Value)})
		}
		out[i] = m
	}
	return out
}

func fromKafka(msgs []kafka.Message) []check.Rec {
	out := make([]check.Rec, len(msgs))
	for i, m := range msgs {
		r := check.Rec{Key: m.Key, Value: m.Value, Timestamp: m.Time}
		for _, h := range m.Headers {
			r.Headers = append(r.Headers, check.Header{Key: h.Key, Value: string(h.Value)})
		}
		out[i] = r
	}
	return out
}

func reader(addr, topic string) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: 0,
		MaxWait: 100 * time.Millisecond, MaxAttempts: 3})
}

// read reads n messages of partition 0 from offset (or FirstOffset,
// LastOffset).
func read(t *check.T, addr, topic string, offset int64, n int) []kafka.Message {
	r := reader(addr, topic)
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		t.Fatalf("set offset: %v", err)
	}
	return readN(t, r, n)
}

func readN(t *check.T, r *kafka.Reader, n int) []kafka.Message {
	ctx, cancel := timeout()
	defer cancel()
	var out []kafka.Message
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read after %d of %d messages: %v", len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

func TestAdmin(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	check.Check(t, 1, "metadata lists the broker and controller", func(t *check.T) {
		md := metadata(t, addr)
		if len(md.Brokers) != 1 || fmt.Sprintf("%s:%d", md.Brokers[0].Host, md.Brokers[0].Port) != addr {
			t.Fatalf("brokers %v", md.Brokers)
		}
		if md.Controller.ID != md.Brokers[0].ID || md.ClusterID == "" {
			t.Fatalf("controller %v cluster %q", md.Controller, md.ClusterID)
		}
	})
	check.Check(t, 1, "create topic with partitions and configs", func(t *check.T) {
		createTopic(t, addr, "admin-create", 3, kafka.ConfigEntry{ConfigName: "retention.ms", ConfigValue: "3600000"})
		md := metadata(t, addr, "admin-create")
		if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) != 3 {
			t.Fatalf("metadata %+v", md.Topics)
		}
		for _, p := range md.Topics[0].Partitions {
			if p.Leader.ID != 1 || len(p.Replicas) != 1 || len(p.Isr) != 1 {
				t.Fatalf("partition %+v", p)
			}
		}
	})
	check.Check(t, 1, "create an existing topic fails with TOPIC_ALREADY_EXISTS", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
			{Topic: "admin-create", NumPartitions: 1, ReplicationFactor: 1}}})
		if err != nil || !errors.Is(resp.Errors["admin-create"], kafka.TopicAlreadyExists) {
			t.Fatalf("%v %v, want TOPIC_ALREADY_EXISTS", err, resp.Errors)
		}
	})
	check.Check(t, 1, "create partitions", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).CreatePartitions(ctx, &kafka.CreatePartitionsRequest{Topics: []kafka.TopicPartitionsConfig{
			{Name: "admin-create", Count: 5}}})
		if err == nil {
			err = resp.Errors["admin-create"]
		}
		if err != nil {
			t.Fatalf("create partitions: %v", err)
		}
		if md := metadata(t, addr, "admin-create"); len(md.Topics[0].Partitions) != 5 {
			t.Fatalf("%d partitions", len(md.Topics[0].Partitions))
		}
	})
	check.Check(t, 1, "delete topic", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{"admin-create"}})
		if err == nil {
			err = resp.Errors["admin-create"]
		}
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		for _, tp := range metadata(t, addr).Topics {
			if tp.Name == "admin-create" {
				t.Fatalf("still listed")
			}
		}
	})
	check.Check(t, 1, "a new topic is auto-created (DialLeader)", func(t *check.T) {
		// kafka-go's documented way to auto-create a topic.
		ctx, cancel := timeout()
		defer cancel()
		conn, err := kafka.DialLeader(ctx, "tcp", addr, "admin-auto", 0)
		if err != nil {
			t.Fatalf("dial leader: %v", err)
		}
		conn.Close()
		if md := metadata(t, addr, "admin-auto"); md.Topics[0].Error != nil || len(md.Topics[0].Partitions) != 1 {
			t.Fatalf("auto-created topic %+v", md.Topics)
		}
	})
}

var codecs = []struct {
	name  string
	codec kafka.Compression
}{{"none", 0}, {"gzip", kafka.Gzip}, {"snappy", kafka.Snappy}, {"lz4", kafka.Lz4}, {"zstd", kafka.Zstd}}

func TestProduce(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	acks := []struct {
		name string
		acks kafka.RequiredAcks
	}{{"0", kafka.RequireNone}, {"1", kafka.RequireOne}, {"all", kafka.RequireAll}}
	for _, a := range acks {
		for _, c := range codecs {
			check.Check(t, 2, fmt.Sprintf("produce acks=%s codec=%s", a.name, c.name), func(t *check.T) {
				topic := fmt.Sprintf("produce-%s-%s", a.name, c.name)
				createTopic(t, addr, topic, 1)
				want := check.StandardRecords(check.Base())
				w := writer(addr, topic)
				w.RequiredAcks, w.Compression = a.acks, c.codec
				write(t, w, toKafka(want)...)
				got := read(t, addr, topic, kafka.FirstOffset, len(want))
				if err := check.Compare(fromKafka(got), check.EmptyAsNull(want)); err != nil {
					t.Fatalf("%v", err)
				}
				for i, m := range got {
					if m.Offset != int64(i) {
						t.Fatalf("record %d at offset %d", i, m.Offset)
					}
				}
			})
		}
	}
	check.Check(t, 2, "the Writer keeps empty and null values apart (read back with franz-go)", func(t *check.T) {
		want := check.StandardRecords(check.Base())
		createTopic(t, addr, "produce-empty", 1)
		write(t, writer(addr, "produce-empty"), toKafka(want)...)
		got, err := check.ReadWithFranz(addr, "produce-empty", len(want))
		if err != nil {
			t.Fatalf("%v", err)
		}
		if err := check.Compare(got, want); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.NotApplicable(2, "idempotent and transactional produce",
		"kafka-go's Writer has no idempotent or transactional mode: kafka-go has only the raw requests (Client.InitProducerID, AddPartitionsToTxn, EndTxn), no producer that uses them")
}

func TestConsume(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	const topic = "consume"
	var want []check.Rec
	setup := func(t *check.T) {
		if want != nil {
			return
		}
		createTopic(t, addr, topic, 1)
		recs := check.StandardRecords(check.Base())
		write(t, writer(addr, topic), toKafka(recs)...)
		want = recs
	}
	check.NotApplicable(3, "an empty value read back as empty, not null",
		"kafka-go's Reader returns nil for both; the records read are compared with empty keys and values taken as null")
	check.Check(t, 3, "consume from earliest", func(t *check.T) {
		setup(t)
		if err := check.Compare(fromKafka(read(t, addr, topic, kafka.FirstOffset, len(want))), check.EmptyAsNull(want)); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from an offset", func(t *check.T) {
		setup(t)
		if err := check.Compare(fromKafka(read(t, addr, topic, 3, len(want)-3)), check.EmptyAsNull(want[3:])); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from a timestamp", func(t *check.T) {
		setup(t)
		r := reader(addr, topic)
		defer r.Close()
		ctx, cancel := timeout()
		defer cancel()
		if err := r.SetOffsetAt(ctx, want[4].Timestamp); err != nil {
			t.Fatalf("set offset at: %v", err)
		}
		if err := check.Compare(fromKafka(readN(t, r, len(want)-4)), check.EmptyAsNull(want[4:])); err != nil {
			t.Fatalf("%v", err)
		}
	})
	check.Check(t, 3, "consume from latest", func(t *check.T) {
		setup(t)
		r := reader(addr, topic)
		defer r.Close()
		if err := r.SetOffset(kafka.LastOffset); err != nil {
			t.Fatalf("set offset: %v", err)
		}
		w := writer(addr, topic)
		defer w.Close()
		check.LatestMarkers(t, func(marker string) error {
			ctx, cancel := timeout()
			defer cancel()
			return w.WriteMessages(ctx, kafka.Message{Value: []byte(marker)})
		}, func(ctx context.Context) ([]string, error) {
			var vals []string
			for {
				m, err := r.ReadMessage(ctx)
				if errors.Is(err, context.DeadlineExceeded) {
					return vals, nil
				}
				if err != nil {
					return vals, err
				}
				vals = append(vals, string(m.Value))
			}
		})
	})
}

func TestConfigsGroupsOffsets(t *testing.T) {
	addr := check.Env(check.EnvBootstrap)
	describe := func(t *check.T, typ kafka.ResourceType, name string) map[string]kafka.DescribeConfigResponseConfigEntry {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{
			{ResourceType: typ, ResourceName: name}}})
		if err == nil && len(resp.Resources) == 1 {
			err = resp.Resources[0].Error
		}
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		out := map[string]kafka.DescribeConfigResponseConfigEntry{}
		for _, e := range resp.Resources[0].ConfigEntries {
			out[e.ConfigName] = e
		}
		return out
	}
	const dynamicTopic, defaultConfig = 1, 5 // config sources
	check.Check(t, 5, "describe topic configs", func(t *check.T) {
		createTopic(t, addr, "configs", 1, kafka.ConfigEntry{ConfigName: "retention.ms", ConfigValue: "3600000"})
		c := describe(t, kafka.ResourceTypeTopic, "configs")
		if e := c["retention.ms"]; e.ConfigValue != "3600000" || e.ConfigSource != dynamicTopic {
			t.Fatalf("retention.ms %+v", e)
		}
		if e := c["cleanup.policy"]; e.ConfigValue != "delete" || e.ConfigSource != defaultConfig {
			t.Fatalf("cleanup.policy %+v", e)
		}
	})
	check.Check(t, 5, "alter topic configs (AlterConfigs)", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).AlterConfigs(ctx, &kafka.AlterConfigsRequest{Resources: []kafka.AlterConfigRequestResource{
			{ResourceType: kafka.ResourceTypeTopic, ResourceName: "configs", Configs: []kafka.AlterConfigRequestConfig{{Name: "segment.bytes", Value: "1048576"}}}}})
		if err == nil {
			for _, e := range resp.Errors {
				err = errors.Join(err, e)
			}
		}
		if err != nil {
			t.Fatalf("alter: %v", err)
		}
		c := describe(t, kafka.ResourceTypeTopic, "configs")
		if e := c["segment.bytes"]; e.ConfigValue != "1048576" || e.ConfigSource != dynamicTopic {
			t.Fatalf("segment.bytes %+v", e)
		}
		if e := c["retention.ms"]; e.ConfigSource == dynamicTopic {
			t.Fatalf("retention.ms still set: AlterConfigs replaces the whole set (%+v)", e)
		}
	})
	check.Check(t, 5, "alter topic configs (IncrementalAlterConfigs)", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).IncrementalAlterConfigs(ctx, &kafka.IncrementalAlterConfigsRequest{Resources: []kafka.IncrementalAlterConfigsRequestResource{
			{ResourceType: kafka.ResourceTypeTopic, ResourceName: "configs", Configs: []kafka.IncrementalAlterConfigsRequestConfig{
				{Name: "retention.ms", Value: "7200000", ConfigOperation: kafka.ConfigOperationSet},
				{Name: "segment.bytes", ConfigOperation: kafka.ConfigOperationDelete}}}}})
		if err == nil {
			for _, r := range resp.Resources {
				err = errors.Join(err, r.Error)
			}
		}
		if err != nil {
			t.Fatalf("alter: %v", err)
		}
		c := describe(t, kafka.ResourceTypeTopic, "configs")
		if e := c["retention.ms"]; e.ConfigValue != "7200000" || e.ConfigSource != dynamicTopic {
			t.Fatalf("retention.ms %+v", e)
		}
		if e := c["segment.bytes"]; e.ConfigSource == dynamicTopic {
			t.Fatalf("segment.bytes not deleted: %+v", e)
		}
	})
	check.Check(t, 5, "describe broker configs", func(t *check.T) {
		if e := describe(t, kafka.ResourceTypeBroker, "1")["auto.create.topics.enable"]; e.ConfigValue != "true" {
			t.Fatalf("auto.create.topics.enable %+v", e)
		}
	})

	const group, topic = "admin-group", "group-topic"
	describeGroup := func(t *check.T) kafka.DescribeGroupsResponseGroup {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err == nil && len(resp.Groups) == 1 {
			err = resp.Groups[0].Error
		}
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		return resp.Groups[0]
	}
	check.Check(t, 5, "describe a group with a member", func(t *check.T) {
		createTopic(t, addr, topic, 2)
		w := writer(addr, topic)
		w.Balancer = kafka.BalancerFunc(func(kafka.Message, ...int) int { return 0 })
		write(t, w, kafka.Message{Value: []byte("a")})
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: group, Topic: topic,
			Dialer: &kafka.Dialer{ClientID: "describer", Timeout: 10 * time.Second}, MaxWait: 100 * time.Millisecond,
			StartOffset: kafka.FirstOffset, HeartbeatInterval: time.Second, SessionTimeout: 6 * time.Second})
		defer r.Close()
		ctx, cancel := timeout()
		defer cancel()
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatalf("commit: %v", err)
		}
		g := describeGroup(t)
		if g.GroupState != "Stable" || len(g.Members) != 1 || g.Members[0].ClientID != "describer" {
			t.Fatalf("group %+v", g)
		}
		a := g.Members[0].MemberAssignments
		if len(a.Topics) != 1 || a.Topics[0].Topic != topic || len(a.Topics[0].Partitions) != 2 {
			t.Fatalf("assignment %+v", a)
		}
		if err := r.Close(); err != nil { // leaves the group
			t.Fatalf("close: %v", err)
		}
	})
	check.Check(t, 5, "list groups", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).ListGroups(ctx, &kafka.ListGroupsRequest{})
		if err == nil {
			err = resp.Error
		}
		if err != nil || !slices.ContainsFunc(resp.Groups, func(g kafka.ListGroupsResponseGroup) bool {
			return g.GroupID == group && g.ProtocolType == "consumer"
		}) {
			t.Fatalf("groups %+v %v", resp, err)
		}
		if g := describeGroup(t); g.GroupState != "Empty" {
			t.Fatalf("after the member left: %+v", g)
		}
	})
	check.Check(t, 5, "fetch committed offsets", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0, 1}}})
		if err == nil {
			err = resp.Error
		}
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		for _, p := range resp.Topics[topic] {
			if want := map[int]int64{0: 1, 1: -1}[p.Partition]; p.CommittedOffset != want || p.Error != nil {
				t.Fatalf("partition %d committed %d (%v), want %d", p.Partition, p.CommittedOffset, p.Error, want)
			}
		}
	})
	check.Check(t, 5, "delete groups", func(t *check.T) {
		ctx, cancel := timeout()
		defer cancel()
		resp, err := client(addr).DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: []string{group}})
		if err == nil {
			err = resp.Errors[group]
		}
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		resp, err = client(addr).DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: []string{group}})
		if err != nil || !errors.Is(resp.Errors[group], kafka.GroupIdNotFound) {
			t.Fatalf("deleting again: %v %v, want GROUP_ID_NOT_FOUND", err, resp.Errors)
		}
	})
	check.Check(t, 5, "list offsets (earliest, latest, by timestamp)", func(t *check.T) {
		createTopic(t, addr, "offsets", 1)
		want := check.StandardRecords(check.Base())
		write(t, writer(addr, "offsets"), toKafka(want)...)
		ctx, cancel := timeout()
		defer cancel()
		for _, c := range []struct {
			name string
			req  kafka.OffsetRequest
			want int64
		}{
			{"earliest", kafka.FirstOffsetOf(0), 0},
			{"latest", kafka.LastOffsetOf(0), int64(len(want))},
			{"by timestamp", kafka.TimeOffsetOf(0, want[5].Timestamp.Add(-time.Millisecond)), 5},
		} {
			resp, err := client(addr).ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{"offsets": {c.req}}})
			if err != nil || len(resp.Topics["offsets"]) != 1 {
				t.Fatalf("%s: %v %+v", c.name, err, resp)
			}
			p := resp.Topics["offsets"][0]
			got := p.FirstOffset
			switch c.name {
			case "latest":
				got = p.LastOffset
			case "by timestamp":
				got = -1
				for o := range p.Offsets {
					got = o
				}
			}
			if p.Error != nil || got != c.want {
				t.Fatalf("%s: %d (%v), want %d", c.name, got, p.Error, c.want)
			}
		}
	})
}

func TestErrors(t *testing.T) {
	addr, noauto := check.Env(check.EnvBootstrap), check.Env(check.EnvNoAutoBootstrap)
	check.Check(t, 6, "produce to an unknown topic with auto-create off fails with UNKNOWN_TOPIC_OR_PARTITION", func(t *check.T) {
		w := writer(noauto, "no-such-topic")
		w.AllowAutoTopicCreation = true // asked for, but the broker must refuse
		w.MaxAttempts = 1
		defer w.Close()
		ctx, cancel := timeout()
		defer cancel()
		err := w.WriteMessages(ctx, kafka.Message{Value: []byte("v")})
		if !errors.Is(err, kafka.UnknownTopicOrPartition) {
			t.Fatalf("write: %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
		}
		for _, tp := range metadata(t, noauto).Topics {
			if tp.Name == "no-such-topic" {
				t.Fatalf("topic created anyway")
			}
		}
	})
	check.Check(t, 6, "metadata for an unknown topic with auto-create off", func(t *check.T) {
		md := metadata(t, noauto, "no-such-topic")
		if len(md.Topics) != 1 || !errors.Is(md.Topics[0].Error, kafka.UnknownTopicOrPartition) {
			t.Fatalf("metadata %+v, want UNKNOWN_TOPIC_OR_PARTITION", md.Topics)
		}
	})
	check.Check(t, 6, "a record over max.message.bytes fails with MESSAGE_TOO_LARGE", func(t *check.T) {
		createTopic(t, addr, "too-large", 1, kafka.ConfigEntry{ConfigName: "max.message.bytes", ConfigValue: "1024"})
		w := writer(addr, "too-large")
		defer w.Close()
		ctx, cancel := timeout()
		defer cancel()
		err := w.WriteMessages(ctx, kafka.Message{Value: []byte(check.Incompressible(4096))})
		if !isWriteError(err, kafka.MessageSizeTooLarge) {
			t.Fatalf("write: %v, want MESSAGE_TOO_LARGE", err)
		}
		if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("small")}); err != nil {
			t.Fatalf("a small record after: %v", err)
		}
	})
	check.Check(t, 6, "acks=2 fails with INVALID_REQUIRED_ACKS", func(t *check.T) {
		createTopic(t, addr, "bad-acks", 1)
		w := writer(addr, "bad-acks")
		w.RequiredAcks = 2
		w.MaxAttempts = 1
		defer w.Close()
		ctx, cancel := timeout()
		defer cancel()
		if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("v")}); !isWriteError(err, kafka.InvalidRequiredAcks) {
			t.Fatalf("write: %v, want INVALID_REQUIRED_ACKS", err)
		}
	})
}

// isWriteError reports whether err, or one of a Writer's per-message
// errors, is target.
func isWriteError(err error, target error) bool {
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		return slices.ContainsFunc(we, func(e error) bool { return errors.Is(e, target) })
	}
	return errors.Is(err, target)
}
