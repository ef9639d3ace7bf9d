package broker_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

// Helpers for the admin API tests. Names are prefixed so they cannot clash
// with other test files of the package.

// adminWait polls cond until it holds, failing the test after a generous
// deadline; describe says what was awaited and what was last seen.
func adminWait(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last: %s", what, last)
		}
		<-tick.C
	}
}

// adminPartitionDirs lists the directories of a topic's partitions in the
// broker's data directory, including ones renamed for deletion.
func adminPartitionDirs(t *testing.T, b *fjordtest.Broker, topic string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(b.Dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(topic) + `-[0-9]+(\.[0-9a-f]+-delete)?$`)
	var out []string
	for _, e := range entries {
		if re.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// adminSegments counts a partition's segment files.
func adminSegments(t *testing.T, b *fjordtest.Broker, topic string, partition int32) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(b.Dir, "data", fmt.Sprintf("%s-%d", topic, partition), "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

func adminCreate(t *testing.T, adm *kadm.Client, topic string, partitions int32, configs map[string]*string) kadm.CreateTopicResponse {
	t.Helper()
	res, err := adm.CreateTopic(fjordtest.Context(t), partitions, 1, configs, topic)
	if err != nil {
		t.Fatalf("create %s: %v (%s)", topic, err, res.ErrMessage)
	}
	return res
}

// adminProduce produces n records with the given value size to a
// partition, each in its own batch, synchronously.
func adminProduce(t *testing.T, cl *kgo.Client, topic string, partition int32, n, size int, ts time.Time) {
	t.Helper()
	for i := range n {
		r := &kgo.Record{Topic: topic, Partition: partition, Value: []byte(strings.Repeat("x", size))}
		if !ts.IsZero() {
			r.Timestamp = ts.Add(time.Duration(i) * time.Second)
		}
		if err := cl.ProduceSync(fjordtest.Context(t), r).FirstErr(); err != nil {
			t.Fatalf("produce to %s[%d]: %v", topic, partition, err)
		}
	}
}

// adminProducer produces uncompressed, so sizes on disk are predictable.
func adminProducer(b *fjordtest.Broker) *kgo.Client {
	return b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
}

// adminClient is an admin client whose cached metadata (kgo keeps it for
// sharded requests such as ListOffsets) expires at once, so a topic
// deleted and recreated is seen as it now is.
func adminClient(b *fjordtest.Broker) *kadm.Client {
	return kadm.NewClient(b.Client(kgo.MetadataMinAge(10 * time.Millisecond)))
}

// adminOffsets asks the broker itself (not through kgo's metadata cache)
// for a partition's start and end offsets.
func adminOffsets(t *testing.T, b *fjordtest.Broker, topic string, partition int32) (start, end int64) {
	t.Helper()
	cl := b.Client()
	get := func(ts int64) int64 {
		req := kmsg.NewPtrListOffsetsRequest()
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = partition, ts
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := cl.Broker(1).Request(fjordtest.Context(t), req)
		if err != nil {
			t.Fatal(err)
		}
		p := resp.(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0]
		if p.ErrorCode != 0 {
			t.Fatalf("offsets of %s[%d]: %v", topic, partition, adminCode(p.ErrorCode))
		}
		return p.Offset
	}
	return get(-2), get(-1)
}

func adminStartOffset(t *testing.T, b *fjordtest.Broker, topic string, partition int32) int64 {
	t.Helper()
	start, _ := adminOffsets(t, b, topic, partition)
	return start
}

func adminEndOffset(t *testing.T, b *fjordtest.Broker, topic string, partition int32) int64 {
	t.Helper()
	_, end := adminOffsets(t, b, topic, partition)
	return end
}

// adminTopicConfigs describes one topic's configs, keyed by name.
func adminTopicConfigs(t *testing.T, adm *kadm.Client, topic string) map[string]kadm.Config {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(fjordtest.Context(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("describe %s: %v %v", topic, err, rc.Err)
	}
	return adminByKey(rc.Configs)
}

func adminByKey(cs []kadm.Config) map[string]kadm.Config {
	out := map[string]kadm.Config{}
	for _, c := range cs {
		out[c.Key] = c
	}
	return out
}

// adminDescribe sends a raw DescribeConfigs for one resource with synonyms
// and documentation.
func adminDescribe(t *testing.T, cl *kgo.Client, typ kmsg.ConfigResourceType, name string, keys ...string) kmsg.DescribeConfigsResponseResource {
	t.Helper()
	req := kmsg.NewPtrDescribeConfigsRequest()
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName, res.ConfigNames = typ, name, keys
	req.Resources = append(req.Resources, res)
	req.IncludeSynonyms, req.IncludeDocumentation = true, true
	// Straight to the broker: kgo routes a BROKER resource to the broker
	// it names and refuses unknown ones itself.
	kresp, err := cl.Broker(1).Request(fjordtest.Context(t), req)
	if err != nil {
		t.Fatal(err)
	}
	resp := kresp.(*kmsg.DescribeConfigsResponse)
	if len(resp.Resources) != 1 {
		t.Fatalf("%d resources in the response", len(resp.Resources))
	}
	return resp.Resources[0]
}

func adminEntry(t *testing.T, r kmsg.DescribeConfigsResponseResource, key string) kmsg.DescribeConfigsResponseResourceConfig {
	t.Helper()
	for _, c := range r.Configs {
		if c.Name == key {
			return c
		}
	}
	t.Fatalf("%s not described (%d configs, error %d)", key, len(r.Configs), r.ErrorCode)
	return kmsg.DescribeConfigsResponseResourceConfig{}
}

func adminSynonyms(c kmsg.DescribeConfigsResponseResourceConfig) string {
	var parts []string
	for _, s := range c.ConfigSynonyms {
		v := "null"
		if s.Value != nil {
			v = *s.Value
		}
		parts = append(parts, fmt.Sprintf("%s=%s(%s)", s.Name, v, s.Source))
	}
	return strings.Join(parts, " ")
}

func adminValue(c kmsg.DescribeConfigsResponseResourceConfig) string {
	if c.Value == nil {
		return "null"
	}
	return *c.Value
}

// adminWantErr checks a per-resource error and, when msg is not empty, its
// message.
func adminWantErr(t *testing.T, what string, got error, gotMsg string, want *kerr.Error, msg string) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Errorf("%s: error %v (%s), want %s", what, got, gotMsg, want.Message)
		return
	}
	if msg != "" && gotMsg != msg {
		t.Errorf("%s: message %q, want %q", what, gotMsg, msg)
	}
}

func adminCode(code int16) error { return kerr.ErrorForCode(code) }

func adminMsg(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func str(s string) *string { return &s }

func adminCfgValue(c kadm.Config) string { return c.MaybeValue() }

func TestCreateTopicsRefusesBadInput(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	ctx := fjordtest.Context(t)
	adminCreate(t, adm, "dotted.name", 1, nil)
	long := strings.Repeat("a", 250)

	cases := []struct {
		name       string
		topic      string
		partitions int32
		rf         int16
		configs    map[string]*string
		want       *kerr.Error
		msg        string
	}{
		{"empty name", "", 1, 1, nil, kerr.InvalidTopicException, "Topic name is invalid: the empty string is not allowed"},
		{"dot", ".", 1, 1, nil, kerr.InvalidTopicException, "Topic name is invalid: '.' is not allowed"},
		{"dot dot", "..", 1, 1, nil, kerr.InvalidTopicException, "Topic name is invalid: '..' is not allowed"},
		{"250 characters", long, 1, 1, nil, kerr.InvalidTopicException,
			"Topic name is invalid: the length of '" + long + "' is longer than the max allowed length 249"},
		{"bad character", "a b", 1, 1, nil, kerr.InvalidTopicException,
			"Topic name is invalid: 'a b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"},
		{"collides on . and _", "dotted_name", 1, 1, nil, kerr.InvalidTopicException, "Topic 'dotted_name' collides with existing topic: dotted.name"},
		{"exists", "dotted.name", 1, 1, nil, kerr.TopicAlreadyExists, "Topic 'dotted.name' already exists."},
		{"zero partitions", "p0", 0, 1, nil, kerr.InvalidPartitions, "Number of partitions was set to an invalid non-positive value."},
		{"negative partitions", "pneg", -5, 1, nil, kerr.InvalidPartitions, "Number of partitions was set to an invalid non-positive value."},
		{"zero replication factor", "rf0", 1, 0, nil, kerr.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value."},
		{"replication factor above brokers", "rf3", 1, 3, nil, kerr.InvalidReplicationFactor,
			"Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered."},
		{"unknown config", "cfg1", 1, 1, map[string]*string{"no.such.config": str("1")}, kerr.InvalidConfig, "Unknown topic config name: no.such.config"},
		{"bad config value", "cfg2", 1, 1, map[string]*string{"retention.ms": str("soon")}, kerr.InvalidConfig,
			"Invalid value soon for configuration retention.ms: Not a number of type LONG"},
		{"null config value", "cfg3", 1, 1, map[string]*string{"retention.ms": nil}, kerr.InvalidConfig, "Null value not supported for topic configs: retention.ms"},
		{"metadata topic", "__cluster_metadata", 1, 1, nil, kerr.InvalidRequest, "Creation of internal topic __cluster_metadata is prohibited."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := adm.CreateTopics(ctx, c.partitions, c.rf, c.configs, c.topic)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := res.On(c.topic, nil)
			adminWantErr(t, c.topic, r.Err, r.ErrMessage, c.want, c.msg)
		})
	}

	// None of the refused topics exists, and the metadata log is untouched.
	md, err := adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := md.Topics.Names(); len(got) != 1 || got[0] != "dotted.name" {
		t.Fatalf("topics after refused creates: %v", got)
	}
}

func TestCreateTopicsRawRequestShapes(t *testing.T) {
	b := fjordtest.Start(t)
	cl := b.Client()
	ctx := fjordtest.Context(t)

	topic := func(name string, partitions int32, rf int16, assignment ...[]int32) kmsg.CreateTopicsRequestTopic {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, partitions, rf
		for p, replicas := range assignment {
			a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
			a.Partition, a.Replicas = int32(p), replicas
			rt.ReplicaAssignment = append(rt.ReplicaAssignment, a)
		}
		return rt
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.Topics = []kmsg.CreateTopicsRequestTopic{
		topic("dup", 1, 1), topic("dup", 1, 1), topic("dup", 1, 1),
		topic("manual-rf", -1, 1, []int32{1}),
		topic("manual-np", 2, -1, []int32{1}),
		topic("manual-empty", -1, -1, []int32{}),
		topic("manual-unknown-broker", -1, -1, []int32{7}),
		topic("manual-twice", -1, -1, []int32{1, 1}),
		topic("manual-ok", -1, -1, []int32{1}, []int32{1}),
	}
	gap := topic("manual-gap", -1, -1, []int32{1})
	gap.ReplicaAssignment[0].Partition = 1
	req.Topics = append(req.Topics, gap)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		err error
		msg string
	}{
		"dup":                   {kerr.InvalidRequest, "Duplicate topic name."},
		"manual-rf":             {kerr.InvalidRequest, "A manual partition assignment was specified, but replication factor was not set to -1."},
		"manual-np":             {kerr.InvalidRequest, "A manual partition assignment was specified, but numPartitions was not set to -1."},
		"manual-empty":          {kerr.InvalidReplicaAssignment, "The manual partition assignment includes an empty replica list."},
		"manual-unknown-broker": {kerr.InvalidReplicaAssignment, "The manual partition assignment includes broker 7, but no such broker is registered."},
		"manual-twice":          {kerr.InvalidReplicaAssignment, "The manual partition assignment includes the broker 1 more than once."},
		"manual-gap":            {kerr.InvalidReplicaAssignment, "partitions should be a consecutive 0-based integer sequence"},
		"manual-ok":             {nil, ""},
	}
	if len(resp.Topics) != len(want) {
		t.Fatalf("%d topics answered, want %d (a duplicate is answered once)", len(resp.Topics), len(want))
	}
	for _, rt := range resp.Topics {
		w := want[rt.Topic]
		if err := adminCode(rt.ErrorCode); !errors.Is(err, w.err) || adminMsg(rt.ErrorMessage) != w.msg {
			t.Errorf("%s: %v %q, want %v %q", rt.Topic, err, adminMsg(rt.ErrorMessage), w.err, w.msg)
		}
		if rt.Topic == "manual-ok" && (rt.NumPartitions != 2 || rt.ReplicationFactor != 1 || rt.TopicID == [16]byte{}) {
			t.Errorf("manual-ok: %d partitions, rf %d, id %x", rt.NumPartitions, rt.ReplicationFactor, rt.TopicID)
		}
	}
}

func TestCreateTopicsValidateOnlyCreatesNothing(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	ctx := fjordtest.Context(t)
	res, err := adm.ValidateCreateTopics(ctx, 3, 1, map[string]*string{"retention.ms": str("1000")}, "planned")
	if err != nil || res.Error() != nil {
		t.Fatalf("validate: %v %v", err, res.Error())
	}
	r, _ := res.On("planned", nil)
	if r.NumPartitions != 3 || adminCfgValue(r.Configs["retention.ms"]) != "1000" {
		t.Fatalf("validate-only answer: %d partitions, retention.ms %q", r.NumPartitions, adminCfgValue(r.Configs["retention.ms"]))
	}
	md, err := adm.Metadata(ctx, "planned")
	if err != nil {
		t.Fatal(err)
	}
	if td := md.Topics["planned"]; !errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("validate-only created the topic: %+v", td)
	}
	if dirs := adminPartitionDirs(t, b, "planned"); len(dirs) != 0 {
		t.Fatalf("validate-only left directories: %v", dirs)
	}
}

func TestCreateTopicsRefusesExcessivelyLargeBatch(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	res, err := adm.CreateTopics(fjordtest.Context(t), 2_000_000_000, 1, nil, "huge")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := res.On("huge", nil)
	adminWantErr(t, "huge", r.Err, r.ErrMessage, kerr.PolicyViolation, "Unable to perform excessively large batch operation.")
}

func TestDeleteTopicRemovesDataConfigsAndAllowsRecreation(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	cl := adminProducer(b)
	ctx := fjordtest.Context(t)

	first := adminCreate(t, adm, "doomed", 2, map[string]*string{"file.delete.delay.ms": str("0"), "retention.ms": str("123456")})
	adminProduce(t, cl, "doomed", 0, 5, 100, time.Time{})
	adminProduce(t, cl, "doomed", 1, 3, 100, time.Time{})
	if dirs := adminPartitionDirs(t, b, "doomed"); len(dirs) != 2 {
		t.Fatalf("partition directories before delete: %v", dirs)
	}

	res, err := adm.DeleteTopics(ctx, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("doomed", nil); r.Err != nil {
		t.Fatalf("delete: %v %s", r.Err, r.ErrMessage)
	}
	adminWait(t, "the partition directories to be removed", func() (bool, string) {
		dirs := adminPartitionDirs(t, b, "doomed")
		return len(dirs) == 0, fmt.Sprint(dirs)
	})
	md, err := adm.Metadata(ctx, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(md.Topics["doomed"].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("metadata after delete: %v", md.Topics["doomed"].Err)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	if rc, _ := rcs.On("doomed", nil); !errors.Is(rc.Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("describe configs after delete: %v", rc.Err)
	}

	// Deleting again: the name is unknown.
	res, err = adm.DeleteTopics(ctx, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := res.On("doomed", nil)
	adminWantErr(t, "second delete", r.Err, r.ErrMessage, kerr.UnknownTopicOrPartition, "")

	// Recreated under the same name: a new ID, an empty log, none of the
	// old overrides.
	second := adminCreate(t, adm, "doomed", 1, nil)
	if second.ID == first.ID {
		t.Fatalf("recreated topic kept ID %s", first.ID)
	}
	if end := adminEndOffset(t, b, "doomed", 0); end != 0 {
		t.Fatalf("recreated topic's log ends at %d", end)
	}
	cfg := adminTopicConfigs(t, adm, "doomed")
	if c := cfg["retention.ms"]; c.Source == kmsg.ConfigSourceDynamicTopicConfig || adminCfgValue(c) == "123456" {
		t.Fatalf("recreated topic inherited retention.ms=%s (%s)", adminCfgValue(c), c.Source)
	}
}

func TestDeleteTopicsByIDAndRequestShapes(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	cl := b.Client()
	ctx := fjordtest.Context(t)
	byID := adminCreate(t, adm, "by-id", 1, nil)
	byName := adminCreate(t, adm, "by-name", 1, nil)
	adminCreate(t, adm, "both-ways", 1, nil)

	ref := func(name *string, id [16]byte) kmsg.DeleteTopicsRequestTopic {
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.Topic, rt.TopicID = name, id
		return rt
	}
	unknownID := [16]byte{1, 2, 3}
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = 30000
	req.Topics = []kmsg.DeleteTopicsRequestTopic{
		ref(nil, byID.ID),
		ref(str("by-name"), [16]byte{}),
		ref(str("twice"), [16]byte{}), ref(str("twice"), [16]byte{}),
		ref(nil, unknownID),
		ref(str("never-was"), [16]byte{}),
		ref(nil, [16]byte{}),
		ref(str("both-ways"), [16]byte{9}),
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Version != 6 {
		t.Fatalf("answered at version %d, want 6", resp.Version)
	}
	type key struct {
		name string
		id   [16]byte
	}
	got := map[key]kmsg.DeleteTopicsResponseTopic{}
	for _, rt := range resp.Topics {
		got[key{adminMsg(rt.Topic), rt.TopicID}] = rt
	}
	want := []struct {
		k   key
		err error
		msg string
	}{
		{key{"by-id", byID.ID}, nil, ""},
		{key{"by-name", byName.ID}, nil, ""},
		{key{"twice", [16]byte{}}, kerr.InvalidRequest, "Duplicate topic name."},
		{key{"", unknownID}, kerr.UnknownTopicID, ""},
		{key{"never-was", [16]byte{}}, kerr.UnknownTopicOrPartition, "This server does not host this topic-partition."},
		{key{"", [16]byte{}}, kerr.InvalidRequest, "Neither topic name nor id were specified."},
		{key{"both-ways", [16]byte{9}}, kerr.InvalidRequest, "You may not specify both topic name and topic id."},
	}
	if len(resp.Topics) != len(want) {
		t.Errorf("%d answers, want %d: %+v", len(resp.Topics), len(want), resp.Topics)
	}
	for _, w := range want {
		rt, ok := got[w.k]
		if !ok {
			t.Errorf("no answer for %q/%x", w.k.name, w.k.id)
			continue
		}
		if err := adminCode(rt.ErrorCode); !errors.Is(err, w.err) || adminMsg(rt.ErrorMessage) != w.msg {
			t.Errorf("%q/%x: %v %q, want %v %q", w.k.name, w.k.id, err, adminMsg(rt.ErrorMessage), w.err, w.msg)
		}
	}
	md, err := adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := md.Topics.Names(); len(names) != 1 || names[0] != "both-ways" {
		t.Fatalf("topics left: %v", names)
	}
}

// adminTopicID looks a topic's ID up in the metadata; the zero ID once the
// topic is gone.
func adminTopicID(t *testing.T, adm *kadm.Client, topic string) [16]byte {
	t.Helper()
	md, err := adm.Metadata(fjordtest.Context(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	return md.Topics[topic].ID
}

func TestDeleteTopicsDisabled(t *testing.T) {
	b := fjordtest.Start(t, "delete.topic.enable=false")
	adm := adminClient(b)
	ctx := fjordtest.Context(t)
	adminCreate(t, adm, "kept", 1, nil)

	res, err := adm.DeleteTopics(ctx, "kept")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := res.On("kept", nil)
	adminWantErr(t, "current version", r.Err, r.ErrMessage, kerr.TopicDeletionDisabled, "")

	// Before v3 Kafka answers INVALID_REQUEST.
	v := kversion.Stable()
	v.SetMaxKeyVersion(int16(kmsg.DeleteTopics), 2)
	old := b.Client(kgo.MaxVersions(v))
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TopicNames = []string{"kept"}
	resp, err := req.RequestWith(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Version != 2 || len(resp.Topics) != 1 || !errors.Is(adminCode(resp.Topics[0].ErrorCode), kerr.InvalidRequest) {
		t.Fatalf("v%d answer: %+v", resp.Version, resp.Topics)
	}
	if id := adminTopicID(t, adm, "kept"); id == [16]byte{} {
		t.Fatal("the topic was deleted")
	}
}

func TestCreatePartitionsGrowsAndRefusesShrinking(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	cl := adminProducer(b)
	ctx := fjordtest.Context(t)
	adminCreate(t, adm, "grow", 1, nil)

	res, err := adm.CreatePartitions(ctx, 2, "grow")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("grow", nil); r.Err != nil {
		t.Fatalf("create partitions: %v %s", r.Err, r.ErrMessage)
	}
	md, err := adm.Metadata(ctx, "grow")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(md.Topics["grow"].Partitions); n != 3 {
		t.Fatalf("%d partitions after adding 2", n)
	}
	for p, pd := range md.Topics["grow"].Partitions {
		if pd.Leader != 1 || len(pd.Replicas) != 1 || pd.Err != nil {
			t.Fatalf("partition %d: %+v", p, pd)
		}
	}
	adminProduce(t, cl, "grow", 2, 4, 10, time.Time{})
	if end := adminEndOffset(t, b, "grow", 2); end != 4 {
		t.Fatalf("new partition ends at %d", end)
	}
	if dirs := adminPartitionDirs(t, b, "grow"); len(dirs) != 3 {
		t.Fatalf("partition directories: %v", dirs)
	}

	for _, c := range []struct {
		set int
		msg string
	}{
		{2, "The topic grow currently has 3 partition(s); 2 would not be an increase."},
		{3, "Topic already has 3 partition(s)."},
	} {
		res, err := adm.UpdatePartitions(ctx, c.set, "grow")
		if err != nil {
			t.Fatal(err)
		}
		r, _ := res.On("grow", nil)
		adminWantErr(t, fmt.Sprintf("set %d", c.set), r.Err, r.ErrMessage, kerr.InvalidPartitions, c.msg)
	}

	// validate_only answers as a real request would and changes nothing.
	res, err = adm.ValidateCreatePartitions(ctx, 5, "grow")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("grow", nil); r.Err != nil {
		t.Fatalf("validate: %v", r.Err)
	}
	res, err = adm.ValidateUpdatePartitions(ctx, 1, "grow")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := res.On("grow", nil)
	adminWantErr(t, "validate shrink", r.Err, r.ErrMessage, kerr.InvalidPartitions, "")
	md, err = adm.Metadata(ctx, "grow")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(md.Topics["grow"].Partitions); n != 3 {
		t.Fatalf("validate-only changed the partition count to %d", n)
	}
}

func TestCreatePartitionsRawRequestShapes(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	cl := b.Client()
	ctx := fjordtest.Context(t)
	adminCreate(t, adm, "cp", 1, nil)

	topic := func(name string, count int32, assignment ...[]int32) kmsg.CreatePartitionsRequestTopic {
		rt := kmsg.NewCreatePartitionsRequestTopic()
		rt.Topic, rt.Count = name, count
		for _, replicas := range assignment {
			a := kmsg.NewCreatePartitionsRequestTopicAssignment()
			a.Replicas = replicas
			rt.Assignment = append(rt.Assignment, a)
		}
		return rt
	}
	send := func(topics ...kmsg.CreatePartitionsRequestTopic) map[string]kmsg.CreatePartitionsResponseTopic {
		t.Helper()
		req := kmsg.NewPtrCreatePartitionsRequest()
		req.TimeoutMillis = 30000
		req.Topics = topics
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]kmsg.CreatePartitionsResponseTopic{}
		for _, rt := range resp.Topics {
			if _, dup := out[rt.Topic]; dup {
				t.Fatalf("%s answered twice", rt.Topic)
			}
			out[rt.Topic] = rt
		}
		return out
	}
	check := func(got map[string]kmsg.CreatePartitionsResponseTopic, topic string, want error, msg string) {
		t.Helper()
		rt := got[topic]
		if err := adminCode(rt.ErrorCode); !errors.Is(err, want) || adminMsg(rt.ErrorMessage) != msg {
			t.Errorf("%s: %v %q, want %v %q", topic, err, adminMsg(rt.ErrorMessage), want, msg)
		}
	}
	got := send(topic("cp", 3, []int32{1}), topic("missing", 2), topic("dup", 2), topic("dup", 3))
	check(got, "cp", kerr.InvalidReplicaAssignment, "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.")
	check(got, "missing", kerr.UnknownTopicOrPartition, "")
	check(got, "dup", kerr.InvalidRequest, "Duplicate topic name.")

	check(send(topic("cp", 2, []int32{4})), "cp", kerr.InvalidReplicaAssignment,
		"The manual partition assignment includes broker 4, but no such broker is registered.")
	check(send(topic("cp", 2, []int32{1, 1})), "cp", kerr.InvalidReplicaAssignment,
		"The manual partition assignment includes the broker 1 more than once.")
	check(send(topic("cp", 2, []int32{})), "cp", kerr.InvalidReplicaAssignment,
		"The manual partition assignment includes an empty replica list.")
	check(send(topic("cp", 20000)), "cp", kerr.PolicyViolation, "Unable to perform excessively large batch operation.")
	check(send(topic("cp", 3, []int32{1}, []int32{1})), "cp", nil, "")

	md, err := adm.Metadata(ctx, "cp")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(md.Topics["cp"].Partitions); n != 3 {
		t.Fatalf("%d partitions, want 3", n)
	}
}

func TestDescribeConfigsTopicAndBroker(t *testing.T) {
	b := fjordtest.Start(t, "num.partitions=2", "log.retention.hours=100")
	adm := adminClient(b)
	cl := b.Client()
	adminCreate(t, adm, "described", -1, map[string]*string{"retention.ms": str("3600000")})

	r := adminDescribe(t, cl, 2, "described")
	if r.ErrorCode != 0 || len(r.Configs) < 30 {
		t.Fatalf("describe topic: error %d, %d configs", r.ErrorCode, len(r.Configs))
	}
	ret := adminEntry(t, r, "retention.ms")
	if adminValue(ret) != "3600000" || ret.Source != kmsg.ConfigSourceDynamicTopicConfig || ret.ReadOnly || ret.ConfigType != kmsg.ConfigTypeLong ||
		adminSynonyms(ret) != "retention.ms=3600000(DYNAMIC_TOPIC_CONFIG) log.retention.hours=100(STATIC_BROKER_CONFIG) log.retention.hours=168(DEFAULT_CONFIG)" ||
		adminMsg(ret.Documentation) == "" {
		t.Fatalf("retention.ms: %s %s type %s synonyms [%s] doc %q", adminValue(ret), ret.Source, ret.ConfigType, adminSynonyms(ret), adminMsg(ret.Documentation))
	}
	seg := adminEntry(t, r, "segment.bytes")
	if adminValue(seg) != "1073741824" || seg.Source != kmsg.ConfigSourceDefaultConfig ||
		adminSynonyms(seg) != "log.segment.bytes=1073741824(DEFAULT_CONFIG)" {
		t.Fatalf("segment.bytes: %s %s [%s]", adminValue(seg), seg.Source, adminSynonyms(seg))
	}

	// Filtering by name; synonyms only when asked for (kadm asks).
	r = adminDescribe(t, cl, 2, "described", "cleanup.policy", "no.such.key")
	if len(r.Configs) != 1 || r.Configs[0].Name != "cleanup.policy" {
		t.Fatalf("filtered describe: %+v", r.Configs)
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = 2, "described"
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(fjordtest.Context(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range resp.Resources[0].Configs {
		if len(c.ConfigSynonyms) > 0 || c.Documentation != nil {
			t.Fatalf("%s: synonyms or documentation sent unasked", c.Name)
		}
	}

	// This broker, by id.
	r = adminDescribe(t, cl, 4, "1")
	if r.ErrorCode != 0 {
		t.Fatalf("describe broker: %v %s", adminCode(r.ErrorCode), adminMsg(r.ErrorMessage))
	}
	np := adminEntry(t, r, "num.partitions")
	if adminValue(np) != "2" || np.Source != kmsg.ConfigSourceStaticBrokerConfig || !np.ReadOnly ||
		adminSynonyms(np) != "num.partitions=2(STATIC_BROKER_CONFIG) num.partitions=1(DEFAULT_CONFIG)" {
		t.Fatalf("num.partitions: %s %s ro=%v [%s]", adminValue(np), np.Source, np.ReadOnly, adminSynonyms(np))
	}
	if lr := adminEntry(t, r, "log.retention.ms"); lr.ReadOnly || lr.Value != nil {
		t.Fatalf("log.retention.ms: %s ro=%v", adminValue(lr), lr.ReadOnly)
	}
	for _, c := range r.Configs {
		if c.Name == "__cluster_metadata" {
			t.Fatal("metadata log listed as a config")
		}
	}
	// The cluster default: nothing set yet.
	if r = adminDescribe(t, cl, 4, ""); r.ErrorCode != 0 || len(r.Configs) != 0 {
		t.Fatalf("cluster defaults: %v %+v", adminCode(r.ErrorCode), r.Configs)
	}

	for _, c := range []struct {
		typ  kmsg.ConfigResourceType
		name string
		want error
		msg  string
	}{
		{2, "nope", kerr.UnknownTopicOrPartition, ""},
		{2, "bad name", kerr.InvalidTopicException, "Topic name is invalid: 'bad name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"},
		{4, "2", kerr.InvalidRequest, "Unexpected broker id, expected 1 or empty string, but received 2"},
		{4, "one", kerr.InvalidRequest, "Broker id must be an integer, but it is: one"},
		{32, "group", kerr.InvalidRequest, "Unsupported resource type: GROUP"},
	} {
		r := adminDescribe(t, cl, c.typ, c.name)
		if err := adminCode(r.ErrorCode); !errors.Is(err, c.want) || adminMsg(r.ErrorMessage) != c.msg || len(r.Configs) != 0 {
			t.Errorf("%d/%q: %v %q (%d configs), want %v %q", c.typ, c.name, err, adminMsg(r.ErrorMessage), len(r.Configs), c.want, c.msg)
		}
	}

	// A resource type Kafka does not know fails the whole request.
	req = kmsg.NewPtrDescribeConfigsRequest()
	for _, typ := range []kmsg.ConfigResourceType{2, 99} {
		res := kmsg.NewDescribeConfigsRequestResource()
		res.ResourceType, res.ResourceName = typ, "described"
		req.Resources = append(req.Resources, res)
	}
	kresp, err := cl.Broker(1).Request(fjordtest.Context(t), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range kresp.(*kmsg.DescribeConfigsResponse).Resources {
		if !errors.Is(adminCode(rr.ErrorCode), kerr.InvalidRequest) || len(rr.Configs) != 0 {
			t.Errorf("type %d: %v with %d configs", rr.ResourceType, adminCode(rr.ErrorCode), len(rr.Configs))
		}
	}
}

func TestIncrementalAlterTopicConfigs(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	ctx := fjordtest.Context(t)
	adminCreate(t, adm, "tuned", 1, nil)

	alter := func(ops ...kadm.AlterConfig) kadm.AlterConfigsResponse {
		t.Helper()
		res, err := adm.AlterTopicConfigs(ctx, ops, "tuned")
		if err != nil {
			t.Fatal(err)
		}
		r, _ := res.On("tuned", nil)
		return r
	}
	set := func(k, v string) kadm.AlterConfig { return kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v} }

	if r := alter(set("retention.ms", "60000"), set("max.message.bytes", "2000")); r.Err != nil {
		t.Fatalf("set: %v %s", r.Err, r.ErrMessage)
	}
	cfg := adminTopicConfigs(t, adm, "tuned")
	if c := cfg["retention.ms"]; adminCfgValue(c) != "60000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("retention.ms after set: %s %s", adminCfgValue(c), c.Source)
	}
	if r := alter(kadm.AlterConfig{Op: kadm.DeleteConfig, Name: "retention.ms"}); r.Err != nil {
		t.Fatalf("delete: %v", r.Err)
	}
	cfg = adminTopicConfigs(t, adm, "tuned")
	if c := cfg["retention.ms"]; adminCfgValue(c) != "604800000" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("retention.ms after delete: %s %s", adminCfgValue(c), c.Source)
	}
	if c := cfg["max.message.bytes"]; adminCfgValue(c) != "2000" {
		t.Fatalf("max.message.bytes lost: %s", adminCfgValue(c))
	}

	// APPEND and SUBTRACT on a list, starting from the default.
	if r := alter(kadm.AlterConfig{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: str("compact")}); r.Err != nil {
		t.Fatalf("append: %v %s", r.Err, r.ErrMessage)
	}
	if v := adminCfgValue(adminTopicConfigs(t, adm, "tuned")["cleanup.policy"]); v != "delete,compact" {
		t.Fatalf("cleanup.policy after append: %q", v)
	}
	if r := alter(kadm.AlterConfig{Op: kadm.SubtractConfig, Name: "cleanup.policy", Value: str("delete")}); r.Err != nil {
		t.Fatalf("subtract: %v %s", r.Err, r.ErrMessage)
	}
	if v := adminCfgValue(adminTopicConfigs(t, adm, "tuned")["cleanup.policy"]); v != "compact" {
		t.Fatalf("cleanup.policy after subtract: %q", v)
	}

	// Refusals leave everything as it was.
	for _, c := range []struct {
		name string
		op   kadm.AlterConfig
		want *kerr.Error
		msg  string
	}{
		{"append to a non-list", kadm.AlterConfig{Op: kadm.AppendConfig, Name: "retention.ms", Value: str("1")}, kerr.InvalidConfig,
			"Can't APPEND to key retention.ms because its type is not LIST."},
		{"subtract from a non-list", kadm.AlterConfig{Op: kadm.SubtractConfig, Name: "retention.ms", Value: str("1")}, kerr.InvalidConfig,
			"Can't SUBTRACT to key retention.ms because its type is not LIST."},
		{"unknown key", set("retention.days", "1"), kerr.InvalidConfig, "Unknown topic config name: retention.days"},
		{"bad value", set("retention.ms", "abc"), kerr.InvalidConfig, "Invalid value abc for configuration retention.ms: Not a number of type LONG"},
		{"out of range", set("min.cleanable.dirty.ratio", "1.5"), kerr.InvalidConfig, ""},
		{"null value", kadm.AlterConfig{Op: kadm.SetConfig, Name: "retention.ms"}, kerr.InvalidRequest, "Null value not supported for : retention.ms"},
		{"key twice", set("retention.ms", "1"), kerr.InvalidRequest, "Error due to duplicate config keys"},
	} {
		ops := []kadm.AlterConfig{c.op}
		if c.name == "key twice" {
			ops = append(ops, c.op)
		}
		r := alter(ops...)
		adminWantErr(t, c.name, r.Err, r.ErrMessage, c.want, c.msg)
	}
	cfg = adminTopicConfigs(t, adm, "tuned")
	if cfg["retention.ms"].Source != kmsg.ConfigSourceDefaultConfig || adminCfgValue(cfg["cleanup.policy"]) != "compact" {
		t.Fatalf("a refused change took effect: retention.ms %s, cleanup.policy %s", cfg["retention.ms"].Source, adminCfgValue(cfg["cleanup.policy"]))
	}

	// validate_only answers and changes nothing.
	res, err := adm.ValidateAlterTopicConfigs(ctx, []kadm.AlterConfig{set("retention.ms", "1000")}, "tuned")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("tuned", nil); r.Err != nil {
		t.Fatalf("validate: %v", r.Err)
	}
	res, err = adm.ValidateAlterTopicConfigs(ctx, []kadm.AlterConfig{set("retention.ms", "x")}, "tuned")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := res.On("tuned", nil)
	adminWantErr(t, "validate bad", r.Err, r.ErrMessage, kerr.InvalidConfig, "")
	if c := adminTopicConfigs(t, adm, "tuned")["retention.ms"]; c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("validate_only changed retention.ms to %s", adminCfgValue(c))
	}

	// An unknown topic is refused after its configs are checked, as Kafka
	// does.
	res, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{set("retention.ms", "1")}, "missing")
	if err != nil {
		t.Fatal(err)
	}
	r, _ = res.On("missing", nil)
	adminWantErr(t, "unknown topic", r.Err, r.ErrMessage, kerr.UnknownTopicOrPartition, "The topic 'missing' does not exist.")
	res, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{set("retention.ms", "x")}, "missing")
	if err != nil {
		t.Fatal(err)
	}
	r, _ = res.On("missing", nil)
	adminWantErr(t, "unknown topic, bad value", r.Err, r.ErrMessage, kerr.InvalidConfig, "")
}

func TestLegacyAlterConfigsReplacesTopicOverrides(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	ctx := fjordtest.Context(t)
	adminCreate(t, adm, "legacy", 1, map[string]*string{"retention.ms": str("60000"), "max.message.bytes": str("2000")})

	res, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "segment.ms", Value: str("100000")}}, "legacy")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("legacy", nil); r.Err != nil {
		t.Fatalf("legacy alter: %v %s", r.Err, r.ErrMessage)
	}
	cfg := adminTopicConfigs(t, adm, "legacy")
	for k, want := range map[string]kmsg.ConfigSource{
		"segment.ms":        kmsg.ConfigSourceDynamicTopicConfig,
		"retention.ms":      kmsg.ConfigSourceDefaultConfig,
		"max.message.bytes": kmsg.ConfigSourceDefaultConfig,
	} {
		if cfg[k].Source != want {
			t.Errorf("%s: %s from %s, want from %s", k, adminCfgValue(cfg[k]), cfg[k].Source, want)
		}
	}
	res, err = adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "segment.ms", Value: str("0")}}, "legacy")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := res.On("legacy", nil)
	adminWantErr(t, "legacy bad value", r.Err, r.ErrMessage, kerr.InvalidConfig, "")
	if v := adminCfgValue(adminTopicConfigs(t, adm, "legacy")["segment.ms"]); v != "100000" {
		t.Fatalf("refused legacy alter changed segment.ms to %s", v)
	}
}

func TestAlterBrokerConfigsBecomeEffective(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	cl := b.Client()
	ctx := fjordtest.Context(t)
	adminCreate(t, adm, "follows-broker", 1, nil)
	set := func(k, v string) kadm.AlterConfig { return kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v} }

	// This broker: log.retention.ms becomes the effective default of
	// every topic without an override.
	res, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{set("log.retention.ms", "7200000")}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("1", nil); r.Err != nil {
		t.Fatalf("alter broker: %v %s", r.Err, r.ErrMessage)
	}
	if got := b.Config().Long("log.retention.ms"); got != 7200000 {
		t.Fatalf("effective log.retention.ms %d", got)
	}
	r := adminDescribe(t, cl, 4, "1", "log.retention.ms")
	if c := adminEntry(t, r, "log.retention.ms"); adminValue(c) != "7200000" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig ||
		adminSynonyms(c) != "log.retention.ms=7200000(DYNAMIC_BROKER_CONFIG) log.retention.hours=168(DEFAULT_CONFIG)" {
		t.Fatalf("broker log.retention.ms: %s %s [%s]", adminValue(c), c.Source, adminSynonyms(c))
	}
	r = adminDescribe(t, cl, 2, "follows-broker", "retention.ms")
	if c := adminEntry(t, r, "retention.ms"); adminValue(c) != "7200000" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig {
		t.Fatalf("topic retention.ms: %s %s [%s]", adminValue(c), c.Source, adminSynonyms(c))
	}

	// The cluster-wide default.
	res, err = adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{set("log.segment.bytes", "2097152")})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("", nil); r.Err != nil {
		t.Fatalf("alter cluster default: %v %s", r.Err, r.ErrMessage)
	}
	r = adminDescribe(t, cl, 4, "")
	if len(r.Configs) != 1 || r.Configs[0].Name != "log.segment.bytes" || adminValue(r.Configs[0]) != "2097152" ||
		r.Configs[0].Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig ||
		adminSynonyms(r.Configs[0]) != "log.segment.bytes=2097152(DYNAMIC_DEFAULT_BROKER_CONFIG)" {
		t.Fatalf("cluster defaults: %+v", r.Configs)
	}
	r = adminDescribe(t, cl, 4, "1", "log.segment.bytes")
	if c := adminEntry(t, r, "log.segment.bytes"); c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig ||
		adminSynonyms(c) != "log.segment.bytes=2097152(DYNAMIC_DEFAULT_BROKER_CONFIG) log.segment.bytes=1073741824(DEFAULT_CONFIG)" {
		t.Fatalf("broker log.segment.bytes: %s [%s]", c.Source, adminSynonyms(c))
	}

	// APPEND on a broker list starts from the default.
	res, err = adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "log.cleanup.policy", Value: str("compact")}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("1", nil); r.Err != nil {
		t.Fatalf("append: %v %s", r.Err, r.ErrMessage)
	}
	if got := b.Config().List("log.cleanup.policy"); strings.Join(got, ",") != "delete,compact" {
		t.Fatalf("log.cleanup.policy %v", got)
	}

	for _, c := range []struct {
		name   string
		broker []int32
		op     kadm.AlterConfig
		want   *kerr.Error
		msg    string
	}{
		{"read-only key", []int32{1}, set("log.dirs", "/tmp/elsewhere"), kerr.InvalidRequest, "Cannot update these configs dynamically: Set(log.dirs)"},
		{"per-broker key as a default", nil, set("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT"), kerr.InvalidRequest,
			"Cannot update these configs at default cluster level, broker id must be specified: Set(listener.security.protocol.map)"},
		{"bad value", []int32{1}, set("log.retention.ms", "later"), kerr.InvalidRequest, "Invalid value later for configuration log.retention.ms: Not a number of type LONG"},
		{"unknown key", []int32{1}, set("no.such.broker.key", "1"), kerr.InvalidConfig, "Unknown broker config name: no.such.broker.key"},
		{"append to a non-list", []int32{1}, kadm.AlterConfig{Op: kadm.AppendConfig, Name: "log.retention.ms", Value: str("1")}, kerr.InvalidConfig,
			"Config value append is not allowed for config key: log.retention.ms"},
	} {
		res, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{c.op}, c.broker...)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			adminWantErr(t, c.name, r.Err, r.ErrMessage, c.want, c.msg)
		}
	}
	// Another broker's id, or no number (sent straight to the broker:
	// kgo routes a BROKER resource to the broker it names).
	for name, msg := range map[string]string{
		"2":   "Unexpected broker id, expected 1, but received 2",
		"one": "Node id must be an integer, but it is: one",
	} {
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		res := kmsg.NewIncrementalAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = 4, name
		rc := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		rc.Name, rc.Value = "log.retention.ms", str("1")
		res.Configs = append(res.Configs, rc)
		req.Resources = append(req.Resources, res)
		kresp, err := cl.Broker(1).Request(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		rr := kresp.(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
		adminWantErr(t, "broker "+name, adminCode(rr.ErrorCode), adminMsg(rr.ErrorMessage), kerr.InvalidRequest, msg)
	}
	if got := b.Config().Long("log.retention.ms"); got != 7200000 {
		t.Fatalf("a refused change took effect: log.retention.ms %d", got)
	}

	// validate_only, then DELETE: back to the static/default value.
	res, err = adm.ValidateAlterBrokerConfigs(ctx, []kadm.AlterConfig{set("log.retention.ms", "1000")}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("1", nil); r.Err != nil || b.Config().Long("log.retention.ms") != 7200000 {
		t.Fatalf("validate: %v, effective %d", r.Err, b.Config().Long("log.retention.ms"))
	}
	res, err = adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "log.retention.ms"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.On("1", nil); r.Err != nil || b.Config().HasValue("log.retention.ms") {
		t.Fatalf("delete: %v, still set: %v", r.Err, b.Config().HasValue("log.retention.ms"))
	}
}

func TestRetentionAndSegmentChangesReachTheLiveLog(t *testing.T) {
	b := fjordtest.Start(t, "log.retention.check.interval.ms=50")
	adm := adminClient(b)
	cl := adminProducer(b)
	ctx := fjordtest.Context(t)

	// Batches two days old, one segment each (segment.ms rolls on the
	// batches' timestamps). The default retention keeps them.
	adminCreate(t, adm, "aging", 1, map[string]*string{"segment.ms": str("100")})
	adminProduce(t, cl, "aging", 0, 5, 10, time.Now().Add(-48*time.Hour))
	if n := adminSegments(t, b, "aging", 0); n != 5 {
		t.Fatalf("%d segments, want 5", n)
	}
	if start := adminStartOffset(t, b, "aging", 0); start != 0 {
		t.Fatalf("retention ran early: start %d", start)
	}
	res, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: str("86400000")}}, "aging")
	if err != nil || res[0].Err != nil {
		t.Fatalf("alter retention.ms: %v %v", err, res)
	}
	// Every closed segment is past a day; the active one stays.
	adminWait(t, "retention to delete the closed segments", func() (bool, string) {
		start := adminStartOffset(t, b, "aging", 0)
		return start == 4, fmt.Sprintf("start offset %d", start)
	})

	// segment.bytes: 700 KB in one segment, then a smaller limit rolls the
	// next append.
	adminCreate(t, adm, "rolling", 1, nil)
	adminProduce(t, cl, "rolling", 0, 7, 100_000, time.Time{})
	if n := adminSegments(t, b, "rolling", 0); n != 1 {
		t.Fatalf("%d segments before the change", n)
	}
	res, err = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "segment.bytes", Value: str("1048576")}}, "rolling")
	if err != nil || res[0].Err != nil {
		t.Fatalf("alter segment.bytes: %v %v", err, res)
	}
	adminProduce(t, cl, "rolling", 0, 4, 100_000, time.Time{})
	if n := adminSegments(t, b, "rolling", 0); n != 2 {
		t.Fatalf("%d segments after 1.1 MB with segment.bytes=1 MiB, want 2", n)
	}
}

