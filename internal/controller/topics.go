package controller

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/fjordlabs/fjord/internal/config"
	"github.com/fjordlabs/fjord/internal/metadata"
)

// MaxTopicNameLength is Kafka's limit: a partition directory name,
// "<topic>-<partition>", plus suffixes, must fit in 255 bytes.
const MaxTopicNameLength = 249

// InternalTopics are the topics Kafka marks internal.
var InternalTopics = map[string]bool{
	"__consumer_offsets":  true,
	"__transaction_state": true,
	"__share_group_state": true,
}

// ValidateTopicName applies Kafka's topic name rules.
func ValidateTopicName(name string) error {
	switch {
	case name == "":
		return errorf(ErrInvalidTopic, "Topic name is illegal, it can't be empty")
	case name == "." || name == "..":
		return errorf(ErrInvalidTopic, "Topic name cannot be \".\" or \"..\"")
	case len(name) > MaxTopicNameLength:
		return errorf(ErrInvalidTopic, "Topic name is illegal, it can't be longer than %d characters, topic name: %s", MaxTopicNameLength, name)
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == '-') {
			return errorf(ErrInvalidTopic, "Topic name %q is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name)
		}
	}
	return nil
}

// collisionKey is what Kafka compares: '.' and '_' are the same in metric
// names, so two topics differing only there would clash.
func collisionKey(name string) string { return strings.ReplaceAll(name, ".", "_") }

// CreateTopic asks for one topic.
type CreateTopic struct {
	Name              string
	NumPartitions     int32 // -1: num.partitions
	ReplicationFactor int16 // -1: default.replication.factor
	// Assignment, when set, gives each partition's replicas; then
	// NumPartitions and ReplicationFactor must be -1.
	Assignment [][]int32
	Configs    map[string]*string
}

// CreatedTopic is the outcome for one topic.
type CreatedTopic struct {
	Err               error
	TopicID           metadata.UUID
	NumPartitions     int32
	ReplicationFactor int16
	Configs           []config.Entry
}

// CreateTopics creates topics (or only validates them). Each topic succeeds
// or fails on its own; the successful ones are committed in one batch.
func (c *Controller) CreateTopics(reqs []CreateTopic, validateOnly bool) []CreatedTopic {
	out := make([]CreatedTopic, len(reqs))
	_, err := c.commit(func(im *metadata.Image) ([]metadata.Record, error) {
		var recs []metadata.Record
		pending := map[string]string{} // collision key → name, within this request
		for i, r := range reqs {
			res, topicRecs := c.planTopic(im, r, pending)
			out[i] = res
			if res.Err == nil {
				pending[collisionKey(r.Name)] = r.Name
				if !validateOnly {
					recs = append(recs, topicRecs...)
				}
			}
		}
		return recs, nil
	})
	if err != nil {
		for i := range out {
			if out[i].Err == nil {
				out[i].Err = err
			}
		}
	}
	return out
}

func (c *Controller) planTopic(im *metadata.Image, r CreateTopic, pending map[string]string) (CreatedTopic, []metadata.Record) {
	fail := func(err error) (CreatedTopic, []metadata.Record) { return CreatedTopic{Err: err}, nil }
	if err := ValidateTopicName(r.Name); err != nil {
		return fail(err)
	}
	if _, ok := im.Topic(r.Name); ok {
		return fail(errorf(ErrTopicExists, "Topic '%s' already exists.", r.Name))
	}
	if other, ok := pending[collisionKey(r.Name)]; ok {
		if other == r.Name {
			return fail(errorf(ErrInvalidRequest, "Topic '%s' is listed more than once.", r.Name))
		}
		return fail(errorf(ErrInvalidTopic, "Topic '%s' collides with existing topic: %s", r.Name, other))
	}
	for _, t := range im.Topics() {
		if collisionKey(t.Name) == collisionKey(r.Name) {
			return fail(errorf(ErrInvalidTopic, "Topic '%s' collides with existing topic: %s", r.Name, t.Name))
		}
	}
	b := c.opts.Config()
	brokers := im.Brokers()
	live := map[int32]bool{}
	for _, br := range brokers {
		live[br.ID] = true
	}
	var assignment [][]int32
	switch {
	case len(r.Assignment) > 0:
		if r.NumPartitions != -1 || r.ReplicationFactor != -1 {
			return fail(errorf(ErrInvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time."))
		}
		for p, replicas := range r.Assignment {
			if err := checkReplicas(p, replicas, live); err != nil {
				return fail(err)
			}
			if len(replicas) != len(r.Assignment[0]) {
				return fail(errorf(ErrInvalidReplicaAssignment, "All partitions should have the same number of replicas"))
			}
		}
		assignment = r.Assignment
	default:
		n := r.NumPartitions
		if n == -1 {
			n = b.Int("num.partitions")
		}
		if n <= 0 {
			return fail(errorf(ErrInvalidPartitions, "Number of partitions was set to an invalid non-positive value."))
		}
		rf := r.ReplicationFactor
		if rf == -1 {
			rf = int16(b.Int("default.replication.factor"))
		}
		if rf <= 0 {
			return fail(errorf(ErrInvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value."))
		}
		if int(rf) > len(brokers) {
			return fail(errorf(ErrInvalidReplicationFactor, "Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only %d broker(s) are registered.", rf, rf, len(brokers)))
		}
		assignment = place(brokers, int(n), int(rf))
	}

	overrides := map[string]string{}
	for k, v := range r.Configs {
		if v != nil {
			overrides[k] = *v
		}
	}
	if err := b.ValidateTopic(overrides); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return fail(errorf(ErrInvalidConfig, "%s", ce.KafkaMessage()))
		}
		return fail(errorf(ErrInvalidConfig, "%v", err))
	}

	id := metadata.NewUUID()
	recs := []metadata.Record{&metadata.TopicRecord{Name: r.Name, TopicID: id}}
	for p, replicas := range assignment {
		recs = append(recs, &metadata.PartitionRecord{
			TopicID: id, Partition: int32(p), Replicas: replicas, ISR: replicas, Leader: replicas[0],
		})
	}
	for _, k := range sortedKeys(overrides) {
		v := overrides[k]
		recs = append(recs, &metadata.ConfigRecord{ResourceType: metadata.ResourceTopic, ResourceName: r.Name, Name: k, Value: &v})
	}
	return CreatedTopic{
		TopicID:           id,
		NumPartitions:     int32(len(assignment)),
		ReplicationFactor: int16(len(assignment[0])),
		Configs:           b.DescribeTopic(overrides),
	}, recs
}

func checkReplicas(p int, replicas []int32, live map[int32]bool) error {
	if len(replicas) == 0 {
		return errorf(ErrInvalidReplicaAssignment, "The manual partition assignment includes a partition with no replicas (partition %d).", p)
	}
	seen := map[int32]bool{}
	for _, r := range replicas {
		if seen[r] {
			return errorf(ErrInvalidReplicaAssignment, "The manual partition assignment includes the broker %d more than once.", r)
		}
		seen[r] = true
		if !live[r] {
			return errorf(ErrInvalidReplicaAssignment, "The manual partition assignment includes broker %d, but no such broker is registered.", r)
		}
	}
	return nil
}

// place assigns n partitions rf replicas each, round-robin over the brokers
// with the leader rotating, as Kafka's default placement does.
func place(brokers []*metadata.Broker, n, rf int) [][]int32 {
	out := make([][]int32, n)
	for p := range n {
		replicas := make([]int32, rf)
		for r := range rf {
			replicas[r] = brokers[(p+r)%len(brokers)].ID
		}
		out[p] = replicas
	}
	return out
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
