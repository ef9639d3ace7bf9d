package group

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestJoinRequiresMemberIDFromV4AndGivesTheLeaderTheMembers(t *testing.T) {
	h := newHarness(t, testConfig())
	// v3: no MEMBER_ID_REQUIRED, the member is added at once.
	old := h.join("g", joinOpts{version: 3})
	if h.answered(old) != nil {
		t.Fatal("initial rebalance answered before its delay")
	}
	id, c := h.newMember("g")
	h.advance(299)
	if h.answered(c) != nil {
		t.Fatal("answered before group.initial.rebalance.delay.ms")
	}
	h.advance(1) // a member arrived during the delay: it is extended
	if h.answered(c) != nil {
		t.Fatal("initial delay not extended")
	}
	h.advance(300)
	leader, follower := h.joinResp(old), h.joinResp(c)
	if leader.ErrorCode != 0 || leader.Generation != 1 || *leader.Protocol != "range" || *leader.ProtocolType != "consumer" {
		t.Fatalf("leader: %+v", leader)
	}
	if leader.LeaderID != leader.MemberID || follower.LeaderID != leader.MemberID || follower.MemberID != id {
		t.Fatalf("leader %q follower %q", leader.LeaderID, follower.MemberID)
	}
	if len(leader.Members) != 2 || len(follower.Members) != 0 {
		t.Fatalf("members: leader %d follower %d", len(leader.Members), len(follower.Members))
	}
	if got := h.state("g"); got != "CompletingRebalance" {
		t.Fatalf("state %s", got)
	}
}

func TestJoinValidation(t *testing.T) {
	h := newHarness(t, testConfig())
	cases := []struct {
		name string
		o    joinOpts
		grp  string
		want int16
	}{
		{"empty group id", joinOpts{}, "", codeInvalidGroupID},
		{"session below the minimum", joinOpts{session: 50}, "g", codeInvalidSessionTimeout},
		{"session above the maximum", joinOpts{session: 2_000_000}, "g", codeInvalidSessionTimeout},
		{"unknown member of an unknown group", joinOpts{member: "nobody"}, "x", codeUnknownMemberID},
	}
	for _, c := range cases {
		if got := h.joinResp(h.join(c.grp, c.o)).ErrorCode; got != c.want {
			t.Errorf("%s: code %d, want %d", c.name, got, c.want)
		}
	}
	// A protocol no member supports.
	h.stableGroup("s", 1)
	if got := h.joinResp(h.join("s", joinOpts{protos: []string{"roundrobin"}})).ErrorCode; got != codeInconsistentProtocol {
		t.Errorf("inconsistent protocol: %d", got)
	}
}

func TestInitialRebalanceDelayExtendsWhileMembersArrive(t *testing.T) {
	h := newHarness(t, testConfig()) // delay 300, rebalance timeout 2000
	_, c1 := h.newMember("g")
	h.advance(200)
	_, c2 := h.newMember("g")
	h.advance(100) // first delay over, a member came: extend by 300
	if h.answered(c1) != nil {
		t.Fatal("not extended")
	}
	h.advance(300)
	if h.joinResp(c1).ErrorCode != 0 || h.joinResp(c2).ErrorCode != 0 {
		t.Fatal("join failed")
	}
}

func TestSyncHandsOutTheLeadersAssignmentAndPersistsIt(t *testing.T) {
	h := newHarness(t, testConfig())
	ids, gen := h.stableGroup("g", 3)
	// Followers that sync after the group is stable get theirs at once.
	if r := h.syncResp(h.sync("g", ids[2], gen, nil)); !bytes.Equal(r.MemberAssignment, []byte("a-"+ids[2])) {
		t.Fatalf("assignment %q", r.MemberAssignment)
	}
	// The log holds the empty group, then the group with assignments.
	var v kmsg.GroupMetadataValue
	last := h.log[len(h.log)-1]
	if err := v.ReadFrom(last.Value); err != nil {
		t.Fatal(err)
	}
	if v.Generation != gen || len(v.Members) != 3 || *v.Leader != ids[0] || *v.Protocol != "range" {
		t.Fatalf("persisted %+v", v)
	}
	for _, m := range v.Members {
		if !bytes.Equal(m.Assignment, []byte("a-"+m.MemberID)) {
			t.Fatalf("member %s assignment %q", m.MemberID, m.Assignment)
		}
	}
}

