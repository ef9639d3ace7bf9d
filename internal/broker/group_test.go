package broker_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/fjordlabs/fjord/internal/fjordtest"
	"github.com/fjordlabs/fjord/internal/group"
)

// Helpers for the consumer group tests, prefixed "group" so that they
// cannot clash with other test files of the package.

// groupOverrides make rebalances fast enough for tests: a short initial
// delay and session timeouts down to a second.
var groupOverrides = []string{"group.initial.rebalance.delay.ms=200", "group.min.session.timeout.ms=1000"}

const (
	groupSession   = 3 * time.Second
	groupHeartbeat = 200 * time.Millisecond
)

// groupTracker follows which member owns which partition, from the
// members' own callbacks, and records any partition owned by two members
// at once. Members marked dead (crashed) are ignored from then on.
type groupTracker struct {
	t       *testing.T
	mu      sync.Mutex
	owner   map[int32]string
	dead    map[string]bool
	errs    []string
	changed chan struct{} // closed and replaced on every change
	// consumed counts the records seen per partition and offset.
	consumed map[int32]map[int64]int
}

func newGroupTracker(t *testing.T) *groupTracker {
	return &groupTracker{t: t, owner: map[int32]string{}, dead: map[string]bool{}, changed: make(chan struct{}),
		consumed: map[int32]map[int64]int{}}
}

func (tr *groupTracker) notifyLocked() {
	close(tr.changed)
	tr.changed = make(chan struct{})
}

func (tr *groupTracker) assigned(name string, ps []int32) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.dead[name] {
		return
	}
	for _, p := range ps {
		if o, ok := tr.owner[p]; ok && o != name {
			tr.errs = append(tr.errs, fmt.Sprintf("partition %d assigned to %s while %s owns it", p, name, o))
		}
		tr.owner[p] = name
	}
	tr.notifyLocked()
}

func (tr *groupTracker) released(name string, ps []int32) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.dead[name] {
		return
	}
	for _, p := range ps {
		if tr.owner[p] == name {
			delete(tr.owner, p)
		}
	}
	tr.notifyLocked()
}

// kill forgets a crashed member's partitions: nobody owns them until the
// group reassigns them.
func (tr *groupTracker) kill(name string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.dead[name] = true
	for p, o := range tr.owner {
		if o == name {
			delete(tr.owner, p)
		}
	}
	tr.notifyLocked()
}

func (tr *groupTracker) record(r *kgo.Record) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.consumed[r.Partition] == nil {
		tr.consumed[r.Partition] = map[int64]int{}
	}
	tr.consumed[r.Partition][r.Offset]++
	tr.notifyLocked()
}

// wait blocks until cond holds (checked under the tracker's lock after
// every change), failing after timeout.
func (tr *groupTracker) wait(what string, timeout time.Duration, cond func() bool) {
	tr.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		tr.mu.Lock()
		ok, ch := cond(), tr.changed
		errs := slices.Clone(tr.errs)
		tr.mu.Unlock()
		if len(errs) > 0 {
			tr.t.Fatalf("ownership violated: %v", errs)
		}
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			tr.mu.Lock()
			defer tr.mu.Unlock()
			tr.t.Fatalf("timed out after %v waiting for %s; owners %v", timeout, what, tr.owner)
		}
	}
}

// balanced: every partition is owned, by the given members only, evenly.
func (tr *groupTracker) balanced(partitions int, members ...string) func() bool {
	return func() bool {
		if len(tr.owner) != partitions {
			return false
		}
		count := map[string]int{}
		for _, o := range tr.owner {
			if !slices.Contains(members, o) {
				return false
			}
			count[o]++
		}
		for _, m := range members {
			if count[m] != partitions/len(members) {
				return false
			}
		}
		return true
	}
}

