package group

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/replica"
	"github.com/fjordlabs/fjord/internal/storage"
)

// node is a broker's storage, partitions and group coordinator, without
// the network: enough to drive the runtime against real logs.
type node struct {
	t        *testing.T
	dir      string
	logs     *storage.Manager
	replicas *replica.Manager
	groups   *Coordinator
	minSnap  int64
}

func startNode(t *testing.T, dir string, minSnap int64) *node {
	t.Helper()
	n := openNode(t, dir, minSnap, nil)
	n.groups.loads.Wait()
	return n
}

// openNode is startNode without waiting for loads; loadHook, if set, runs
// as each load begins.
func openNode(t *testing.T, dir string, minSnap int64, loadHook func(int32)) *node {
	t.Helper()
	n := &node{t: t, dir: dir, minSnap: minSnap}
	cfg := config.Defaults()
	var err error
	n.logs, err = storage.OpenManager(storage.ManagerOptions{Dirs: []string{dir}, Logger: slog.New(slog.DiscardHandler),
		Config: func(string) storage.Config { return replica.StorageConfig(cfg.TopicDefaults(), cfg) }})
	if err != nil {
		t.Fatal(err)
	}
	n.replicas = replica.NewManager(replica.Options{NodeID: 1, Logs: n.logs, Config: func() *config.Broker { return cfg },
		Logger: slog.New(slog.DiscardHandler)})
	n.groups = New(Options{NodeID: 1, Replicas: n.replicas, Config: func() *config.Broker { return cfg },
		Logger: slog.New(slog.DiscardHandler), SnapshotMinRecords: minSnap})
	n.groups.loadHook = loadHook
	// The metadata of a one-partition __consumer_offsets, as a fresh
	// subscriber sees it.
	d := metadata.NewDelta(metadata.Empty)
	id := metadata.UUID{1}
	compact := "compact"
	for i, r := range []metadata.Record{
		&metadata.TopicRecord{Name: OffsetsTopic, TopicID: id},
		&metadata.PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1},
		&metadata.ConfigRecord{ResourceType: metadata.ResourceTopic, ResourceName: OffsetsTopic, Name: "cleanup.policy", Value: &compact},
	} {
		if err := d.Replay(int64(i), r); err != nil {
			t.Fatal(err)
		}
	}
	im := d.Apply()
	n.replicas.OnMetadata(d, im)
	n.groups.OnMetadata(d, im)
	return n
}

func (n *node) stop() {
	n.groups.Close()
	if err := n.logs.Close(); err != nil {
		n.t.Fatal(err)
	}
}

func (n *node) log() *storage.Log {
	p, _ := n.replicas.Partition(storage.TopicPartition{Topic: OffsetsTopic, Partition: 0})
	return p.Log
}

func (n *node) commit(group string, offsets ...int64) {
	n.t.Helper()
	r := kmsg.NewPtrOffsetCommitRequest()
	r.Group, r.Generation = group, -1
	t := kmsg.NewOffsetCommitRequestTopic()
	t.Topic = "t"
	for i, o := range offsets {
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset = int32(i), o
		t.Partitions = append(t.Partitions, p)
	}
	r.Topics = []kmsg.OffsetCommitRequestTopic{t}
	resp := n.groups.OffsetCommit(context.Background(), Request{Version: 9}, r)
	for _, p := range resp.Topics[0].Partitions {
		if p.ErrorCode != 0 {
			n.t.Fatalf("commit: partition %d code %d", p.Partition, p.ErrorCode)
		}
	}
}

func (n *node) fetch(group string, parts int) []int64 {
	t := kmsg.NewOffsetFetchRequestGroupTopic()
	t.Topic = "t"
	for i := range parts {
		t.Partitions = append(t.Partitions, int32(i))
	}
	g := n.groups.OffsetFetch(context.Background(), Request{Version: 9}, group, []kmsg.OffsetFetchRequestGroupTopic{t}, false)
	if g.ErrorCode != 0 {
		n.t.Fatalf("fetch: code %d", g.ErrorCode)
	}
	var out []int64
	for _, p := range g.Topics[0].Partitions {
		out = append(out, p.Offset)
	}
	return out
}

