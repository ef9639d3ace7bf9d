package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fjordlabs/fjord/compat/go/internal/check"
)

// Scenario 4, the same for every client: members are processes of the
// client's member command (protocol in check/member.go); this side
// produces with franz-go, watches the group through DescribeGroups and
// OffsetFetch, and checks what the members report.
//
//  1. members A, B, C join; the 6 partitions are shared 2 each
//  2. batch 1 is consumed, each record once, and committed
//  3. C leaves (SIGTERM: commit, LeaveGroup); A and B take 3 each
//  4. batch 2
//  5. B is killed (SIGKILL); after its session timeout A has all 6
//  6. batch 3
//  7. the broker restarts (SIGTERM, same data); A goes on: batch 4
//  8. the broker is killed (SIGKILL) and started again; A goes on: batch 5
//  9. A leaves; a new member D resumes from the committed offsets: it
//     reads batch 6 and nothing before
// 10. every record produced was consumed, none twice, identical, in order
//
// Every disruption happens once all records are committed, so at-least-once
// allows no duplicate here: any is a failure (but see repeatTolerated for a
// client library bug).

const (
	groupPartitions = 6
	perBatch        = 5 // records per partition per batch
)

type consumed struct {
	member     string
	key, value string
}

type groupMember struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and its output is read
	err  error         // the exit, valid after done

	mu       sync.Mutex
	assigned []int32 // the last "assigned" line; nil before the first
	lines    int
}

type groupRun struct {
	memberCmd []string
	env       []string
	dir       string
	b         *broker
	topic     string
	group     string
	cl        *kgo.Client
	adm       *kadm.Client
	report    *check.Report

	mu       sync.Mutex
	members  map[string]*groupMember
	produced map[int32]map[int64]consumed // partition → offset → key/value
	got      map[int32]map[int64][]consumed
	order    map[string]map[int32]int64 // member → partition → last offset seen (order check)
	disorder []string
	foreign  []string

	// repeatTolerated: the client's library is known to hand the same
	// record to the application twice in a row now and then, through no
	// fault of the broker (librdkafka before 2.1.1: a fetch response that
	// arrives while the consumer validates its position after reconnecting
	// is delivered, and the record at the position is delivered again once
	// validation ends; librdkafka PR #4261). Only that exact pattern is let
	// through: the same member, the same partition, the same offset as the
	// record it reported just before, with the same key and value. It is
	// logged; any other repeat still fails.
	repeatTolerated bool
	repeats         []string
}

// librdkafkaRepeats names the clients built on a librdkafka older than
// 2.1.1 (Debian's 2.0.2).
var librdkafkaRepeats = map[string]bool{"kcat": true, "confluent-kafka-python": true}

