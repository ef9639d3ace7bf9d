#!/usr/bin/python3
"""Compatibility suite for kafka-python (Debian python3-kafka).

Run by compat/run (under /usr/bin/python3, where Debian's packages import);
`kafka_python_compat.py member` is one consumer group member for the
runner's scenario 4. python3-snappy, python3-lz4 and python3-zstandard give
kafka-python its optional codecs.
"""
import sys
import time

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import (GroupIdNotFoundError, InvalidRequiredAcksError, KafkaTimeoutError,
                          MessageSizeTooLargeError, TopicAlreadyExistsError, UnknownTopicOrPartitionError)

import common
from common import Rec, fail

DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG = 1, 5  # DescribeConfigs sources


def admin(bootstrap):
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id="compat-kafka-python")


def create_topic(bootstrap, name, partitions, configs=None):
    a = admin(bootstrap)
    try:
        resp = a.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})])
        for topic, code, msg in resp.topic_errors:
            if code:
                fail("create topic %s: error %d %s" % (topic, code, msg))
    finally:
        a.close()


def describe_topic(bootstrap, name):
    a = admin(bootstrap)
    try:
        return a.describe_topics([name])[0]
    finally:
        a.close()


def producer(bootstrap, **kw):
    return KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **kw)


def produce(p, topic, recs):
    futures = [p.send(topic, key=r.key, value=r.value, headers=[(k, v) for k, v in r.headers],
                      partition=0, timestamp_ms=r.timestamp) for r in recs]
    p.flush(timeout=30)
    return [f.get(timeout=30) for f in futures]


def consumer(bootstrap, **kw):
    return KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100,
                         client_id="compat-kafka-python", **kw)


def poll_records(c, n, timeout=30):
    out = []
    deadline = time.time() + timeout
    while len(out) < n and time.time() < deadline:
        for recs in c.poll(timeout_ms=200).values():
            out += recs
    if len(out) < n:
        fail("consumed %d of %d records" % (len(out), n))
    return out


def to_recs(msgs):
    return [Rec(m.key, m.value, [(k, v) for k, v in (m.headers or [])], m.timestamp) for m in msgs]


def consume(bootstrap, topic, n, offset=None):
    """Reads n records of partition 0 from offset (None: the beginning)."""
    c = consumer(bootstrap)
    try:
        tp = TopicPartition(topic, 0)
        c.assign([tp])
        if offset is None:
            c.seek_to_beginning(tp)
        else:
            c.seek(tp, offset)
        return poll_records(c, n)
    finally:
        c.close()


def scenario1(r, b):
    def metadata():
        a = admin(b)
        try:
            cl = a.describe_cluster()
        finally:
            a.close()
        brokers = cl["brokers"]
        if len(brokers) != 1 or "%s:%d" % (brokers[0]["host"], brokers[0]["port"]) != b:
            fail("brokers %r" % brokers)
        if cl["controller_id"] != brokers[0]["node_id"] or not cl["cluster_id"]:
            fail("cluster %r" % cl)
    r.check(1, "metadata lists the broker and controller", metadata)

    def create():
        create_topic(b, "admin-create", 3, {"retention.ms": "3600000"})
        t = describe_topic(b, "admin-create")
        if t["error_code"] or len(t["partitions"]) != 3:
            fail("topic %r" % t)
        for p in t["partitions"]:
            if p["leader"] != 1 or p["replicas"] != [1] or p["isr"] != [1]:
                fail("partition %r" % p)
    r.check(1, "create topic with partitions and configs", create)

    def create_existing():
        try:
            create_topic(b, "admin-create", 1)
        except TopicAlreadyExistsError:
            return
        except Exception as e:
            if "error 36" in str(e):
                return
            raise
        fail("created twice")
    r.check(1, "create an existing topic fails with TOPIC_ALREADY_EXISTS", create_existing)

    def partitions():
        a = admin(b)
        try:
            resp = a.create_partitions({"admin-create": NewPartitions(5)})
        finally:
            a.close()
        for topic, code, msg in resp.topic_errors:
            if code:
                fail("create partitions: %d %s" % (code, msg))
        if len(describe_topic(b, "admin-create")["partitions"]) != 5:
            fail("not 5 partitions")
    r.check(1, "create partitions", partitions)

    def delete():
        a = admin(b)
        try:
            resp = a.delete_topics(["admin-create"])
            for topic, code in resp.topic_error_codes:
                if code:
                    fail("delete: error %d" % code)
            if "admin-create" in a.list_topics():
                fail("still listed")
        finally:
            a.close()
    r.check(1, "delete topic", delete)

    def auto_create():
        p = producer(b)
        try:
            p.send("admin-auto", b"v").get(timeout=30)
        finally:
            p.close()
        t = describe_topic(b, "admin-auto")
        if t["error_code"] or len(t["partitions"]) != 1:
            fail("auto-created topic %r" % t)
    r.check(1, "a produce to a new topic auto-creates it", auto_create)


