package controller

import "github.com/fjordlabs/fjord/internal/metadata"

// CreatePartitions asks for a topic to grow to Count partitions.
type CreatePartitions struct {
	Topic string
	Count int32
	// Assignment, when non-nil, gives the replicas of each new partition,
	// in partition order; otherwise they are placed as for a new topic.
	Assignment [][]int32
}

// CreatePartitions adds partitions to existing topics (or only checks that
// it could). Each topic succeeds or fails on its own and the successful
// ones are committed in one batch; the result is one error per request, nil
// on success. The replica manager opens the new partitions' logs when it
// sees their PartitionRecords.
func (c *Controller) CreatePartitions(reqs []CreatePartitions, validateOnly bool) []error {
	var out []error
	_, err := c.commit(func(im *metadata.Image) ([]metadata.Record, error) {
		var recs []metadata.Record
		recs, out = planCreatePartitions(im, reqs)
		if validateOnly {
			return nil, nil
		}
		return recs, nil
	})
	if err != nil {
		for i := range out {
			if out[i] == nil {
				out[i] = err
			}
		}
	}
	return out
}

// planCreatePartitions applies Kafka's checks, in its order: the topic
// exists, the count grows, an assignment covers exactly the new partitions
// with valid replica lists of the topic's replication factor. A request
// needing more than MaxRecordsPerOp records fails as a whole.
func planCreatePartitions(im *metadata.Image, reqs []CreatePartitions) ([]metadata.Record, []error) {
	out := make([]error, len(reqs))
	brokers := im.Brokers()
	live := map[int32]bool{}
	for _, b := range brokers {
		live[b.ID] = true
	}
	var recs []metadata.Record
	total := 0
	for i, r := range reqs {
		t, ok := im.Topic(r.Topic)
		if !ok {
			out[i] = errorf(ErrUnknownTopic, "") // Kafka sends no message here
			continue
		}
		cur := int32(len(t.Partitions))
		switch {
		case r.Count == cur:
			out[i] = errorf(ErrInvalidPartitions, "Topic already has %d partition(s).", cur)
			continue
		case r.Count < cur:
			out[i] = errorf(ErrInvalidPartitions, "The topic %s currently has %d partition(s); %d would not be an increase.", r.Topic, cur, r.Count)
			continue
		}
		additional := int(r.Count - cur)
		if r.Assignment != nil && len(r.Assignment) != additional {
			out[i] = errorf(ErrInvalidReplicaAssignment, "Attempted to add %d additional partition(s), but only %d assignment(s) were specified.", additional, len(r.Assignment))
			continue
		}
		if total += additional; total > MaxRecordsPerOp {
			return nil, tooLargeForAll(len(reqs))
		}
		rf := len(t.Partitions[0].Replicas)
		var assignment [][]int32
		if r.Assignment != nil {
			for _, replicas := range r.Assignment {
				if out[i] = checkReplicas(replicas, live, rf); out[i] != nil {
					break
				}
			}
			if out[i] != nil {
				continue
			}
			assignment = r.Assignment
		} else {
			if rf > len(brokers) {
				out[i] = errorf(ErrInvalidReplicationFactor, "%s", rfUnreachable(rf, len(brokers)))
				continue
			}
			assignment = place(brokers, int(cur), additional, rf)
		}
		for j, replicas := range assignment {
			recs = append(recs, partitionRecord(t.ID, cur+int32(j), replicas))
		}
	}
	return recs, out
}

func tooLargeForAll(n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = errTooLarge()
	}
	return out
}
