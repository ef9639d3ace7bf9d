package group

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetCommit handles an OffsetCommit request whose topics and partitions
// all exist (the handler answers the others). The response, a
// *kmsg.OffsetCommitResponse, is sent once the offsets are written.
func (s *Shard) OffsetCommit(now int64, rq Request, r *kmsg.OffsetCommitRequest) {
	s.now = now
	g := s.groups[r.Group]
	created := false
	if g == nil {
		if r.Generation >= 0 {
			// A member of a group this coordinator does not know.
			code := codeIllegalGeneration
			if rq.Version >= 9 {
				code = codeGroupIDNotFound
			}
			s.respond(rq.Call, commitResponse(r, func(string, int32) int16 { return code }))
			return
		}
		// A simple consumer (or an admin tool) storing offsets.
		g, created = newGroup(r.Group, now), true
		s.groups[r.Group] = g
	}
	if code := s.validateCommit(g, r); code != 0 {
		s.respond(rq.Call, commitResponse(r, func(string, int32) int16 { return code }))
		return
	}
	if m := g.members[r.MemberID]; m != nil && (g.state == Stable || g.state == PreparingRebalance) {
		s.scheduleHeartbeat(g, m, m.sessionTimeout) // a commit keeps the session alive
	}
	var expire int64 = -1
	if rq.Version >= 2 && rq.Version <= 4 && r.RetentionTimeMillis != -1 {
		expire = now + r.RetentionTimeMillis
	}
	var records []Record
	errs := map[[2]any]int16{}
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			md := ""
			if p.Metadata != nil {
				md = *p.Metadata
			}
			if int32(javaLength(md)) > s.cfg.OffsetMetadataMaxBytes {
				errs[[2]any{t.Topic, p.Partition}] = codeOffsetMetadataTooLarge
				continue
			}
			records = append(records, offsetRecord(r.Group, t.Topic, p.Partition, &offsetValue{
				Offset: p.Offset, LeaderEpoch: p.LeaderEpoch, Metadata: md, CommitTime: now, ExpireTime: expire,
			}))
		}
	}
	partCode := func(t string, p int32) int16 { return errs[[2]any{t, p}] }
	if len(records) == 0 {
		s.respond(rq.Call, commitResponse(r, partCode))
		return
	}
	s.appendRecords(records, true, func(code int16) {
		if code != 0 {
			code = coordinatorWriteError(code)
			if created && s.groups[g.id] == g && s.offsets[g.id] == nil && s.persistedGroups[g.id] == nil {
				delete(s.groups, g.id)
			}
			s.respond(rq.Call, commitResponse(r, func(string, int32) int16 { return code }))
			return
		}
		s.respond(rq.Call, commitResponse(r, partCode))
	})
}

// validateCommit is Kafka's check of who may commit to a classic group.
func (s *Shard) validateCommit(g *group, r *kmsg.OffsetCommitRequest) int16 {
	switch {
	case g.state == Dead:
		return codeCoordinatorNotAvail
	case r.Generation < 0 && g.state == Empty:
		return 0 // an admin tool or a consumer without group management
	case r.Generation >= 0 || r.MemberID != "" || r.InstanceID != nil:
		if code := g.validateMember(r.MemberID, r.InstanceID); code != 0 {
			return code
		}
		if r.Generation != g.generation {
			return codeIllegalGeneration
		}
	default:
		return codeUnknownMemberID // a non-member committing to a live group
	}
	if g.state == CompletingRebalance {
		return codeRebalanceInProgress
	}
	return 0
}

