package confluent

import (
	"fmt"
	"os"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

// member is one consumer group member for the runner's scenario 4 (the
// protocol is in check/member.go): a subscribed librdkafka consumer with
// its default assignors (range, roundrobin), each record committed
// synchronously.
func member() {
	cfg := check.MemberEnv()
	ctx, stop := check.Terminated()
	defer stop()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers":     cfg.Bootstrap,
		"group.id":              cfg.Group,
		"client.id":             cfg.Name,
		"auto.offset.reset":     "earliest",
		"enable.auto.commit":    false,
		"session.timeout.ms":    int(check.SessionTimeout.Milliseconds()),
		"heartbeat.interval.ms": int(check.HeartbeatInterval.Milliseconds()),
		"max.poll.interval.ms":  int(check.RebalanceTimeout.Milliseconds()),
		"fetch.wait.max.ms":     100,
	})
	if err != nil {
		check.Die("consumer: %v", err)
	}
	var asg check.Assignment
	err = c.Subscribe(cfg.Topic, func(c *kafka.Consumer, ev kafka.Event) error {
		switch e := ev.(type) {
		case kafka.AssignedPartitions:
			var ps []int32
			for _, tp := range e.Partitions {
				ps = append(ps, tp.Partition)
			}
			asg.Set(ps...)
		case kafka.RevokedPartitions:
			asg.Set()
		}
		return nil
	})
	if err != nil {
		check.Die("subscribe: %v", err)
	}
	for ctx.Err() == nil {
		switch e := c.Poll(100).(type) {
		case *kafka.Message:
			check.PrintRecord(e.TopicPartition.Partition, int64(e.TopicPartition.Offset), e.Key, e.Value)
			if _, err := c.CommitMessage(e); err != nil {
				fmt.Fprintf(os.Stderr, "commit: %v\n", err)
			}
		case kafka.Error:
			fmt.Fprintf(os.Stderr, "error: %v\n", e)
		}
	}
	if err := c.Close(); err != nil { // leaves the group
		check.Die("close: %v", err)
	}
}
