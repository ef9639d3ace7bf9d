package cli

import (
	"testing"

	"github.com/fjordlabs/fjord/internal/fjordtest"
)

func TestTopicDeleteRemovesTopics(t *testing.T) {
	t.Parallel()
	b := fjordtest.Start(t)
	createTopic(t, b, "a", 1, nil)
	createTopic(t, b, "b", 1, nil)
	createTopic(t, b, "keep", 1, nil)
	r := ok(t, b, "", "topic", "delete", "a", "b")
	if r.stdout != "Deleted topic a.\nDeleted topic b.\n" {
		t.Errorf("stdout: %q", r.stdout)
	}
	if r := ok(t, b, "", "topic", "list", "-q"); r.stdout != "keep\n" {
		t.Errorf("left: %q", r.stdout)
	}
	fails(t, b, 1, "", []string{"topic", "delete", "a"}, "delete topic a: UNKNOWN_TOPIC_OR_PARTITION: ")
	if r := ok(t, b, "", "topic", "delete", "a", "--if-exists"); r.stdout != "Topic a does not exist.\n" {
		t.Errorf("--if-exists: %q", r.stdout)
	}
	ok(t, b, "", "topic", "--delete", "--topic", "keep")
	if r := ok(t, b, "", "topic", "list", "-q"); r.stdout != "" {
		t.Errorf("left: %q", r.stdout)
	}
}
