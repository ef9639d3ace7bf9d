#!/usr/bin/env bash
# Compatibility suite for kcat (Debian's kcat, librdkafka through it).
# Run by compat/run, which sets FJORD_COMPAT_BOOTSTRAP (a broker with
# Fjord's defaults), FJORD_COMPAT_NOAUTO_BOOTSTRAP (auto-create off) and
# FJORD_COMPAT_FJORD (the fjord binary: kcat has no admin API, so fixture
# topics are created with `fjord topic create`). Output: one result line per
# check and "N passed, N failed" (compat/go/internal/check).
set -uo pipefail
cd "$(dirname "$0")"
. ./lib.sh

B=${FJORD_COMPAT_BOOTSTRAP:?run through compat/run}
NOAUTO=${FJORD_COMPAT_NOAUTO_BOOTSTRAP:?}
FJORD=${FJORD_COMPAT_FJORD:?}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

version=$(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\) .*librdkafka \([^ ]*\) .*/\1 (librdkafka \2)/p')
echo "CLIENT kcat ${version:-unknown}"

create_topic() { # TOPIC PARTITIONS [fjord topic create flags...]
	local topic=$1 partitions=$2
	shift 2
	"$FJORD" topic create -b "$B" "$topic" --partitions "$partitions" "$@" >/dev/null
}

# The record set kcat can produce: kcat sends lines (key TAB value) with one
# set of headers per run, -Z makes empty keys and values null, and a file
# argument is one message (the binary value). It cannot set timestamps:
# librdkafka stamps CreateTime, which is checked to come back unchanged.
for i in $(seq 0 255); do printf "\\$(printf '%03o' "$i")"; done >"$TMP/bin"
COMPRESSIBLE=$(printf 'compressible %.0s' $(seq 1000))
UTF8_KEY='ключ-✓'
UTF8_VALUE='значение ✓'
# What a consumer prints with -f '%o|%K|%k|%S|%s|%h\n' for offsets 0-6
# (%K and %S are the key and value sizes, -1 when null); offset 7 is the
# binary value, compared separately.
EXPECTED="0|2|k0|2|v0|h1=v1,h1=v2,empty=
1|2|k1|9|value one|
2|-1||6|no key|
3|2|k2|-1||
4|2|k3|0||
5|$(printf '%s' "$UTF8_KEY" | wc -c)|$UTF8_KEY|$(printf '%s' "$UTF8_VALUE" | wc -c)|$UTF8_VALUE|
6|2|k5|13000|$COMPRESSIBLE|"
RECORDS=8

produce_set() { # TOPIC ACKS CODEC [kcat options...]
	local p=(kcat -b "$B" -P -t "$1" -p 0 -X "acks=$2" -X "compression.codec=$3" "${@:4}")
	printf 'k0\tv0\n' | "${p[@]}" -K '\t' -H h1=v1 -H h1=v2 -H empty= &&
		printf 'k1\tvalue one\n\tno key\nk2\t\n' | "${p[@]}" -K '\t' -Z &&
		printf 'k3\t\n%s\t%s\nk5\t%s\n' "$UTF8_KEY" "$UTF8_VALUE" "$COMPRESSIBLE" | "${p[@]}" -K '\t' &&
		"${p[@]}" -k kbin "$TMP/bin"
}

consume_text() { # TOPIC OFFSET COUNT
	kcat -b "$B" -C -t "$1" -p 0 -o "$2" -c "$3" -e -q -f '%o|%K|%k|%S|%s|%h\n'
}

timestamps() { # TOPIC
	kcat -b "$B" -C -t "$1" -p 0 -o beginning -e -q -f '%T\n'
}

# check_records TOPIC FROM_OFFSET: offsets FROM..6 as expected, and the binary at 7.
check_records() {
	local topic=$1 from=$2 got want
	got=$(consume_text "$topic" "$from" $((7 - from))) || return 1
	want=$(printf '%s\n' "$EXPECTED" | tail -n $((7 - from)))
	expect_eq "records from offset $from" "$got" "$want" || return 1
	kcat -b "$B" -C -t "$topic" -p 0 -o 7 -c 1 -e -q -f '%k|%s' >"$TMP/got-bin" || return 1
	{ printf 'kbin|'; cat "$TMP/bin"; } | cmp -s - "$TMP/got-bin" || { echo "binary record differs"; return 1; }
}

