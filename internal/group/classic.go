package group

import (
	"bytes"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// State is a classic group's state (Kafka's ClassicGroupState).
type State int8

const (
	// Empty: no members. Offsets may still be committed (generation -1)
	// and fetched; the group lingers until its offsets expire.
	Empty State = iota
	// PreparingRebalance: waiting for members to (re)join.
	PreparingRebalance
	// CompletingRebalance: joined; waiting for the leader's assignment.
	CompletingRebalance
	// Stable: assignment distributed; heartbeats keep members alive.
	Stable
	// Dead: the group is gone (deleted, expired, or its partition
	// unloaded). Only DescribeGroups shows it, for unknown groups.
	Dead
)

var stateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}

func (s State) String() string { return stateNames[s] }

// consumerProtocolType is the protocol type of Kafka consumers; only its
// subscriptions are understood (for offset expiry and OffsetDelete).
const consumerProtocolType = "consumer"

type protocol struct {
	name     string
	metadata []byte
}

// member is one member of a classic group.
type member struct {
	id         string
	instanceID *string // static membership (KIP-345)
	clientID   string
	clientHost string
	// rebalanceTimeout bounds a rebalance; sessionTimeout bounds the gap
	// between heartbeats. Both in ms, as the member asked.
	rebalanceTimeout int32
	sessionTimeout   int32
	protocolType     string
	protocols        []protocol // in the member's order of preference
	assignment       []byte

	// joinCall / syncCall are the parked JoinGroup / SyncGroup requests.
	joinCall, syncCall CallID
	awaitingJoin       bool
	awaitingSync       bool
	// isNew: joined but not yet through a completed join phase; such a
	// member can expire while awaiting its join (KIP-394).
	isNew bool
}

func (m *member) metadata(name string) []byte {
	for _, p := range m.protocols {
		if p.name == name {
			return p.metadata
		}
	}
	return nil
}

// matches reports whether protocols are exactly the member's (names,
// metadata and order).
func (m *member) matches(protocols []kmsg.JoinGroupRequestProtocol) bool {
	if len(protocols) != len(m.protocols) {
		return false
	}
	for i, p := range protocols {
		if p.Name != m.protocols[i].name || !bytes.Equal(p.Metadata, m.protocols[i].metadata) {
			return false
		}
	}
	return true
}

// hasSatisfiedHeartbeat: members parked in a join or sync need not
// heartbeat, unless new (they may have gone away while parked).
func (m *member) hasSatisfiedHeartbeat() bool {
	return !m.isNew && (m.awaitingJoin || m.awaitingSync)
}

func copyProtocols(ps []kmsg.JoinGroupRequestProtocol) []protocol {
	out := make([]protocol, len(ps))
	for i, p := range ps {
		out[i] = protocol{name: p.Name, metadata: bytes.Clone(p.Metadata)}
		if out[i].metadata == nil {
			out[i].metadata = []byte{}
		}
	}
	return out
}

// group is one classic group.
type group struct {
	id             string
	state          State
	prevState      State
	stateTimestamp int64 // ms of the last transition; -1 when unknown (old metadata)
	generation     int32
	protocolType   string  // "" when none (a simple group)
	protocol       *string // the selected protocol, nil when none
	leader         string  // "" when none

	// Invariant: order lists exactly the keys of members, in join order
	// (it decides the leader after the leader leaves, deterministically).
	members map[string]*member
	order   []string
	static  map[string]string // instance id → member id
	// pending are member ids handed out with MEMBER_ID_REQUIRED, not yet
	// joined with them.
	pending map[string]bool
	// pendingSync are members that have not sent SyncGroup for the current
	// generation.
	pendingSync map[string]bool
	// Invariant: numAwaitingJoin is the number of members with awaitingJoin.
	numAwaitingJoin int
	newMemberAdded  bool
	supported       map[string]int // protocol name → members supporting it

	// subscribed is the union of the members' consumer subscriptions;
	// subscribedKnown is false when they are unknown (not a consumer
	// group, or unparsable).
	subscribed      map[string]bool
	subscribedKnown bool
}

func newGroup(id string, now int64) *group {
	return &group{
		id: id, state: Empty, prevState: Empty, stateTimestamp: now,
		members: map[string]*member{}, static: map[string]string{}, pending: map[string]bool{},
		pendingSync: map[string]bool{}, supported: map[string]int{},
	}
}

func (g *group) transition(s State, now int64) {
	g.prevState, g.state = g.state, s
	g.stateTimestamp = now
}

// canRebalance: PreparingRebalance may follow the current state.
func (g *group) canRebalance() bool {
	return g.state == Stable || g.state == CompletingRebalance || g.state == Empty
}

