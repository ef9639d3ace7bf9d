package franzgo

import (
	"context"
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

// member is one consumer group member for the runner's scenario 4 (the
// protocol is in check/member.go): kgo's default cooperative-sticky
// balancer, manual commits after each poll, rebalances blocked while a
// poll's records are printed and committed.
func member() {
	cfg := check.MemberEnv()
	ctx, stop := check.Terminated()
	defer stop()
	var asg check.Assignment
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(cfg.Bootstrap),
		kgo.ClientID(cfg.Name),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.SessionTimeout(check.SessionTimeout),
		kgo.HeartbeatInterval(check.HeartbeatInterval),
		kgo.RebalanceTimeout(check.RebalanceTimeout),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { asg.Add(m[cfg.Topic]...) }),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
			if err := cl.CommitUncommittedOffsets(ctx); err != nil {
				fmt.Fprintf(os.Stderr, "commit on revoke: %v\n", err)
			}
			asg.Remove(m[cfg.Topic]...)
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { asg.Remove(m[cfg.Topic]...) }),
	)
	if err != nil {
		check.Die("client: %v", err)
	}
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachError(func(t string, p int32, err error) {
			if ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "fetch %s[%d]: %v\n", t, p, err)
			}
		})
		for _, r := range fs.Records() {
			check.PrintRecord(r.Partition, r.Offset, r.Key, r.Value)
		}
		if err := cl.CommitUncommittedOffsets(context.Background()); err != nil {
			fmt.Fprintf(os.Stderr, "commit: %v\n", err)
		}
		cl.AllowRebalance()
	}
	if err := cl.CommitUncommittedOffsets(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "final commit: %v\n", err)
	}
	cl.Close() // leaves the group
}
