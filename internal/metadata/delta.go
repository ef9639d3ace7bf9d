package metadata

import (
	"fmt"
	"maps"
	"slices"
)

// Delta accumulates records on top of a base image. Apply makes the next
// image; the accessors tell what changed, for components to react to.
type Delta struct {
	base   *Image
	offset int64

	topics  map[UUID]*Topic // created or changed, in full (copied on first change)
	names   map[string]UUID // topics created in this delta, by name
	removed map[UUID]*Topic // removed topics as they last were
	created map[UUID]bool
	changed map[UUID]map[int32]bool // partitions created or changed
	configs map[ConfigResource]map[string]string
	brokers map[int32]*Broker

	producerIDs *int64 // NextProducerID, if a record set it
}

// NewDelta starts a delta on base.
func NewDelta(base *Image) *Delta {
	return &Delta{
		base:    base,
		offset:  base.offset,
		topics:  map[UUID]*Topic{},
		names:   map[string]UUID{},
		removed: map[UUID]*Topic{},
		created: map[UUID]bool{},
		changed: map[UUID]map[int32]bool{},
		configs: map[ConfigResource]map[string]string{},
		brokers: map[int32]*Broker{},
	}
}

// topic returns the delta's mutable copy of a topic, or nil.
func (d *Delta) topic(id UUID) *Topic {
	if t, ok := d.topics[id]; ok {
		return t
	}
	if _, gone := d.removed[id]; gone {
		return nil
	}
	t, ok := d.base.topicsByID[id]
	if !ok {
		return nil
	}
	c := &Topic{Name: t.Name, ID: t.ID, Partitions: slices.Clone(t.Partitions)}
	d.topics[id] = c
	return c
}

func (d *Delta) markChanged(id UUID, p int32) {
	m := d.changed[id]
	if m == nil {
		m = map[int32]bool{}
		d.changed[id] = m
	}
	m[p] = true
}

// Replay applies one record, read at offset.
func (d *Delta) Replay(offset int64, r Record) error {
	d.offset = offset
	switch r := r.(type) {
	case *TopicRecord:
		if t, ok := d.topicNamed(r.Name); ok && t.ID != r.TopicID {
			return fmt.Errorf("metadata: topic %q already exists with ID %s", r.Name, t.ID)
		}
		d.topics[r.TopicID] = &Topic{Name: r.Name, ID: r.TopicID}
		d.names[r.Name] = r.TopicID
		delete(d.removed, r.TopicID)
		d.created[r.TopicID] = true
	case *PartitionRecord:
		t := d.topic(r.TopicID)
		if t == nil {
			return fmt.Errorf("metadata: partition %d of unknown topic %s", r.Partition, r.TopicID)
		}
		for int32(len(t.Partitions)) <= r.Partition {
			t.Partitions = append(t.Partitions, nil)
		}
		t.Partitions[r.Partition] = &Partition{
			ID: r.Partition, Replicas: r.Replicas, ISR: r.ISR,
			Leader: r.Leader, LeaderEpoch: r.LeaderEpoch, PartitionEpoch: r.PartitionEpoch,
		}
		d.markChanged(r.TopicID, r.Partition)
	case *PartitionChangeRecord:
		t := d.topic(r.TopicID)
		if t == nil || r.Partition < 0 || int(r.Partition) >= len(t.Partitions) || t.Partitions[r.Partition] == nil {
			return fmt.Errorf("metadata: change of unknown partition %s-%d", r.TopicID, r.Partition)
		}
		p := *t.Partitions[r.Partition]
		if r.Leader != nil {
			p.Leader = *r.Leader
		}
		if r.ISR != nil {
			p.ISR = r.ISR
		}
		if r.Replicas != nil {
			p.Replicas = r.Replicas
		}
		if r.LeaderEpoch != nil {
			p.LeaderEpoch = *r.LeaderEpoch
		}
		p.PartitionEpoch++
		t.Partitions[r.Partition] = &p
		d.markChanged(r.TopicID, r.Partition)
	case *RemoveTopicRecord:
		t := d.topic(r.TopicID)
		if t == nil {
			return fmt.Errorf("metadata: removal of unknown topic %s", r.TopicID)
		}
		delete(d.topics, r.TopicID)
		delete(d.changed, r.TopicID)
		if d.names[t.Name] == r.TopicID {
			delete(d.names, t.Name)
		}
		if d.created[r.TopicID] {
			delete(d.created, r.TopicID) // created and removed in one delta
		} else {
			d.removed[r.TopicID] = t
		}
		d.configs[ConfigResource{ResourceTopic, t.Name}] = nil
	case *ConfigRecord:
		res := ConfigResource{r.ResourceType, r.ResourceName}
		cur, ok := d.configs[res]
		if !ok {
			cur = maps.Clone(d.base.configs[res])
		}
		if cur == nil {
			cur = map[string]string{}
		}
		if r.Value == nil {
			delete(cur, r.Name)
		} else {
			cur[r.Name] = *r.Value
		}
		d.configs[res] = cur
	case *ProducerIDsRecord:
		if r.NextProducerID < d.nextProducerID() {
			return fmt.Errorf("metadata: producer ids moved back from %d to %d", d.nextProducerID(), r.NextProducerID)
		}
		d.producerIDs = &r.NextProducerID
	case *RegisterBrokerRecord:
		d.brokers[r.BrokerID] = &Broker{ID: r.BrokerID, IncarnationID: r.IncarnationID, Endpoints: r.Endpoints, Rack: r.Rack}
	default:
		return fmt.Errorf("%w %T", ErrUnknownRecord, r)
	}
	return nil
}

