package group

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CheckJoin is the validation Kafka does before routing a JoinGroup to its
// coordinator partition: 0 when the request may proceed.
func CheckJoin(cfg Config, r *kmsg.JoinGroupRequest) int16 {
	switch {
	case r.Group == "":
		return codeInvalidGroupID
	case r.SessionTimeoutMillis < cfg.MinSessionTimeoutMs || r.SessionTimeoutMillis > cfg.MaxSessionTimeoutMs:
		return codeInvalidSessionTimeout
	}
	return 0
}

// JoinGroup handles a JoinGroup request. The response (a
// *kmsg.JoinGroupResponse) may come at once or only when the join phase
// completes.
func (s *Shard) JoinGroup(now int64, rq Request, r *kmsg.JoinGroupRequest) {
	s.now = now
	if code := CheckJoin(s.cfg, r); code != 0 {
		s.respond(rq.Call, joinError(r.MemberID, code))
		return
	}
	unknown := r.MemberID == ""
	g, isNew := s.groups[r.Group], false
	if g == nil {
		if !unknown {
			s.respond(rq.Call, joinError(r.MemberID, codeUnknownMemberID))
			return
		}
		g, isNew = newGroup(r.Group, now), true
		s.groups[r.Group] = g
	}
	appends := len(s.ready.Appends)
	switch {
	case !s.acceptJoiningMember(g, r.MemberID):
		s.removeMember(g, r.MemberID)
		s.respond(rq.Call, joinError("", codeGroupMaxSizeReached))
	case unknown:
		s.joinNewMember(g, rq, r)
	default:
		s.joinExistingMember(g, rq, r)
	}
	if isNew && len(s.ready.Appends) == appends {
		// A new group is persisted at once (as empty) so that it exists
		// for tools reading __consumer_offsets; if that fails it is gone.
		rec := Record{Key: groupKey(g.id), Value: emptyGroupValue(g.stateTimestamp)}
		s.appendRecords([]Record{rec}, false, func(code int16) {
			if code == 0 || s.groups[g.id] != g {
				return
			}
			code = coordinatorWriteError(code)
			for _, id := range g.order {
				s.completeJoin(g, g.members[id], joinError("", code))
			}
			s.cancelGroupTimers(g)
			delete(s.groups, g.id)
		})
	}
}

func emptyGroupValue(stateTimestamp int64) []byte {
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupValueVersion
	v.CurrentStateTimestamp = stateTimestamp
	return v.AppendTo(nil)
}

// acceptJoiningMember applies group.max.size: counting parked joins while
// preparing a rebalance (so the last to rejoin of an oversized group are
// turned away), members otherwise.
func (s *Shard) acceptJoiningMember(g *group, memberID string) bool {
	switch g.state {
	case PreparingRebalance:
		m := g.members[memberID]
		return m != nil && m.awaitingJoin || int32(g.numAwaitingJoin) < s.cfg.MaxSize
	case CompletingRebalance, Stable:
		return g.members[memberID] != nil || int32(len(g.members)) < s.cfg.MaxSize
	}
	return true
}

func (s *Shard) joinNewMember(g *group, rq Request, r *kmsg.JoinGroupRequest) {
	switch {
	case g.state == Dead:
		s.respond(rq.Call, joinError("", codeCoordinatorNotAvail))
		return
	case !g.supportsProtocols(r.ProtocolType, r.Protocols):
		s.respond(rq.Call, joinError("", codeInconsistentProtocol))
		return
	}
	prefix := rq.ClientID
	if r.InstanceID != nil {
		prefix = *r.InstanceID
	}
	id := prefix + "-" + s.opts.NewUUID()
	switch {
	case r.InstanceID != nil:
		if old, ok := g.static[*r.InstanceID]; ok {
			s.replaceStaticMember(g, rq, r, old, id)
		} else {
			s.addMemberThenRebalance(g, rq, r, id)
		}
	case rq.Version >= 4:
		// KIP-394: hand out the id and have the member join again with it,
		// so a client that times out does not leave a ghost member behind.
		g.pending[id] = true
		s.scheduleExpire(g.id, id, int64(r.SessionTimeoutMillis))
		s.respond(rq.Call, joinError(id, codeMemberIDRequired))
	default:
		s.addMemberThenRebalance(g, rq, r, id)
	}
}

