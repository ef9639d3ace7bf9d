# Result lines of the compatibility suite (format: compat/go/internal/check).
# A check is a function that prints nothing and returns 0 when it passes,
# or prints the reason and returns non-zero.

PASSED=0
FAILED=0
NOT_APPLICABLE=0

# check SCENARIO NAME FUNCTION [ARGS...]
check() {
	local scenario=$1 name=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		echo "PASS [$scenario] $name"
		PASSED=$((PASSED + 1))
	else
		echo "FAIL [$scenario] $name: $(printf '%s' "$out" | tail -n 5 | tr '\n' ' ' | cut -c1-400)"
		FAILED=$((FAILED + 1))
	fi
}

# not_applicable SCENARIO NAME REASON
not_applicable() {
	echo "N/A  [$1] $2: $3"
	NOT_APPLICABLE=$((NOT_APPLICABLE + 1))
}

# summary ends the output; its status is non-zero if a check failed.
summary() {
	if [ "$NOT_APPLICABLE" -gt 0 ]; then
		echo "$NOT_APPLICABLE not applicable"
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# expect_eq WHAT GOT WANT: on a difference, prints the first differing
# lines (got, then want).
expect_eq() {
	if [ "$2" != "$3" ]; then
		echo "$1 differs (< got, > want):"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | grep '^[<>]' | head -n 4 | cut -c1-150
		return 1
	fi
}

# wait_for TENTHS COMMAND...: runs COMMAND every 0.1s until it succeeds, at
# most TENTHS times.
wait_for() {
	local n=$1
	shift
	until "$@"; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			return 1
		fi
		sleep 0.1 # polling interval of a bounded wait on a condition
	done
}