func (d *Delta) nextProducerID() int64 {
	if d.producerIDs != nil {
		return *d.producerIDs
	}
	return d.base.nextProducerID
}

func (d *Delta) topicNamed(name string) (*Topic, bool) {
	if id, ok := d.names[name]; ok {
		return d.topics[id], true
	}
	t, ok := d.base.topics[name]
	if ok {
		if _, gone := d.removed[t.ID]; gone {
			return nil, false
		}
	}
	return t, ok
}

// Apply returns the image the delta leads to.
func (d *Delta) Apply() *Image {
	im := &Image{
		offset:     d.offset,
		topics:     maps.Clone(d.base.topics),
		topicsByID: maps.Clone(d.base.topicsByID),
		configs:    maps.Clone(d.base.configs),
		brokers:    maps.Clone(d.base.brokers),

		nextProducerID: d.nextProducerID(),
	}
	for id, t := range d.removed {
		delete(im.topicsByID, id)
		if cur, ok := im.topics[t.Name]; ok && cur.ID == id {
			delete(im.topics, t.Name)
		}
	}
	for id, t := range d.topics {
		im.topicsByID[id] = t
		im.topics[t.Name] = t
	}
	for r, c := range d.configs {
		if len(c) == 0 {
			delete(im.configs, r)
		} else {
			im.configs[r] = c
		}
	}
	for id, b := range d.brokers {
		im.brokers[id] = b
	}
	return im
}

// Base is the image the delta started from.
func (d *Delta) Base() *Image { return d.base }

// Empty reports whether the delta changed nothing.
func (d *Delta) Empty() bool {
	return len(d.topics) == 0 && len(d.removed) == 0 && len(d.configs) == 0 && len(d.brokers) == 0 && d.producerIDs == nil
}

// CreatedTopics are the topics the delta created.
func (d *Delta) CreatedTopics() []*Topic {
	var out []*Topic
	for id := range d.created {
		out = append(out, d.topics[id])
	}
	return out
}

// RemovedTopics are the topics the delta removed, as they were.
func (d *Delta) RemovedTopics() []*Topic { return slices.Collect(maps.Values(d.removed)) }

// ChangedPartitions returns, for each topic with created or changed
// partitions (new topics included), the topic and the partition ids.
func (d *Delta) ChangedPartitions() map[*Topic][]int32 {
	out := map[*Topic][]int32{}
	for id, ps := range d.changed {
		t := d.topics[id]
		for p := range ps {
			out[t] = append(out[t], p)
		}
		slices.Sort(out[t])
	}
	return out
}

// ChangedConfigs are the resources whose configs changed.
func (d *Delta) ChangedConfigs() []ConfigResource { return slices.Collect(maps.Keys(d.configs)) }

// ChangedBrokers are the brokers (re-)registered.
func (d *Delta) ChangedBrokers() []*Broker { return slices.Collect(maps.Values(d.brokers)) }