produce_check() { # ACKS CODEC
	local topic="produce-$1-$2" before after ts
	create_topic "$topic" 1 || return 1
	before=$(date +%s%3N)
	produce_set "$topic" "$1" "$2" || return 1
	after=$(date +%s%3N)
	check_records "$topic" 0 || return 1
	ts=$(timestamps "$topic") || return 1
	expect_eq "record count" "$(printf '%s\n' "$ts" | wc -l)" "$RECORDS" || return 1
	for t in $ts; do
		if [ "$t" -lt "$before" ] || [ "$t" -gt "$after" ]; then
			echo "timestamp $t not the producer's CreateTime (produced between $before and $after)"
			return 1
		fi
	done
}

# --- 1. metadata and topics
metadata_check() {
	local md
	create_topic meta 3 || return 1
	md=$(kcat -b "$B" -L -J -t meta) || return 1
	case "$md" in
	*'"controllerid":1,"brokers":[{"id":1,"name":"'"$B"'"}]'*) ;;
	*) echo "brokers: $md"; return 1 ;;
	esac
	expect_eq "partitions" "$(printf '%s' "$md" | grep -o '"partition":[0-9]*,"leader":1,"replicas":\[{"id":1}\],"isrs":\[{"id":1}\]' | wc -l)" 3
}
check 1 "metadata lists the broker, controller and a topic's partitions" metadata_check
not_applicable 1 "create and delete topics, create partitions" "kcat has no admin API"
auto_create_check() {
	echo v | kcat -b "$B" -P -t auto-created || return 1
	case "$(kcat -b "$B" -L -J -t auto-created)" in
	*'"partitions":[{"partition":0,"leader":1'*) ;;
	*) echo "not created"; return 1 ;;
	esac
}
check 1 "a produce to a new topic auto-creates it" auto_create_check

# --- 2. produce
for acks in 0 1 all; do
	for codec in none gzip snappy lz4 zstd; do
		check 2 "produce acks=$acks codec=$codec" produce_check "$acks" "$codec"
	done
done
not_applicable 2 "explicit record timestamps" "kcat cannot set a record's timestamp (librdkafka's CreateTime is checked instead)"
idempotent_check() {
	# librdkafka's idempotent producer asks for a producer id with
	# InitProducerId and numbers its batches: the record set (four kcat
	# runs, so four producers), then 60 numbered records from one more
	# run. Read to the end of the partition, each must be there once, in
	# order. kcat does not show a batch's producer id: librdkafka's eos
	# debug log of the last run must show the one it acquired.
	local topic=produce-idempotent got want
	create_topic "$topic" 1 || return 1
	produce_set "$topic" all none -X enable.idempotence=true || return 1
	want=$(for i in $(seq $RECORDS $((RECORDS + 59))); do printf 'idem-%d\trecord %d\n' $(((i - RECORDS) / 20)) "$i"; done)
	printf '%s\n' "$want" | kcat -b "$B" -P -t "$topic" -p 0 -X acks=all -X enable.idempotence=true -K '\t' \
		-d eos 2>"$TMP/eos.log" || { tail -n 3 "$TMP/eos.log"; return 1; }
	grep -q 'Acquired PID{Id:[0-9][0-9]*,Epoch:0}' "$TMP/eos.log" || {
		echo "no producer id acquired: $(grep -m 3 -E 'PID|ProducerId' "$TMP/eos.log")"
		return 1
	}
	check_records "$topic" 0 || return 1
	got=$(kcat -b "$B" -C -t "$topic" -p 0 -o $RECORDS -e -q -f '%o|%k\t%s\n') || return 1
	want=$(printf '%s\n' "$want" | awk -v first=$RECORDS '{ printf "%d|%s\n", first + NR - 1, $0 }')
	expect_eq "records from offset $RECORDS to the end" "$got" "$want"
}
check 2 "idempotent producer (enable.idempotence) writes every record once, in order, with a producer id" idempotent_check
not_applicable 2 "transactional produce" "kcat has no transactional producer (and Fjord does not implement transactions yet)"

