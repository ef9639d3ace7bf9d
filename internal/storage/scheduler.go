package storage

import (
	"sync"
	"time"
)

// scheduler runs the storage layer's background work on a fixed number of
// goroutines, however many partitions there are: one-off jobs (flushing a
// rolled segment, removing deleted files after file.delete.delay.ms) and the
// manager's periodic sweeps.
type scheduler struct {
	jobs chan func()
	quit chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	timers map[*time.Timer]struct{}
	closed bool
	// busy counts jobs queued, running or waiting on a timer; idle is
	// signalled when it reaches zero (tests wait on it instead of sleeping).
	busy int
	idle *sync.Cond
}

func newScheduler(workers int) *scheduler {
	s := &scheduler{
		jobs:   make(chan func(), 1024),
		quit:   make(chan struct{}),
		timers: make(map[*time.Timer]struct{}),
	}
	s.idle = sync.NewCond(&s.mu)
	for range workers {
		s.wg.Add(1)
		go s.work()
	}
	return s
}

func (s *scheduler) work() {
	defer s.wg.Done()
	for {
		select {
		case fn := <-s.jobs:
			fn()
			s.done()
		case <-s.quit:
			return
		}
	}
}

// submit queues fn to run soon. After close it is dropped: the work it
// stood for is redone by the next open (flushes) or startup cleanup
// (deleted files).
func (s *scheduler) submit(fn func()) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.busy++
	s.mu.Unlock()
	s.enqueue(fn)
}

// enqueue hands a counted job to the workers.
func (s *scheduler) enqueue(fn func()) {
	select {
	case s.jobs <- fn:
	case <-s.quit:
		s.done()
	}
}

func (s *scheduler) done() {
	s.mu.Lock()
	s.busy--
	if s.busy == 0 {
		s.idle.Broadcast()
	}
	s.mu.Unlock()
}

// wait blocks until no job is queued, running or pending on a timer (or the
// scheduler is closed). Tests use it to wait for background work.
func (s *scheduler) wait() {
	s.mu.Lock()
	for s.busy > 0 && !s.closed {
		s.idle.Wait()
	}
	s.mu.Unlock()
}

// after queues fn to run once d has passed.
func (s *scheduler) after(d time.Duration, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.busy++
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		delete(s.timers, t)
		s.mu.Unlock()
		s.enqueue(fn)
	})
	s.timers[t] = struct{}{}
}

// close stops the workers after their current job; queued and delayed
// jobs are dropped.
func (s *scheduler) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for t := range s.timers {
		t.Stop()
	}
	s.idle.Broadcast()
	s.mu.Unlock()
	close(s.quit)
	s.wg.Wait()
}
