package kafkago

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

// member is one consumer group member for the runner's scenario 4 (the
// protocol is in check/member.go): kafka-go's ConsumerGroup (range
// balancer), a Reader per assigned partition, each record committed with
// Generation.CommitOffsets.
func member() {
	cfg := check.MemberEnv()
	ctx, stop := check.Terminated()
	defer stop()
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                cfg.Group,
		Brokers:           []string{cfg.Bootstrap},
		Dialer:            &kafka.Dialer{ClientID: cfg.Name, Timeout: 10 * time.Second},
		Topics:            []string{cfg.Topic},
		HeartbeatInterval: check.HeartbeatInterval,
		SessionTimeout:    check.SessionTimeout,
		RebalanceTimeout:  check.RebalanceTimeout,
		JoinGroupBackoff:  200 * time.Millisecond,
		StartOffset:       kafka.FirstOffset,
	})
	if err != nil {
		check.Die("consumer group: %v", err)
	}
	for {
		gen, err := cg.Next(ctx)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "next generation: %v\n", err)
			continue
		}
		var ps []int32
		for _, a := range gen.Assignments[cfg.Topic] {
			ps = append(ps, int32(a.ID))
		}
		check.PrintAssigned(ps)
		for _, a := range gen.Assignments[cfg.Topic] {
			gen.Start(func(ctx context.Context) { consumePartition(ctx, gen, cfg, a) })
		}
	}
	if err := cg.Close(); err != nil { // leaves the group
		check.Die("close: %v", err)
	}
}

func consumePartition(ctx context.Context, gen *kafka.Generation, cfg check.MemberConfig, a kafka.PartitionAssignment) {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{cfg.Bootstrap}, Topic: cfg.Topic, Partition: a.ID,
		MaxWait: 200 * time.Millisecond, Dialer: &kafka.Dialer{ClientID: cfg.Name, Timeout: 10 * time.Second}})
	defer r.Close()
	if err := r.SetOffset(a.Offset); err != nil {
		fmt.Fprintf(os.Stderr, "partition %d: set offset %d: %v\n", a.ID, a.Offset, err)
		return
	}
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				fmt.Fprintf(os.Stderr, "partition %d: read: %v\n", a.ID, err)
			}
			return
		}
		check.PrintRecord(int32(m.Partition), m.Offset, m.Key, m.Value)
		if err := gen.CommitOffsets(map[string]map[int]int64{cfg.Topic: {m.Partition: m.Offset + 1}}); err != nil {
			fmt.Fprintf(os.Stderr, "partition %d: commit: %v\n", a.ID, err)
		}
	}
}
