package group

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// harness drives a Shard as the runtime would, with a fake clock: every
// input is followed by draining Ready, performing appends into an
// in-memory log (or failing them on request) and collecting responses.
type harness struct {
	t    *testing.T
	s    *Shard
	now  int64
	call CallID
	uuid int

	resp map[CallID]any
	log  []Record
	// failAppends makes the next appends fail with this code.
	failAppends int16
}

func testConfig() Config {
	c := DefaultConfig()
	c.MinSessionTimeoutMs = 100
	c.InitialRebalanceDelayMs = 300
	c.RetentionCheckIntervalMs = 60000
	return c
}

func newHarness(t *testing.T, cfg Config) *harness {
	h := &harness{t: t, now: 1_000_000, resp: map[CallID]any{}}
	h.s = NewShard(ShardOptions{Config: cfg, NewUUID: func() string { h.uuid++; return fmt.Sprintf("u%d", h.uuid) }})
	h.s.Loaded(h.now)
	return h
}

func (h *harness) drain() {
	for {
		rd := h.s.Ready()
		if rd.Empty() {
			return
		}
		for _, r := range rd.Responses {
			if _, dup := h.resp[r.Call]; dup {
				h.t.Fatalf("call %d answered twice", r.Call)
			}
			h.resp[r.Call] = r.Msg
		}
		for _, a := range rd.Appends {
			code := h.failAppends
			if code == 0 {
				h.log = append(h.log, a.Records...)
			}
			h.s.AppendDone(h.now, a.ID, code)
		}
	}
}

func (h *harness) rq(version int16) Request {
	h.call++
	return Request{Call: h.call, Version: version, ClientID: "client", ClientHost: "/127.0.0.1"}
}

// advance moves the clock and runs due timers.
func (h *harness) advance(ms int64) {
	h.now += ms
	h.s.Tick(h.now)
	h.drain()
}

// answered returns a call's response, or nil while it is parked.
func (h *harness) answered(c CallID) any { return h.resp[c] }

func consumerMeta(topics ...string) []byte {
	m := kmsg.NewConsumerMemberMetadata()
	m.Version = 0
	m.Topics = topics
	return m.AppendTo(nil)
}

type joinOpts struct {
	member   string
	instance string
	version  int16
	session  int32
	protos   []string
	meta     []byte
}

func (h *harness) join(groupID string, o joinOpts) CallID {
	if o.version == 0 {
		o.version = 9
	}
	if o.session == 0 {
		o.session = 1000
	}
	if o.protos == nil {
		o.protos = []string{"range"}
	}
	if o.meta == nil {
		o.meta = consumerMeta("t")
	}
	r := kmsg.NewPtrJoinGroupRequest()
	r.Group, r.MemberID, r.SessionTimeoutMillis, r.RebalanceTimeoutMillis, r.ProtocolType = groupID, o.member, o.session, 2000, "consumer"
	if o.instance != "" {
		r.InstanceID = &o.instance
	}
	for _, p := range o.protos {
		jp := kmsg.NewJoinGroupRequestProtocol()
		jp.Name, jp.Metadata = p, o.meta
		r.Protocols = append(r.Protocols, jp)
	}
	rq := h.rq(o.version)
	h.s.JoinGroup(h.now, rq, r)
	h.drain()
	return rq.Call
}

func (h *harness) joinResp(c CallID) *kmsg.JoinGroupResponse {
	h.t.Helper()
	r, ok := h.resp[c].(*kmsg.JoinGroupResponse)
	if !ok {
		h.t.Fatalf("call %d: no join response (got %T)", c, h.resp[c])
	}
	return r
}

// newMember joins with MEMBER_ID_REQUIRED and rejoins with the id; it
// returns the id and the parked call.
func (h *harness) newMember(groupID string) (string, CallID) {
	h.t.Helper()
	r := h.joinResp(h.join(groupID, joinOpts{}))
	if r.ErrorCode != codeMemberIDRequired {
		h.t.Fatalf("first join: code %d", r.ErrorCode)
	}
	return r.MemberID, h.join(groupID, joinOpts{member: r.MemberID})
}

func (h *harness) sync(groupID, member string, gen int32, assign map[string][]byte) CallID {
	r := kmsg.NewPtrSyncGroupRequest()
	r.Group, r.MemberID, r.Generation = groupID, member, gen
	for id, a := range assign {
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID, ga.MemberAssignment = id, a
		r.GroupAssignment = append(r.GroupAssignment, ga)
	}
	rq := h.rq(5)
	h.s.SyncGroup(h.now, rq, r)
	h.drain()
	return rq.Call
}

