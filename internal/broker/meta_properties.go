package broker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fjordlabs/fjord/internal/metadata"
	"github.com/fjordlabs/fjord/internal/vfs"
)

// metaPropertiesFile marks a formatted log directory, in Kafka's KRaft
// format (version 1): the cluster it belongs to, the node that owns it and
// the directory's own id. Kafka requires `kafka-storage format` first; Fjord
// formats an empty directory on first start, which is what zero
// configuration needs, and refuses a directory of another cluster or node.
const metaPropertiesFile = "meta.properties"

var errMetaMismatch = errors.New("broker: log directory belongs to another cluster or node")

type metaProperties struct {
	ClusterID   string
	NodeID      int32
	DirectoryID string
}

func readMetaProperties(fsys vfs.FS, dir string) (*metaProperties, error) {
	data, err := vfs.ReadFile(fsys, filepath.Join(dir, metaPropertiesFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if kv["version"] != "1" {
		return nil, fmt.Errorf("broker: %s: unsupported meta.properties version %q", dir, kv["version"])
	}
	id, err := strconv.ParseInt(kv["node.id"], 10, 32)
	if err != nil || kv["cluster.id"] == "" {
		return nil, fmt.Errorf("broker: %s: meta.properties lacks node.id or cluster.id", dir)
	}
	return &metaProperties{ClusterID: kv["cluster.id"], NodeID: int32(id), DirectoryID: kv["directory.id"]}, nil
}

func writeMetaProperties(fsys vfs.FS, dir string, mp *metaProperties) error {
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data := fmt.Sprintf("#\n#%s\ncluster.id=%s\ndirectory.id=%s\nnode.id=%d\nversion=1\n",
		time.Now().UTC().Format(time.UnixDate), mp.ClusterID, mp.DirectoryID, mp.NodeID)
	return vfs.WriteFileAtomic(fsys, filepath.Join(dir, metaPropertiesFile), []byte(data))
}

// formatDirs reads every directory's meta.properties, checks they agree
// with each other and with nodeID, formats the unformatted ones, and
// returns the cluster id (a new one when no directory had any).
func formatDirs(fsys vfs.FS, dirs []string, nodeID int32) (string, error) {
	clusterID := ""
	found := map[string]*metaProperties{}
	for _, d := range dirs {
		mp, err := readMetaProperties(fsys, d)
		if err != nil {
			return "", err
		}
		if mp == nil {
			continue
		}
		if mp.NodeID != nodeID {
			return "", fmt.Errorf("%w: %s was formatted for node.id %d, this node is %d", errMetaMismatch, d, mp.NodeID, nodeID)
		}
		if clusterID != "" && mp.ClusterID != clusterID {
			return "", fmt.Errorf("%w: %s has cluster.id %s, another directory has %s", errMetaMismatch, d, mp.ClusterID, clusterID)
		}
		clusterID = mp.ClusterID
		found[d] = mp
	}
	if clusterID == "" {
		clusterID = metadata.NewUUID().String()
	}
	for _, d := range dirs {
		if found[d] != nil {
			continue
		}
		if err := writeMetaProperties(fsys, d, &metaProperties{ClusterID: clusterID, NodeID: nodeID, DirectoryID: metadata.NewUUID().String()}); err != nil {
			return "", err
		}
	}
	return clusterID, nil
}
