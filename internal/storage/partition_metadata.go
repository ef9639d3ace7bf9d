package storage

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fjordlabs/fjord/internal/vfs"
)

// partitionMetadataFile records the topic ID a partition directory belongs
// to, in Kafka's format:
//
//	version: 0
//	topic_id: <URL-safe base64 UUID>
//
// so that a directory left behind by a deleted topic is never mistaken for a
// new topic of the same name.
const partitionMetadataFile = "partition.metadata"

// SetTopicID records the partition's topic ID (atomically replacing any).
func (l *Log) SetTopicID(id [16]byte) error {
	data := fmt.Sprintf("version: 0\ntopic_id: %s\n", base64.RawURLEncoding.EncodeToString(id[:]))
	return vfs.WriteFileAtomic(l.env.fs, filepath.Join(l.dir, partitionMetadataFile), []byte(data))
}

// TopicID returns the recorded topic ID; ok is false when none is recorded.
func (l *Log) TopicID() (id [16]byte, ok bool, err error) {
	data, err := vfs.ReadFile(l.env.fs, filepath.Join(l.dir, partitionMetadataFile))
	if errors.Is(err, os.ErrNotExist) {
		return id, false, nil
	}
	if err != nil {
		return id, false, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, found := strings.CutPrefix(line, "topic_id: "); found {
			b, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(v))
			if err != nil || len(b) != 16 {
				return id, false, fmt.Errorf("storage: %s: bad topic_id %q", partitionMetadataFile, v)
			}
			copy(id[:], b)
			return id, true, nil
		}
	}
	return id, false, fmt.Errorf("storage: %s has no topic_id", partitionMetadataFile)
}