func TestHeartbeatErrors(t *testing.T) {
	h := newHarness(t, testConfig())
	ids, gen := h.stableGroup("g", 2)
	cases := []struct {
		name   string
		group  string
		member string
		gen    int32
		want   int16
	}{
		{"ok", "g", ids[1], gen, 0},
		{"old generation", "g", ids[1], gen - 1, codeIllegalGeneration},
		{"unknown member", "g", "ghost", gen, codeUnknownMemberID},
		{"unknown group", "nope", ids[1], gen, codeUnknownMemberID},
		{"empty group id", "", ids[1], gen, codeInvalidGroupID},
	}
	for _, c := range cases {
		if got := h.heartbeat(c.group, c.member, c.gen); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	// The leader rejoining starts a rebalance; the follower learns of it
	// from its heartbeat.
	lc := h.join("g", joinOpts{member: ids[0]})
	if got := h.heartbeat("g", ids[1], gen); got != codeRebalanceInProgress {
		t.Fatalf("during rebalance: %d", got)
	}
	fc := h.join("g", joinOpts{member: ids[1]})
	if r := h.joinResp(lc); r.Generation != gen+1 || len(r.Members) != 2 {
		t.Fatalf("rejoin: %+v", r)
	}
	if h.joinResp(fc).Generation != gen+1 {
		t.Fatal("follower generation")
	}
}

func TestSessionExpiryRemovesASilentMember(t *testing.T) {
	h := newHarness(t, testConfig()) // session 1000
	ids, gen := h.stableGroup("g", 3)
	for range 4 { // ids[0] and ids[1] heartbeat, ids[2] is silent
		h.advance(400)
		for _, id := range ids[:2] {
			h.heartbeat("g", id, gen)
		}
		if h.state("g") != "Stable" && h.now < 1_000_000+1000 {
			t.Fatal("rebalanced before the session ran out")
		}
	}
	if got := h.state("g"); got != "PreparingRebalance" {
		t.Fatalf("state %s after the session ran out", got)
	}
	c0 := h.join("g", joinOpts{member: ids[0]})
	c1 := h.join("g", joinOpts{member: ids[1]})
	r := h.joinResp(c0)
	if r.Generation != gen+1 || len(r.Members) != 2 || h.joinResp(c1).ErrorCode != 0 {
		t.Fatalf("after expiry: %+v", r)
	}
	if got := h.heartbeat("g", ids[2], gen); got != codeUnknownMemberID {
		t.Fatalf("expired member's heartbeat: %d", got)
	}
}

func TestRebalanceTimeoutDropsMembersThatDoNotRejoin(t *testing.T) {
	h := newHarness(t, testConfig())
	ids, gen := h.stableGroup("g", 2)
	c := h.join("g", joinOpts{member: ids[0]}) // leader rejoins, ids[1] never does
	for range 4 {
		h.advance(500)
		h.heartbeat("g", ids[1], gen) // heartbeats do not count as rejoining
	}
	r := h.joinResp(c)
	if r.Generation != gen+1 || len(r.Members) != 1 {
		t.Fatalf("%+v", r)
	}
}

func TestPendingSyncTimeoutRemovesMembersThatNeverSync(t *testing.T) {
	h := newHarness(t, testConfig())
	ids := []string{}
	calls := []CallID{}
	for range 2 {
		id, c := h.newMember("g")
		ids, calls = append(ids, id), append(calls, c)
	}
	h.advance(600)
	gen := h.joinResp(calls[0]).Generation
	sc := h.sync("g", ids[0], gen, map[string][]byte{ids[0]: []byte("x"), ids[1]: []byte("y")})
	if h.syncResp(sc).ErrorCode != 0 {
		t.Fatal("leader sync")
	}
	for range 5 { // ids[1] heartbeats but never syncs; rebalance timeout 2000
		h.advance(400)
		h.heartbeat("g", ids[0], gen)
		h.heartbeat("g", ids[1], gen)
	}
	if got := h.state("g"); got != "PreparingRebalance" {
		t.Fatalf("state %s", got)
	}
	if got := h.heartbeat("g", ids[1], gen); got != codeUnknownMemberID {
		t.Fatalf("removed member: %d", got)
	}
}

func TestLeaveGroupBatchAndSingle(t *testing.T) {
	h := newHarness(t, testConfig())
	ids, _ := h.stableGroup("g", 3)
	r := h.leave("g", 5, ids[1], "ghost", ids[2])
	codes := []int16{r.Members[0].ErrorCode, r.Members[1].ErrorCode, r.Members[2].ErrorCode}
	if !slices.Equal(codes, []int16{0, codeUnknownMemberID, 0}) || r.ErrorCode != 0 {
		t.Fatalf("codes %v top %d", codes, r.ErrorCode)
	}
	if got := h.state("g"); got != "PreparingRebalance" {
		t.Fatalf("state %s", got)
	}
	if r := h.leave("g", 1, "ghost"); r.ErrorCode != codeUnknownMemberID || r.Members != nil {
		t.Fatalf("v1: %+v", r)
	}
	// The last member leaving empties the group, which is persisted.
	if r := h.leave("g", 1, ids[0]); r.ErrorCode != 0 {
		t.Fatalf("v1 leave: %d", r.ErrorCode)
	}
	if got := h.state("g"); got != "Empty" {
		t.Fatalf("state %s", got)
	}
	var v kmsg.GroupMetadataValue
	if err := v.ReadFrom(h.log[len(h.log)-1].Value); err != nil || len(v.Members) != 0 || v.Protocol != nil {
		t.Fatalf("empty group persisted as %+v (%v)", v, err)
	}
}

func TestLeaveAnswersAParkedJoin(t *testing.T) {
	h := newHarness(t, testConfig())
	id, c := h.newMember("g")
	h.leave("g", 5, id)
	if r := h.joinResp(c); r.ErrorCode != codeUnknownMemberID {
		t.Fatalf("parked join: %d", r.ErrorCode)
	}
}

func TestStaticMemberRejoiningIsReplacedWithoutRebalance(t *testing.T) {
	h := newHarness(t, testConfig())
	c1 := h.join("g", joinOpts{instance: "i1"})
	c2 := h.join("g", joinOpts{instance: "i2"})
	h.advance(600)
	r1, r2 := h.joinResp(c1), h.joinResp(c2)
	if r1.ErrorCode != 0 || r1.MemberID[:3] != "i1-" {
		t.Fatalf("static join: %+v", r1)
	}
	gen := r1.Generation
	h.sync("g", r2.MemberID, gen, nil)
	h.sync("g", r1.MemberID, gen, map[string][]byte{r1.MemberID: []byte("p0"), r2.MemberID: []byte("p1")})
	// i2 restarts: it comes back with no member id.
	c3 := h.join("g", joinOpts{instance: "i2"})
	r3 := h.joinResp(c3)
	if r3.ErrorCode != 0 || r3.Generation != gen || r3.MemberID == r2.MemberID {
		t.Fatalf("replacement: %+v", r3)
	}
	if h.state("g") != "Stable" {
		t.Fatal("a static replacement rebalanced")
	}
	if got := h.syncResp(h.sync("g", r3.MemberID, gen, nil)); !bytes.Equal(got.MemberAssignment, []byte("p1")) {
		t.Fatalf("kept assignment %q", got.MemberAssignment)
	}
	// The old incarnation is fenced.
	hb := kmsg.NewPtrHeartbeatRequest()
	iid := "i2"
	hb.Group, hb.MemberID, hb.Generation, hb.InstanceID = "g", r2.MemberID, gen, &iid
	rq := h.rq(4)
	h.s.Heartbeat(h.now, rq, hb)
	h.drain()
	if got := h.resp[rq.Call].(*kmsg.HeartbeatResponse).ErrorCode; got != codeFencedInstanceID {
		t.Fatalf("old static member: %d", got)
	}
}

func TestGroupMaxSize(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSize = 2
	h := newHarness(t, cfg)
	h.stableGroup("g", 2)
	if got := h.joinResp(h.join("g", joinOpts{})).ErrorCode; got != codeGroupMaxSizeReached {
		t.Fatalf("third member: %d", got)
	}
	// While rebalancing, parked joins count: the last to rejoin of an
	// oversized group is turned away.
	ids, _ := h.stableGroup("h", 2)
	c0 := h.join("h", joinOpts{member: ids[0]})
	cNew := h.join("h", joinOpts{version: 3})
	if got := h.joinResp(h.join("h", joinOpts{member: ids[1]})).ErrorCode; got != codeGroupMaxSizeReached {
		t.Fatalf("last rejoining member: %d", got)
	}
	h.advance(2000) // the join phase ends at the rebalance timeout
	r := h.joinResp(c0)
	if len(r.Members) != 2 || h.joinResp(cNew).ErrorCode != 0 {
		t.Fatalf("after the rebalance: %+v", r)
	}
}

func TestPendingMemberExpiresAfterItsSession(t *testing.T) {
	h := newHarness(t, testConfig())
	r := h.joinResp(h.join("g", joinOpts{}))
	h.advance(1000)
	if got := h.joinResp(h.join("g", joinOpts{member: r.MemberID})).ErrorCode; got != codeUnknownMemberID {
		t.Fatalf("expired pending member joined: %d", got)
	}
}

func TestNewMemberParkedTooLongExpires(t *testing.T) {
	cfg := testConfig()
	cfg.NewMemberJoinTimeoutMs = 500
	h := newHarness(t, cfg)
	ids, gen := h.stableGroup("g", 1)
	// A new member joins: the rebalance waits for the old one, which stays
	// silent; the new member's parked join is bounded.
	_, c := h.newMember("g")
	h.advance(500)
	if r := h.joinResp(c); r.ErrorCode != codeUnknownMemberID {
		t.Fatalf("new member: %+v", r)
	}
	_ = ids
	_ = gen
}

func TestOffsetCommitRules(t *testing.T) {
	h := newHarness(t, testConfig())
	// A simple consumer commits to a group nobody joined.
	if c := commitCodes(h.commit("simple", "", -1, 9, "t", 5, 6)); !slices.Equal(c, []int16{0, 0}) {
		t.Fatalf("simple commit: %v", c)
	}
	if got := h.fetch("simple", "t", 3); !slices.Equal(got, []int64{5, 6, -1}) {
		t.Fatalf("fetched %v", got)
	}
	// Generation checks for an unknown group, by version.
	if c := commitCodes(h.commit("unknown", "m", 3, 8, "t", 1)); c[0] != codeIllegalGeneration {
		t.Fatalf("v8: %v", c)
	}
	if c := commitCodes(h.commit("unknown", "m", 3, 9, "t", 1)); c[0] != codeGroupIDNotFound {
		t.Fatalf("v9: %v", c)
	}
	ids, gen := h.stableGroup("g", 2)
	cases := []struct {
		name   string
		member string
		gen    int32
		want   int16
	}{
		{"member of the generation", ids[1], gen, 0},
		{"stale generation", ids[1], gen - 1, codeIllegalGeneration},
		{"unknown member", "ghost", gen, codeUnknownMemberID},
		{"non-member without generation on a live group", "", -1, codeUnknownMemberID},
	}
	for _, c := range cases {
		if got := commitCodes(h.commit("g", c.member, c.gen, 9, "t", 10)); got[0] != c.want {
			t.Errorf("%s: %d, want %d", c.name, got[0], c.want)
		}
	}
	// During CompletingRebalance: REBALANCE_IN_PROGRESS.
	c0 := h.join("g", joinOpts{member: ids[0]})
	// PreparingRebalance still accepts commits of the old generation
	// (cooperative consumers commit while revoking).
	if got := commitCodes(h.commit("g", ids[1], gen, 9, "t", 11)); got[0] != 0 {
		t.Fatalf("commit while preparing: %d", got[0])
	}
	h.join("g", joinOpts{member: ids[1]})
	gen2 := h.joinResp(c0).Generation
	if got := commitCodes(h.commit("g", ids[1], gen2, 9, "t", 12)); got[0] != codeRebalanceInProgress {
		t.Fatalf("commit while completing: %d", got[0])
	}
	if got := h.fetch("g", "t", 1); got[0] != 11 {
		t.Fatalf("fetched %v", got)
	}
}

func TestOffsetCommitMetadataTooLarge(t *testing.T) {
	cfg := testConfig()
	cfg.OffsetMetadataMaxBytes = 3 // "md0" fits, longer does not
	h := newHarness(t, cfg)
	r := kmsg.NewPtrOffsetCommitRequest()
	r.Group, r.Generation = "g", -1
	tp := kmsg.NewOffsetCommitRequestTopic()
	tp.Topic = "t"
	for i, md := range []string{"abc", "abcd"} {
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.Metadata = int32(i), 7, &md
		tp.Partitions = append(tp.Partitions, p)
	}
	r.Topics = append(r.Topics, tp)
	rq := h.rq(9)
	h.s.OffsetCommit(h.now, rq, r)
	h.drain()
	if got := commitCodes(h.resp[rq.Call].(*kmsg.OffsetCommitResponse)); !slices.Equal(got, []int16{0, codeOffsetMetadataTooLarge}) {
		t.Fatalf("codes %v", got)
	}
}

func TestFailedOffsetWriteIsNotVisible(t *testing.T) {
	h := newHarness(t, testConfig())
	h.commit("g", "", -1, 9, "t", 1)
	h.failAppends = kerr.NotLeaderForPartition.Code
	if got := commitCodes(h.commit("g", "", -1, 9, "t", 2)); got[0] != codeNotCoordinator {
		t.Fatalf("failed write answered %d", got[0])
	}
	h.failAppends = kerr.KafkaStorageError.Code
	if got := commitCodes(h.commit("g", "", -1, 9, "t", 3)); got[0] != codeNotCoordinator {
		t.Fatalf("storage error answered %d", got[0])
	}
	h.failAppends = kerr.NotEnoughReplicas.Code
	if got := commitCodes(h.commit("g", "", -1, 9, "t", 3)); got[0] != codeCoordinatorNotAvail {
		t.Fatalf("not enough replicas answered %d", got[0])
	}
	h.failAppends = 0
	if got := h.fetch("g", "t", 1); got[0] != 1 {
		t.Fatalf("fetched %v after failed writes", got)
	}
}

func TestFailedAssignmentWriteRestartsTheRebalance(t *testing.T) {
	h := newHarness(t, testConfig())
	id0, c0 := h.newMember("g")
	id1, c1 := h.newMember("g")
	h.advance(600)
	gen := h.joinResp(c0).Generation
	_ = c1
	fs := h.sync("g", id1, gen, nil)
	h.failAppends = kerr.NotLeaderForPartition.Code
	ls := h.sync("g", id0, gen, map[string][]byte{id0: []byte("a"), id1: []byte("b")})
	h.failAppends = 0
	if h.syncResp(ls).ErrorCode != codeNotCoordinator || h.syncResp(fs).ErrorCode != codeNotCoordinator {
		t.Fatalf("sync codes %d %d", h.syncResp(ls).ErrorCode, h.syncResp(fs).ErrorCode)
	}
	if got := h.state("g"); got != "PreparingRebalance" {
		t.Fatalf("state %s", got)
	}
}

func TestOffsetsOfAnEmptyGroupExpire(t *testing.T) {
	cfg := testConfig()
	cfg.OffsetsRetentionMs = 100_000
	h := newHarness(t, cfg)
	ids, gen := h.stableGroup("g", 1)
	h.commit("g", ids[0], gen, 9, "t", 42)
	h.commit("simple", "", -1, 9, "t", 7)
	// Stable and subscribed to "t": nothing expires, however old.
	for range 240 {
		h.advance(500)
		h.heartbeat("g", ids[0], gen)
	}
	if got := h.fetch("simple", "t", 1); got[0] != -1 {
		t.Fatalf("simple group's offset did not expire: %v", got)
	}
	if got := h.fetch("g", "t", 1); got[0] != 42 {
		t.Fatalf("stable group's offset expired: %v", got)
	}
	h.leave("g", 5, ids[0])
	emptyAt := h.now
	for h.now-emptyAt < 100_000 {
		h.advance(60_000)
		if h.now-emptyAt < 100_000 && h.fetch("g", "t", 1)[0] != 42 {
			t.Fatal("expired too early")
		}
	}
	h.advance(60_000)
	if got := h.fetch("g", "t", 1); got[0] != -1 {
		t.Fatalf("offset of the empty group kept: %v", got)
	}
	if got := h.state("g"); got != "Dead" {
		t.Fatalf("group kept as %s", got)
	}
}

func TestDeleteGroups(t *testing.T) {
	h := newHarness(t, testConfig())
	h.stableGroup("live", 1)
	h.commit("old", "", -1, 9, "t", 1, 2)
	rq := h.rq(2)
	h.s.DeleteGroups(h.now, rq, []string{"live", "old", "none"})
	h.drain()
	out := h.resp[rq.Call].([]kmsg.DeleteGroupsResponseGroup)
	if out[0].ErrorCode != codeNonEmptyGroup || out[1].ErrorCode != 0 || out[2].ErrorCode != codeGroupIDNotFound {
		t.Fatalf("%+v", out)
	}
	if got := h.fetch("old", "t", 2); !slices.Equal(got, []int64{-1, -1}) {
		t.Fatalf("offsets after delete: %v", got)
	}
	tail := h.log[len(h.log)-3:]
	for _, r := range tail {
		if r.Value != nil {
			t.Fatal("deletion wrote a non-tombstone")
		}
	}
}

func TestOffsetDeleteRefusesSubscribedTopics(t *testing.T) {
	h := newHarness(t, testConfig())
	ids, gen := h.stableGroup("g", 1) // subscribed to "t"
	h.commit("g", ids[0], gen, 9, "t", 1)
	h.commit("g", ids[0], gen, 9, "other", 5)
	r := kmsg.NewPtrOffsetDeleteRequest()
	r.Group = "g"
	for _, name := range []string{"t", "other"} {
		tp := kmsg.NewOffsetDeleteRequestTopic()
		tp.Topic = name
		tp.Partitions = []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}
		r.Topics = append(r.Topics, tp)
	}
	rq := h.rq(0)
	h.s.OffsetDelete(h.now, rq, r)
	h.drain()
	resp := h.resp[rq.Call].(*kmsg.OffsetDeleteResponse)
	if resp.Topics[0].Partitions[0].ErrorCode != codeGroupSubscribedToTopic || resp.Topics[1].Partitions[0].ErrorCode != 0 {
		t.Fatalf("%+v", resp)
	}
	if h.fetch("g", "other", 1)[0] != -1 || h.fetch("g", "t", 1)[0] != 1 {
		t.Fatal("wrong offsets deleted")
	}
}

