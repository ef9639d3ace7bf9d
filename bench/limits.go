package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// limits are the machine's raw ceilings, measured in the same run as the
// servers, with the same pinning (server side on core 0, client on 1).
type limits struct {
	LoopbackGbps   float64  `json:"loopback_gbit_per_sec"`    // iperf3, 1 stream, median of 3
	SeqWriteMBps   float64  `json:"seq_write_mb_per_sec"`     // fio, buffered 1 MiB writes then fsync
	SeqWriteBytes  int64    `json:"seq_write_bytes"`          // how much fio wrote for it
	SyncWritesPerS float64  `json:"fdatasync_writes_per_sec"` // fio, 4 KiB append + fdatasync each
	SyncP50Ms      float64  `json:"fdatasync_p50_ms"`
	SyncP99Ms      float64  `json:"fdatasync_p99_ms"`
	Errors         []string `json:"errors,omitempty"`
}

func measureLimits(ctx context.Context, work string, quick bool) *limits {
	l := &limits{}
	fail := func(what string, err error) { l.Errors = append(l.Errors, what+": "+err.Error()) }

	var gbps []float64
	for range 3 {
		g, err := iperf(ctx, map[bool]int{true: 2, false: 3}[quick])
		if err != nil {
			fail("iperf3", err)
			break
		}
		gbps = append(gbps, g)
	}
	if len(gbps) > 0 {
		l.LoopbackGbps = round2(median(gbps))
	}

	dir, err := os.MkdirTemp(work, "fio-")
	if err != nil {
		fail("fio", err)
		return l
	}
	defer os.RemoveAll(dir)
	l.SeqWriteBytes = 2 << 30
	if quick {
		l.SeqWriteBytes = 256 << 20
	}
	// Buffered writes of a file as large as a short produce run writes,
	// timed up to and including the final fsync: what the disk sustains
	// once the page cache must be written back, not the burst into it.
	out, err := runProc(ctx, "fio seqwrite", serverCPU, "fio", "--name=seqwrite", "--directory="+dir, "--rw=write", "--bs=1M",
		"--size="+strconv.FormatInt(l.SeqWriteBytes, 10), "--ioengine=psync", "--end_fsync=1", "--output-format=json")
	if err == nil {
		var r fioReport
		if err = json.Unmarshal(out, &r); err == nil && len(r.Jobs) > 0 && r.Jobs[0].ElapsedS > 0 {
			// fio's own bandwidth leaves the end fsync out; elapsed has it.
			l.SeqWriteMBps = round2(float64(l.SeqWriteBytes) / 1e6 / float64(r.Jobs[0].ElapsedS))
			if bw := r.Jobs[0].Write.BWBytes / 1e6; bw > 0 && bw < l.SeqWriteMBps {
				l.SeqWriteMBps = round2(bw)
			}
		}
	}
	if err != nil {
		fail("fio seqwrite", err)
	}
	os.RemoveAll(filepath.Join(dir, "seqwrite.0.0"))

	out, err = runProc(ctx, "fio fdatasync", serverCPU, "fio", "--name=fdatasync", "--directory="+dir, "--rw=write", "--bs=4k",
		"--size=16M", "--fdatasync=1", "--ioengine=psync", "--output-format=json")
	if err == nil {
		var r fioReport
		if err = json.Unmarshal(out, &r); err == nil && len(r.Jobs) > 0 {
			j := r.Jobs[0]
			l.SyncWritesPerS = round2(j.Write.IOPS)
			l.SyncP50Ms = round2(j.Sync.Lat.Percentile["50.000000"] / 1e6)
			l.SyncP99Ms = round2(j.Sync.Lat.Percentile["99.000000"] / 1e6)
		}
	}
	if err != nil {
		fail("fio fdatasync", err)
	}
	return l
}

type fioReport struct {
	Jobs []struct {
		ElapsedS int `json:"elapsed"`
		Write    struct {
			BWBytes float64 `json:"bw_bytes"`
			IOPS    float64 `json:"iops"`
		} `json:"write"`
		Sync struct {
			Lat struct {
				Percentile map[string]float64 `json:"percentile"`
			} `json:"lat_ns"`
		} `json:"sync"`
	} `json:"jobs"`
}

// iperf measures loopback TCP: the server on the server core, the client
// on the load core.
func iperf(ctx context.Context, secs int) (float64, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	srv, err := startProc("iperf3 server", serverCPU, "", "iperf3", "-s", "-B", "127.0.0.1", "-p", strconv.Itoa(port))
	if err != nil {
		return 0, err
	}
	defer srv.stop(2 * time.Second)
	// No probe connection: iperf3's server would take it for a test.
	var out []byte
	for try := range 5 {
		time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
		out, err = runProc(ctx, "iperf3", loadCPU, "iperf3", "-c", "127.0.0.1", "-p", strconv.Itoa(port), "-t", strconv.Itoa(secs), "-J")
		if err == nil {
			break
		}
	}
	if err != nil {
		return 0, err
	}
	var r struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return 0, err
	}
	if r.Error != "" {
		return 0, fmt.Errorf("%s", r.Error)
	}
	return r.End.SumReceived.BitsPerSecond / 1e9, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