// consumedAll: every offset below n of partitions 0..parts-1 was seen.
func (tr *groupTracker) consumedAll(parts int, n int64) func() bool {
	return func() bool {
		for p := range int32(parts) {
			if int64(len(tr.consumed[p])) < n {
				return false
			}
			for o := range n {
				if tr.consumed[p][o] == 0 {
					return false
				}
			}
		}
		return true
	}
}

// groupCutDialer lets a test sever a client from the broker, as if its
// process died: open connections are closed and new ones refused.
type groupCutDialer struct {
	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

func (d *groupCutDialer) dial(ctx context.Context, network, host string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cut {
		return nil, errors.New("connection cut by the test")
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, host)
	if err == nil {
		d.conns = append(d.conns, c)
	}
	return c, err
}

func (d *groupCutDialer) sever() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cut = true
	for _, c := range d.conns {
		c.Close()
	}
}

// groupMember is one consumer of a test group, polling in the background.
type groupMember struct {
	name   string
	cl     *kgo.Client
	dialer *groupCutDialer
	done   chan struct{}
}

func startGroupMember(t *testing.T, addr, name, groupID, topic string, tr *groupTracker, opts ...kgo.Opt) *groupMember {
	t.Helper()
	m := &groupMember{name: name, dialer: &groupCutDialer{}, done: make(chan struct{})}
	base := []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.ConsumerGroup(groupID),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(groupSession),
		kgo.HeartbeatInterval(groupHeartbeat),
		kgo.RebalanceTimeout(20 * time.Second),
		kgo.Dialer(m.dialer.dial),
		kgo.ClientID(name),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) { tr.assigned(name, a[topic]) }),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, r map[string][]int32) {
			// What the default callback does, then note the release.
			cl.CommitUncommittedOffsets(ctx)
			tr.released(name, r[topic])
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) { tr.released(name, l[topic]) }),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	m.cl = cl
	go func() {
		defer close(m.done)
		for {
			fs := cl.PollFetches(context.Background())
			if fs.IsClientClosed() {
				return
			}
			fs.EachRecord(tr.record)
		}
	}()
	t.Cleanup(m.crash) // idempotent enough: a closed client stays closed
	return m
}

// leave closes the member cleanly: it commits, leaves the group, stops.
func (m *groupMember) leave() {
	m.cl.Close()
	<-m.done
}

// crash cuts the member off without a LeaveGroup, then stops it.
func (m *groupMember) crash() {
	m.dialer.sever()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.cl.LeaveGroupContext(ctx) // do not wait for a leave that cannot happen
	m.cl.Close()
	<-m.done
}