func TestDeleteRecordsMovesTheLogStart(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	cl := adminProducer(b)
	ctx := fjordtest.Context(t)
	adminCreate(t, adm, "trimmed", 2, nil)
	adminProduce(t, cl, "trimmed", 0, 10, 10, time.Time{})
	adminProduce(t, cl, "trimmed", 1, 4, 10, time.Time{})

	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "trimmed", Partition: 0, At: 5})
	os.Add(kadm.Offset{Topic: "trimmed", Partition: 1, At: -1}) // the high watermark
	res, err := adm.DeleteRecords(ctx, os)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[int32]int64{0: 5, 1: 4} {
		r, ok := res.Lookup("trimmed", p)
		if !ok || r.Err != nil || r.LowWatermark != want {
			t.Fatalf("partition %d: %+v, want low watermark %d", p, r, want)
		}
	}
	if start := adminStartOffset(t, b, "trimmed", 0); start != 5 {
		t.Fatalf("start offset %d", start)
	}

	// A consumer from the start begins at the new log start.
	consumer := b.Client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"trimmed": {0: kgo.NewOffset().AtStart()}}))
	var got []int64
	for len(got) < 5 {
		fs := consumer.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %v", got)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
		fs.EachRecord(func(r *kgo.Record) { got = append(got, r.Offset) })
	}
	if got[0] != 5 || got[len(got)-1] != 9 {
		t.Fatalf("consumed offsets %v, want 5..9", got)
	}

	// Moving back is not an error; the start stays.
	os = kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "trimmed", Partition: 0, At: 2})
	res, err = adm.DeleteRecords(ctx, os)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.Lookup("trimmed", 0); r.Err != nil || r.LowWatermark != 5 {
		t.Fatalf("moving back: %+v", r)
	}

	adminCreate(t, adm, "compacted", 1, map[string]*string{"cleanup.policy": str("compact")})
	adminCreate(t, adm, "__transaction_state", 1, nil)
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = 30000
	for topic, parts := range map[string]map[int32]int64{
		"trimmed":             {0: 100, 7: 1},
		"compacted":           {0: 0},
		"__transaction_state": {0: 0},
		"missing":             {0: 0},
	} {
		rt := kmsg.NewDeleteRecordsRequestTopic()
		rt.Topic = topic
		for p, o := range parts {
			rp := kmsg.NewDeleteRecordsRequestTopicPartition()
			rp.Partition, rp.Offset = p, o
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	// Straight to the broker: kgo would shard the request by partition
	// leader and answer the unknown partitions itself.
	kresp, err := cl.Broker(1).Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	resp := kresp.(*kmsg.DeleteRecordsResponse)
	want := map[string]error{
		"trimmed/0":             kerr.OffsetOutOfRange,
		"trimmed/7":             kerr.UnknownTopicOrPartition,
		"compacted/0":           kerr.PolicyViolation,
		"__transaction_state/0": kerr.InvalidTopicException,
		"missing/0":             kerr.UnknownTopicOrPartition,
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			k := fmt.Sprintf("%s/%d", rt.Topic, rp.Partition)
			if err := adminCode(rp.ErrorCode); !errors.Is(err, want[k]) || rp.LowWatermark != -1 {
				t.Errorf("%s: %v low watermark %d, want %v and -1", k, err, rp.LowWatermark, want[k])
			}
			delete(want, k)
		}
	}
	if len(want) != 0 {
		t.Errorf("not answered: %v", want)
	}
}

