#!/usr/bin/python3
"""Consumer group check with kafka-python (Debian python3-kafka).

Usage: kafka_python_group.py BOOTSTRAP TOPIC GROUP EXPECTED [MEMBERS]

Starts MEMBERS consumers (default 2) in GROUP on TOPIC, each in a thread,
until EXPECTED records have been consumed between them; prints each
member's assignment and count, commits, closes, and prints the committed
offsets. Exits 1 on a shortfall or if a record was read twice.
"""
import sys
import threading
import time

from kafka import KafkaConsumer, TopicPartition

bootstrap, topic, group, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
members = int(sys.argv[5]) if len(sys.argv) > 5 else 2

lock = threading.Lock()
seen = {}
assignments = {}
done = threading.Event()


def run(i):
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, client_id="kp-%d" % i,
                      auto_offset_reset="earliest", enable_auto_commit=True, auto_commit_interval_ms=500,
                      session_timeout_ms=10000, heartbeat_interval_ms=1000, consumer_timeout_ms=1000)
    deadline = time.time() + 60
    while not done.is_set() and time.time() < deadline:
        for msg in c:
            with lock:
                key = (msg.partition, msg.offset)
                seen[key] = seen.get(key, 0) + 1
                if len(seen) >= expected:
                    done.set()
        with lock:
            assignments[i] = sorted(tp.partition for tp in c.assignment())
    c.commit()
    with lock:
        assignments[i] = sorted(tp.partition for tp in c.assignment())
    c.close()


threads = [threading.Thread(target=run, args=(i,)) for i in range(members)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print("assignments:", assignments)
dups = {k: v for k, v in seen.items() if v > 1}
print("consumed:", len(seen), "duplicates:", len(dups))
check = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
parts = check.partitions_for_topic(topic)
print("committed:", {p: check.committed(TopicPartition(topic, p)) for p in sorted(parts)})
check.close()
sys.exit(0 if len(seen) >= expected and not dups else 1)