func TestListAndDescribe(t *testing.T) {
	h := newHarness(t, testConfig())
	ids, _ := h.stableGroup("b", 1)
	h.commit("a", "", -1, 9, "t", 1)
	list := func(states ...string) []string {
		rq := h.rq(5)
		h.s.ListGroups(h.now, rq, states, nil)
		h.drain()
		var out []string
		for _, g := range h.resp[rq.Call].([]kmsg.ListGroupsResponseGroup) {
			out = append(out, g.Group+"/"+g.GroupState)
		}
		return out
	}
	if got := list(); !slices.Equal(got, []string{"a/Empty", "b/Stable"}) {
		t.Fatalf("all: %v", got)
	}
	if got := list("stable"); !slices.Equal(got, []string{"b/Stable"}) {
		t.Fatalf("stable: %v", got)
	}
	if got := list("nonsense"); len(got) != 0 {
		t.Fatalf("unknown state: %v", got)
	}
	rq := h.rq(6)
	h.s.DescribeGroups(h.now, rq, []string{"b", "zz"})
	h.drain()
	d := h.resp[rq.Call].([]kmsg.DescribeGroupsResponseGroup)
	if d[0].State != "Stable" || d[0].Protocol != "range" || len(d[0].Members) != 1 || d[0].Members[0].MemberID != ids[0] ||
		!bytes.Equal(d[0].Members[0].MemberAssignment, []byte("a-"+ids[0])) || d[0].Members[0].ClientHost != "/127.0.0.1" {
		t.Fatalf("describe: %+v", d[0])
	}
	if d[1].State != "Dead" || d[1].ErrorCode != codeGroupIDNotFound {
		t.Fatalf("unknown group: %+v", d[1])
	}
}