func runGroupScenario(client string, memberCmd, env []string, dir string, b *broker, report *check.Report) {
	g := &groupRun{memberCmd: memberCmd, env: env, dir: dir, b: b, topic: "s4-topic", group: "s4-group", report: report,
		members: map[string]*groupMember{}, produced: map[int32]map[int64]consumed{},
		got: map[int32]map[int64][]consumed{}, order: map[string]map[int32]int64{}}
	g.repeatTolerated = librdkafkaRepeats[client]
	defer g.killAll()
	var err error
	g.cl, err = kgo.NewClient(kgo.SeedBrokers(b.addr()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RetryTimeout(30*time.Second))
	if err != nil {
		report.Add(check.Result{Status: check.Fail, Scenario: 4, Name: "consumer group", Detail: err.Error()})
		return
	}
	defer g.cl.Close()
	g.adm = kadm.NewClient(g.cl)

	steps := []struct {
		name string
		fn   func() error
	}{
		{"3 members share 6 partitions, 2 each", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := g.adm.CreateTopic(ctx, groupPartitions, 1, nil, g.topic); err != nil {
				return fmt.Errorf("create topic: %w", err)
			}
			for _, m := range []string{"A", "B", "C"} {
				if err := g.start(m); err != nil {
					return err
				}
			}
			return g.waitBalanced(45*time.Second, "A", "B", "C")
		}},
		{"batch 1 consumed once by the 3 members and committed", func() error { return g.batch(1, 30*time.Second) }},
		{"a member leaves: the other 2 take its partitions", func() error {
			if err := g.leave("C"); err != nil {
				return err
			}
			left := time.Now()
			if err := g.waitBalanced(30*time.Second, "A", "B"); err != nil {
				return err
			}
			// Without a LeaveGroup the broker would notice only when C's
			// session times out.
			if d := time.Since(left); d >= check.SessionTimeout {
				return fmt.Errorf("the group rebalanced %.1fs after C exited, not before its %v session timeout: C did not leave", d.Seconds(), check.SessionTimeout)
			}
			return nil
		}},
		{"batch 2 consumed once by the 2 members and committed", func() error { return g.batch(2, 30*time.Second) }},
		{"a member is killed: the survivor takes all 6 after the session timeout", func() error {
			g.kill("B")
			return g.waitBalanced(check.SessionTimeout+30*time.Second, "A")
		}},
		{"batch 3 consumed once by the survivor and committed", func() error { return g.batch(3, 30*time.Second) }},
		{"broker restart (SIGTERM): the member goes on, batch 4 consumed once and committed", func() error {
			if err := g.b.restart(); err != nil {
				return err
			}
			if err := g.batch(4, 45*time.Second); err != nil {
				return err
			}
			return g.waitBalanced(30*time.Second, "A")
		}},
		{"broker crash (SIGKILL) and restart: the member goes on, batch 5 consumed once and committed", func() error {
			if err := g.b.crash(); err != nil {
				return err
			}
			if err := g.batch(5, 45*time.Second); err != nil {
				return err
			}
			return g.waitBalanced(30*time.Second, "A")
		}},
		{"a new member after the restart resumes from the committed offsets", func() error {
			if err := g.leave("A"); err != nil {
				return err
			}
			if err := g.start("D"); err != nil {
				return err
			}
			if err := g.waitBalanced(45*time.Second, "D"); err != nil {
				return err
			}
			if err := g.batch(6, 30*time.Second); err != nil {
				return err
			}
			if err := g.leave("D"); err != nil {
				return err
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			for p, offs := range g.got {
				for o, cs := range offs {
					for _, c := range cs {
						if c.member == "D" && !strings.HasPrefix(c.key, "b6-") {
							return fmt.Errorf("D read %s at partition %d offset %d, from before it started: the committed offsets were not used", c.key, p, o)
						}
					}
				}
			}
			return nil
		}},
	}
	failed := ""
	for _, s := range steps {
		if failed != "" {
			report.Add(check.Result{Status: check.Fail, Scenario: 4, Name: s.name, Detail: "not run: an earlier step failed (" + failed + ")"})
			continue
		}
		start := time.Now()
		if err := s.fn(); err != nil {
			failed = s.name
			report.Add(check.Result{Status: check.Fail, Scenario: 4, Name: s.name, Detail: err.Error()})
			continue
		}
		fmt.Fprintf(os.Stderr, "  (%s: %.1fs)\n", s.name, time.Since(start).Seconds())
		report.Add(check.Result{Status: check.Pass, Scenario: 4, Name: s.name})
	}
	res := check.Result{Status: check.Pass, Scenario: 4, Name: "no record lost or consumed twice, records identical and in order"}
	if err := g.final(); err != nil {
		res.Status, res.Detail = check.Fail, err.Error()
	}
	report.Add(res)
}

// start runs a member process.
func (g *groupRun) start(name string) error {
	m := &groupMember{name: name, done: make(chan struct{})}
	cmd := exec.Command(g.memberCmd[0], g.memberCmd[1:]...)
	cmd.Env = append(slices.Clone(g.env),
		check.EnvBootstrap+"="+g.b.addr(), check.EnvTopic+"="+g.topic, check.EnvGroup+"="+g.group, check.EnvMember+"="+name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf, err := os.Create(filepath.Join(g.dir, "member-"+name+".log"))
	if err != nil {
		return err
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("member %s: %w", name, err)
	}
	m.cmd = cmd
	trackGroup(cmd.Process.Pid)
	g.mu.Lock()
	g.members[name] = m
	g.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(logf, "stdout:", sc.Text())
			g.line(m, sc.Text())
		}
		m.err = cmd.Wait()
		untrackGroup(cmd.Process.Pid)
		logf.Close()
		close(m.done)
	}()
	return nil
}

