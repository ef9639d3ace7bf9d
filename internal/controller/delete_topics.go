package controller

import "github.com/fjordlabs/fjord/internal/metadata"

// TopicRef names a topic by ID or, when ID is zero, by name.
type TopicRef struct {
	Name string
	ID   metadata.UUID
}

// DeletedTopic is the outcome for one TopicRef. Name and ID are the
// topic's when it was found, else only what the reference gave.
type DeletedTopic struct {
	Name string
	ID   metadata.UUID
	Err  error
}

// DeleteTopics deletes topics: one RemoveTopicRecord each, committed in one
// batch. Applying the record removes the topic's partitions and configs
// from the image; the replica manager then deletes the logs. Names are
// resolved under the controller's lock, so a reference cannot change
// meaning between lookup and commit. Refused for all when
// delete.topic.enable is false.
func (c *Controller) DeleteTopics(refs []TopicRef) []DeletedTopic {
	if !c.opts.Config().Bool("delete.topic.enable") {
		out := make([]DeletedTopic, len(refs))
		for i, r := range refs {
			out[i] = DeletedTopic{Name: r.Name, ID: r.ID, Err: errorf(ErrTopicDeletionDisabled, "Topic deletion is disabled.")}
		}
		return out
	}
	var out []DeletedTopic
	_, err := c.commit(func(im *metadata.Image) ([]metadata.Record, error) {
		var recs []metadata.Record
		recs, out = planDeleteTopics(im, refs)
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

// planDeleteTopics resolves each reference and plans the removals. Two
// references to one topic (its name and its ID) are both refused, as Kafka
// refuses a name that maps to an ID already supplied.
func planDeleteTopics(im *metadata.Image, refs []TopicRef) ([]metadata.Record, []DeletedTopic) {
	out := make([]DeletedTopic, len(refs))
	first := map[metadata.UUID]int{} // topic ID → index of the first reference to it
	for i, r := range refs {
		var (
			t  *metadata.Topic
			ok bool
		)
		if r.ID == (metadata.UUID{}) {
			if t, ok = im.Topic(r.Name); !ok {
				// Kafka's message here is the error's default text.
				out[i] = DeletedTopic{Name: r.Name, Err: errorf(ErrUnknownTopic, "This server does not host this topic-partition.")}
				continue
			}
		} else if t, ok = im.TopicByID(r.ID); !ok {
			out[i] = DeletedTopic{ID: r.ID, Err: errorf(ErrUnknownTopicID, "")}
			continue
		}
		out[i] = DeletedTopic{Name: t.Name, ID: t.ID}
		if j, dup := first[t.ID]; dup {
			err := errorf(ErrInvalidRequest, "The provided topic name maps to an ID that was already supplied.")
			out[i].Err, out[j].Err = err, err
			continue
		}
		first[t.ID] = i
	}
	var recs []metadata.Record
	for _, d := range out {
		if d.Err == nil {
			recs = append(recs, &metadata.RemoveTopicRecord{TopicID: d.ID})
		}
	}
	return recs, out
}