CODECS = [None, "gzip", "snappy", "lz4", "zstd"]


def scenario2(r, b):
    for acks in (0, 1, "all"):
        for codec in CODECS:
            def produce_check(acks=acks, codec=codec):
                topic = "produce-%s-%s" % (acks, codec or "none")
                create_topic(b, topic, 1)
                want = common.standard_records(common.base_ms())
                p = producer(b, acks=acks, compression_type=codec)
                try:
                    produce(p, topic, want)
                finally:
                    p.close()
                got = consume(b, topic, len(want))
                common.compare(to_recs(got), want)
                if [m.offset for m in got] != list(range(len(want))):
                    fail("offsets %r" % [m.offset for m in got])
            r.check(2, "produce acks=%s codec=%s" % (acks, codec or "none"), produce_check)
    r.not_applicable(2, "idempotent and transactional produce",
                     "kafka-python 2.0.2 has no idempotent or transactional producer (both came in kafka-python 2.2.0)")


def scenario3(r, b):
    topic = "consume"
    create_topic(b, topic, 1)
    want = common.standard_records(common.base_ms())
    p = producer(b, acks="all")
    produce(p, topic, want)

    r.check(3, "consume from earliest", lambda: common.compare(to_recs(consume(b, topic, len(want))), want))
    r.check(3, "consume from an offset", lambda: common.compare(to_recs(consume(b, topic, len(want) - 3, 3)), want[3:]))

    def from_timestamp():
        c = consumer(b)
        try:
            tp = TopicPartition(topic, 0)
            found = c.offsets_for_times({tp: want[4].timestamp})[tp]
            if found is None or found.offset != 4:
                fail("offset for the timestamp: %r, want 4" % (found,))
        finally:
            c.close()
        common.compare(to_recs(consume(b, topic, len(want) - 4, found.offset)), want[4:])
    r.check(3, "consume from a timestamp", from_timestamp)

    def latest():
        c = consumer(b)
        try:
            tp = TopicPartition(topic, 0)
            c.assign([tp])
            c.seek_to_end(tp)

            def poll(seconds):
                vals = []
                for recs in c.poll(timeout_ms=int(seconds * 1000)).values():
                    vals += [m.value for m in recs]
                return vals
            common.latest_markers(lambda v: p.send(topic, v, partition=0).get(timeout=30), poll)
        finally:
            c.close()
    r.check(3, "consume from latest", latest)
    p.close()