func groupCreateTopic(t *testing.T, b *fjordtest.Broker, topic string, partitions int32) {
	t.Helper()
	if _, err := b.Admin().CreateTopic(fjordtest.Context(t), partitions, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
}

// groupProduce writes n records to each of partitions 0..parts-1.
func groupProduce(t *testing.T, addr, topic string, parts, n int) {
	t.Helper()
	cl := fjordtest.NewClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for p := range parts {
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(p), Value: []byte(fmt.Sprintf("p%d-%d", p, i))})
		}
	}
	if err := cl.ProduceSync(fjordtest.Context(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
}

func TestGroupMembersShareRebalanceAndFailOver(t *testing.T) {
	for _, bal := range []struct {
		name string
		opt  kgo.Opt
	}{
		{"eager-range", kgo.Balancers(kgo.RangeBalancer())},
		{"cooperative-sticky", kgo.Balancers(kgo.CooperativeStickyBalancer())},
	} {
		t.Run(bal.name, func(t *testing.T) {
			b := fjordtest.Start(t, groupOverrides...)
			topic, groupID := "share-"+bal.name, "g-"+bal.name
			groupCreateTopic(t, b, topic, 6)
			tr := newGroupTracker(t)
			c1 := startGroupMember(t, b.Addr(), "c1", groupID, topic, tr, bal.opt)
			c2 := startGroupMember(t, b.Addr(), "c2", groupID, topic, tr, bal.opt)
			c3 := startGroupMember(t, b.Addr(), "c3", groupID, topic, tr, bal.opt)
			tr.wait("3 members with 2 partitions each", 60*time.Second, tr.balanced(6, "c1", "c2", "c3"))
			groupProduce(t, b.Addr(), topic, 6, 10)
			tr.wait("the first records", 60*time.Second, tr.consumedAll(6, 10))

			// A member leaves: its partitions move at once, well within
			// the session timeout.
			start := time.Now()
			c3.leave()
			tr.wait("2 members with 3 partitions each", 60*time.Second, tr.balanced(6, "c1", "c2"))
			if took := time.Since(start); took >= groupSession {
				t.Errorf("rebalance after a leave took %v, not under the session timeout %v", took, groupSession)
			}
			groupProduce(t, b.Addr(), topic, 6, 10)
			tr.wait("records after the leave", 60*time.Second, tr.consumedAll(6, 20))

			// A member dies without leaving: its partitions move once its
			// session has run out.
			start = time.Now()
			c2.crash()
			tr.kill("c2")
			tr.wait("the survivor owning all partitions", 60*time.Second, tr.balanced(6, "c1"))
			took := time.Since(start)
			if took < groupSession-2*groupHeartbeat-200*time.Millisecond {
				t.Errorf("partitions moved %v after the crash, before the session timeout %v", took, groupSession)
			}
			groupProduce(t, b.Addr(), topic, 6, 10)
			tr.wait("records after the crash", 60*time.Second, tr.consumedAll(6, 30))
			c1.leave()
		})
	}
}

// groupCommitted fetches a group's committed offsets of topic by
// partition.
func groupCommitted(t *testing.T, adm *kadm.Client, groupID, topic string) map[int32]int64 {
	t.Helper()
	offs, err := adm.FetchOffsets(fjordtest.Context(t), groupID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

// groupConsumeUntil polls a fresh group consumer until it has n records
// and returns them; opts add to the defaults.
func groupConsumeUntil(t *testing.T, cl *kgo.Client, n int) []*kgo.Record {
	t.Helper()
	ctx := fjordtest.Context(t)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records", len(out), n)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s[%d]: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	return out
}

// groupFirstOffsets is the lowest offset consumed per partition.
func groupFirstOffsets(recs []*kgo.Record) map[int32]int64 {
	out := map[int32]int64{}
	for _, r := range recs {
		if o, ok := out[r.Partition]; !ok || r.Offset < o {
			out[r.Partition] = r.Offset
		}
	}
	return out
}

func groupConsumerOpts(groupID, topic string, extra ...kgo.Opt) []kgo.Opt {
	return append([]kgo.Opt{
		kgo.ConsumerGroup(groupID), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(groupSession), kgo.HeartbeatInterval(groupHeartbeat),
	}, extra...)
}

func TestGroupManualAndAutoCommitResumeAfterCleanRestart(t *testing.T) {
	b := fjordtest.Start(t, groupOverrides...)
	const topic = "resume"
	groupCreateTopic(t, b, topic, 3)
	groupProduce(t, b.Addr(), topic, 3, 20)
	adm := b.Admin()

	// Manual commits: consume everything, commit, leave.
	manual := fjordtest.NewClient(t, b.Addr(), groupConsumerOpts("manual", topic, kgo.DisableAutoCommit())...)
	groupConsumeUntil(t, manual, 60)
	if err := manual.CommitUncommittedOffsets(fjordtest.Context(t)); err != nil {
		t.Fatal(err)
	}
	manual.Close()
	// Auto-commit: consume everything, the commits follow by themselves.
	want := map[int32]int64{0: 20, 1: 20, 2: 20}
	atEnd := make(chan struct{})
	var (
		mu        sync.Mutex
		committed = map[int32]int64{}
		once      sync.Once
	)
	onCommit := func(_ *kgo.Client, req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil || groupCommitError(resp) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, t := range req.Topics { // each commit carries what moved
			for _, p := range t.Partitions {
				committed[p.Partition] = p.Offset
			}
		}
		if mapsEqual(committed, want) {
			once.Do(func() { close(atEnd) })
		}
	}
	auto := fjordtest.NewClient(t, b.Addr(), groupConsumerOpts("auto", topic,
		kgo.AutoCommitInterval(100*time.Millisecond), kgo.AutoCommitCallback(onCommit))...)
	groupConsumeUntil(t, auto, 60)
	// Auto-commit commits what earlier polls returned: poll on (finding
	// nothing new) until the end is committed.
	pollCtx, stopPolling := context.WithCancel(fjordtest.Context(t))
	defer stopPolling()
	go func() {
		<-atEnd
		stopPolling()
	}()
	for pollCtx.Err() == nil {
		auto.PollFetches(pollCtx)
	}
	select {
	case <-atEnd:
	default:
		t.Fatal("auto-commit never reached the end")
	}
	if got := groupCommitted(t, adm, "auto", topic); !mapsEqual(got, want) {
		t.Fatalf("auto commits %v", got)
	}
	auto.Close()
	if got := groupCommitted(t, adm, "manual", topic); !mapsEqual(got, want) {
		t.Fatalf("manual commits %v", got)
	}

	b.Restart()
	groupProduce(t, b.Addr(), topic, 3, 10)
	for _, g := range []string{"manual", "auto"} {
		if got := groupCommitted(t, b.Admin(), g, topic); !mapsEqual(got, want) {
			t.Fatalf("%s: committed offsets after restart %v", g, got)
		}
		cl := fjordtest.NewClient(t, b.Addr(), groupConsumerOpts(g, topic)...)
		recs := groupConsumeUntil(t, cl, 30)
		if first := groupFirstOffsets(recs); !mapsEqual(first, want) {
			t.Fatalf("%s resumed at %v, want the committed %v", g, first, want)
		}
		cl.Close()
	}
}

func mapsEqual(a, b map[int32]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func TestGroupConsumerKeepsGoingAcrossBrokerRestart(t *testing.T) {
	b := fjordtest.Start(t, groupOverrides...)
	const topic = "across"
	groupCreateTopic(t, b, topic, 4)
	tr := newGroupTracker(t)
	m := startGroupMember(t, b.Addr(), "c1", "across", topic, tr, kgo.AutoCommitInterval(100*time.Millisecond))
	tr.wait("the assignment", 60*time.Second, tr.balanced(4, "c1"))
	groupProduce(t, b.Addr(), topic, 4, 25)
	tr.wait("records before the restart", 60*time.Second, tr.consumedAll(4, 25))
	b.Restart()
	groupProduce(t, b.Addr(), topic, 4, 25)
	// Every record is seen; none skipped over the restart.
	tr.wait("records after the restart", 60*time.Second, tr.consumedAll(4, 50))
	m.leave()
}

func TestGroupResumesAfterKill9(t *testing.T) {
	p := fjordtest.StartProcess(t, "", groupOverrides...)
	const topic = "kill9"
	cl := fjordtest.NewClient(t, p.Addr())
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(fjordtest.Context(t), 3, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	groupProduce(t, p.Addr(), topic, 3, 20)
	c := fjordtest.NewClient(t, p.Addr(), groupConsumerOpts("k9", topic, kgo.DisableAutoCommit())...)
	recs := groupConsumeUntil(t, c, 60)
	// Commit a point in the middle of each partition: consumption must
	// resume exactly there.
	want := map[int32]int64{}
	offsets := map[string]map[int32]kgo.EpochOffset{topic: {}}
	for _, r := range recs {
		if r.Offset == 12 {
			offsets[topic][r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: 12}
			want[r.Partition] = 12
		}
	}
	var commitErr error
	c.CommitOffsetsSync(fjordtest.Context(t), offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		commitErr = err
		if err == nil {
			commitErr = groupCommitError(resp)
		}
	})
	if commitErr != nil {
		t.Fatal(commitErr)
	}
	p.Kill9() // the consumer is still a member; the broker dies under it
	c.Close()
	p.Restart()
	groupProduce(t, p.Addr(), topic, 3, 5)
	c2 := fjordtest.NewClient(t, p.Addr(), groupConsumerOpts("k9", topic)...)
	recs = groupConsumeUntil(t, c2, 3*(25-12))
	if first := groupFirstOffsets(recs); !mapsEqual(first, want) {
		t.Fatalf("resumed at %v, want %v", first, want)
	}
	seen := map[int32]map[int64]bool{}
	for _, r := range recs {
		if seen[r.Partition] == nil {
			seen[r.Partition] = map[int64]bool{}
		}
		seen[r.Partition][r.Offset] = true
	}
	for part := range int32(3) {
		for o := int64(12); o < 25; o++ {
			if !seen[part][o] {
				t.Fatalf("partition %d offset %d skipped", part, o)
			}
		}
	}
	c2.Close()
	p.Stop() // and it shuts down cleanly with a group coordinator running
}

func TestGroupAdminListDescribeDeleteAndOffsetDelete(t *testing.T) {
	b := fjordtest.Start(t, groupOverrides...)
	const topic = "admin-groups"
	groupCreateTopic(t, b, topic, 2)
	groupCreateTopic(t, b, "other", 1)
	adm := b.Admin()
	ctx := fjordtest.Context(t)
	tr := newGroupTracker(t)
	m := startGroupMember(t, b.Addr(), "c1", "live", topic, tr)
	tr.wait("the assignment", 60*time.Second, tr.balanced(2, "c1"))

	// A simple group: offsets only.
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: topic, Partition: 0, At: 5})
	os.Add(kadm.Offset{Topic: "other", Partition: 0, At: 7})
	if err := adm.CommitAllOffsets(ctx, "simple", os); err != nil {
		t.Fatal(err)
	}
	if err := adm.CommitAllOffsets(ctx, "live", kadm.Offsets{"other": {0: {Topic: "other", Partition: 0, At: 3}}}); err == nil {
		t.Fatal("a non-member committed to a live group")
	}

	listed, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range listed.Sorted() {
		names = append(names, g.Group+"/"+g.State)
	}
	if !slices.Equal(names, []string{"live/Stable", "simple/Empty"}) {
		t.Fatalf("listed %v", names)
	}
	if l, _ := adm.ListGroups(ctx, "Empty"); len(l) != 1 || l.Groups()[0] != "simple" {
		t.Fatalf("filtered %v", l.Groups())
	}
	described, err := adm.DescribeGroups(ctx, "live", "simple")
	if err != nil {
		t.Fatal(err)
	}
	live := described["live"]
	if live.State != "Stable" || live.Protocol != "cooperative-sticky" || len(live.Members) != 1 || live.Members[0].ClientID != "c1" ||
		!strings.HasPrefix(live.Members[0].ClientHost, "/127.0.0.1") {
		t.Fatalf("described %+v", live)
	}
	ca, ok := live.Members[0].Assigned.AsConsumer()
	if !ok || len(ca.Topics) != 1 || len(ca.Topics[0].Partitions) != 2 {
		t.Fatalf("assignment %+v", live.Members[0].Assigned)
	}

	// Offsets: of one group, and of several in one request (v8+).
	if got := groupCommitted(t, adm, "simple", topic); got[0] != 5 {
		t.Fatalf("simple offsets %v", got)
	}
	fetched := adm.FetchManyOffsets(ctx, "simple", "live", "nobody")
	if err := fetched.Error(); err != nil {
		t.Fatal(err)
	}
	if o, _ := fetched["simple"].Fetched.Lookup("other", 0); o.At != 7 {
		t.Fatalf("many offsets: %+v", fetched["simple"])
	}

	// Deleting a live group fails; an empty one goes with its offsets.
	del, err := adm.DeleteGroups(ctx, "live", "simple", "nobody")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(del["live"].Err), "NON_EMPTY_GROUP") || del["simple"].Err != nil ||
		!strings.Contains(fmt.Sprint(del["nobody"].Err), "GROUP_ID_NOT_FOUND") {
		t.Fatalf("delete: %+v", del)
	}
	if got := groupCommitted(t, adm, "simple", topic); len(got) != 0 {
		t.Fatalf("offsets of a deleted group: %v", got)
	}

	// OffsetDelete: not for a topic the live group consumes.
	if err := adm.CommitAllOffsets(ctx, "empty", kadm.Offsets{"other": {0: {Topic: "other", Partition: 0, At: 1}}}); err != nil {
		t.Fatal(err)
	}
	ts := kadm.TopicsSet{}
	ts.Add(topic, 0)
	res, err := adm.DeleteOffsets(ctx, "live", ts)
	if err != nil {
		t.Fatal(err)
	}
	if e := res[topic][0]; !strings.Contains(fmt.Sprint(e), "GROUP_SUBSCRIBED_TO_TOPIC") {
		t.Fatalf("offset delete of a consumed topic: %v", e)
	}
	m.leave()
	if l, _ := adm.DescribeGroups(ctx, "live"); l["live"].State != "Empty" {
		t.Fatalf("after the member left: %s", l["live"].State)
	}
}

// groupCommitError is the first partition error of a commit response.
func groupCommitError(resp *kmsg.OffsetCommitResponse) error {
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return fmt.Errorf("%s[%d]: %w", t.Topic, p.Partition, kerr.ErrorForCode(p.ErrorCode))
			}
		}
	}
	return nil
}