func (g *group) isLeader(id string) bool { return g.leader != "" && g.leader == id }

func (g *group) usesConsumerProtocol() bool { return g.protocolType == consumerProtocolType }

func (g *group) add(m *member) {
	if m.instanceID != nil {
		g.static[*m.instanceID] = m.id
	}
	if len(g.members) == 0 {
		g.protocolType = m.protocolType
	}
	if g.leader == "" {
		g.leader = m.id
	}
	g.members[m.id] = m
	g.order = append(g.order, m.id)
	g.countProtocols(m, 1)
	if m.awaitingJoin {
		g.numAwaitingJoin++
	}
	delete(g.pending, m.id)
}

// remove drops a member (or pending member); the caller answers any call
// it had parked.
func (g *group) remove(id string) {
	if id == "" {
		return // an unknown member: nothing to remove (and "" is no leader)
	}
	if m, ok := g.members[id]; ok {
		delete(g.members, id)
		g.order = slices.DeleteFunc(g.order, func(s string) bool { return s == id })
		g.countProtocols(m, -1)
		if m.awaitingJoin {
			g.numAwaitingJoin--
		}
		if m.instanceID != nil {
			delete(g.static, *m.instanceID)
		}
	}
	if g.leader == id {
		g.leader = ""
		if len(g.order) > 0 {
			g.leader = g.order[0]
		}
	}
	delete(g.pending, id)
	delete(g.pendingSync, id)
}

func (g *group) countProtocols(m *member, delta int) {
	for _, p := range m.protocols {
		g.supported[p.name] += delta
		if g.supported[p.name] == 0 {
			delete(g.supported, p.name)
		}
	}
}

// supportsProtocols: may a member with this type and these protocols
// join? An empty group takes any non-empty type and protocol list; else
// the type must match and one protocol must be supported by every member.
func (g *group) supportsProtocols(protocolType string, ps []kmsg.JoinGroupRequestProtocol) bool {
	if g.state == Empty {
		return protocolType != "" && len(ps) > 0
	}
	if g.protocolType != protocolType {
		return false
	}
	for _, p := range ps {
		if g.supported[p.Name] == len(g.members) {
			return true
		}
	}
	return false
}

// selectProtocol picks the protocol every member supports that most
// members prefer (each votes for its first supported candidate). Ties go
// to the name that sorts first, to be deterministic.
func (g *group) selectProtocol() string {
	votes := map[string]int{}
	for _, id := range g.order {
		for _, p := range g.members[id].protocols {
			if g.supported[p.name] == len(g.members) {
				votes[p.name]++
				break
			}
		}
	}
	best, bestVotes := "", -1
	for name, n := range votes {
		if n > bestVotes || n == bestVotes && name < best {
			best, bestVotes = name, n
		}
	}
	return best
}

func (g *group) rebalanceTimeout() int32 {
	var t int32
	for _, m := range g.members {
		t = max(t, m.rebalanceTimeout)
	}
	return t
}

func (g *group) hasAllMembersJoined() bool {
	return len(g.members) == g.numAwaitingJoin && len(g.pending) == 0
}

// maybeElectNewJoinedLeader makes a member that rejoined the leader if
// the leader did not; false when no member rejoined.
func (g *group) maybeElectNewJoinedLeader() bool {
	if g.leader == "" {
		return false
	}
	if g.members[g.leader].awaitingJoin {
		return true
	}
	for _, id := range g.order {
		if g.members[id].awaitingJoin {
			g.leader = id
			return true
		}
	}
	return false
}

func (g *group) initNextGeneration(now int64) {
	g.generation++
	if len(g.members) > 0 {
		p := g.selectProtocol()
		g.protocol = &p
		g.computeSubscribed()
		g.transition(CompletingRebalance, now)
	} else {
		g.protocol = nil
		g.computeSubscribed()
		g.transition(Empty, now)
	}
	clear(g.pendingSync)
}

// validateMember checks a request's member and instance ids.
func (g *group) validateMember(memberID string, instanceID *string) int16 {
	if instanceID != nil {
		existing, ok := g.static[*instanceID]
		if !ok {
			return codeUnknownMemberID
		}
		if existing != memberID {
			return codeFencedInstanceID
		}
	}
	if _, ok := g.members[memberID]; !ok {
		return codeUnknownMemberID
	}
	return 0
}

// currentMembers is what the leader gets in its JoinGroup response.
func (g *group) currentMembers() []kmsg.JoinGroupResponseMember {
	out := make([]kmsg.JoinGroupResponseMember, 0, len(g.order))
	var proto string
	if g.protocol != nil {
		proto = *g.protocol
	}
	for _, id := range g.order {
		m := g.members[id]
		rm := kmsg.NewJoinGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ProtocolMetadata = m.id, m.instanceID, m.metadata(proto)
		out = append(out, rm)
	}
	return out
}

