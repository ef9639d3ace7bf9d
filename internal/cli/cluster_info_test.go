package cli

import (
	"strings"
	"testing"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestClusterInfoShowsBrokersControllerClusterIDAndVersion(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	md, err := b.Admin().BrokerMetadata(fjordtest.Context(t))
	if err != nil {
		t.Fatal(err)
	}

	r := ok(t, b, "", "cluster", "info")
	for _, want := range []string{"Cluster ID:  " + md.Cluster, "Controller:  1", "BROKER", "127.0.0.1", "yes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}

	info := decodeJSON[clusterInfo](t, ok(t, b, "", "cluster", "info", "--api-versions", "-o", "json").stdout)
	if info.ClusterID != md.Cluster || info.Controller != md.Controller || len(info.Brokers) != 1 {
		t.Fatalf("json: %+v, metadata: %+v", info, md)
	}
	n := info.Brokers[0]
	if n.ID != 1 || n.Host != "127.0.0.1" || !strings.HasSuffix(b.Addr(), ":"+itoa(n.Port)) {
		t.Errorf("broker: %+v, address %s", n, b.Addr())
	}
	if !strings.HasPrefix(n.KafkaVersion, "v") && !strings.Contains(n.KafkaVersion, "v") {
		t.Errorf("kafka version guess: %q", n.KafkaVersion)
	}
	seen := map[string]bool{}
	for _, a := range n.APIVersions {
		seen[a.Name] = a.Min <= a.Max
	}
	for _, api := range []string{"Produce", "Fetch", "Metadata", "ApiVersions", "CreateTopics"} {
		if !seen[api] {
			t.Errorf("api versions lack %s: %+v", api, n.APIVersions)
		}
	}

	r = ok(t, b, "", "cluster", "info", "--api-versions")
	if !strings.Contains(r.stdout, "ApiVersions") {
		t.Errorf("--api-versions table lacks ApiVersions:\n%s", r.stdout)
	}
}