# --- 3. consume
create_topic consume 1 && produce_set consume all none >/dev/null
check 3 "consume from earliest" check_records consume 0
check 3 "consume from an offset" check_records consume 3
timestamp_check() {
	local ts want_offset=-1 i=0 t target got
	ts=($(timestamps consume)) || return 1
	target=${ts[4]}
	for t in "${ts[@]}"; do
		if [ "$t" -ge "$target" ] && [ "$want_offset" -lt 0 ]; then want_offset=$i; fi
		i=$((i + 1))
	done
	got=$(kcat -b "$B" -C -t consume -p 0 -o "s@$target" -c 1 -e -q -f '%o')
	expect_eq "first offset at timestamp $target" "$got" "$want_offset" || return 1
	check_records consume "$want_offset"
}
check 3 "consume from a timestamp" timestamp_check
latest_check() {
	# The consumer resolves "end" asynchronously: produce markers until it
	# reads one; what it reads first must be a marker, never an older record.
	local out="$TMP/latest" i
	kcat -b "$B" -C -t consume -p 0 -o end -c 1 -q -f '%s\n' >"$out" &
	local pid=$!
	for i in $(seq 0 40); do
		echo "latest-$i" | kcat -b "$B" -P -t consume -p 0 || { kill "$pid"; return 1; }
		if wait_for 5 test -s "$out"; then break; fi
	done
	if ! wait_for 50 test -s "$out"; then kill "$pid"; echo "nothing consumed"; return 1; fi
	wait "$pid"
	case "$(cat "$out")" in
	latest-*) ;;
	*) echo "first record read: $(cat "$out")"; return 1 ;;
	esac
}
check 3 "consume from latest" latest_check

# --- 5. configs, groups, offsets
not_applicable 5 "describe and alter configs" "kcat has no config API"
not_applicable 5 "list, describe and delete groups" "kcat has no group admin API (its -G consumer is in scenario 4)"
offsets_check() {
	local ts
	ts=($(timestamps consume)) || return 1
	expect_eq earliest "$(kcat -b "$B" -Q -t consume:0:-2)" "consume [0] offset 0" || return 1
	expect_eq latest "$(kcat -b "$B" -Q -t consume:0:-1)" "consume [0] offset ${#ts[@]}" || return 1
	expect_eq "after the last timestamp" "$(kcat -b "$B" -Q -t consume:0:$((${ts[-1]} + 1)))" "consume [0] offset -1" || return 1
	local first=0
	while [ "${ts[$first]}" -lt "${ts[1]}" ]; do first=$((first + 1)); done
	expect_eq "by timestamp" "$(kcat -b "$B" -Q -t "consume:0:${ts[1]}")" "consume [0] offset $first"
}
check 5 "list offsets (earliest, latest, by timestamp)" offsets_check

# --- 6. error paths
unknown_topic_check() {
	local err
	err=$(echo v | kcat -b "$NOAUTO" -P -t no-such-topic -X topic.metadata.propagation.max.ms=1000 2>&1) && {
		echo "produced"
		return 1
	}
	case "$err" in *"Unknown topic or partition"*) ;; *) echo "error: $err"; return 1 ;; esac
	case "$(kcat -b "$NOAUTO" -L -J)" in *'"no-such-topic"'*) echo "topic created anyway"; return 1 ;; esac
}
check 6 "produce to an unknown topic with auto-create off fails with UNKNOWN_TOPIC_OR_PARTITION" unknown_topic_check
unknown_consume_check() {
	local err
	err=$(kcat -b "$NOAUTO" -C -t no-such-topic -p 0 -o beginning -e 2>&1) && { echo "consumed"; return 1; }
	case "$err" in *"Unknown topic or partition"*) ;; *) echo "error: $err"; return 1 ;; esac
}
check 6 "consume an unknown topic with auto-create off fails with UNKNOWN_TOPIC_OR_PARTITION" unknown_consume_check
too_large_check() {
	local err
	create_topic too-large 1 --config max.message.bytes=1024 || return 1
	err=$(head -c 4096 "$TMP/bin" /dev/zero | base64 -w0 | head -c 4096 | kcat -b "$B" -P -t too-large -p 0 2>&1) && {
		echo "produced"
		return 1
	}
	case "$err" in *"Message size too large"*) ;; *) echo "error: $err"; return 1 ;; esac
	echo small | kcat -b "$B" -P -t too-large -p 0
}
check 6 "a record over max.message.bytes fails with MESSAGE_TOO_LARGE" too_large_check
acks_check() {
	local err
	create_topic bad-acks 1 || return 1
	err=$(echo v | kcat -b "$B" -P -t bad-acks -p 0 -X acks=2 2>&1) && { echo "produced"; return 1; }
	case "$err" in *"Invalid required acks"*) ;; *) echo "error: $err"; return 1 ;; esac
}
check 6 "acks=2 fails with INVALID_REQUIRED_ACKS" acks_check

summary
