// Command saramacheck runs a sarama consumer group against a broker:
// MEMBERS members of GROUP consume TOPIC until EXPECTED records have been
// read between them, marking every message; then it prints the claims,
// counts and committed offsets. Exits 1 on a shortfall or a duplicate.
//
//	saramacheck BOOTSTRAP TOPIC GROUP EXPECTED MEMBERS KAFKA_VERSION
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

type handler struct {
	name string
	mu   *sync.Mutex
	seen map[[2]int64]int
	want int
	done context.CancelFunc
	got  map[string][]int32
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	h.got[h.name] = append([]int32(nil), s.Claims()[os.Args[2]]...)
	h.mu.Unlock()
	return nil
}
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		s.MarkMessage(m, "")
		h.mu.Lock()
		h.seen[[2]int64{int64(m.Partition), m.Offset}]++
		if len(h.seen) >= h.want {
			h.done()
		}
		h.mu.Unlock()
	}
	return nil
}

func main() {
	bootstrap, topic, group := os.Args[1], os.Args[2], os.Args[3]
	want, _ := strconv.Atoi(os.Args[4])
	members, _ := strconv.Atoi(os.Args[5])
	version, err := sarama.ParseKafkaVersion(os.Args[6])
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var mu sync.Mutex
	seen := map[[2]int64]int{}
	claims := map[string][]int32{}
	var wg sync.WaitGroup
	for i := range members {
		cfg := sarama.NewConfig()
		cfg.Version = version
		cfg.ClientID = fmt.Sprintf("sarama-%d", i)
		cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
		cfg.Consumer.Offsets.AutoCommit.Interval = 200 * time.Millisecond
		cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
		cg, err := sarama.NewConsumerGroup([]string{bootstrap}, group, cfg)
		if err != nil {
			log.Fatal(err)
		}
		h := &handler{name: cfg.ClientID, mu: &mu, seen: seen, want: want, done: cancel, got: claims}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := cg.Consume(ctx, []string{topic}, h); err != nil {
					log.Printf("%s: consume: %v", h.name, err)
				}
			}
			cg.Close() // commits marked offsets, leaves the group
		}()
	}
	wg.Wait()
	dups := 0
	for _, n := range seen {
		if n > 1 {
			dups++
		}
	}
	fmt.Println("claims:", claims)
	fmt.Println("consumed:", len(seen), "duplicates:", dups)

	cfg := sarama.NewConfig()
	cfg.Version = version
	client, err := sarama.NewClient([]string{bootstrap}, cfg)
	if err != nil {
		log.Fatal(err)
	}
	om, err := sarama.NewOffsetManagerFromClient(group, client)
	if err != nil {
		log.Fatal(err)
	}
	parts, _ := client.Partitions(topic)
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	committed := map[int32]int64{}
	for _, p := range parts {
		pom, err := om.ManagePartition(topic, p)
		if err != nil {
			log.Fatal(err)
		}
		committed[p], _ = pom.NextOffset()
		pom.Close()
	}
	fmt.Println("committed:", committed)
	om.Close()
	client.Close()
	if len(seen) < want || dups > 0 {
		os.Exit(1)
	}
}
