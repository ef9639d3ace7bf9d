package replica

import (
	"errors"
	"fmt"

	"github.com/fjordlabs/fjord/internal/storage"
)

// ErrPolicyViolation: records of a topic whose cleanup.policy does not
// include delete cannot be deleted.
var ErrPolicyViolation = errors.New("replica: records cannot be deleted under the cleanup policy")

// DeleteRecordsToHighWatermark, as the offset of DeleteRecordsBefore, means
// the high watermark (Kafka's DeleteRecordsRequest.HIGH_WATERMARK).
const DeleteRecordsToHighWatermark = -1

// DeleteRecordsBefore advances the log start offset to offset as the
// leader (Kafka's DeleteRecords): records below it are no longer served and
// segments wholly below it are deleted. It returns the low watermark, the
// log start offset afterwards; on a single node the leader's, with
// followers (later) the smallest of the replicas'. Moving backwards is not
// an error: the log start stays where it is.
func (p *Partition) DeleteRecordsBefore(offset int64) (int64, error) {
	if p.deleted.Load() {
		return -1, ErrUnknownPartition
	}
	if !p.IsLeader() {
		return -1, ErrNotLeader
	}
	if !p.Log.Config().Delete {
		return -1, fmt.Errorf("%w: records of partition %s can not be deleted due to the configured policy", ErrPolicyViolation, p.TP)
	}
	if offset == DeleteRecordsToHighWatermark {
		offset = p.HighWatermark()
	}
	if offset < 0 {
		return -1, fmt.Errorf("%w: the offset %d for partition %s is not valid", storage.ErrOffsetOutOfRange, offset, p.TP)
	}
	lw, err := p.Log.DeleteRecordsBefore(offset)
	if err != nil {
		return -1, err
	}
	return lw, nil
}