def scenario5(r, b):
    def configs(a, topic):
        resp = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])[0]
        err, msg, _, _, entries = resp.resources[0]
        if err:
            fail("describe: %d %s" % (err, msg))
        return {e[0]: e for e in entries}  # name, value, read only, source, sensitive, synonyms

    def describe():
        create_topic(b, "configs", 1, {"retention.ms": "3600000"})
        a = admin(b)
        try:
            c = configs(a, "configs")
        finally:
            a.close()
        if c["retention.ms"][1] != "3600000" or c["retention.ms"][3] != DYNAMIC_TOPIC_CONFIG:
            fail("retention.ms %r" % (c["retention.ms"],))
        if c["cleanup.policy"][1] != "delete" or c["cleanup.policy"][3] != DEFAULT_CONFIG:
            fail("cleanup.policy %r" % (c["cleanup.policy"],))
    r.check(5, "describe topic configs", describe)

    def alter():
        a = admin(b)
        try:
            resp = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "configs", configs={"segment.bytes": "1048576"})])
            for err, msg, _, _ in resp.resources:
                if err:
                    fail("alter: %d %s" % (err, msg))
            c = configs(a, "configs")
        finally:
            a.close()
        if c["segment.bytes"][1] != "1048576" or c["segment.bytes"][3] != DYNAMIC_TOPIC_CONFIG:
            fail("segment.bytes %r" % (c["segment.bytes"],))
        if c["retention.ms"][3] == DYNAMIC_TOPIC_CONFIG:
            fail("retention.ms still set: AlterConfigs replaces the whole set")
    r.check(5, "alter topic configs (AlterConfigs)", alter)
    r.not_applicable(5, "alter topic configs (IncrementalAlterConfigs)", "kafka-python 2.0.2 has no incremental alter configs")

    def broker_configs():
        a = admin(b)
        try:
            resp = a.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])[0]
        finally:
            a.close()
        entries = {e[0]: e[1] for e in resp.resources[0][4]}
        if entries.get("auto.create.topics.enable") != "true":
            fail("auto.create.topics.enable %r" % entries.get("auto.create.topics.enable"))
    r.check(5, "describe broker configs", broker_configs)

    group, topic = "admin-group", "group-topic"

    def describe_group():
        create_topic(b, topic, 2)
        p = producer(b)
        p.send(topic, b"a", partition=0).get(timeout=30)
        p.close()
        c = KafkaConsumer(topic, bootstrap_servers=b, group_id=group, client_id="describer",
                          auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=100)
        try:
            poll_records(c, 1)
            c.commit()
            a = admin(b)
            try:
                g = a.describe_consumer_groups([group])[0]
            finally:
                a.close()
            if g.error_code or g.state != "Stable" or g.protocol_type != "consumer" or len(g.members) != 1:
                fail("group %r" % (g,))
            m = g.members[0]
            assignment = dict(m.member_assignment.assignment)
            if m.client_id != "describer" or sorted(assignment.get(topic, [])) != [0, 1]:
                fail("member %r" % (m,))
        finally:
            c.close()  # leaves the group
    r.check(5, "describe a group with a member", describe_group)

    def list_groups():
        a = admin(b)
        try:
            if (group, "consumer") not in a.list_consumer_groups():
                fail("groups %r" % a.list_consumer_groups())
            g = a.describe_consumer_groups([group])[0]
            if g.state != "Empty":
                fail("after the member left: %r" % (g,))
        finally:
            a.close()
    r.check(5, "list groups", list_groups)

    def offsets():
        a = admin(b)
        try:
            got = a.list_consumer_group_offsets(group)
        finally:
            a.close()
        # kafka-python commits its position on every assigned partition:
        # partition 1, with nothing consumed, at 0.
        got = {tp.partition: o.offset for tp, o in got.items() if tp.topic == topic}
        if got.get(0) != 1 or got.get(1, 0) != 0:
            fail("committed %r, want partition 0 at 1" % got)
    r.check(5, "fetch committed offsets", offsets)

    def delete_groups():
        a = admin(b)
        try:
            res = a.delete_consumer_groups([group])
            if res != [(group, kafka.errors.NoError)]:
                fail("delete: %r" % res)
            if group in [g for g, _ in a.list_consumer_groups()]:
                fail("still listed")
            res = a.delete_consumer_groups([group])
            if res != [(group, GroupIdNotFoundError)]:
                fail("deleting again: %r, want GROUP_ID_NOT_FOUND" % res)
        finally:
            a.close()
    r.check(5, "delete groups", delete_groups)

    def list_offsets():
        topic = "offsets"
        create_topic(b, topic, 1)
        want = common.standard_records(common.base_ms())
        p = producer(b)
        produce(p, topic, want)
        p.close()
        c = consumer(b)
        try:
            tp = TopicPartition(topic, 0)
            if c.beginning_offsets([tp]) != {tp: 0}:
                fail("earliest %r" % c.beginning_offsets([tp]))
            if c.end_offsets([tp]) != {tp: len(want)}:
                fail("latest %r" % c.end_offsets([tp]))
            found = c.offsets_for_times({tp: want[5].timestamp - 1})[tp]
            if found is None or found.offset != 5:
                fail("by timestamp %r, want 5" % (found,))
            if c.offsets_for_times({tp: int(time.time() * 1000) + 3600000})[tp] is not None:
                fail("after the last timestamp: an offset")
        finally:
            c.close()
    r.check(5, "list offsets (earliest, latest, by timestamp)", list_offsets)