// replayInto loads records into a fresh shard, as the runtime does at
// start.
func replayInto(t *testing.T, cfg Config, now int64, recs []Record) *harness {
	h := &harness{t: t, now: now, resp: map[CallID]any{}}
	h.s = NewShard(ShardOptions{Config: cfg, NewUUID: func() string { h.uuid++; return "r" }})
	for _, r := range recs {
		if err := h.s.Replay(now, r.Key, r.Value); err != nil {
			t.Fatal(err)
		}
	}
	h.s.Loaded(now)
	h.drain()
	return h
}

func TestReplayRebuildsGroupsAndOffsets(t *testing.T) {
	h := newHarness(t, testConfig())
	ids, gen := h.stableGroup("g", 2)
	h.commit("g", ids[0], gen, 9, "t", 100, 200)
	h.commit("s", "", -1, 9, "t", 1)
	h.commit("s", "", -1, 9, "t", 2)
	h.commit("gone", "", -1, 9, "t", 9)
	rq := h.rq(2)
	h.s.DeleteGroups(h.now, rq, []string{"gone"})
	h.drain()

	r := replayInto(t, testConfig(), h.now, h.log)
	if got := r.fetch("g", "t", 2); !slices.Equal(got, []int64{100, 200}) {
		t.Fatalf("g: %v", got)
	}
	if got := r.fetch("s", "t", 1); got[0] != 2 {
		t.Fatalf("s: %v", got)
	}
	if r.state("gone") != "Dead" || r.state("g") != "Stable" {
		t.Fatal("groups not rebuilt")
	}
	// Loaded members may carry on with their generation...
	if got := r.heartbeat("g", ids[1], gen); got != 0 {
		t.Fatalf("heartbeat after load: %d", got)
	}
	if got := r.syncResp(r.sync("g", ids[1], gen, nil)); !bytes.Equal(got.MemberAssignment, []byte("a-"+ids[1])) {
		t.Fatalf("assignment after load: %q", got.MemberAssignment)
	}
	// ...and one that stays silent is removed after its session.
	r.advance(600)
	r.heartbeat("g", ids[1], gen)
	r.advance(600)
	if got := r.state("g"); got != "PreparingRebalance" {
		t.Fatalf("state %s", got)
	}

	// A snapshot restates the same state in fewer records.
	snap := h.s.SnapshotRecords()
	if len(snap) != h.s.LiveRecords() || len(snap) >= len(h.log) {
		t.Fatalf("snapshot of %d records, live %d, log %d", len(snap), h.s.LiveRecords(), len(h.log))
	}
	r2 := replayInto(t, testConfig(), h.now, snap)
	if got := r2.fetch("g", "t", 2); !slices.Equal(got, []int64{100, 200}) || r2.fetch("s", "t", 1)[0] != 2 || r2.state("gone") != "Dead" {
		t.Fatal("snapshot does not rebuild the state")
	}
	// Replaying the old log, then the snapshot on top, is the same too
	// (a crash between writing a snapshot and trimming the log).
	r3 := replayInto(t, testConfig(), h.now, append(slices.Clone(h.log), snap...))
	if got := r3.fetch("g", "t", 2); !slices.Equal(got, []int64{100, 200}) || r3.s.LiveRecords() != h.s.LiveRecords() {
		t.Fatal("log plus snapshot differs")
	}
}

