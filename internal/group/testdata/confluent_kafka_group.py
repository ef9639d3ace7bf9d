#!/usr/bin/python3
"""Consumer group check with confluent-kafka (librdkafka), Debian packages.

Usage: confluent_kafka_group.py BOOTSTRAP TOPIC GROUP EXPECTED [MEMBERS] [STRATEGY]

Runs MEMBERS consumers (default 2) of GROUP on TOPIC with
partition.assignment.strategy STRATEGY (default "range"; try
"cooperative-sticky") until EXPECTED records have been consumed between
them; prints assignments, counts and committed offsets. Exits 1 on a
shortfall or if a record was read twice.
"""
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

bootstrap, topic, group, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
members = int(sys.argv[5]) if len(sys.argv) > 5 else 2
strategy = sys.argv[6] if len(sys.argv) > 6 else "range"

lock = threading.Lock()
seen = {}
assignments = {}
done = threading.Event()


def run(i):
    def on_assign(c, parts):
        with lock:
            assignments.setdefault(i, set()).update(p.partition for p in parts)

    def on_revoke(c, parts):
        with lock:
            assignments.setdefault(i, set()).difference_update(p.partition for p in parts)

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "ck-%d" % i,
                  "auto.offset.reset": "earliest", "enable.auto.commit": True, "auto.commit.interval.ms": 500,
                  "session.timeout.ms": 10000, "partition.assignment.strategy": strategy})
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    deadline = time.time() + 60
    while not done.is_set() and time.time() < deadline:
        msg = c.poll(0.5)
        if msg is None or msg.error():
            continue
        with lock:
            key = (msg.partition(), msg.offset())
            seen[key] = seen.get(key, 0) + 1
            if len(seen) >= expected:
                done.set()
    snapshot = sorted(assignments.get(i, set()))
    try:
        c.commit(asynchronous=False)
    except KafkaException as e:
        if e.args[0].code() != KafkaError._NO_OFFSET:  # auto-commit already did it
            raise
    c.close()
    with lock:
        assignments[i] = snapshot


threads = [threading.Thread(target=run, args=(i,)) for i in range(members)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print("assignments:", assignments)
dups = {k: v for k, v in seen.items() if v > 1}
print("consumed:", len(seen), "duplicates:", len(dups))
check = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
meta = check.list_topics(topic, timeout=10)
parts = [TopicPartition(topic, p) for p in sorted(meta.topics[topic].partitions)]
print("committed:", {tp.partition: tp.offset for tp in check.committed(parts, timeout=10)})
check.close()
sys.exit(0 if len(seen) >= expected and not dups else 1)
