package group

import (
	"bytes"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// SyncGroup handles a SyncGroup request; the response (a
// *kmsg.SyncGroupResponse) may wait for the leader's assignment.
func (s *Shard) SyncGroup(now int64, rq Request, r *kmsg.SyncGroupRequest) {
	s.now = now
	if r.Group == "" {
		s.respond(rq.Call, syncError(codeInvalidGroupID))
		return
	}
	g := s.groups[r.Group]
	if g == nil || g.state == Empty {
		s.respond(rq.Call, syncError(codeUnknownMemberID))
		return
	}
	if code := validateSync(g, r); code != 0 {
		s.respond(rq.Call, syncError(code))
		return
	}
	m := g.members[r.MemberID]
	switch g.state {
	case PreparingRebalance:
		s.respond(rq.Call, syncError(codeRebalanceInProgress))
	case CompletingRebalance:
		if m.awaitingSync {
			s.respond(m.syncCall, syncError(codeRebalanceInProgress)) // superseded
		}
		m.awaitingSync, m.syncCall = true, rq.Call
		s.removePendingSync(g, m.id)
		if !g.isLeader(m.id) {
			return
		}
		// The leader's assignment: persist it, then hand it out.
		assignment := make(map[string][]byte, len(g.members))
		for _, a := range r.GroupAssignment {
			assignment[a.MemberID] = bytes.Clone(a.MemberAssignment)
		}
		for id := range g.members {
			if assignment[id] == nil {
				assignment[id] = []byte{}
			}
		}
		rec := Record{Key: groupKey(g.id), Value: g.metadataValue(assignment)}
		gen := r.Generation
		s.appendRecords([]Record{rec}, false, func(code int16) {
			if g.state != CompletingRebalance || gen != g.generation || s.groups[g.id] != g {
				return
			}
			if code != 0 {
				s.resetAndPropagateAssignment(g, coordinatorWriteError(code))
				s.maybePrepareRebalanceOrCompleteJoin(g)
				return
			}
			for id, m := range g.members {
				m.assignment = assignment[id]
			}
			s.propagateAssignment(g, 0)
			g.transition(Stable, s.now)
			s.log.Info("group stable", "group", g.id, "generation", g.generation)
		})
	case Stable:
		s.removePendingSync(g, m.id)
		resp := kmsg.NewPtrSyncGroupResponse()
		resp.ProtocolType, resp.Protocol = g.protocolTypePtr(), g.protocol
		resp.MemberAssignment = m.assignment
		s.respond(rq.Call, resp)
	}
}

func (g *group) protocolTypePtr() *string {
	if g.protocolType == "" {
		return nil
	}
	pt := g.protocolType
	return &pt
}

func validateSync(g *group, r *kmsg.SyncGroupRequest) int16 {
	if g.state == Dead {
		return codeCoordinatorNotAvail
	}
	if code := g.validateMember(r.MemberID, r.InstanceID); code != 0 {
		return code
	}
	if r.Generation != g.generation {
		return codeIllegalGeneration
	}
	if r.ProtocolType != nil && *r.ProtocolType != g.protocolType ||
		r.Protocol != nil && (g.protocol == nil || *r.Protocol != *g.protocol) {
		return codeInconsistentProtocol
	}
	return 0
}

func (s *Shard) removePendingSync(g *group, id string) {
	delete(g.pendingSync, id)
	switch g.state {
	case CompletingRebalance, Stable:
		if len(g.pendingSync) > 0 {
			return
		}
	}
	s.cancel(timerKey{kind: timerSync, group: g.id})
}

// resetAndPropagateAssignment clears assignments and fails parked syncs.
func (s *Shard) resetAndPropagateAssignment(g *group, code int16) {
	for _, m := range g.members {
		m.assignment = []byte{}
	}
	s.propagateAssignment(g, code)
}

// propagateAssignment answers every parked SyncGroup.
func (s *Shard) propagateAssignment(g *group, code int16) {
	for _, id := range g.order {
		m := g.members[id]
		resp := kmsg.NewPtrSyncGroupResponse()
		resp.ErrorCode = code
		resp.MemberAssignment = m.assignment
		if code == 0 {
			resp.ProtocolType, resp.Protocol = g.protocolTypePtr(), g.protocol
		}
		if s.completeSync(m, resp) {
			// Its session may have run out while it waited: a new one.
			s.scheduleHeartbeat(g, m, m.sessionTimeout)
		}
	}
}

// Heartbeat handles a Heartbeat request (answered at once).
func (s *Shard) Heartbeat(now int64, rq Request, r *kmsg.HeartbeatRequest) {
	s.now = now
	resp := kmsg.NewPtrHeartbeatResponse()
	resp.ErrorCode = s.heartbeat(r)
	s.respond(rq.Call, resp)
}

func (s *Shard) heartbeat(r *kmsg.HeartbeatRequest) int16 {
	if r.Group == "" {
		return codeInvalidGroupID
	}
	g := s.groups[r.Group]
	switch {
	case g == nil:
		return codeUnknownMemberID
	case g.state == Dead:
		return codeCoordinatorNotAvail
	}
	if code := g.validateMember(r.MemberID, r.InstanceID); code != 0 {
		return code
	}
	if r.Generation != g.generation {
		return codeIllegalGeneration
	}
	m := g.members[r.MemberID]
	switch g.state {
	case PreparingRebalance:
		s.scheduleHeartbeat(g, m, m.sessionTimeout)
		return codeRebalanceInProgress
	case CompletingRebalance, Stable:
		s.scheduleHeartbeat(g, m, m.sessionTimeout)
		return 0
	}
	return codeUnknownMemberID
}

// LeaveGroup handles a LeaveGroup request (answered at once). Versions
// 0-2 name one member; 3+ a batch, each answered on its own.
func (s *Shard) LeaveGroup(now int64, rq Request, r *kmsg.LeaveGroupRequest) {
	s.now = now
	resp := kmsg.NewPtrLeaveGroupResponse()
	defer s.respond(rq.Call, resp)
	idents := r.Members
	if rq.Version < 3 {
		idents = []kmsg.LeaveGroupRequestMember{{MemberID: r.MemberID}}
	}
	memberResp := func(i kmsg.LeaveGroupRequestMember, code int16) {
		mr := kmsg.NewLeaveGroupResponseMember()
		mr.MemberID, mr.InstanceID, mr.ErrorCode = i.MemberID, i.InstanceID, code
		resp.Members = append(resp.Members, mr)
	}
	defer func() {
		if rq.Version < 3 {
			// One member: its error is the request's.
			for _, m := range resp.Members {
				if resp.ErrorCode == 0 {
					resp.ErrorCode = m.ErrorCode
				}
			}
			resp.Members = nil
		}
	}()
	if r.Group == "" {
		resp.ErrorCode = codeInvalidGroupID
		return
	}
	g := s.groups[r.Group]
	if g == nil {
		for _, i := range idents {
			memberResp(i, codeUnknownMemberID)
		}
		return
	}
	if g.state == Dead {
		resp.ErrorCode = codeCoordinatorNotAvail
		return
	}
	left := 0
	for _, i := range idents {
		switch {
		case i.MemberID == "":
			// Removal of a static member by instance id (an admin tool).
			if i.InstanceID == nil || g.static[*i.InstanceID] == "" {
				memberResp(i, codeUnknownMemberID)
				continue
			}
			s.leave(g, g.static[*i.InstanceID])
		case g.pending[i.MemberID]:
			s.cancel(timerKey{kind: timerHeartbeat, group: g.id, member: i.MemberID})
			g.remove(i.MemberID)
		default:
			if code := g.validateMember(i.MemberID, i.InstanceID); code != 0 {
				memberResp(i, code)
				continue
			}
			s.leave(g, i.MemberID)
		}
		memberResp(i, 0)
		left++
	}
	if left == 0 {
		return
	}
	switch g.state {
	case Stable, CompletingRebalance:
		s.maybePrepareRebalanceOrCompleteJoin(g)
	case PreparingRebalance:
		s.maybeCompleteJoinPhase(g)
	}
}

func (s *Shard) leave(g *group, id string) {
	s.log.Info("member left", "group", g.id, "member", id)
	s.cancel(timerKey{kind: timerHeartbeat, group: g.id, member: id})
	s.completeJoin(g, g.members[id], joinError("", codeUnknownMemberID))
	s.removeMember(g, id)
}