func (s *Shard) joinExistingMember(g *group, rq Request, r *kmsg.JoinGroupRequest) {
	id := r.MemberID
	switch {
	case g.state == Dead:
		s.respond(rq.Call, joinError(id, codeCoordinatorNotAvail))
		return
	case !g.supportsProtocols(r.ProtocolType, r.Protocols):
		s.respond(rq.Call, joinError(id, codeInconsistentProtocol))
		return
	case g.pending[id]:
		s.addMemberThenRebalance(g, rq, r, id)
		return
	}
	if code := g.validateMember(id, r.InstanceID); code != 0 {
		s.respond(rq.Call, joinError(id, code))
		return
	}
	m := g.members[id]
	switch g.state {
	case PreparingRebalance:
		s.updateMemberThenRebalance(g, m, rq, r)
	case CompletingRebalance:
		if m.matches(r.Protocols) {
			// A retry of a join whose response was lost: the current
			// generation again.
			s.respond(rq.Call, s.joinResponse(g, id, g.isLeader(id)))
		} else {
			s.updateMemberThenRebalance(g, m, rq, r)
		}
	case Stable:
		if g.isLeader(id) || !m.matches(r.Protocols) {
			// The leader rejoining asks for a rebalance (e.g. topic
			// metadata changed); so does changed member metadata.
			s.updateMemberThenRebalance(g, m, rq, r)
		} else {
			s.respond(rq.Call, s.joinResponse(g, id, false))
		}
	default:
		s.respond(rq.Call, joinError(id, codeUnknownMemberID))
	}
}

// joinResponse describes the current generation to a member.
func (s *Shard) joinResponse(g *group, memberID string, withMembers bool) *kmsg.JoinGroupResponse {
	r := kmsg.NewPtrJoinGroupResponse()
	r.Generation = g.generation
	if g.protocolType != "" {
		pt := g.protocolType
		r.ProtocolType = &pt
	}
	r.Protocol = g.protocol
	r.LeaderID = g.leader
	r.MemberID = memberID
	if withMembers {
		r.Members = g.currentMembers()
	}
	return r
}

func (s *Shard) addMemberThenRebalance(g *group, rq Request, r *kmsg.JoinGroupRequest, id string) {
	m := &member{
		id: id, instanceID: r.InstanceID, clientID: rq.ClientID, clientHost: rq.ClientHost,
		rebalanceTimeout: r.RebalanceTimeoutMillis, sessionTimeout: r.SessionTimeoutMillis,
		protocolType: r.ProtocolType, protocols: copyProtocols(r.Protocols),
		joinCall: rq.Call, awaitingJoin: true, isNew: true,
	}
	if r.InstanceID != nil {
		iid := *r.InstanceID
		m.instanceID = &iid
	}
	if rq.Version == 0 {
		m.rebalanceTimeout = m.sessionTimeout
	}
	if g.state == PreparingRebalance && g.prevState == Empty {
		g.newMemberAdded = true // the initial rebalance may wait a little longer
	}
	g.add(m)
	// A new member cannot heartbeat while parked, and a disconnect goes
	// unseen, so its parked join is bounded instead.
	s.scheduleHeartbeat(g, m, s.cfg.NewMemberJoinTimeoutMs)
	s.maybePrepareRebalanceOrCompleteJoin(g)
}

func (s *Shard) updateMemberThenRebalance(g *group, m *member, rq Request, r *kmsg.JoinGroupRequest) {
	s.updateMember(g, m, copyProtocols(r.Protocols), r.RebalanceTimeoutMillis, r.SessionTimeoutMillis, rq.Call, true)
	s.maybePrepareRebalanceOrCompleteJoin(g)
}

