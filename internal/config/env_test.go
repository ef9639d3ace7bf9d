package config

import (
	"errors"
	"testing"
)

func TestEnvToKeyFollowsDockerImageConvention(t *testing.T) {
	tests := []struct {
		env, key string
		ok       bool
	}{
		{"FJORD_LOG_DIRS", "log.dirs", true},
		{"FJORD_LISTENER_SECURITY_PROTOCOL_MAP", "listener.security.protocol.map", true},
		{"FJORD_NODE_ID", "node.id", true},
		{"FJORD_FOO__BAR", "foo_bar", true},
		{"FJORD_FOO___BAR", "foo-bar", true},
		{"FJORD_A__B___C_D", "a_b-c.d", true},
		{"FJORD_Mixed_Case", "mixed.case", true},
		{"FJORD_", "", false},
		{"KAFKA_LOG_DIRS", "", false},
		{"fjord_log_dirs", "", false},
		{"XFJORD_LOG_DIRS", "", false},
	}
	for _, tt := range tests {
		key, ok := EnvToKey(tt.env)
		if key != tt.key || ok != tt.ok {
			t.Errorf("EnvToKey(%q) = %q, %v; want %q, %v", tt.env, key, ok, tt.key, tt.ok)
		}
	}
}

func TestEnvSettingsReadOnlyPrefixedVariables(t *testing.T) {
	got := envSettings([]string{"PATH=/bin", "FJORD_NUM_PARTITIONS=3", "FJORD_LOG_DIRS=/a=b", "NOEQUALS", "FJORD_=x"})
	want := []rawSetting{
		{key: "num.partitions", value: "3", origin: "env FJORD_NUM_PARTITIONS"},
		{key: "log.dirs", value: "/a=b", origin: "env FJORD_LOG_DIRS"},
	}
	if len(got) != len(want) {
		t.Fatalf("envSettings = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("envSettings[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestOverridesMustBeKeyEqualsValue(t *testing.T) {
	got, err := overrideSettings([]string{"num.partitions=3", " log.dirs = /x ", "a=b=c"})
	if err != nil {
		t.Fatal(err)
	}
	if got[1].key != "log.dirs" || got[1].value != " /x " || got[2].value != "b=c" {
		t.Errorf("overrideSettings = %+v", got)
	}
	for _, bad := range []string{"novalue", "=v"} {
		if _, err := overrideSettings([]string{bad}); !errors.Is(err, ErrSyntax) {
			t.Errorf("overrideSettings(%q) error = %v, want ErrSyntax", bad, err)
		}
	}
}
