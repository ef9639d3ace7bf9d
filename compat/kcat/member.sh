#!/usr/bin/env bash
# One consumer group member for the runner's scenario 4 (protocol in
# compat/go/internal/check/member.go): kcat's balanced consumer (-G) with
# librdkafka's auto-commit every 100 ms; kcat commits and leaves the group
# on SIGTERM. Its rebalance notices on stderr become "assigned" lines. -E
# keeps kcat running while the broker restarts (by default it exits once
# all broker connections are down).
set -euo pipefail
: "${FJORD_COMPAT_BOOTSTRAP:?}" "${FJORD_COMPAT_TOPIC:?}" "${FJORD_COMPAT_GROUP:?}" "${FJORD_COMPAT_MEMBER:?}"

# "% Group g rebalanced (memberid m): assigned: t [0], t [3]" → "assigned 0 3"
# "% Group g rebalanced (memberid m): revoked: ..."          → "assigned"
assignments() {
	local line
	while IFS= read -r line; do
		case "$line" in
		*" rebalanced "*": assigned: "*)
			echo "assigned $(printf '%s' "${line##*assigned: }" | grep -o '\[[0-9]*\]' | tr -d '[]' | tr '\n' ' ')"
			;;
		*" rebalanced "*": revoked: "*) echo "assigned" ;;
		esac
		printf '%s\n' "$line" >&2
	done
}

exec kcat -b "$FJORD_COMPAT_BOOTSTRAP" -G "$FJORD_COMPAT_GROUP" -u -E \
	-X client.id="$FJORD_COMPAT_MEMBER" \
	-X session.timeout.ms=4000 -X heartbeat.interval.ms=400 -X max.poll.interval.ms=20000 \
	-X auto.offset.reset=earliest -X enable.auto.commit=true -X auto.commit.interval.ms=100 \
	-X fetch.wait.max.ms=100 \
	-f 'record %p %o %k %s\n' "$FJORD_COMPAT_TOPIC" 2> >(assignments)