func TestSnapshotsBoundWhatALoadReads(t *testing.T) {
	dir := t.TempDir()
	const minSnap = 50
	n := startNode(t, dir, minSnap)
	groups := []string{"a", "b", "c"}
	want := map[string][]int64{}
	for i := range 400 {
		g := groups[i%len(groups)]
		offs := []int64{int64(i), int64(i + 1), int64(i + 2), int64(i + 3)}
		n.commit(g, offs...)
		want[g] = offs
		// The log never holds more than the live state, the larger of
		// minSnap and the live state again, and one commit's records.
		l := n.log()
		live := int64(3 * 4)
		if span := l.LogEndOffset() - l.LogStartOffset(); span > live+max(minSnap, live)+4 {
			t.Fatalf("after commit %d the log spans %d records", i, span)
		}
	}
	if n.log().LogStartOffset() == 0 {
		t.Fatal("no snapshot trimmed the log")
	}
	n.stop()

	// A restart loads the snapshot and the tail, and finds every offset.
	n = startNode(t, dir, minSnap)
	defer n.stop()
	l := n.log()
	if span := l.LogEndOffset() - l.LogStartOffset(); span > 12+minSnap+4 {
		t.Fatalf("a load reads %d records", span)
	}
	for _, g := range groups {
		if got := n.fetch(g, 4); !slices.Equal(got, want[g]) {
			t.Fatalf("group %s: %v, want %v", g, got, want[g])
		}
	}
}

func TestDeletedGroupStaysDeletedAcrossSnapshotsAndRestarts(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, 10)
	n.commit("gone", 1, 2)
	n.commit("kept", 3)
	out := n.groups.DeleteGroups(context.Background(), Request{Version: 2}, []string{"gone"})
	if out[0].ErrorCode != 0 {
		t.Fatalf("delete: %d", out[0].ErrorCode)
	}
	for i := range 30 { // enough writes for snapshots
		n.commit("kept", int64(i))
	}
	n.stop()
	n = startNode(t, dir, 10)
	defer n.stop()
	if got := n.fetch("gone", 2); !slices.Equal(got, []int64{-1, -1}) {
		t.Fatalf("deleted group's offsets came back: %v", got)
	}
	if got := n.fetch("kept", 1); got[0] != 29 {
		t.Fatalf("kept: %v", got)
	}
	d := n.groups.DescribeGroups(context.Background(), Request{Version: 5}, []string{"gone"})
	if d[0].State != "Dead" {
		t.Fatalf("deleted group is %s", d[0].State)
	}
}

func TestRequestsToAnUnknownPartitionAreNotCoordinator(t *testing.T) {
	c := New(Options{NodeID: 1, Config: func() *config.Broker { return config.Defaults() }})
	r := kmsg.NewPtrHeartbeatRequest()
	r.Group = "g"
	if got := c.Heartbeat(context.Background(), Request{Version: 4}, r).ErrorCode; got != codeNotCoordinator {
		t.Fatalf("heartbeat before __consumer_offsets exists: %d", got)
	}
	c.Close()
	if got := c.Heartbeat(context.Background(), Request{Version: 4}, r).ErrorCode; got != codeCoordinatorNotAvail {
		t.Fatalf("heartbeat after close: %d", got)
	}
}

func TestRequestsWhileLoadingAreToldToRetry(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, 100)
	n.commit("g", 7)
	n.stop()

	release := make(chan struct{})
	n = openNode(t, dir, 100, func(int32) { <-release })
	defer n.stop()
	ctx := context.Background()
	t1 := kmsg.NewOffsetFetchRequestGroupTopic()
	t1.Topic, t1.Partitions = "t", []int32{0}
	if g := n.groups.OffsetFetch(ctx, Request{Version: 9}, "g", []kmsg.OffsetFetchRequestGroupTopic{t1}, false); g.ErrorCode != codeLoadInProgress {
		t.Fatalf("fetch while loading: %d", g.ErrorCode)
	}
	j := kmsg.NewPtrJoinGroupRequest()
	j.Group, j.SessionTimeoutMillis, j.ProtocolType = "g", 10000, "consumer"
	j.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 0, 0, 0, 0, 0}}}
	if r := n.groups.JoinGroup(ctx, Request{Version: 9}, j); r.ErrorCode != codeLoadInProgress {
		t.Fatalf("join while loading: %d", r.ErrorCode)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID = "g", "m"
	if r := n.groups.Heartbeat(ctx, Request{Version: 4}, hb); r.ErrorCode != 0 {
		t.Fatalf("heartbeat while loading: %d (Kafka answers no error)", r.ErrorCode)
	}
	if _, code := n.groups.ListGroups(ctx, Request{Version: 5}, nil, nil); code != codeLoadInProgress {
		t.Fatalf("list while loading: %d", code)
	}
	close(release)
	n.groups.loads.Wait()
	if got := n.fetch("g", 1); got[0] != 7 {
		t.Fatalf("after loading: %v", got)
	}
}