func TestUnloadAnswersParkedCalls(t *testing.T) {
	h := newHarness(t, testConfig())
	_, c := h.newMember("g")
	h.s.Unload()
	h.drain()
	if got := h.joinResp(c).ErrorCode; got != codeNotCoordinator {
		t.Fatalf("parked join: %d", got)
	}
}

func TestTopicDeletionRemovesItsOffsets(t *testing.T) {
	h := newHarness(t, testConfig())
	h.commit("g", "", -1, 9, "t", 1, 2)
	h.commit("g", "", -1, 9, "u", 3)
	h.s.TopicsDeleted(h.now, []string{"t"})
	h.drain()
	if h.fetch("g", "t", 2)[1] != -1 || h.fetch("g", "u", 1)[0] != 3 {
		t.Fatal("offsets of the deleted topic kept, or others lost")
	}
}

func TestPartitionForMatchesJava(t *testing.T) {
	// Values of Java's Utils.abs(s.hashCode()) % n, computed with Java's
	// String.hashCode rules (UTF-16 code units, int overflow).
	cases := []struct {
		key  string
		n    int32
		want int32
	}{
		{"", 50, 0},
		{"my-group", 50, 12},   // hashCode -1906497762
		{"test-group", 50, 12}, // 627841412
		{"console-consumer-12345", 50, 6},
		{"grüße", 50, 23},
		{"emoji-😀", 50, 6}, // a surrogate pair counts as two code units
		{"my-group", 1, 0},
	}
	for _, c := range cases {
		if got := PartitionFor(c.key, c.n); got != c.want {
			t.Errorf("%q: %d, want %d", c.key, got, c.want)
		}
	}
}

