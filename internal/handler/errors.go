package handler

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/fjordlabs/fjord/internal/controller"
	"github.com/fjordlabs/fjord/internal/replica"
	"github.com/fjordlabs/fjord/internal/storage"
)

// errorCode maps an error from the layers below to the Kafka error code a
// client should see. Unrecognised errors are UNKNOWN_SERVER_ERROR and are
// logged by the caller.
func errorCode(err error) int16 {
	if err == nil {
		return 0
	}
	for _, m := range errorCodes {
		if errors.Is(err, m.err) {
			return m.code.Code
		}
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	return kerr.UnknownServerError.Code
}

var errorCodes = []struct {
	err  error
	code *kerr.Error
}{
	{replica.ErrUnknownPartition, kerr.UnknownTopicOrPartition},
	{replica.ErrNotLeader, kerr.NotLeaderForPartition},
	{replica.ErrNotEnoughReplicas, kerr.NotEnoughReplicas},
	{replica.ErrFencedEpoch, kerr.FencedLeaderEpoch},
	{replica.ErrUnknownEpoch, kerr.UnknownLeaderEpoch},
	{replica.ErrPolicyViolation, kerr.PolicyViolation},

	{storage.ErrOffsetOutOfRange, kerr.OffsetOutOfRange},
	{storage.ErrCorruptMessage, kerr.CorruptMessage},
	{storage.ErrInvalidRecord, kerr.InvalidRecord},
	{storage.ErrInvalidTimestamp, kerr.InvalidTimestamp},
	{storage.ErrMessageTooLarge, kerr.MessageTooLarge},
	{storage.ErrRecordSetTooLarge, kerr.RecordListTooLarge},
	{storage.ErrLogFailed, kerr.KafkaStorageError},
	{storage.ErrCorruptLog, kerr.KafkaStorageError},
	{storage.ErrClosed, kerr.NotLeaderForPartition},
	{storage.ErrOutOfOrderSequence, kerr.OutOfOrderSequenceNumber},
	{storage.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
	{storage.ErrDuplicateSequence, kerr.DuplicateSequenceNumber},

	{controller.ErrTopicExists, kerr.TopicAlreadyExists},
	{controller.ErrInvalidTopic, kerr.InvalidTopicException},
	{controller.ErrInvalidPartitions, kerr.InvalidPartitions},
	{controller.ErrInvalidReplicationFactor, kerr.InvalidReplicationFactor},
	{controller.ErrInvalidReplicaAssignment, kerr.InvalidReplicaAssignment},
	{controller.ErrInvalidConfig, kerr.InvalidConfig},
	{controller.ErrUnknownTopic, kerr.UnknownTopicOrPartition},
	{controller.ErrUnknownTopicID, kerr.UnknownTopicID},
	{controller.ErrTopicDeletionDisabled, kerr.TopicDeletionDisabled},
	{controller.ErrInvalidRequest, kerr.InvalidRequest},
	{controller.ErrNotController, kerr.NotController},
	{controller.ErrPolicyViolation, kerr.PolicyViolation},
}

// errorMessage is the text for a response's ErrorMessage field: the
// error's own message for errors we understand, nil otherwise (Kafka sends
// null rather than leak internals). A controller error with an empty
// message is one Kafka answers with a null message.
func errorMessage(err error) *string {
	if err == nil || errorCode(err) == kerr.UnknownServerError.Code {
		return nil
	}
	var ce *controller.Error
	if errors.As(err, &ce) {
		if ce.Message == "" {
			return nil
		}
		return &ce.Message
	}
	s := err.Error()
	return &s
}