func (g *group) assignments() map[string][]byte {
	out := make(map[string][]byte, len(g.members))
	for id, m := range g.members {
		out[id] = m.assignment
	}
	return out
}

// computeSubscribed derives the topics the members consume from their
// consumer protocol metadata, read with the version-0 prefix every version
// shares, as Kafka does.
func (g *group) computeSubscribed() {
	g.subscribed, g.subscribedKnown = nil, false
	if g.protocolType != consumerProtocolType {
		return
	}
	if len(g.members) == 0 {
		g.subscribed, g.subscribedKnown = map[string]bool{}, true
		return
	}
	if g.protocol == nil {
		return
	}
	topics := map[string]bool{}
	for _, m := range g.members {
		ts, ok := subscriptionTopics(m.metadata(*g.protocol))
		if !ok {
			return
		}
		for _, t := range ts {
			topics[t] = true
		}
	}
	g.subscribed, g.subscribedKnown = topics, true
}

func subscriptionTopics(b []byte) ([]string, bool) {
	r := kbin.Reader{Src: b}
	r.Int16() // version
	n := r.ArrayLen()
	if !r.Ok() || n < 0 {
		return nil, false
	}
	out := make([]string, 0, min(n, 1024))
	for range n {
		out = append(out, r.String())
		if !r.Ok() {
			return nil, false
		}
	}
	return out, true
}

func (g *group) isSubscribedTo(topic string) bool {
	if g.subscribedKnown {
		return g.subscribed[topic]
	}
	return g.usesConsumerProtocol()
}

// metadataValue is the GroupMetadataValue persisting the group with the
// given assignments (nil for none: an empty group).
func (g *group) metadataValue(assignment map[string][]byte) []byte {
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupValueVersion
	v.ProtocolType = g.protocolType
	v.Generation = g.generation
	v.Protocol = g.protocol
	if g.leader != "" {
		l := g.leader
		v.Leader = &l
	}
	v.CurrentStateTimestamp = g.stateTimestamp
	var proto string
	if g.protocol != nil {
		proto = *g.protocol
	}
	for _, id := range g.order {
		m := g.members[id]
		mv := kmsg.NewGroupMetadataValueMember()
		mv.MemberID, mv.InstanceID, mv.ClientID, mv.ClientHost = m.id, m.instanceID, m.clientID, m.clientHost
		mv.RebalanceTimeoutMillis, mv.SessionTimeoutMillis = m.rebalanceTimeout, m.sessionTimeout
		mv.Subscription = m.metadata(proto)
		mv.Assignment = assignment[id]
		if mv.Assignment == nil {
			mv.Assignment = []byte{}
		}
		v.Members = append(v.Members, mv)
	}
	return v.AppendTo(nil)
}

// groupFromValue rebuilds a group from its persisted metadata: Stable with
// its members if it has any, else Empty.
func groupFromValue(id string, v *kmsg.GroupMetadataValue) *group {
	g := newGroup(id, v.CurrentStateTimestamp)
	g.generation = v.Generation
	g.protocolType = v.ProtocolType
	g.protocol = v.Protocol
	if v.Leader != nil {
		g.leader = *v.Leader
	}
	for _, mv := range v.Members {
		rt := mv.RebalanceTimeoutMillis
		if rt == -1 {
			rt = mv.SessionTimeoutMillis
		}
		m := &member{
			id: mv.MemberID, instanceID: mv.InstanceID, clientID: mv.ClientID, clientHost: mv.ClientHost,
			rebalanceTimeout: rt, sessionTimeout: mv.SessionTimeoutMillis, protocolType: v.ProtocolType,
			assignment: mv.Assignment,
		}
		if v.Protocol != nil {
			m.protocols = []protocol{{name: *v.Protocol, metadata: mv.Subscription}}
		}
		g.add(m) // elects the first member when the value names no leader
	}
	if len(g.members) > 0 {
		g.state = Stable
		if g.leader != "" && g.members[g.leader] == nil {
			g.leader = g.order[0]
		}
	}
	g.prevState = g.state
	g.computeSubscribed()
	return g
}

// parseStateFilter turns ListGroups' states filter (case-insensitive) into
// a set of states; unknown names match nothing.
func parseStateFilter(names []string) map[State]bool {
	out := map[State]bool{}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		for i, s := range stateNames {
			if strings.ToLower(s) == n {
				out[State(i)] = true
			}
		}
	}
	return out
}
