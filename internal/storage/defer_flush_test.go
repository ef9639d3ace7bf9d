package storage

import (
	"errors"
	"testing"

	"github.com/fjordlabs/fjord/internal/record"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// TestDeferredFlushIsDurableOnlyAfterFlushAll: with flush.messages=1 and
// DeferFlush, an append reports the flush it needs and the recovery point
// moves only when FlushAll has fsynced; FlushAll fsyncs many logs at once
// and reports each log's failure on its own.
func TestDeferredFlushIsDurableOnlyAfterFlushAll(t *testing.T) {
	ffs := vfs.NewFaultFS(vfs.Default)
	h := newHarness(t, 1, func(h *harness) { h.cfg.FlushMessages = 1; h.fs = ffs })
	var logs []*Log
	var upTo []int64
	for i := range 6 {
		l := h.log(TopicPartition{"flush", int32(i)})
		res, err := l.Append(makeBatch(t, 0, 2, 100, h.clock.Ms(), record.CodecNone), AppendOptions{Origin: OriginClient, DeferFlush: true})
		if err != nil {
			t.Fatal(err)
		}
		if !res.FlushNeeded || l.RecoveryPoint() != 0 {
			t.Fatalf("partition %d: flush needed %v, recovery point %d", i, res.FlushNeeded, l.RecoveryPoint())
		}
		logs, upTo = append(logs, l), append(upTo, res.LastOffset+1)
	}
	// One log's fsync fails: only it reports an error and stays behind.
	bad := logs[3].segments()[0].path(logSuffix)
	ffs.SetInjector(func(op vfs.Op, path string, n int) *vfs.Fault {
		if op == vfs.OpSync && path == bad {
			return &vfs.Fault{Err: errors.New("injected fsync failure")}
		}
		return nil
	})
	errs := h.m.FlushAll(logs, upTo)
	ffs.SetInjector(nil)
	for i, l := range logs {
		if i == 3 {
			if errs[i] == nil || l.RecoveryPoint() != 0 {
				t.Fatalf("failed flush: err %v, recovery point %d", errs[i], l.RecoveryPoint())
			}
			continue
		}
		if errs[i] != nil || l.RecoveryPoint() != 2 {
			t.Fatalf("partition %d: err %v, recovery point %d", i, errs[i], l.RecoveryPoint())
		}
	}
	// Without DeferFlush the append flushes by itself.
	res, err := logs[0].Append(makeBatch(t, 2, 1, 100, h.clock.Ms(), record.CodecNone), AppendOptions{Origin: OriginClient})
	if err != nil || res.FlushNeeded || logs[0].RecoveryPoint() != 3 {
		t.Fatalf("plain append: %+v %v, recovery point %d", res, err, logs[0].RecoveryPoint())
	}
}
