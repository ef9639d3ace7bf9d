package metadata

import (
	"maps"
	"slices"
	"sort"
)

// Image is the cluster metadata as of one offset of the metadata log. It is
// immutable: share it freely, never modify it (or anything it returns).
type Image struct {
	offset     int64 // of the last record applied; -1 for the empty image
	topics     map[string]*Topic
	topicsByID map[UUID]*Topic
	configs    map[ConfigResource]map[string]string
	brokers    map[int32]*Broker
	// nextProducerID is the first producer id not yet handed out.
	nextProducerID int64
}

// Topic is one topic. Partitions is indexed by partition id.
type Topic struct {
	Name       string
	ID         UUID
	Partitions []*Partition
}

// Partition is one partition's placement and leadership.
type Partition struct {
	ID             int32
	Replicas       []int32
	ISR            []int32
	Leader         int32
	LeaderEpoch    int32
	PartitionEpoch int32
}

// Broker is a registered broker.
type Broker struct {
	ID            int32
	IncarnationID UUID
	Endpoints     []Endpoint
	Rack          *string
}

// ConfigResource names what a config belongs to.
type ConfigResource struct {
	Type int8 // ResourceTopic or ResourceBroker
	Name string
}

// Empty is the image before any record.
var Empty = &Image{
	offset:     -1,
	topics:     map[string]*Topic{},
	topicsByID: map[UUID]*Topic{},
	configs:    map[ConfigResource]map[string]string{},
	brokers:    map[int32]*Broker{},
}

// Offset is the metadata log offset of the last record in the image, -1 if
// none.
func (im *Image) Offset() int64 { return im.offset }

// Topic finds a topic by name.
func (im *Image) Topic(name string) (*Topic, bool) {
	t, ok := im.topics[name]
	return t, ok
}

// TopicByID finds a topic by ID.
func (im *Image) TopicByID(id UUID) (*Topic, bool) {
	t, ok := im.topicsByID[id]
	return t, ok
}

// Topics returns every topic, sorted by name.
func (im *Image) Topics() []*Topic {
	out := slices.Collect(maps.Values(im.topics))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NumTopics is the number of topics.
func (im *Image) NumTopics() int { return len(im.topics) }

// Configs returns the config overrides of a resource (nil if none).
func (im *Image) Configs(r ConfigResource) map[string]string { return im.configs[r] }

// TopicConfigs returns a topic's config overrides.
func (im *Image) TopicConfigs(topic string) map[string]string {
	return im.configs[ConfigResource{ResourceTopic, topic}]
}

// Broker finds a registered broker.
func (im *Image) Broker(id int32) (*Broker, bool) {
	b, ok := im.brokers[id]
	return b, ok
}

// Brokers returns every registered broker, sorted by id.
func (im *Image) Brokers() []*Broker {
	out := slices.Collect(maps.Values(im.brokers))
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// NextProducerID is the first producer id no broker has been given.
func (im *Image) NextProducerID() int64 { return im.nextProducerID }

// Records returns the records that rebuild this image from nothing, for a
// snapshot.
func (im *Image) Records() []Record {
	var out []Record
	for _, b := range im.Brokers() {
		out = append(out, &RegisterBrokerRecord{BrokerID: b.ID, IncarnationID: b.IncarnationID, Endpoints: b.Endpoints, Rack: b.Rack})
	}
	for _, t := range im.Topics() {
		out = append(out, &TopicRecord{Name: t.Name, TopicID: t.ID})
		for _, p := range t.Partitions {
			out = append(out, &PartitionRecord{
				TopicID: t.ID, Partition: p.ID, Replicas: p.Replicas, ISR: p.ISR,
				Leader: p.Leader, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch,
			})
		}
	}
	if im.nextProducerID > 0 {
		out = append(out, &ProducerIDsRecord{BrokerID: -1, NextProducerID: im.nextProducerID})
	}
	res := slices.Collect(maps.Keys(im.configs))
	sort.Slice(res, func(i, j int) bool {
		return res[i].Type < res[j].Type || (res[i].Type == res[j].Type && res[i].Name < res[j].Name)
	})
	for _, r := range res {
		keys := slices.Sorted(maps.Keys(im.configs[r]))
		for _, k := range keys {
			v := im.configs[r][k]
			out = append(out, &ConfigRecord{ResourceType: r.Type, ResourceName: r.Name, Name: k, Value: &v})
		}
	}
	return out
}