// updateMember replaces a member's protocols and timeouts and parks (or,
// with park false, unparks) its JoinGroup call.
func (s *Shard) updateMember(g *group, m *member, ps []protocol, rebalanceTimeout, sessionTimeout int32, call CallID, park bool) {
	g.countProtocols(m, -1)
	m.protocols = ps
	g.countProtocols(m, 1)
	m.rebalanceTimeout, m.sessionTimeout = rebalanceTimeout, sessionTimeout
	switch {
	case park && m.awaitingJoin:
		// A second join for the same member supersedes the first; answer
		// the first so that nothing waits on it forever.
		s.respond(m.joinCall, joinError(m.id, codeRebalanceInProgress))
	case park:
		g.numAwaitingJoin++
	case m.awaitingJoin:
		g.numAwaitingJoin--
	}
	m.awaitingJoin, m.joinCall = park, call
}

// replaceStaticMember handles a static member rejoining with an unknown
// member id: the new id takes over the instance, the old one is fenced.
func (s *Shard) replaceStaticMember(g *group, rq Request, r *kmsg.JoinGroupRequest, oldID, newID string) {
	currentLeader := g.leader
	old := g.members[oldID]
	s.completeJoin(g, old, &kmsg.JoinGroupResponse{Generation: -1, MemberID: oldID, ErrorCode: codeFencedInstanceID})
	s.completeSync(old, syncError(codeFencedInstanceID))
	s.cancel(timerKey{kind: timerHeartbeat, group: g.id, member: oldID})
	nm := s.swapStaticMember(g, old, newID)
	s.scheduleHeartbeat(g, nm, nm.sessionTimeout)

	oldProtocols, oldRebalance, oldSession := nm.protocols, nm.rebalanceTimeout, nm.sessionTimeout
	s.updateMember(g, nm, copyProtocols(r.Protocols), r.RebalanceTimeoutMillis, r.SessionTimeoutMillis, rq.Call, true)

	switch g.state {
	case Stable:
		if g.protocol == nil || *g.protocol != g.selectProtocol() {
			s.maybePrepareRebalanceOrCompleteJoin(g)
			return
		}
		// The assignment stays; persist the new member id without a
		// rebalance.
		rec := Record{Key: groupKey(g.id), Value: g.metadataValue(g.assignments())}
		iid := *r.InstanceID
		s.appendRecords([]Record{rec}, false, func(code int16) {
			if code != 0 {
				s.updateMember(g, nm, oldProtocols, oldRebalance, oldSession, 0, false)
				back := s.swapStaticMember(g, nm, oldID)
				s.cancel(timerKey{kind: timerHeartbeat, group: g.id, member: newID})
				s.scheduleHeartbeat(g, back, back.sessionTimeout)
				resp := s.joinResponse(g, "", false)
				resp.LeaderID = currentLeader
				resp.ErrorCode = coordinatorWriteError(code)
				s.respond(rq.Call, resp)
				s.log.Warn("persisting a replaced static member failed; reverted", "group", g.id, "instance", iid)
				return
			}
			if rq.Version >= 9 {
				isLeader := g.isLeader(newID)
				resp := s.joinResponse(g, newID, isLeader)
				resp.SkipAssignment = isLeader
				s.completeJoin(g, nm, resp)
			} else {
				resp := s.joinResponse(g, newID, false)
				resp.LeaderID = currentLeader
				s.completeJoin(g, nm, resp)
			}
		})
	case CompletingRebalance:
		// The leader may already be assigning to the old id: rebalance.
		s.prepareRebalance(g)
	default:
		s.maybeCompleteJoinPhase(g)
	}
}