func TestDescribeLogDirs(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	cl := adminProducer(b)
	ctx := fjordtest.Context(t)
	adminCreate(t, adm, "sized", 2, nil)
	adminCreate(t, adm, "other", 1, nil)
	adminProduce(t, cl, "sized", 1, 3, 1000, time.Time{})

	all, err := adm.DescribeAllLogDirs(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	dirs := all.Sorted()
	wantDir, _ := filepath.Abs(filepath.Join(b.Dir, "data"))
	if len(dirs) != 1 || dirs[0].Dir != wantDir || dirs[0].Err != nil {
		t.Fatalf("log dirs: %+v, want one: %s", dirs, wantDir)
	}
	d := dirs[0]
	if d.TotalBytes <= 0 || d.UsableBytes <= 0 || d.UsableBytes > d.TotalBytes {
		t.Fatalf("total %d usable %d", d.TotalBytes, d.UsableBytes)
	}
	var listed []string
	d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
		listed = append(listed, fmt.Sprintf("%s-%d", p.Topic, p.Partition))
		if p.OffsetLag != 0 || p.IsFuture {
			t.Errorf("%s-%d: lag %d future %v", p.Topic, p.Partition, p.OffsetLag, p.IsFuture)
		}
	})
	slices.Sort(listed)
	if strings.Join(listed, " ") != "other-0 sized-0 sized-1" {
		t.Fatalf("partitions listed: %v (the metadata log must not be)", listed)
	}
	p1, _ := d.Topics.Lookup("sized", 1)
	p0, _ := d.Topics.Lookup("sized", 0)
	if p1.Size < 3000 || p0.Size != 0 {
		t.Fatalf("sizes: sized-0 %d, sized-1 %d", p0.Size, p1.Size)
	}

	// Only what was asked for.
	some, err := adm.DescribeAllLogDirs(ctx, kadm.TopicsSet{"sized": {1: {}}})
	if err != nil {
		t.Fatal(err)
	}
	listed = nil
	some.Each(func(d kadm.DescribedLogDir) {
		d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
			listed = append(listed, fmt.Sprintf("%s-%d", p.Topic, p.Partition))
		})
	})
	if strings.Join(listed, " ") != "sized-1" {
		t.Fatalf("requested sized-1, got %v", listed)
	}

	// Unknown partitions are simply not found (straight to the broker:
	// kgo would refuse them itself), and an empty list asks for nothing.
	for _, topics := range [][]kmsg.DescribeLogDirsRequestTopic{
		{{Topic: "missing", Partitions: []int32{0}}, {Topic: "sized", Partitions: []int32{9}}},
		{},
	} {
		req := kmsg.NewPtrDescribeLogDirsRequest()
		req.Topics = topics
		kresp, err := b.Client().Broker(1).Request(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		resp := kresp.(*kmsg.DescribeLogDirsResponse)
		if len(resp.Dirs) != 1 || resp.Dirs[0].ErrorCode != 0 || len(resp.Dirs[0].Topics) != 0 {
			t.Fatalf("asked for %v: %+v", topics, resp.Dirs)
		}
	}
}

