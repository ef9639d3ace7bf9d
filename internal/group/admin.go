package group

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeGroups answers with a []kmsg.DescribeGroupsResponseGroup, one per
// group in order. Unknown groups are described as Dead (and, from version
// 6, GROUP_ID_NOT_FOUND). Member metadata and assignments are only shown
// for a stable group.
func (s *Shard) DescribeGroups(now int64, rq Request, groups []string) {
	s.now = now
	out := make([]kmsg.DescribeGroupsResponseGroup, 0, len(groups))
	for _, id := range groups {
		d := kmsg.NewDescribeGroupsResponseGroup()
		d.Group = id
		g := s.groups[id]
		if g == nil {
			d.State = Dead.String()
			if rq.Version >= 6 {
				d.ErrorCode = codeGroupIDNotFound
				msg := fmt.Sprintf("Group %s not found.", id)
				d.ErrorMessage = &msg
			}
			out = append(out, d)
			continue
		}
		d.State, d.ProtocolType = g.state.String(), g.protocolType
		stable := g.state == Stable && g.protocol != nil
		if stable {
			d.Protocol = *g.protocol
		}
		for _, mid := range g.order {
			m := g.members[mid]
			dm := kmsg.NewDescribeGroupsResponseGroupMember()
			dm.MemberID, dm.InstanceID, dm.ClientID, dm.ClientHost = m.id, m.instanceID, m.clientID, m.clientHost
			dm.ProtocolMetadata, dm.MemberAssignment = []byte{}, []byte{}
			if stable {
				dm.ProtocolMetadata, dm.MemberAssignment = m.metadata(*g.protocol), m.assignment
			}
			d.Members = append(d.Members, dm)
		}
		out = append(out, d)
	}
	s.respond(rq.Call, out)
}

// ListGroups answers with a []kmsg.ListGroupsResponseGroup: the groups of
// this shard matching the filters (empty filters match all; names are
// case-insensitive; every group here is of type "classic").
func (s *Shard) ListGroups(now int64, rq Request, states, types []string) {
	s.now = now
	stateSet := parseStateFilter(states)
	classic := len(types) == 0
	for _, t := range types {
		if strings.EqualFold(strings.TrimSpace(t), "classic") {
			classic = true
		}
	}
	out := []kmsg.ListGroupsResponseGroup{}
	if classic {
		for _, id := range s.sortedGroupIDs() {
			g := s.groups[id]
			if len(states) > 0 && !stateSet[g.state] {
				continue
			}
			lg := kmsg.NewListGroupsResponseGroup()
			lg.Group, lg.ProtocolType, lg.GroupState, lg.GroupType = id, g.protocolType, g.state.String(), "classic"
			out = append(out, lg)
		}
	}
	s.respond(rq.Call, out)
}

// DeleteGroups answers with a []kmsg.DeleteGroupsResponseGroup once the
// groups' offsets and metadata are tombstoned. Only empty groups can be
// deleted.
func (s *Shard) DeleteGroups(now int64, rq Request, groups []string) {
	s.now = now
	out := make([]kmsg.DeleteGroupsResponseGroup, 0, len(groups))
	var records []Record
	for _, id := range groups {
		d := kmsg.NewDeleteGroupsResponseGroup()
		d.Group = id
		g := s.groups[id]
		switch {
		case g == nil || g.state == Dead:
			d.ErrorCode = codeGroupIDNotFound
		case g.state != Empty:
			d.ErrorCode = codeNonEmptyGroup
		default:
			byTopic := s.offsets[id]
			for _, t := range sortedKeys(byTopic) {
				for _, p := range sortedParts(byTopic[t]) {
					records = append(records, offsetTombstone(id, t, p))
				}
			}
			records = append(records, groupTombstone(id))
		}
		out = append(out, d)
	}
	if len(records) == 0 {
		s.respond(rq.Call, out)
		return
	}
	s.appendRecords(records, true, func(code int16) {
		if code != 0 {
			code = coordinatorWriteError(code)
			for i := range out {
				out[i].ErrorCode = code
			}
		}
		s.respond(rq.Call, out)
	})
}