// swapStaticMember gives a static member a new member id, keeping its
// place, leadership, protocols and assignment.
func (s *Shard) swapStaticMember(g *group, old *member, newID string) *member {
	nm := *old
	nm.id = newID
	nm.awaitingJoin, nm.awaitingSync, nm.joinCall, nm.syncCall = false, false, 0, 0
	delete(g.members, old.id)
	g.members[newID] = &nm
	for i, id := range g.order {
		if id == old.id {
			g.order[i] = newID
		}
	}
	if g.leader == old.id {
		g.leader = newID
	}
	g.static[*nm.instanceID] = newID
	if g.pendingSync[old.id] {
		delete(g.pendingSync, old.id)
		g.pendingSync[newID] = true
	}
	return &nm
}

func (s *Shard) maybePrepareRebalanceOrCompleteJoin(g *group) {
	if g.canRebalance() {
		s.prepareRebalance(g)
	} else {
		s.maybeCompleteJoinPhase(g)
	}
}

// prepareRebalance starts a join phase.
func (s *Shard) prepareRebalance(g *group) {
	if g.state == CompletingRebalance {
		s.resetAndPropagateAssignment(g, codeRebalanceInProgress)
	}
	s.removeSyncExpiration(g)
	initial := g.state == Empty
	if initial {
		// A new group waits group.initial.rebalance.delay.ms for more
		// members, extended while they keep coming, up to the rebalance
		// timeout.
		delay := s.cfg.InitialRebalanceDelayMs
		remaining := max(g.rebalanceTimeout()-delay, 0)
		id := g.id
		s.schedule(timerKey{kind: timerJoin, group: id}, int64(delay), func() { s.initialRebalanceTimeout(id, delay, remaining) })
	}
	g.transition(PreparingRebalance, s.now)
	s.log.Info("preparing to rebalance", "group", g.id, "generation", g.generation)
	if !initial {
		s.maybeCompleteJoinElseSchedule(g)
	}
}

func (s *Shard) maybeCompleteJoinElseSchedule(g *group) {
	if g.hasAllMembersJoined() {
		s.completeJoinPhase(g)
		return
	}
	id := g.id
	s.schedule(timerKey{kind: timerJoin, group: id}, int64(g.rebalanceTimeout()), func() { s.joinTimeout(id) })
}

func (s *Shard) initialRebalanceTimeout(id string, delay, remaining int32) {
	g := s.groups[id]
	if g == nil {
		return
	}
	if g.newMemberAdded && remaining != 0 {
		g.newMemberAdded = false
		newDelay := min(s.cfg.InitialRebalanceDelayMs, remaining)
		newRemaining := max(remaining-delay, 0)
		s.schedule(timerKey{kind: timerJoin, group: id}, int64(newDelay), func() { s.initialRebalanceTimeout(id, newDelay, newRemaining) })
		return
	}
	s.completeJoinPhase(g)
}

func (s *Shard) joinTimeout(id string) {
	if g := s.groups[id]; g != nil {
		s.completeJoinPhase(g)
	}
}

// maybeCompleteJoinPhase ends the join phase once every member has
// rejoined (never early for a group's initial rebalance).
func (s *Shard) maybeCompleteJoinPhase(g *group) {
	if g.state == PreparingRebalance && g.prevState != Empty && g.hasAllMembersJoined() {
		s.completeJoinPhase(g)
	}
}