func TestLeaveByInstanceIDRemovesAStaticMember(t *testing.T) {
	h := newHarness(t, testConfig())
	c := h.join("g", joinOpts{instance: "i1"})
	h.advance(300)
	gen := h.joinResp(c).Generation
	id := h.joinResp(c).MemberID
	h.sync("g", id, gen, map[string][]byte{id: []byte("x")})
	r := kmsg.NewPtrLeaveGroupRequest()
	r.Group = "g"
	iid, other := "i1", "nope"
	r.Members = []kmsg.LeaveGroupRequestMember{{InstanceID: &iid}, {InstanceID: &other}}
	rq := h.rq(4)
	h.s.LeaveGroup(h.now, rq, r)
	h.drain()
	resp := h.resp[rq.Call].(*kmsg.LeaveGroupResponse)
	if resp.Members[0].ErrorCode != 0 || resp.Members[1].ErrorCode != codeUnknownMemberID {
		t.Fatalf("%+v", resp.Members)
	}
	if got := h.state("g"); got != "Empty" {
		t.Fatalf("state %s", got)
	}
}

func TestExplicitRetentionExpiresOffsetsOfASimpleGroup(t *testing.T) {
	cfg := testConfig()
	cfg.RetentionCheckIntervalMs = 1000
	h := newHarness(t, cfg)
	r := kmsg.NewPtrOffsetCommitRequest()
	r.Group, r.Generation, r.RetentionTimeMillis = "g", -1, 5000
	tp := kmsg.NewOffsetCommitRequestTopic()
	tp.Topic = "t"
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Offset = 9
	tp.Partitions = append(tp.Partitions, p)
	r.Topics = append(r.Topics, tp)
	rq := h.rq(4) // v2-v4 carry a retention time
	h.s.OffsetCommit(h.now, rq, r)
	h.drain()
	var v kmsg.OffsetCommitValue
	if err := v.ReadFrom(h.log[len(h.log)-1].Value); err != nil || v.Version != 1 || v.ExpireTimestamp != h.now+5000 {
		t.Fatalf("stored %+v (%v)", v, err)
	}
	h.advance(4000)
	if h.fetch("g", "t", 1)[0] != 9 {
		t.Fatal("expired early")
	}
	h.advance(2000)
	if h.fetch("g", "t", 1)[0] != -1 {
		t.Fatal("not expired at its expire timestamp")
	}
}

