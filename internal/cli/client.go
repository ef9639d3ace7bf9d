package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// clientID is what the cluster sees as the client of every subcommand.
const clientID = "fjord-cli"

// newClient connects to the bootstrap servers. It fails fast when none of
// them accepts a TCP connection, instead of retrying until --timeout.
func (g *Globals) newClient(opts ...kgo.Opt) (*kgo.Client, error) {
	seeds := g.seeds()
	if err := g.checkReachable(seeds); err != nil {
		return nil, err
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.ClientID(clientID),
		kgo.DialTimeout(min(g.Timeout, 10*time.Second)),
		kgo.RetryTimeout(g.Timeout),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return cl, nil
}

// newAdmin returns an admin client; closing it closes the kgo client.
func (g *Globals) newAdmin() (*kadm.Client, error) {
	cl, err := g.newClient()
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32(min(g.Timeout, time.Hour).Milliseconds()))
	return adm, nil
}

func (g *Globals) checkReachable(seeds []string) error {
	var errs []string
	d := net.Dialer{Timeout: min(g.Timeout, 10*time.Second)}
	for _, s := range seeds {
		addr := s
		if _, _, err := net.SplitHostPort(s); err != nil {
			addr = net.JoinHostPort(s, "9092")
		}
		c, err := d.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		errs = append(errs, err.Error())
	}
	return fmt.Errorf("cannot connect to %s: %s", strings.Join(seeds, ","), strings.Join(errs, "; "))
}

// ctx is the context of one operation: bounded by --timeout.
func (g *Globals) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, g.Timeout)
}

// interruptible returns a context that ends on SIGINT or SIGTERM.
func interruptible(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

// kafkaError formats a failure as "<what>: <KAFKA_ERROR_NAME>: <message>",
// preferring the broker's own message to the code's generic description.
// Errors that are not Kafka error codes keep their text, and a context
// deadline says which timeout expired.
func (g *Globals) kafkaError(what string, err error, brokerMsg string) error {
	if err == nil {
		return nil
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		msg := ke.Description
		if brokerMsg != "" {
			msg = brokerMsg
		}
		return fmt.Errorf("%s: %s: %s", what, ke.Message, msg)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: no answer from %s within --timeout %s", what, g.Brokers, g.Timeout)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// shardErr returns the first error of a kadm sharded request (a request
// the client split across brokers), which otherwise hides behind a
// generic wrapper.
func shardErr(err error) error {
	var se *kadm.ShardErrors
	if errors.As(err, &se) && len(se.Errs) > 0 {
		return se.Errs[0].Err
	}
	return err
}

// joinErrors reports several failures, one a line; main prefixes the first
// line with "fjord: ", and so does this for the others.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return &multiError{errs: errs, msg: strings.Join(msgs, "\nfjord: ")}
}

type multiError struct {
	errs []error
	msg  string
}

func (m *multiError) Error() string   { return m.msg }
func (m *multiError) Unwrap() []error { return m.errs }
