package metadata

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// UUID is a Kafka UUID: topic IDs, broker incarnations.
type UUID [16]byte

// NewUUID returns a random (version 4) UUID that is never the zero UUID nor
// one Kafka reserves.
func NewUUID() UUID {
	for {
		var u UUID
		rand.Read(u[:])
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		if u != (UUID{}) && u != (UUID{15: 1}) {
			return u
		}
	}
}

// String is Kafka's text form: URL-safe base64 without padding.
func (u UUID) String() string { return base64.RawURLEncoding.EncodeToString(u[:]) }

// ParseUUID parses String's form.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return u, fmt.Errorf("metadata: invalid UUID %q", s)
	}
	copy(u[:], b)
	return u, nil
}

func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

func (u *UUID) UnmarshalText(b []byte) error {
	v, err := ParseUUID(string(b))
	*u = v
	return err
}

// RecordType numbers a metadata record's kind. Never renumber.
type RecordType uint8

const (
	TypeTopic           RecordType = 1
	TypePartition       RecordType = 2
	TypeConfig          RecordType = 3
	TypeRemoveTopic     RecordType = 4
	TypeRegisterBroker  RecordType = 5
	TypePartitionChange RecordType = 6
	TypeProducerIDs     RecordType = 7
)

// Record is one metadata record.
type Record interface {
	Type() RecordType
	// Version is the record's schema version.
	Version() uint8
}

// TopicRecord says a topic exists.
type TopicRecord struct {
	Name    string `json:"name"`
	TopicID UUID   `json:"topicId"`
}

// PartitionRecord describes one partition of a topic in full.
type PartitionRecord struct {
	TopicID        UUID    `json:"topicId"`
	Partition      int32   `json:"partition"`
	Replicas       []int32 `json:"replicas"`
	ISR            []int32 `json:"isr"`
	Leader         int32   `json:"leader"`
	LeaderEpoch    int32   `json:"leaderEpoch"`
	PartitionEpoch int32   `json:"partitionEpoch"`
}

// Config resource types, Kafka's ids.
const (
	ResourceTopic  int8 = 2
	ResourceBroker int8 = 4
)

// ConfigRecord sets a config key of a topic or broker; a nil Value removes
// it. A broker resource with an empty name is the cluster-wide default.
type ConfigRecord struct {
	ResourceType int8    `json:"resourceType"`
	ResourceName string  `json:"resourceName"`
	Name         string  `json:"name"`
	Value        *string `json:"value"`
}

// RemoveTopicRecord deletes a topic.
type RemoveTopicRecord struct {
	TopicID UUID `json:"topicId"`
}

// Endpoint is one listener a broker advertises.
type Endpoint struct {
	Name             string `json:"name"`
	Host             string `json:"host"`
	Port             int32  `json:"port"`
	SecurityProtocol string `json:"securityProtocol"`
}

// RegisterBrokerRecord registers (or re-registers) a broker.
type RegisterBrokerRecord struct {
	BrokerID      int32      `json:"brokerId"`
	IncarnationID UUID       `json:"incarnationId"`
	Endpoints     []Endpoint `json:"endpoints"`
	Rack          *string    `json:"rack"`
}

// PartitionChangeRecord changes part of a partition; nil fields keep their
// value.
type PartitionChangeRecord struct {
	TopicID     UUID    `json:"topicId"`
	Partition   int32   `json:"partition"`
	Leader      *int32  `json:"leader,omitempty"`
	ISR         []int32 `json:"isr,omitempty"`
	Replicas    []int32 `json:"replicas,omitempty"`
	LeaderEpoch *int32  `json:"leaderEpoch,omitempty"`
}

// ProducerIDsRecord hands a block of producer ids to a broker: every id
// below NextProducerID has been given out, so ids stay unique across
// restarts (Kafka's ProducerIdsRecord).
type ProducerIDsRecord struct {
	BrokerID       int32 `json:"brokerId"`
	NextProducerID int64 `json:"nextProducerId"`
}

func (*TopicRecord) Type() RecordType           { return TypeTopic }
func (*ProducerIDsRecord) Type() RecordType     { return TypeProducerIDs }
func (*ProducerIDsRecord) Version() uint8       { return 0 }
func (*PartitionRecord) Type() RecordType       { return TypePartition }
func (*ConfigRecord) Type() RecordType          { return TypeConfig }
func (*RemoveTopicRecord) Type() RecordType     { return TypeRemoveTopic }
func (*RegisterBrokerRecord) Type() RecordType  { return TypeRegisterBroker }
func (*PartitionChangeRecord) Type() RecordType { return TypePartitionChange }

func (*TopicRecord) Version() uint8           { return 0 }
func (*PartitionRecord) Version() uint8       { return 0 }
func (*ConfigRecord) Version() uint8          { return 0 }
func (*RemoveTopicRecord) Version() uint8     { return 0 }
func (*RegisterBrokerRecord) Version() uint8  { return 0 }
func (*PartitionChangeRecord) Version() uint8 { return 0 }

// ErrUnknownRecord: a record type this node does not know.
var ErrUnknownRecord = errors.New("metadata: unknown record type")

// Encode returns a record's key and value.
func Encode(r Record) (key, value []byte, err error) {
	value, err = json.Marshal(r)
	return []byte{byte(r.Type()), r.Version()}, value, err
}

// Decode parses a record from its key and value.
func Decode(key, value []byte) (Record, error) {
	if len(key) != 2 {
		return nil, fmt.Errorf("metadata: record key of %d bytes", len(key))
	}
	var r Record
	switch RecordType(key[0]) {
	case TypeTopic:
		r = new(TopicRecord)
	case TypePartition:
		r = new(PartitionRecord)
	case TypeConfig:
		r = new(ConfigRecord)
	case TypeRemoveTopic:
		r = new(RemoveTopicRecord)
	case TypeRegisterBroker:
		r = new(RegisterBrokerRecord)
	case TypePartitionChange:
		r = new(PartitionChangeRecord)
	case TypeProducerIDs:
		r = new(ProducerIDsRecord)
	default:
		return nil, fmt.Errorf("%w %d", ErrUnknownRecord, key[0])
	}
	if err := json.Unmarshal(value, r); err != nil {
		return nil, fmt.Errorf("metadata: decode record type %d: %w", key[0], err)
	}
	return r, nil
}
