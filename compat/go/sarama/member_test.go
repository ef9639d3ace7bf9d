package sarama

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/IBM/sarama"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

// member is one consumer group member for the runner's scenario 4 (the
// protocol is in check/member.go): sarama's ConsumerGroup with its default
// range strategy, records marked and committed synchronously after each run of fetched records.
func member() {
	cfg := check.MemberEnv()
	ctx, stop := check.Terminated()
	defer stop()
	sc := sarama.NewConfig()
	sc.ClientID = cfg.Name
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Consumer.Offsets.AutoCommit.Enable = false
	sc.Consumer.Group.Session.Timeout = check.SessionTimeout
	sc.Consumer.Group.Heartbeat.Interval = check.HeartbeatInterval
	sc.Consumer.Group.Rebalance.Timeout = check.RebalanceTimeout
	cg, err := sarama.NewConsumerGroup([]string{cfg.Bootstrap}, cfg.Group, sc)
	if err != nil {
		check.Die("consumer group: %v", err)
	}
	go func() {
		for err := range cg.Errors() {
			fmt.Fprintf(os.Stderr, "group: %v\n", err)
		}
	}()
	h := handler{topic: cfg.Topic}
	for ctx.Err() == nil {
		if err := cg.Consume(ctx, []string{cfg.Topic}, h); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(os.Stderr, "consume: %v\n", err)
		}
	}
	if err := cg.Close(); err != nil { // leaves the group
		check.Die("close: %v", err)
	}
}

type handler struct{ topic string }

func (h handler) Setup(s sarama.ConsumerGroupSession) error {
	check.PrintAssigned(s.Claims()[h.topic])
	return nil
}

func (h handler) Cleanup(s sarama.ConsumerGroupSession) error {
	s.Commit()
	check.PrintAssigned(nil)
	return nil
}

func (h handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	// Commit after each run of records already fetched, not after each
	// record: a synchronous commit per record makes a batch take seconds.
	for m := range c.Messages() {
		for m != nil {
			check.PrintRecord(m.Partition, m.Offset, m.Key, m.Value)
			s.MarkMessage(m, "")
			select {
			case m = <-c.Messages():
			default:
				m = nil
			}
		}
		s.Commit()
	}
	return nil
}