func (g *groupRun) line(m *groupMember, line string) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return
	}
	switch f[0] {
	case "assigned":
		ps := []int32{}
		for _, s := range f[1:] {
			p, err := strconv.Atoi(s)
			if err != nil {
				return
			}
			ps = append(ps, int32(p))
		}
		slices.Sort(ps)
		m.mu.Lock()
		m.assigned = ps
		m.mu.Unlock()
	case "record":
		if len(f) != 5 {
			g.mu.Lock()
			g.foreign = append(g.foreign, fmt.Sprintf("%s: malformed %q", m.name, line))
			g.mu.Unlock()
			return
		}
		p, err1 := strconv.Atoi(f[1])
		o, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		if last, ok := g.order[m.name][int32(p)]; ok && last == o && g.repeatTolerated {
			if prev := g.got[int32(p)][o]; len(prev) > 0 {
				if pc := prev[len(prev)-1]; pc.member == m.name && pc.key == f[3] && pc.value == f[4] {
					g.repeats = append(g.repeats, fmt.Sprintf("%s read partition %d offset %d twice in a row", m.name, p, o))
					fmt.Fprintf(os.Stderr, "  (tolerated librdkafka < 2.1.1 repeat: %s read partition %d offset %d twice in a row)\n", m.name, p, o)
					return
				}
			}
		}
		if g.got[int32(p)] == nil {
			g.got[int32(p)] = map[int64][]consumed{}
		}
		g.got[int32(p)][o] = append(g.got[int32(p)][o], consumed{member: m.name, key: f[3], value: f[4]})
		if g.order[m.name] == nil {
			g.order[m.name] = map[int32]int64{}
		}
		if last, ok := g.order[m.name][int32(p)]; ok && o <= last {
			g.disorder = append(g.disorder, fmt.Sprintf("%s read partition %d offset %d after %d", m.name, p, o, last))
		}
		g.order[m.name][int32(p)] = o
	}
}

// leave sends SIGTERM and waits for a clean exit.
func (g *groupRun) leave(name string) error {
	m := g.member(name)
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(30 * time.Second):
		g.kill(name)
		return fmt.Errorf("member %s did not exit within 30s of SIGTERM", name)
	}
	if m.err != nil {
		return fmt.Errorf("member %s exited with %v\n%s", name, m.err, tailFile(filepath.Join(g.dir, "member-"+name+".log"), 10))
	}
	return nil
}

// kill kills a member's process group with SIGKILL.
func (g *groupRun) kill(name string) {
	m := g.member(name)
	syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	<-m.done
}

func (g *groupRun) killAll() {
	g.mu.Lock()
	var names []string
	for n, m := range g.members {
		select {
		case <-m.done:
		default:
			names = append(names, n)
		}
	}
	g.mu.Unlock()
	for _, n := range names {
		g.kill(n)
	}
}

func (g *groupRun) member(name string) *groupMember {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.members[name]
}