// completeJoinPhase drops dynamic members that did not rejoin, starts the
// next generation and answers every parked JoinGroup; the leader gets the
// members and their metadata.
func (s *Shard) completeJoinPhase(g *group) {
	s.cancel(timerKey{kind: timerJoin, group: g.id})
	for _, id := range append([]string(nil), g.order...) {
		if m := g.members[id]; !m.awaitingJoin && m.instanceID == nil {
			s.removeMember(g, id)
			s.cancel(timerKey{kind: timerHeartbeat, group: g.id, member: id})
		}
	}
	if g.state == Dead {
		return
	}
	if !g.maybeElectNewJoinedLeader() && len(g.members) > 0 {
		// Nobody rejoined: wait another rebalance timeout, by which time
		// sessions will have removed the silent members.
		id := g.id
		s.schedule(timerKey{kind: timerJoin, group: id}, int64(g.rebalanceTimeout()), func() { s.joinTimeout(id) })
		return
	}
	g.initNextGeneration(s.now)
	if g.state == Empty {
		s.log.Info("group is now empty", "group", g.id, "generation", g.generation)
		rec := Record{Key: groupKey(g.id), Value: g.metadataValue(nil)}
		id := g.id
		s.appendRecords([]Record{rec}, false, func(code int16) {
			if code != 0 {
				s.log.Warn("writing empty group metadata failed", "group", id, "code", code)
			}
		})
		return
	}
	s.log.Info("group join phase complete", "group", g.id, "generation", g.generation, "members", len(g.members), "protocol", *g.protocol)
	for _, id := range g.order {
		m := g.members[id]
		s.completeJoin(g, m, s.joinResponse(g, id, g.isLeader(id)))
		s.scheduleHeartbeat(g, m, m.sessionTimeout)
		m.isNew = false
		g.pendingSync[id] = true
	}
	gen, id := g.generation, g.id
	s.schedule(timerKey{kind: timerSync, group: id}, int64(g.rebalanceTimeout()), func() { s.pendingSyncTimeout(id, gen) })
}

// pendingSyncTimeout removes members that joined but never synced.
func (s *Shard) pendingSyncTimeout(id string, generation int32) {
	g := s.groups[id]
	if g == nil || g.generation != generation || (g.state != CompletingRebalance && g.state != Stable) || len(g.pendingSync) == 0 {
		return
	}
	for _, mid := range append([]string(nil), g.order...) {
		if g.pendingSync[mid] {
			s.removeMember(g, mid)
			s.cancel(timerKey{kind: timerHeartbeat, group: id, member: mid})
		}
	}
	s.log.Info("removed members that did not sync", "group", id, "generation", generation)
	s.prepareRebalance(g)
}

func (s *Shard) removeSyncExpiration(g *group) {
	clear(g.pendingSync)
	s.cancel(timerKey{kind: timerSync, group: g.id})
}

// scheduleHeartbeat (re)arms a member's session.
func (s *Shard) scheduleHeartbeat(g *group, m *member, timeoutMs int32) {
	s.scheduleExpire(g.id, m.id, int64(timeoutMs))
}

func (s *Shard) scheduleExpire(groupID, memberID string, timeoutMs int64) {
	s.schedule(timerKey{kind: timerHeartbeat, group: groupID, member: memberID}, timeoutMs, func() { s.heartbeatExpired(groupID, memberID) })
}

func (s *Shard) heartbeatExpired(groupID, memberID string) {
	g := s.groups[groupID]
	if g == nil || g.state == Dead {
		return
	}
	if g.pending[memberID] {
		delete(g.pending, memberID)
		if g.state == PreparingRebalance && g.hasAllMembersJoined() {
			s.completeJoinPhase(g)
		}
		return
	}
	m := g.members[memberID]
	if m == nil || m.hasSatisfiedHeartbeat() {
		return
	}
	s.log.Info("member session expired", "group", groupID, "member", memberID)
	s.removeMemberAndUpdateGroup(g, m)
}

// removeMemberAndUpdateGroup removes a failed member and moves the group
// on: a rebalance, or the end of the one under way.
func (s *Shard) removeMemberAndUpdateGroup(g *group, m *member) {
	s.completeJoin(g, m, joinError("", codeUnknownMemberID))
	s.removeMember(g, m.id)
	switch {
	case g.state == Stable || g.state == CompletingRebalance:
		s.maybePrepareRebalanceOrCompleteJoin(g)
	case g.state == PreparingRebalance && g.hasAllMembersJoined():
		s.completeJoinPhase(g)
	}
}

// removeMember drops a member; a SyncGroup it has parked is answered
// UNKNOWN_MEMBER_ID rather than left waiting.
func (s *Shard) removeMember(g *group, id string) {
	if m := g.members[id]; m != nil {
		s.completeSync(m, syncError(codeUnknownMemberID))
	}
	g.remove(id)
}