func commitResponse(r *kmsg.OffsetCommitRequest, code func(topic string, p int32) int16) *kmsg.OffsetCommitResponse {
	resp := kmsg.NewPtrOffsetCommitResponse()
	for _, t := range r.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, code(t.Topic, p.Partition)
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// OffsetFetch answers one group's part of an OffsetFetch request with a
// *kmsg.OffsetFetchResponseGroup; topics nil asks for every committed
// offset. Offsets are only ever visible once written, so they are always
// stable (there are no transactional offsets yet) and requireStable needs
// no waiting.
func (s *Shard) OffsetFetch(now int64, rq Request, groupID string, topics []kmsg.OffsetFetchRequestGroupTopic, requireStable bool) {
	s.now = now
	resp := kmsg.NewOffsetFetchResponseGroup()
	resp.Group = groupID
	known := s.groups[groupID] != nil
	if topics == nil {
		resp.Topics = []kmsg.OffsetFetchResponseGroupTopic{}
		if known {
			byTopic := s.offsets[groupID]
			for _, t := range sortedKeys(byTopic) {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic = t
				for _, p := range sortedParts(byTopic[t]) {
					rt.Partitions = append(rt.Partitions, fetchedOffset(p, byTopic[t][p]))
				}
				resp.Topics = append(resp.Topics, rt)
			}
		}
		s.respond(rq.Call, &resp)
		return
	}
	for _, t := range topics {
		rt := kmsg.NewOffsetFetchResponseGroupTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for _, p := range t.Partitions {
			var v *offsetValue
			if known {
				v = s.offset(groupID, t.Topic, p)
			}
			rt.Partitions = append(rt.Partitions, fetchedOffset(p, v))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	s.respond(rq.Call, &resp)
}

func fetchedOffset(p int32, v *offsetValue) kmsg.OffsetFetchResponseGroupTopicPartition {
	rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
	rp.Partition = p
	md := ""
	rp.Offset, rp.LeaderEpoch, rp.Metadata = -1, -1, &md
	if v != nil {
		md := v.Metadata
		rp.Offset, rp.LeaderEpoch, rp.Metadata = v.Offset, v.LeaderEpoch, &md
	}
	return rp
}

// OffsetDelete handles an OffsetDelete request: a
// *kmsg.OffsetDeleteResponse once the tombstones are written.
func (s *Shard) OffsetDelete(now int64, rq Request, r *kmsg.OffsetDeleteRequest) {
	s.now = now
	resp := kmsg.NewPtrOffsetDeleteResponse()
	if r.Group == "" {
		resp.ErrorCode = codeInvalidGroupID
		s.respond(rq.Call, resp)
		return
	}
	g := s.groups[r.Group]
	switch {
	case g == nil || g.state == Dead:
		resp.ErrorCode = codeGroupIDNotFound
	case g.state != Empty && !g.usesConsumerProtocol():
		resp.ErrorCode = codeNonEmptyGroup
	}
	if resp.ErrorCode != 0 {
		s.respond(rq.Call, resp)
		return
	}
	var records []Record
	for _, t := range r.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		subscribed := g.isSubscribedTo(t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			switch {
			case subscribed:
				rp.ErrorCode = codeGroupSubscribedToTopic
			case s.offset(r.Group, t.Topic, p.Partition) != nil:
				records = append(records, offsetTombstone(r.Group, t.Topic, p.Partition))
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if len(records) == 0 {
		s.respond(rq.Call, resp)
		return
	}
	s.appendRecords(records, true, func(code int16) {
		if code != 0 {
			resp = kmsg.NewPtrOffsetDeleteResponse()
			resp.ErrorCode = coordinatorWriteError(code)
		}
		s.respond(rq.Call, resp)
	})
}

// scheduleExpiry arms the periodic offsets.retention check.
func (s *Shard) scheduleExpiry() {
	s.schedule(timerKey{kind: timerExpiry}, s.cfg.RetentionCheckIntervalMs, s.expireOffsets)
}

// expireOffsets removes offsets past offsets.retention.minutes, and groups
// left empty with no offsets (Kafka's cleanupGroupMetadata). Offsets of an
// empty consumer group expire counting from when it became empty; of a
// stable consumer group, only for topics it no longer consumes, counting
// from the commit; of a simple group, counting from the commit.
func (s *Shard) expireOffsets() {
	var records []Record
	for _, id := range s.sortedGroupIDs() {
		g := s.groups[id]
		allExpired := true
		if byTopic := s.offsets[id]; byTopic != nil {
			base, ok := s.expiryBase(g)
			if !ok {
				continue
			}
			for _, t := range sortedKeys(byTopic) {
				if g.isSubscribedTo(t) {
					allExpired = false
					continue
				}
				for _, p := range sortedParts(byTopic[t]) {
					v := byTopic[t][p]
					if v.ExpireTime >= 0 && s.now >= v.ExpireTime ||
						v.ExpireTime < 0 && s.now-base(v) >= s.cfg.OffsetsRetentionMs {
						records = append(records, offsetTombstone(id, t, p))
					} else {
						allExpired = false
					}
				}
			}
		}
		if allExpired && g.state == Empty {
			records = append(records, groupTombstone(id))
		}
	}
	if len(records) > 0 {
		n := len(records)
		s.appendRecords(records, true, func(code int16) {
			if code != 0 {
				s.log.Warn("writing expired offsets' tombstones failed", "records", n, "code", code)
			} else {
				s.log.Info("expired offsets and groups", "records", n)
			}
		})
	}
	s.scheduleExpiry()
}

// expiryBase says from when a group's offsets age; false when they do not.
func (s *Shard) expiryBase(g *group) (func(*offsetValue) int64, bool) {
	switch {
	case g.protocolType == "":
		return func(v *offsetValue) int64 { return v.CommitTime }, true
	case g.state == Empty:
		if g.stateTimestamp >= 0 {
			ts := g.stateTimestamp
			return func(*offsetValue) int64 { return ts }, true
		}
		return func(v *offsetValue) int64 { return v.CommitTime }, true
	case g.usesConsumerProtocol() && g.subscribedKnown && g.state == Stable:
		return func(v *offsetValue) int64 { return v.CommitTime }, true
	}
	return nil, false
}

// TopicsDeleted removes the committed offsets of deleted topics, as Kafka
// does when a topic goes away.
func (s *Shard) TopicsDeleted(now int64, topics []string) {
	s.now = now
	var records []Record
	for _, id := range sortedKeys(s.offsets) {
		for _, t := range topics {
			byPart := s.offsets[id][t]
			for _, p := range sortedParts(byPart) {
				records = append(records, offsetTombstone(id, t, p))
			}
		}
	}
	if len(records) > 0 {
		s.appendRecords(records, true, nil)
	}
}