func TestGroupOffsetsTopicDecodesWithKafkaSchemas(t *testing.T) {
	b := fjordtest.Start(t, groupOverrides...)
	const topic = "decoded"
	groupCreateTopic(t, b, topic, 2)
	groupProduce(t, b.Addr(), topic, 2, 5)
	c := b.Client(groupConsumerOpts("dec", topic, kgo.DisableAutoCommit())...)
	groupConsumeUntil(t, c, 10)
	if err := c.CommitUncommittedOffsets(fjordtest.Context(t)); err != nil {
		t.Fatal(err)
	}
	c.Close()

	// A tool reading __consumer_offsets sees Kafka's records.
	r := b.Client(kgo.ConsumeTopics("__consumer_offsets"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	ctx := fjordtest.Context(t)
	offsets := map[int32]int64{}
	var sawMembers, sawEmpty bool
	for !(len(offsets) == 2 && sawMembers && sawEmpty) {
		fs := r.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read offsets %v, members %v, empty %v", offsets, sawMembers, sawEmpty)
		}
		fs.EachRecord(func(rec *kgo.Record) {
			if rec.Partition != group.PartitionFor("dec", 50) {
				t.Fatalf("a record in partition %d, not the group's %d", rec.Partition, group.PartitionFor("dec", 50))
			}
			switch version := int16(rec.Key[0])<<8 | int16(rec.Key[1]); version {
			case 1:
				var k kmsg.OffsetCommitKey
				if err := k.ReadFrom(rec.Key); err != nil {
					t.Fatal(err)
				}
				var v kmsg.OffsetCommitValue
				if err := v.ReadFrom(rec.Value); err != nil {
					t.Fatal(err)
				}
				if k.Group == "dec" && k.Topic == topic && v.Version == 3 {
					offsets[k.Partition] = v.Offset
				}
			case 2:
				var k kmsg.GroupMetadataKey
				if err := k.ReadFrom(rec.Key); err != nil {
					t.Fatal(err)
				}
				if rec.Value == nil || k.Group != "dec" {
					return
				}
				var v kmsg.GroupMetadataValue
				if err := v.ReadFrom(rec.Value); err != nil {
					t.Fatal(err)
				}
				if v.Version == 3 && v.ProtocolType == "consumer" && len(v.Members) == 1 && len(v.Members[0].Assignment) > 0 {
					sawMembers = true
				}
				if v.Version == 3 && len(v.Members) == 0 && v.Generation >= 2 {
					sawEmpty = true // written when the member left
				}
			default:
				t.Fatalf("record with key version %d", version)
			}
		})
	}
	if offsets[0] != 5 || offsets[1] != 5 {
		t.Fatalf("committed offsets read back: %v", offsets)
	}
	// The partition holding them is the group's, as Kafka maps it.
	meta, err := b.Admin().ListTopicsWithInternal(ctx, "__consumer_offsets")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(meta["__consumer_offsets"].Partitions); n != 50 || !meta["__consumer_offsets"].IsInternal {
		t.Fatalf("__consumer_offsets: %d partitions, internal %v", n, meta["__consumer_offsets"].IsInternal)
	}
}

// Older clients speak older versions of the group APIs: JoinGroup before
// MEMBER_ID_REQUIRED (v3), single-member LeaveGroup (v0-2), top-level
// OffsetFetch errors (v2-7), FindCoordinator without batching (v0-3).
func TestGroupOlderProtocolVersions(t *testing.T) {
	b := fjordtest.Start(t, groupOverrides...)
	const topic = "old-versions"
	groupCreateTopic(t, b, topic, 2)
	groupProduce(t, b.Addr(), topic, 2, 10)
	for _, v := range []struct {
		name string
		max  *kversion.Versions
	}{{"kafka-2.0", kversion.V2_0_0()}, {"kafka-2.3", kversion.V2_3_0()}, {"kafka-2.8", kversion.V2_8_0()}} {
		t.Run(v.name, func(t *testing.T) {
			groupID := "old-" + v.name
			cl := b.Client(groupConsumerOpts(groupID, topic, kgo.MaxVersions(v.max), kgo.DisableAutoCommit())...)
			if got := len(groupConsumeUntil(t, cl, 20)); got != 20 {
				t.Fatalf("consumed %d", got)
			}
			if err := cl.CommitUncommittedOffsets(fjordtest.Context(t)); err != nil {
				t.Fatal(err)
			}
			cl.Close() // LeaveGroup at the old version
			adm := kadm.NewClient(b.Client(kgo.MaxVersions(v.max)))
			if got := groupCommitted(t, adm, groupID, topic); !mapsEqual(got, map[int32]int64{0: 10, 1: 10}) {
				t.Fatalf("committed %v", got)
			}
			described, err := adm.DescribeGroups(fjordtest.Context(t), groupID)
			if err != nil || described[groupID].State != "Empty" {
				t.Fatalf("after leaving: %+v %v", described[groupID], err)
			}
		})
	}
}

// A static member (group.instance.id) that restarts within its session
// takes its place back without a rebalance.
func TestGroupStaticMemberRestartsWithoutRebalance(t *testing.T) {
	b := fjordtest.Start(t, groupOverrides...)
	const topic = "static"
	groupCreateTopic(t, b, topic, 4)
	adm := b.Admin()
	tr := newGroupTracker(t)
	s1 := startGroupMember(t, b.Addr(), "s1", "static", topic, tr, kgo.InstanceID("instance-1"))
	s2 := startGroupMember(t, b.Addr(), "s2", "static", topic, tr, kgo.InstanceID("instance-2"))
	tr.wait("two static members", 60*time.Second, tr.balanced(4, "s1", "s2"))
	before, err := adm.DescribeGroups(fjordtest.Context(t), "static")
	if err != nil {
		t.Fatal(err)
	}
	_, gen := s1.cl.GroupMetadata()
	s2.leave() // a static member's Close sends no LeaveGroup
	tr.kill("s2")
	s2b := startGroupMember(t, b.Addr(), "s2b", "static", topic, tr, kgo.InstanceID("instance-2"))
	tr.wait("the restarted member back with its partitions", 60*time.Second, tr.balanced(4, "s1", "s2b"))
	after, err := adm.DescribeGroups(fjordtest.Context(t), "static")
	if err != nil {
		t.Fatal(err)
	}
	if after["static"].State != "Stable" || len(after["static"].Members) != 2 {
		t.Fatalf("after the restart: %+v", after["static"])
	}
	if _, now := s1.cl.GroupMetadata(); now != gen {
		t.Fatalf("the group rebalanced: generation %d, then %d", gen, now)
	}
	ids := map[string]string{}
	for _, m := range before["static"].Members {
		ids[*m.InstanceID] = m.MemberID
	}
	for _, m := range after["static"].Members {
		switch {
		case *m.InstanceID == "instance-1" && m.MemberID != ids["instance-1"]:
			t.Fatal("the other static member changed")
		case *m.InstanceID == "instance-2" && m.MemberID == ids["instance-2"]:
			t.Fatal("the restarted member kept its old member id")
		}
	}
	s1.leave()
	s2b.leave()
}

func TestGroupFindCoordinatorKeysAndVersions(t *testing.T) {
	b := fjordtest.Start(t)
	ctx := fjordtest.Context(t)
	cl := b.Client()

	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorType, req.CoordinatorKeys = 0, []string{"group-a", "group-b"}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Coordinators) != 2 {
		t.Fatalf("%+v", resp)
	}
	for _, c := range resp.Coordinators {
		if c.ErrorCode != 0 || c.NodeID != 1 || c.Host != "127.0.0.1" || fmt.Sprintf("127.0.0.1:%d", c.Port) != b.Addr() {
			t.Fatalf("coordinator %+v", c)
		}
	}
	// Transactional ids map to __transaction_state, created on first use.
	req.CoordinatorType, req.CoordinatorKeys = 1, []string{"txn-1"}
	if resp, err = req.RequestWith(ctx, cl); err != nil || resp.Coordinators[0].ErrorCode != 0 || resp.Coordinators[0].NodeID != 1 {
		t.Fatalf("transaction coordinator: %+v %v", resp, err)
	}
	topics, err := b.Admin().ListTopicsWithInternal(ctx, "__transaction_state", "__consumer_offsets")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"__transaction_state", "__consumer_offsets"} {
		if td := topics[name]; len(td.Partitions) != 50 || !td.IsInternal {
			t.Fatalf("%s: %d partitions, internal %v", name, len(td.Partitions), td.IsInternal)
		}
	}
	cfgs, err := b.Admin().DescribeTopicConfigs(ctx, "__consumer_offsets")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := cfgs.On("__consumer_offsets", nil); err != nil {
		t.Fatal(err)
	} else {
		for _, kv := range c.Configs {
			if kv.Key == "cleanup.policy" && (kv.Value == nil || *kv.Value != "compact") {
				t.Fatalf("cleanup.policy %v", kv.MaybeValue())
			}
		}
	}
	// Share groups have no coordinator here.
	req.CoordinatorType, req.CoordinatorKeys = 2, []string{"g:x:0"}
	if resp, err = req.RequestWith(ctx, cl); err != nil || resp.Coordinators[0].ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("share key: %+v %v", resp, err)
	}
	// Before batching (v0-3): one key, and Kafka's "NONE" message.
	old := fjordtest.NewClient(t, b.Addr(), kgo.MaxVersions(kversion.V2_0_0()))
	req = kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKey = "group-a"
	if resp, err = req.RequestWith(ctx, old); err != nil || resp.Version != 2 || resp.ErrorCode != 0 || resp.NodeID != 1 ||
		resp.ErrorMessage == nil || *resp.ErrorMessage != "NONE" {
		t.Fatalf("v2: %+v %v", resp, err)
	}
}