// waitBalanced waits until the group is Stable with exactly the named
// members, the partitions shared evenly and disjointly among them, and
// each member's own report of its assignment agreeing with the group's.
func (g *groupRun) waitBalanced(timeout time.Duration, names ...string) error {
	return waitFor(timeout, func() (bool, string) {
		for _, n := range names {
			select {
			case <-g.member(n).done:
				return false, fmt.Sprintf("member %s exited: %v\n%s", n, g.member(n).err,
					tailFile(filepath.Join(g.dir, "member-"+n+".log"), 10))
			default:
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		dg, err := g.adm.DescribeGroups(ctx, g.group)
		if err != nil {
			return false, "describe: " + err.Error()
		}
		d := dg[g.group]
		if d.Err != nil {
			return false, "describe: " + d.Err.Error()
		}
		if d.State != "Stable" || len(d.Members) != len(names) {
			return false, fmt.Sprintf("group %s with %d members, want Stable with %v", d.State, len(d.Members), names)
		}
		owner := map[int32]string{}
		for _, dm := range d.Members {
			if !slices.Contains(names, dm.ClientID) {
				return false, fmt.Sprintf("member with client id %q in the group, want %v", dm.ClientID, names)
			}
			a, ok := dm.Assigned.AsConsumer()
			if !ok {
				return false, fmt.Sprintf("%s: assignment not decodable", dm.ClientID)
			}
			var ps []int32
			for _, t := range a.Topics {
				if t.Topic == g.topic {
					ps = append(ps, t.Partitions...)
				}
			}
			slices.Sort(ps)
			if len(ps) != groupPartitions/len(names) {
				return false, fmt.Sprintf("%s assigned %v by the group", dm.ClientID, ps)
			}
			for _, p := range ps {
				if prev, dup := owner[p]; dup {
					return false, fmt.Sprintf("partition %d assigned to %s and %s", p, prev, dm.ClientID)
				}
				owner[p] = dm.ClientID
			}
			m := g.member(dm.ClientID)
			m.mu.Lock()
			own := slices.Clone(m.assigned)
			m.mu.Unlock()
			if !slices.Equal(own, ps) {
				return false, fmt.Sprintf("%s reports %v, the group assigned it %v", dm.ClientID, own, ps)
			}
		}
		if len(owner) != groupPartitions {
			return false, fmt.Sprintf("%d partitions assigned", len(owner))
		}
		return true, ""
	})
}

// batch produces batch k (perBatch records to each partition) and waits
// until every record was consumed and the group committed up to the end.
func (g *groupRun) batch(k int, timeout time.Duration) error {
	var recs []*kgo.Record
	for p := range int32(groupPartitions) {
		for i := range perBatch {
			key := fmt.Sprintf("b%d-p%d-%d", k, p, i)
			recs = append(recs, &kgo.Record{Topic: g.topic, Partition: p, Key: []byte(key), Value: []byte("value-" + key)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce batch %d: %w", k, err)
	}
	ends := map[int32]int64{}
	g.mu.Lock()
	for _, r := range recs {
		if g.produced[r.Partition] == nil {
			g.produced[r.Partition] = map[int64]consumed{}
		}
		g.produced[r.Partition][r.Offset] = consumed{key: string(r.Key), value: string(r.Value)}
		ends[r.Partition] = max(ends[r.Partition], r.Offset+1)
	}
	g.mu.Unlock()
	err := waitFor(timeout, func() (bool, string) {
		g.mu.Lock()
		missing := 0
		for _, r := range recs {
			if len(g.got[r.Partition][r.Offset]) == 0 {
				missing++
			}
		}
		g.mu.Unlock()
		if missing > 0 {
			return false, fmt.Sprintf("%d of %d records of batch %d not consumed", missing, len(recs), k)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		offs, err := g.adm.FetchOffsets(ctx, g.group)
		if err != nil {
			return false, "fetch offsets: " + err.Error()
		}
		for p, end := range ends {
			o, ok := offs.Lookup(g.topic, p)
			if !ok || o.Err != nil || o.At != end {
				return false, fmt.Sprintf("partition %d committed %d (%v), want %d", p, o.At, o.Err, end)
			}
		}
		return true, ""
	})
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range recs {
		if cs := g.got[r.Partition][r.Offset]; len(cs) > 1 {
			return fmt.Errorf("partition %d offset %d consumed %d times (%v)", r.Partition, r.Offset, len(cs), cs)
		}
	}
	return nil
}

// final compares everything consumed with everything produced.
func (g *groupRun) final() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []string
	total := 0
	for p, offs := range g.produced {
		for o, want := range offs {
			total++
			cs := g.got[p][o]
			switch {
			case len(cs) == 0:
				errs = append(errs, fmt.Sprintf("lost: partition %d offset %d (%s)", p, o, want.key))
			case len(cs) > 1:
				errs = append(errs, fmt.Sprintf("consumed %d times: partition %d offset %d", len(cs), p, o))
			}
			for _, c := range cs {
				if c.key != want.key || c.value != want.value {
					errs = append(errs, fmt.Sprintf("partition %d offset %d: %s read %s=%s, produced %s=%s", p, o, c.member, c.key, c.value, want.key, want.value))
				}
			}
		}
	}
	for p, offs := range g.got {
		for o := range offs {
			if _, ok := g.produced[p][o]; !ok {
				errs = append(errs, fmt.Sprintf("consumed partition %d offset %d, never produced", p, o))
			}
		}
	}
	errs = append(errs, g.disorder...)
	errs = append(errs, g.foreign...)
	if total == 0 {
		errs = append(errs, "nothing produced")
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		if len(errs) > 10 {
			errs = append(errs[:10], fmt.Sprintf("and %d more", len(errs)-10))
		}
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// waitFor polls cond until it holds or the timeout passes; the error
// carries cond's last reason.
func waitFor(timeout time.Duration, cond func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v: %s", timeout, why)
		}
		time.Sleep(100 * time.Millisecond) // polling interval of a bounded wait on a condition
	}
}
