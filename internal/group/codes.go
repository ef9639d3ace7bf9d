package group

import "github.com/twmb/franz-go/pkg/kerr"

// Kafka error codes the coordinator answers with. The group protocol is
// defined in terms of them, so the state machine speaks them directly.
var (
	codeNotCoordinator         = kerr.NotCoordinator.Code
	codeCoordinatorNotAvail    = kerr.CoordinatorNotAvailable.Code
	codeLoadInProgress         = kerr.CoordinatorLoadInProgress.Code
	codeInvalidGroupID         = kerr.InvalidGroupID.Code
	codeInvalidSessionTimeout  = kerr.InvalidSessionTimeout.Code
	codeUnknownMemberID        = kerr.UnknownMemberID.Code
	codeMemberIDRequired       = kerr.MemberIDRequired.Code
	codeFencedInstanceID       = kerr.FencedInstanceID.Code
	codeIllegalGeneration      = kerr.IllegalGeneration.Code
	codeRebalanceInProgress    = kerr.RebalanceInProgress.Code
	codeInconsistentProtocol   = kerr.InconsistentGroupProtocol.Code
	codeGroupMaxSizeReached    = kerr.GroupMaxSizeReached.Code
	codeGroupIDNotFound        = kerr.GroupIDNotFound.Code
	codeNonEmptyGroup          = kerr.NonEmptyGroup.Code
	codeGroupSubscribedToTopic = kerr.GroupSubscribedToTopic.Code
	codeOffsetMetadataTooLarge = kerr.OffsetMetadataTooLarge.Code
	codeUnknownServerError     = kerr.UnknownServerError.Code
)

// coordinatorWriteError maps the error of a failed write to
// __consumer_offsets to what the coordinator answers (Kafka's
// appendGroupMetadataErrorToResponseError): clients retry on
// COORDINATOR_NOT_AVAILABLE and look the coordinator up again on
// NOT_COORDINATOR.
func coordinatorWriteError(code int16) int16 {
	switch code {
	case kerr.UnknownTopicOrPartition.Code, kerr.NotEnoughReplicas.Code, kerr.RequestTimedOut.Code:
		return codeCoordinatorNotAvail
	case kerr.NotLeaderForPartition.Code, kerr.KafkaStorageError.Code:
		return codeNotCoordinator
	case kerr.MessageTooLarge.Code, kerr.RecordListTooLarge.Code, kerr.InvalidFetchSize.Code:
		return codeUnknownServerError
	}
	return code
}