def scenario6(r, b, noauto):
    def unknown_topic():
        # kafka-python waits for the topic to appear in metadata and raises
        # KafkaTimeoutError after max_block_ms: that is how it exposes a
        # missing topic. The broker's answer is checked through metadata.
        p = producer(noauto, max_block_ms=2000)
        try:
            p.send("no-such-topic", b"v").get(timeout=10)
        except KafkaTimeoutError:
            pass
        else:
            fail("produced")
        finally:
            p.close()
        t = describe_topic(noauto, "no-such-topic")
        if t["error_code"] != UnknownTopicOrPartitionError.errno:
            fail("metadata: %r, want UNKNOWN_TOPIC_OR_PARTITION" % t)
        a = admin(noauto)
        try:
            if "no-such-topic" in a.list_topics():
                fail("topic created anyway")
        finally:
            a.close()
    r.check(6, "produce to an unknown topic with auto-create off times out; metadata says UNKNOWN_TOPIC_OR_PARTITION", unknown_topic)

    def too_large():
        create_topic(b, "too-large", 1, {"max.message.bytes": "1024"})
        p = producer(b)
        try:
            try:
                p.send("too-large", common.incompressible(4096), partition=0).get(timeout=30)
            except MessageSizeTooLargeError:
                pass
            else:
                fail("produced")
            p.send("too-large", b"small", partition=0).get(timeout=30)
        finally:
            p.close()
    r.check(6, "a record over max.message.bytes fails with MESSAGE_TOO_LARGE", too_large)

    def bad_acks():
        create_topic(b, "bad-acks", 1)
        p = producer(b, acks=2, retries=0)
        try:
            p.send("bad-acks", b"v", partition=0).get(timeout=30)
        except InvalidRequiredAcksError:
            return
        finally:
            p.close()
        fail("produced")
    r.check(6, "acks=2 fails with INVALID_REQUIRED_ACKS", bad_acks)


def main():
    b = common.env("FJORD_COMPAT_BOOTSTRAP")
    noauto = common.env("FJORD_COMPAT_NOAUTO_BOOTSTRAP")
    r = common.Report()
    r.client("kafka-python", kafka.__version__)
    r.run(1, scenario1, r, b)
    r.run(2, scenario2, r, b)
    r.run(3, scenario3, r, b)
    r.run(5, scenario5, r, b)
    r.run(6, scenario6, r, b, noauto)
    return r.summary()


class Listener(ConsumerRebalanceListener):
    def __init__(self, consumer):
        self.consumer = consumer

    def on_partitions_revoked(self, revoked):
        self.consumer.commit()
        common.print_assigned([])

    def on_partitions_assigned(self, assigned):
        common.print_assigned([tp.partition for tp in assigned])


def member():
    """One consumer group member (protocol: compat/go/internal/check/member.go):
    kafka-python's KafkaConsumer with its default range assignor, a
    synchronous commit after each poll, and close() (commit, LeaveGroup) on
    SIGTERM."""
    bootstrap, topic, group, name = common.member_env()
    stop = common.terminated()
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, client_id=name, enable_auto_commit=False,
                      auto_offset_reset="earliest", session_timeout_ms=common.SESSION_TIMEOUT_MS,
                      heartbeat_interval_ms=common.HEARTBEAT_INTERVAL_MS,
                      max_poll_interval_ms=common.REBALANCE_TIMEOUT_MS, fetch_max_wait_ms=100)
    c.subscribe([topic], listener=Listener(c))
    while not stop.is_set():
        polled = c.poll(timeout_ms=100)
        for recs in polled.values():
            for m in recs:
                common.print_record(m.partition, m.offset, m.key, m.value)
        if polled:
            c.commit()
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(member() if sys.argv[1:] == ["member"] else main())
