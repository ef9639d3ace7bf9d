package storage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/fjordlabs/fjord/internal/vfs"
)

// Checkpoint file names in each log directory. Never change (Kafka's).
const (
	recoveryPointCheckpointFile = "recovery-point-offset-checkpoint"
	logStartCheckpointFile      = "log-start-offset-checkpoint"
	leaderEpochCheckpointFile   = "leader-epoch-checkpoint"
	cleanShutdownFile           = ".kafka_cleanshutdown"
	checkpointVersion           = 0
)

// errBadCheckpoint marks a checkpoint file that does not parse.
var errBadCheckpoint = errors.New("storage: malformed checkpoint file")

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return tp.Topic + "-" + strconv.Itoa(int(tp.Partition)) }

// writeCheckpoint writes a versioned checkpoint of text lines atomically.
func writeCheckpoint(fsys vfs.FS, path string, lines []string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n%d\n", checkpointVersion, len(lines))
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return vfs.WriteFileAtomic(fsys, path, b.Bytes())
}

// readCheckpoint reads a checkpoint's entry lines, each split into want
// fields. A missing file is (nil, nil).
func readCheckpoint(fsys vfs.FS, path string, want int) ([][]string, error) {
	data, err := vfs.ReadFile(fsys, path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		return sc.Text(), true
	}
	bad := func(why string) error { return fmt.Errorf("%w %s: %s", errBadCheckpoint, path, why) }
	v, ok := next()
	if !ok || v != strconv.Itoa(checkpointVersion) {
		return nil, bad("unknown version")
	}
	c, ok := next()
	n, err := strconv.Atoi(c)
	if !ok || err != nil || n < 0 {
		return nil, bad("bad entry count")
	}
	out := make([][]string, 0, n)
	for range n {
		l, ok := next()
		if !ok {
			return nil, bad("fewer entries than counted")
		}
		f := strings.Split(l, " ")
		if len(f) != want {
			return nil, bad(fmt.Sprintf("entry %q", l))
		}
		out = append(out, f)
	}
	if l, ok := next(); ok && l != "" {
		return nil, bad("more entries than counted")
	}
	return out, nil
}

// writeOffsetCheckpoint writes "<topic> <partition> <offset>" lines.
func writeOffsetCheckpoint(fsys vfs.FS, path string, offsets map[TopicPartition]int64) error {
	lines := make([]string, 0, len(offsets))
	for tp, o := range offsets {
		lines = append(lines, fmt.Sprintf("%s %d %d", tp.Topic, tp.Partition, o))
	}
	sort.Strings(lines)
	return writeCheckpoint(fsys, path, lines)
}

// readOffsetCheckpoint reads what writeOffsetCheckpoint wrote.
func readOffsetCheckpoint(fsys vfs.FS, path string) (map[TopicPartition]int64, error) {
	entries, err := readCheckpoint(fsys, path, 3)
	if err != nil {
		return nil, err
	}
	out := make(map[TopicPartition]int64, len(entries))
	for _, e := range entries {
		p, err1 := strconv.ParseInt(e[1], 10, 32)
		o, err2 := strconv.ParseInt(e[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w %s: entry %q", errBadCheckpoint, path, strings.Join(e, " "))
		}
		out[TopicPartition{e[0], int32(p)}] = o
	}
	return out, nil
}