func TestAdminChangesSurviveRestart(t *testing.T) {
	b := fjordtest.Start(t)
	adm := adminClient(b)
	cl := adminProducer(b)
	ctx := fjordtest.Context(t)
	set := func(k, v string) kadm.AlterConfig { return kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v} }

	kept := adminCreate(t, adm, "kept", 1, map[string]*string{"retention.ms": str("86400000")})
	adminCreate(t, adm, "gone", 1, map[string]*string{"file.delete.delay.ms": str("0")})
	if _, err := adm.CreatePartitions(ctx, 2, "kept"); err != nil {
		t.Fatal(err)
	}
	if res, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{set("max.message.bytes", "3000")}, "kept"); err != nil || res[0].Err != nil {
		t.Fatalf("alter topic: %v %v", err, res)
	}
	if res, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{set("log.retention.ms", "5400000")}, 1); err != nil || res[0].Err != nil {
		t.Fatalf("alter broker: %v %v", err, res)
	}
	if res, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{set("log.segment.bytes", "3145728")}); err != nil || res[0].Err != nil {
		t.Fatalf("alter cluster default: %v %v", err, res)
	}
	adminProduce(t, cl, "kept", 0, 10, 10, time.Time{})
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "kept", Partition: 0, At: 6})
	if res, err := adm.DeleteRecords(ctx, os); err != nil || res.Error() != nil {
		t.Fatalf("delete records: %v %v", err, res.Error())
	}
	if res, err := adm.DeleteTopics(ctx, "gone"); err != nil || res.Error() != nil {
		t.Fatalf("delete topic: %v %v", err, res.Error())
	}

	b.Restart()

	md, err := adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := md.Topics.Names(); len(names) != 1 || names[0] != "kept" {
		t.Fatalf("topics after restart: %v", names)
	}
	if td := md.Topics["kept"]; len(td.Partitions) != 3 || td.ID != kept.ID {
		t.Fatalf("kept after restart: %d partitions, id %s (was %s)", len(td.Partitions), td.ID, kept.ID)
	}
	adminWait(t, "the deleted topic's directory to be gone", func() (bool, string) {
		dirs := adminPartitionDirs(t, b, "gone")
		return len(dirs) == 0, fmt.Sprint(dirs)
	})
	cfg := adminTopicConfigs(t, adm, "kept")
	if adminCfgValue(cfg["retention.ms"]) != "86400000" || adminCfgValue(cfg["max.message.bytes"]) != "3000" ||
		adminCfgValue(cfg["segment.bytes"]) != "3145728" || cfg["segment.bytes"].Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Fatalf("topic configs after restart: retention.ms %s, max.message.bytes %s, segment.bytes %s (%s)",
			adminCfgValue(cfg["retention.ms"]), adminCfgValue(cfg["max.message.bytes"]), adminCfgValue(cfg["segment.bytes"]), cfg["segment.bytes"].Source)
	}
	r := adminDescribe(t, b.Client(), 4, "1", "log.retention.ms")
	if c := adminEntry(t, r, "log.retention.ms"); adminValue(c) != "5400000" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig {
		t.Fatalf("broker log.retention.ms after restart: %s %s", adminValue(c), c.Source)
	}
	if got := b.Config().Long("log.retention.ms"); got != 5400000 {
		t.Fatalf("effective log.retention.ms after restart: %d", got)
	}
	if start := adminStartOffset(t, b, "kept", 0); start != 6 {
		t.Fatalf("log start after restart: %d", start)
	}
	if end := adminEndOffset(t, b, "kept", 0); end != 10 {
		t.Fatalf("log end after restart: %d", end)
	}

	// And the deleted name can be reused.
	again := adminCreate(t, adm, "gone", 1, nil)
	if again.ID == [16]byte{} || adminEndOffset(t, b, "gone", 0) != 0 {
		t.Fatalf("recreated after restart: %+v", again)
	}
}

// An auto-created topic is answered in full by the Metadata request that
// created it, so a producer need not ask again.
func TestAutoCreatedTopicIsReadyInTheSameAnswer(t *testing.T) {
	b := fjordtest.Start(t, "num.partitions=2")
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = ptr("fresh")
	req.Topics = append(req.Topics, rt)
	req.AllowAutoTopicCreation = true
	resp := rawRequest(t, b.Addr(), req, 12).(*kmsg.MetadataResponse)
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 || len(resp.Topics[0].Partitions) != 2 {
		t.Fatalf("answer: %+v", resp.Topics)
	}
	for _, p := range resp.Topics[0].Partitions {
		if p.ErrorCode != 0 || p.Leader != 1 {
			t.Fatalf("partition %d: error %d leader %d", p.Partition, p.ErrorCode, p.Leader)
		}
	}
}