func TestOffsetFetchOfAllTopics(t *testing.T) {
	h := newHarness(t, testConfig())
	h.commit("g", "", -1, 9, "b", 1, 2)
	h.commit("g", "", -1, 9, "a", 3)
	rq := h.rq(9)
	h.s.OffsetFetch(h.now, rq, "g", nil, true)
	h.drain()
	g := h.resp[rq.Call].(*kmsg.OffsetFetchResponseGroup)
	var got []string
	for _, t := range g.Topics {
		for _, p := range t.Partitions {
			got = append(got, fmt.Sprintf("%s/%d=%d:%s", t.Topic, p.Partition, p.Offset, *p.Metadata))
		}
	}
	if want := []string{"a/0=3:md0", "b/0=1:md0", "b/1=2:md1"}; !slices.Equal(got, want) {
		t.Fatalf("%v", got)
	}
	rq = h.rq(9)
	h.s.OffsetFetch(h.now, rq, "unknown", nil, false)
	h.drain()
	if g := h.resp[rq.Call].(*kmsg.OffsetFetchResponseGroup); g.ErrorCode != 0 || len(g.Topics) != 0 {
		t.Fatalf("unknown group: %+v", g)
	}
}

func TestDescribeShowsNoMetadataWhileRebalancing(t *testing.T) {
	h := newHarness(t, testConfig())
	ids, _ := h.stableGroup("g", 2)
	h.join("g", joinOpts{member: ids[0]})
	rq := h.rq(5)
	h.s.DescribeGroups(h.now, rq, []string{"g"})
	h.drain()
	d := h.resp[rq.Call].([]kmsg.DescribeGroupsResponseGroup)[0]
	if d.State != "PreparingRebalance" || d.Protocol != "" || len(d.Members) != 2 || len(d.Members[0].MemberAssignment) != 0 {
		t.Fatalf("%+v", d)
	}
}
