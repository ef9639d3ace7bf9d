package group

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// The Coordinator's request API, one method per group API, for the
// handlers. Each routes to the shard of the group (or shards of the
// groups), waits for the answer while ctx lasts, and answers routing
// failures (not the coordinator, still loading, stopping) the way Kafka
// does for that API. Requests are read, never kept: the shard copies what
// it stores.

func (c *Coordinator) closedNow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// JoinGroup may wait for the whole join phase.
func (c *Coordinator) JoinGroup(ctx context.Context, rq Request, r *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse {
	if c.closedNow() {
		return joinError(r.MemberID, codeCoordinatorNotAvail)
	}
	if code := CheckJoin(c.config(), r); code != 0 {
		return joinError(r.MemberID, code)
	}
	msg, code := c.do(ctx, r.Group, rq, func(s *Shard, now int64, rq Request) { s.JoinGroup(now, rq, r) })
	if code != 0 {
		return joinError(r.MemberID, code)
	}
	return msg.(*kmsg.JoinGroupResponse)
}

// SyncGroup may wait for the leader's assignment.
func (c *Coordinator) SyncGroup(ctx context.Context, rq Request, r *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse {
	switch {
	case c.closedNow():
		return syncError(codeCoordinatorNotAvail)
	case r.Group == "":
		return syncError(codeInvalidGroupID)
	}
	msg, code := c.do(ctx, r.Group, rq, func(s *Shard, now int64, rq Request) { s.SyncGroup(now, rq, r) })
	if code != 0 {
		return syncError(code)
	}
	return msg.(*kmsg.SyncGroupResponse)
}

// Heartbeat answers at once. While the partition loads, members are told
// all is well (as Kafka does): their group is about to be back.
func (c *Coordinator) Heartbeat(ctx context.Context, rq Request, r *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	resp := kmsg.NewPtrHeartbeatResponse()
	switch {
	case c.closedNow():
		resp.ErrorCode = codeCoordinatorNotAvail
		return resp
	case r.Group == "":
		resp.ErrorCode = codeInvalidGroupID
		return resp
	}
	msg, code := c.do(ctx, r.Group, rq, func(s *Shard, now int64, rq Request) { s.Heartbeat(now, rq, r) })
	switch code {
	case 0:
		return msg.(*kmsg.HeartbeatResponse)
	case codeLoadInProgress:
		return resp
	}
	resp.ErrorCode = code
	return resp
}

// LeaveGroup answers at once.
func (c *Coordinator) LeaveGroup(ctx context.Context, rq Request, r *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	resp := kmsg.NewPtrLeaveGroupResponse()
	switch {
	case c.closedNow():
		resp.ErrorCode = codeCoordinatorNotAvail
		return resp
	case r.Group == "":
		resp.ErrorCode = codeInvalidGroupID
		return resp
	}
	msg, code := c.do(ctx, r.Group, rq, func(s *Shard, now int64, rq Request) { s.LeaveGroup(now, rq, r) })
	if code != 0 {
		resp.ErrorCode = code
		return resp
	}
	return msg.(*kmsg.LeaveGroupResponse)
}

// OffsetCommit commits the offsets of r, whose topics and partitions the
// caller has checked exist; it answers once they are written.
func (c *Coordinator) OffsetCommit(ctx context.Context, rq Request, r *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	fail := func(code int16) *kmsg.OffsetCommitResponse {
		return commitResponse(r, func(string, int32) int16 { return code })
	}
	if c.closedNow() {
		return fail(codeCoordinatorNotAvail)
	}
	msg, code := c.do(ctx, r.Group, rq, func(s *Shard, now int64, rq Request) { s.OffsetCommit(now, rq, r) })
	if code != 0 {
		return fail(code)
	}
	return msg.(*kmsg.OffsetCommitResponse)
}

// OffsetFetch answers one group of an OffsetFetch request; topics nil asks
// for all of the group's offsets.
func (c *Coordinator) OffsetFetch(ctx context.Context, rq Request, groupID string, topics []kmsg.OffsetFetchRequestGroupTopic, requireStable bool) kmsg.OffsetFetchResponseGroup {
	fail := func(code int16) kmsg.OffsetFetchResponseGroup {
		g := kmsg.NewOffsetFetchResponseGroup()
		g.Group, g.ErrorCode = groupID, code
		return g
	}
	if c.closedNow() {
		return fail(codeCoordinatorNotAvail)
	}
	msg, code := c.do(ctx, groupID, rq, func(s *Shard, now int64, rq Request) { s.OffsetFetch(now, rq, groupID, topics, requireStable) })
	if code != 0 {
		return fail(code)
	}
	return *msg.(*kmsg.OffsetFetchResponseGroup)
}

// OffsetDelete deletes offsets of topics the group does not consume.
func (c *Coordinator) OffsetDelete(ctx context.Context, rq Request, r *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	resp := kmsg.NewPtrOffsetDeleteResponse()
	switch {
	case c.closedNow():
		resp.ErrorCode = codeCoordinatorNotAvail
		return resp
	case r.Group == "":
		resp.ErrorCode = codeInvalidGroupID
		return resp
	}
	msg, code := c.do(ctx, r.Group, rq, func(s *Shard, now int64, rq Request) { s.OffsetDelete(now, rq, r) })
	if code != 0 {
		resp.ErrorCode = code
		return resp
	}
	return msg.(*kmsg.OffsetDeleteResponse)
}

// byShard groups request indexes by the shard of their group, so a batched
// request makes one call per shard. Groups whose shard cannot be used get
// the routing error in errs.
func (c *Coordinator) byShard(groups []string) (map[*shardRuntime][]int, map[int]int16) {
	out := map[*shardRuntime][]int{}
	errs := map[int]int16{}
	for i, g := range groups {
		sh, code := c.route(g)
		if code != 0 {
			errs[i] = code
			continue
		}
		out[sh] = append(out[sh], i)
	}
	return out, errs
}

func pick(groups []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = groups[j]
	}
	return out
}

// DescribeGroups describes groups, in request order.
func (c *Coordinator) DescribeGroups(ctx context.Context, rq Request, groups []string) []kmsg.DescribeGroupsResponseGroup {
	return perGroup(c, ctx, rq, groups,
		func(s *Shard, now int64, rq Request, names []string) { s.DescribeGroups(now, rq, names) },
		func(group string, code int16) kmsg.DescribeGroupsResponseGroup {
			d := kmsg.NewDescribeGroupsResponseGroup()
			d.Group, d.ErrorCode = group, code
			return d
		})
}

// DeleteGroups deletes empty groups, answering in request order.
func (c *Coordinator) DeleteGroups(ctx context.Context, rq Request, groups []string) []kmsg.DeleteGroupsResponseGroup {
	return perGroup(c, ctx, rq, groups,
		func(s *Shard, now int64, rq Request, names []string) { s.DeleteGroups(now, rq, names) },
		func(group string, code int16) kmsg.DeleteGroupsResponseGroup {
			d := kmsg.NewDeleteGroupsResponseGroup()
			d.Group, d.ErrorCode = group, code
			return d
		})
}

// perGroup runs a per-group operation on the shards owning the groups and
// answers in request order: each shard's operation answers its groups in
// the order given, and a group this broker cannot serve gets fail's answer
// with the error code.
func perGroup[T any](c *Coordinator, ctx context.Context, rq Request, groups []string,
	op func(s *Shard, now int64, rq Request, names []string), fail func(group string, code int16) T) []T {
	out := make([]T, len(groups))
	shards, errs := c.byShard(groups)
	for i, code := range errs {
		out[i] = fail(groups[i], code)
	}
	for sh, idx := range shards {
		names := pick(groups, idx)
		msg, code := sh.do(ctx, rq, func(s *Shard, now int64, rq Request) { op(s, now, rq, names) })
		for k, i := range idx {
			if code != 0 {
				out[i] = fail(groups[i], code)
			} else {
				out[i] = msg.([]T)[k]
			}
		}
	}
	return out
}

// ListGroups lists the groups of every partition this broker coordinates;
// a partition still loading fails the request with
// COORDINATOR_LOAD_IN_PROGRESS, as in Kafka.
func (c *Coordinator) ListGroups(ctx context.Context, rq Request, states, types []string) ([]kmsg.ListGroupsResponseGroup, int16) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, codeCoordinatorNotAvail
	}
	shards := c.activeShardsLocked()
	c.mu.Unlock()
	sort.Slice(shards, func(i, j int) bool { return shards[i].id < shards[j].id })
	out := []kmsg.ListGroupsResponseGroup{}
	for _, sh := range shards {
		msg, code := sh.do(ctx, rq, func(s *Shard, now int64, rq Request) { s.ListGroups(now, rq, states, types) })
		switch code {
		case 0:
			out = append(out, msg.([]kmsg.ListGroupsResponseGroup)...)
		case codeNotCoordinator:
		default:
			return nil, code
		}
	}
	return out, 0
}
