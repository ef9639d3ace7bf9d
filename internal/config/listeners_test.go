package config

import (
	"slices"
	"strings"
	"testing"
)

var defaultProtocols, _ = ParseProtocolMap(
	"PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT,internal:sasl_ssl")

func TestParseListenersAcceptsKafkaSyntax(t *testing.T) {
	tests := []struct {
		in   string
		want []Listener
	}{
		{"PLAINTEXT://localhost:9092", []Listener{{"PLAINTEXT", Plaintext, "localhost", 9092}}},
		{"PLAINTEXT://:9092", []Listener{{"PLAINTEXT", Plaintext, "", 9092}}},
		{"plaintext://0.0.0.0:9092", []Listener{{"PLAINTEXT", Plaintext, "0.0.0.0", 9092}}},
		{"SSL://[::1]:9093", []Listener{{"SSL", SSL, "::1", 9093}}},
		{"SSL://[fe80::1%eth0]:9093", []Listener{{"SSL", SSL, "fe80::1%eth0", 9093}}},
		{"SSL://::1:9093", []Listener{{"SSL", SSL, "::1", 9093}}},
		{" PLAINTEXT://a:1 , INTERNAL://b.example.com:2 ", []Listener{
			{"PLAINTEXT", Plaintext, "a", 1}, {"INTERNAL", SASLSSL, "b.example.com", 2}}},
		{"PLAINTEXT://127.0.0.1:9092,SSL://[::1]:9092", []Listener{
			{"PLAINTEXT", Plaintext, "127.0.0.1", 9092}, {"SSL", SSL, "::1", 9092}}},
		{"PLAINTEXT://:0,SSL://:0", []Listener{{"PLAINTEXT", Plaintext, "", 0}, {"SSL", SSL, "", 0}}},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := ParseListeners(tt.in, defaultProtocols, true)
		if err != nil {
			t.Errorf("ParseListeners(%q): %v", tt.in, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ParseListeners(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseListenersRejectsBadInput(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"localhost:9092", "unable to parse"},
		{"PLAINTEXT://localhost", "missing port"},
		{"PLAINTEXT://localhost:", "invalid port"},
		{"PLAINTEXT://localhost:-1", "invalid port"},
		{"PLAINTEXT://localhost:65536", "invalid port"},
		{"PLAINTEXT://[::1:9092", "malformed bracketed"},
		{"PLAINTEXT://[localhost]:9092", "not an IPv6 address"},
		{"PLAINTEXT://bad host:9092", "invalid character"},
		{"://h:1", "invalid listener name"},
		{"PLAIN TEXT://h:1", "invalid listener name"},
		{"UNKNOWN://h:1", "no security protocol defined for listener UNKNOWN"},
		{"PLAINTEXT://a:1,plaintext://b:2", "different name"},
		{"PLAINTEXT://a:1,SSL://b:1", "different port"},
		{"PLAINTEXT://127.0.0.1:1,SSL://127.0.0.2:1", "different port"},
	}
	for _, tt := range tests {
		_, err := ParseListeners(tt.in, defaultProtocols, true)
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("ParseListeners(%q) error = %v, want %q", tt.in, err, tt.reason)
		}
	}
}

func TestAdvertisedListenersMayShareAPort(t *testing.T) {
	in := "PLAINTEXT://a:9092,SSL://b:9092"
	if _, err := ParseListeners(in, defaultProtocols, false); err != nil {
		t.Errorf("advertised: %v", err)
	}
	if _, err := ParseListeners(in, defaultProtocols, true); err == nil {
		t.Error("bound listeners sharing a port were accepted")
	}
}

func TestListenerAddressBracketsIPv6(t *testing.T) {
	for l, want := range map[Listener]string{
		{Name: "A", Host: "::1", Port: 1}:         "A://[::1]:1",
		{Name: "A", Host: "", Port: 2}:            "A://:2",
		{Name: "A", Host: "example.com", Port: 3}: "A://example.com:3",
	} {
		if got := l.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", l, got, want)
		}
	}
}

func TestParseProtocolMap(t *testing.T) {
	m, err := ParseProtocolMap(" client:sasl_ssl , REPLICATION:SSL")
	if err != nil || m["CLIENT"] != SASLSSL || m["REPLICATION"] != SSL || len(m) != 2 {
		t.Errorf("ParseProtocolMap = %v, %v", m, err)
	}
	for _, bad := range []string{"A", "A:TLS", ":SSL", "A:SSL,a:PLAINTEXT"} {
		if _, err := ParseProtocolMap(bad); err == nil {
			t.Errorf("ParseProtocolMap(%q) accepted", bad)
		}
	}
}