func (h *harness) syncResp(c CallID) *kmsg.SyncGroupResponse {
	h.t.Helper()
	r, ok := h.resp[c].(*kmsg.SyncGroupResponse)
	if !ok {
		h.t.Fatalf("call %d: no sync response (got %T)", c, h.resp[c])
	}
	return r
}

func (h *harness) heartbeat(groupID, member string, gen int32) int16 {
	r := kmsg.NewPtrHeartbeatRequest()
	r.Group, r.MemberID, r.Generation = groupID, member, gen
	rq := h.rq(4)
	h.s.Heartbeat(h.now, rq, r)
	h.drain()
	return h.resp[rq.Call].(*kmsg.HeartbeatResponse).ErrorCode
}

func (h *harness) leave(groupID string, version int16, members ...string) *kmsg.LeaveGroupResponse {
	r := kmsg.NewPtrLeaveGroupRequest()
	r.Group = groupID
	if version < 3 {
		r.MemberID = members[0]
	}
	for _, m := range members {
		lm := kmsg.NewLeaveGroupRequestMember()
		lm.MemberID = m
		r.Members = append(r.Members, lm)
	}
	rq := h.rq(version)
	h.s.LeaveGroup(h.now, rq, r)
	h.drain()
	return h.resp[rq.Call].(*kmsg.LeaveGroupResponse)
}

func (h *harness) commit(groupID, member string, gen int32, version int16, topic string, offsets ...int64) *kmsg.OffsetCommitResponse {
	r := kmsg.NewPtrOffsetCommitRequest()
	r.Group, r.MemberID, r.Generation = groupID, member, gen
	t := kmsg.NewOffsetCommitRequestTopic()
	t.Topic = topic
	for i, o := range offsets {
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset = int32(i), o
		md := fmt.Sprintf("md%d", i)
		p.Metadata = &md
		t.Partitions = append(t.Partitions, p)
	}
	r.Topics = append(r.Topics, t)
	rq := h.rq(version)
	h.s.OffsetCommit(h.now, rq, r)
	h.drain()
	return h.resp[rq.Call].(*kmsg.OffsetCommitResponse)
}

func commitCodes(r *kmsg.OffsetCommitResponse) []int16 {
	var out []int16
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			out = append(out, p.ErrorCode)
		}
	}
	return out
}

// fetch returns the committed offsets of partitions 0..n-1 of topic.
func (h *harness) fetch(groupID, topic string, n int) []int64 {
	t := kmsg.NewOffsetFetchRequestGroupTopic()
	t.Topic = topic
	for i := range n {
		t.Partitions = append(t.Partitions, int32(i))
	}
	rq := h.rq(9)
	h.s.OffsetFetch(h.now, rq, groupID, []kmsg.OffsetFetchRequestGroupTopic{t}, false)
	h.drain()
	g := h.resp[rq.Call].(*kmsg.OffsetFetchResponseGroup)
	var out []int64
	for _, p := range g.Topics[0].Partitions {
		out = append(out, p.Offset)
	}
	return out
}

func (h *harness) state(groupID string) string {
	rq := h.rq(5)
	h.s.DescribeGroups(h.now, rq, []string{groupID})
	h.drain()
	return h.resp[rq.Call].([]kmsg.DescribeGroupsResponseGroup)[0].State
}

// stableGroup brings n members through a first rebalance to Stable and
// returns their ids (the leader first) and the generation.
func (h *harness) stableGroup(groupID string, n int) ([]string, int32) {
	h.t.Helper()
	var ids []string
	var calls []CallID
	for range n {
		id, c := h.newMember(groupID)
		ids, calls = append(ids, id), append(calls, c)
	}
	// The initial delay is extended while members keep arriving.
	for h.answered(calls[0]) == nil {
		h.advance(int64(h.s.cfg.InitialRebalanceDelayMs))
	}
	first := h.joinResp(calls[0])
	gen := first.Generation
	assign := map[string][]byte{}
	for _, id := range ids {
		assign[id] = []byte("a-" + id)
	}
	var syncs []CallID
	for i, id := range ids {
		if r := h.joinResp(calls[i]); r.ErrorCode != 0 || r.Generation != gen || r.LeaderID != ids[0] {
			h.t.Fatalf("join of %s: %+v", id, r)
		}
		if i > 0 {
			syncs = append(syncs, h.sync(groupID, id, gen, nil))
		}
	}
	syncs = append(syncs, h.sync(groupID, ids[0], gen, assign))
	for _, c := range syncs {
		if r := h.syncResp(c); r.ErrorCode != 0 {
			h.t.Fatalf("sync: code %d", r.ErrorCode)
		}
	}
	if st := h.state(groupID); st != "Stable" {
		h.t.Fatalf("state %s", st)
	}
	return ids, gen
}
