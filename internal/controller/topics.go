package controller

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf16"

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

// ValidateTopicName applies Kafka's topic name rules, with Kafka 4's
// messages (Topic.validate).
func ValidateTopicName(name string) error {
	if reason := invalidTopicReason(name); reason != "" {
		return errorf(ErrInvalidTopic, "Topic name is invalid: %s", reason)
	}
	return nil
}

func invalidTopicReason(name string) string {
	switch {
	case name == "":
		return "the empty string is not allowed"
	case name == ".":
		return "'.' is not allowed"
	case name == "..":
		return "'..' is not allowed"
	case javaLength(name) > MaxTopicNameLength:
		return fmt.Sprintf("the length of '%s' is longer than the max allowed length %d", name, MaxTopicNameLength)
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == '-') {
			return fmt.Sprintf("'%s' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'", name)
		}
	}
	return ""
}

// javaLength is String.length() of the name as Kafka decodes it: UTF-16
// code units, so which message a non-ASCII name gets matches Kafka.
func javaLength(s string) int {
	n := 0
	for _, r := range s {
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// collisionKey is what Kafka compares: '.' and '_' are the same in metric
// names, so two topics differing only there would clash.
func collisionKey(name string) string { return strings.ReplaceAll(name, ".", "_") }

// CreateTopic asks for one topic.
type CreateTopic struct {
	Name              string
	NumPartitions     int32 // -1: num.partitions
	ReplicationFactor int16 // -1: default.replication.factor
	// Assignment, when set, gives each partition's replicas, in request
	// order; then NumPartitions and ReplicationFactor must be -1.
	Assignment []ReplicaAssignment
	// Configs are the topic's overrides; a nil value is refused, as Kafka
	// refuses it.
	Configs map[string]*string
}

// ReplicaAssignment is one partition of a manual assignment.
type ReplicaAssignment struct {
	Partition int32
	Replicas  []int32
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
// or fails on its own and the successful ones are committed in one batch,
// except that a request needing more than MaxRecordsPerOp records fails as
// a whole, as in Kafka.
func (c *Controller) CreateTopics(reqs []CreateTopic, validateOnly bool) []CreatedTopic {
	out := make([]CreatedTopic, len(reqs))
	_, err := c.commit(func(im *metadata.Image) ([]metadata.Record, error) {
		var recs []metadata.Record
		pending := map[string]string{} // collision key → name, within this request
		tooLarge := false
		for i, r := range reqs {
			res, topicRecs := c.planTopic(im, r, pending)
			out[i] = res
			if errors.Is(res.Err, ErrPolicyViolation) {
				tooLarge = true
			}
			if res.Err == nil {
				pending[collisionKey(r.Name)] = r.Name
				recs = append(recs, topicRecs...)
			}
		}
		if tooLarge || len(recs) > MaxRecordsPerOp {
			for i := range out {
				out[i] = CreatedTopic{Err: errTooLarge()}
			}
			return nil, nil
		}
		if validateOnly {
			return nil, nil
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

// planTopic checks one topic in the order Kafka's controller does (name,
// existence, configs, then placement) and returns its records.
func (c *Controller) planTopic(im *metadata.Image, r CreateTopic, pending map[string]string) (CreatedTopic, []metadata.Record) {
	fail := func(err error) (CreatedTopic, []metadata.Record) { return CreatedTopic{Err: err}, nil }
	if r.Name == metadata.LogTopic.Topic {
		return fail(errorf(ErrInvalidRequest, "Creation of internal topic %s is prohibited.", metadata.LogTopic.Topic))
	}
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

	overrides := map[string]string{}
	var nulls []string
	for k, v := range r.Configs {
		if v == nil {
			nulls = append(nulls, k)
			continue
		}
		overrides[k] = *v
	}
	if len(nulls) > 0 {
		slices.Sort(nulls)
		return fail(errorf(ErrInvalidConfig, "Null value not supported for topic configs: %s", strings.Join(nulls, ",")))
	}
	b := c.opts.Config()
	if err := b.ValidateTopic(overrides); err != nil {
		return fail(configError(err))
	}

	brokers := im.Brokers()
	live := map[int32]bool{}
	for _, br := range brokers {
		live[br.ID] = true
	}
	var assignment [][]int32
	if len(r.Assignment) > 0 {
		var err error
		if assignment, err = manualAssignment(r, live); err != nil {
			return fail(err)
		}
	} else {
		if r.ReplicationFactor < -1 || r.ReplicationFactor == 0 {
			return fail(errorf(ErrInvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value."))
		}
		if r.NumPartitions < -1 || r.NumPartitions == 0 {
			return fail(errorf(ErrInvalidPartitions, "Number of partitions was set to an invalid non-positive value."))
		}
		n := r.NumPartitions
		if n == -1 {
			n = b.Int("num.partitions")
		}
		rf := r.ReplicationFactor
		if rf == -1 {
			rf = int16(b.Int("default.replication.factor"))
		}
		if n > MaxRecordsPerOp {
			return fail(errTooLarge()) // refused before placing, so a huge count costs nothing
		}
		if int(rf) > len(brokers) {
			return fail(errorf(ErrInvalidReplicationFactor, "Unable to replicate the partition %d time(s): %s", rf, rfUnreachable(int(rf), len(brokers))))
		}
		assignment = place(brokers, 0, int(n), int(rf))
	}

	id := metadata.NewUUID()
	recs := []metadata.Record{&metadata.TopicRecord{Name: r.Name, TopicID: id}}
	// Config records go after the TopicRecord and before the partitions,
	// as in Kafka, so a partition's log is opened with its topic's config.
	for _, k := range sortedKeys(overrides) {
		v := overrides[k]
		recs = append(recs, &metadata.ConfigRecord{ResourceType: metadata.ResourceTopic, ResourceName: r.Name, Name: k, Value: &v})
	}
	for p, replicas := range assignment {
		recs = append(recs, partitionRecord(id, int32(p), replicas))
	}
	return CreatedTopic{
		TopicID:           id,
		NumPartitions:     int32(len(assignment)),
		ReplicationFactor: int16(len(assignment[0])),
		Configs:           b.DescribeTopic(overrides),
	}, recs
}

// manualAssignment checks a CreateTopics replica assignment as Kafka does:
// the sizes set to -1, each partition once, valid replica lists of one
// size, partitions numbered 0..n-1.
func manualAssignment(r CreateTopic, live map[int32]bool) ([][]int32, error) {
	if r.ReplicationFactor != -1 {
		return nil, errorf(ErrInvalidRequest, "A manual partition assignment was specified, but replication factor was not set to -1.")
	}
	if r.NumPartitions != -1 {
		return nil, errorf(ErrInvalidRequest, "A manual partition assignment was specified, but numPartitions was not set to -1.")
	}
	if len(r.Assignment) > MaxRecordsPerOp {
		return nil, errTooLarge()
	}
	byPartition := map[int32][]int32{}
	rf := -1
	for _, a := range r.Assignment {
		if _, dup := byPartition[a.Partition]; dup {
			return nil, errorf(ErrInvalidReplicaAssignment, "Found multiple manual partition assignments for partition %d", a.Partition)
		}
		if err := checkReplicas(a.Replicas, live, rf); err != nil {
			return nil, err
		}
		rf = len(a.Replicas)
		byPartition[a.Partition] = a.Replicas
	}
	out := make([][]int32, len(byPartition))
	for p := range out {
		replicas, ok := byPartition[int32(p)]
		if !ok {
			return nil, errorf(ErrInvalidReplicaAssignment, "partitions should be a consecutive 0-based integer sequence")
		}
		out[p] = replicas
	}
	return out, nil
}

// checkReplicas validates one partition's manual replica list: non-empty,
// every broker registered and named once (checked in broker id order, as
// Kafka does), and rf replicas unless rf is -1.
func checkReplicas(replicas []int32, live map[int32]bool, rf int) error {
	if len(replicas) == 0 {
		return errorf(ErrInvalidReplicaAssignment, "The manual partition assignment includes an empty replica list.")
	}
	sorted := slices.Sorted(slices.Values(replicas))
	for i, id := range sorted {
		if !live[id] {
			return errorf(ErrInvalidReplicaAssignment, "The manual partition assignment includes broker %d, but no such broker is registered.", id)
		}
		if i > 0 && sorted[i-1] == id {
			return errorf(ErrInvalidReplicaAssignment, "The manual partition assignment includes the broker %d more than once.", id)
		}
	}
	if rf >= 0 && len(replicas) != rf {
		return errorf(ErrInvalidReplicaAssignment, "The manual partition assignment includes a partition with %d replica(s), but this is not consistent with previous partitions, which have %d replica(s).", len(replicas), rf)
	}
	return nil
}

// rfUnreachable is Kafka's replica placer message.
func rfUnreachable(rf, brokers int) string {
	return fmt.Sprintf("The target replication factor of %d cannot be reached because only %d broker(s) are registered.", rf, brokers)
}

// partitionRecord is a new partition led by its first replica, with every
// replica in sync (all registered brokers count as active until broker
// fencing exists).
func partitionRecord(id metadata.UUID, p int32, replicas []int32) *metadata.PartitionRecord {
	return &metadata.PartitionRecord{TopicID: id, Partition: p, Replicas: replicas, ISR: replicas, Leader: replicas[0]}
}

// configError turns a config validation error into INVALID_CONFIG with
// Kafka's message.
func configError(err error) error {
	var ce *config.Error
	if errors.As(err, &ce) {
		return errorf(ErrInvalidConfig, "%s", ce.KafkaMessage())
	}
	return errorf(ErrInvalidConfig, "%v", err)
}

// place assigns n partitions, numbered from start, rf replicas each:
// round-robin over the brokers with the leader rotating by partition id, as
// Kafka's default placement does.
func place(brokers []*metadata.Broker, start, n, rf int) [][]int32 {
	out := make([][]int32, n)
	for i := range n {
		p := start + i
		replicas := make([]int32, rf)
		for r := range rf {
			replicas[r] = brokers[(p+r)%len(brokers)].ID
		}
		out[i] = replicas
	}
	return out
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
