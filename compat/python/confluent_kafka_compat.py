#!/usr/bin/python3
"""Compatibility suite for confluent-kafka-python (Debian
python3-confluent-kafka, on Debian's librdkafka).

Run by compat/run (under /usr/bin/python3, where Debian's packages import);
`confluent_kafka_compat.py member` is one consumer group member for the
runner's scenario 4.
"""
import logging
import re
import struct
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic

import common
from common import Rec, fail

OFFSET_BEGINNING, OFFSET_END = confluent_kafka.OFFSET_BEGINNING, confluent_kafka.OFFSET_END


_admins = {}


def admin(bootstrap):
    """One AdminClient per broker for the whole run: a client garbage
    collected while its futures are pending destroys its handle."""
    if bootstrap not in _admins:
        _admins[bootstrap] = AdminClient({"bootstrap.servers": bootstrap})
    return _admins[bootstrap]


def create_topic(bootstrap, name, partitions, configs=None):
    fs = admin(bootstrap).create_topics([NewTopic(name, partitions, 1, config=configs or {})])
    fs[name].result(30)


def topic_metadata(bootstrap, name=None):
    return admin(bootstrap).list_topics(topic=name, timeout=10)


class LogLines(logging.Handler):
    """Collects librdkafka's log lines (served by poll and flush)."""

    def __init__(self):
        super().__init__()
        self.lines = []
        self.logger = logging.getLogger("librdkafka-%d" % id(self))
        self.logger.propagate = False
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)

    def emit(self, record):
        self.lines.append(record.getMessage())


def producer(bootstrap, **conf):
    return Producer(dict({"bootstrap.servers": bootstrap, "linger.ms": 5}, **conf))


def produce(p, topic, recs, partition=0):
    """Produces and waits for every delivery report; raises the first error."""
    errors = []

    def report(err, msg):
        if err is not None:
            errors.append(err)
    for r in recs:
        kw = {"key": r.key, "value": r.value, "partition": partition, "on_delivery": report}
        if r.timestamp is not None:
            kw["timestamp"] = r.timestamp
        if r.headers:
            kw["headers"] = list(r.headers)
        p.produce(topic, **kw)
    if p.flush(30) != 0:
        fail("messages still in flight after 30s")
    if errors:
        raise KafkaException(errors[0])


def consumer(bootstrap, **conf):
    return Consumer(dict({"bootstrap.servers": bootstrap, "group.id": "compat-assign", "enable.auto.commit": False,
                          "fetch.wait.max.ms": 100}, **conf))


def poll_messages(c, n, timeout=30):
    out = []
    deadline = time.time() + timeout
    while len(out) < n and time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            fail("consume: %s" % m.error())
        out.append(m)
    if len(out) < n:
        fail("consumed %d of %d records" % (len(out), n))
    return out


def to_recs(msgs):
    return [Rec(m.key(), m.value(), m.headers() or [], m.timestamp()[1]) for m in msgs]


def consume(bootstrap, topic, n, offset=OFFSET_BEGINNING):
    c = consumer(bootstrap)
    try:
        c.assign([TopicPartition(topic, 0, offset)])
        return poll_messages(c, n)
    finally:
        c.close()


def scenario1(r, b):
    def metadata():
        md = topic_metadata(b)
        brokers = list(md.brokers.values())
        if len(brokers) != 1 or "%s:%d" % (brokers[0].host, brokers[0].port) != b:
            fail("brokers %r" % brokers)
        if md.controller_id != brokers[0].id or not md.cluster_id:
            fail("controller %r cluster %r" % (md.controller_id, md.cluster_id))
    r.check(1, "metadata lists the broker and controller", metadata)

    def create():
        create_topic(b, "admin-create", 3, {"retention.ms": "3600000"})
        t = topic_metadata(b, "admin-create").topics["admin-create"]
        if t.error is not None or len(t.partitions) != 3:
            fail("topic %r %r" % (t.error, t.partitions))
        for p in t.partitions.values():
            if p.leader != 1 or p.replicas != [1] or p.isrs != [1]:
                fail("partition %d: leader %d replicas %r isrs %r" % (p.id, p.leader, p.replicas, p.isrs))
    r.check(1, "create topic with partitions and configs", create)

    def create_existing():
        try:
            create_topic(b, "admin-create", 1)
        except KafkaException as e:
            if e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                return
            raise
        fail("created twice")
    r.check(1, "create an existing topic fails with TOPIC_ALREADY_EXISTS", create_existing)

    def partitions():
        admin(b).create_partitions([NewPartitions("admin-create", 5)])["admin-create"].result(30)
        if len(topic_metadata(b, "admin-create").topics["admin-create"].partitions) != 5:
            fail("not 5 partitions")
    r.check(1, "create partitions", partitions)

    def delete():
        admin(b).delete_topics(["admin-create"])["admin-create"].result(30)
        if "admin-create" in topic_metadata(b).topics:
            fail("still listed")
    r.check(1, "delete topic", delete)

    def auto_create():
        p = producer(b)
        produce(p, "admin-auto", [Rec(None, b"v")], partition=-1)
        t = topic_metadata(b, "admin-auto").topics["admin-auto"]
        if t.error is not None or len(t.partitions) != 1:
            fail("auto-created topic %r" % t.error)
    r.check(1, "a produce to a new topic auto-creates it", auto_create)


CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def scenario2(r, b):
    for acks in ("0", "1", "all"):
        for codec in CODECS:
            def produce_check(acks=acks, codec=codec):
                topic = "produce-%s-%s" % (acks, codec)
                create_topic(b, topic, 1)
                want = common.standard_records(common.base_ms())
                produce(producer(b, **{"acks": acks, "compression.type": codec}), topic, want)
                got = consume(b, topic, len(want))
                common.compare(to_recs(got), want)
                if [m.offset() for m in got] != list(range(len(want))):
                    fail("offsets %r" % [m.offset() for m in got])
            r.check(2, "produce acks=%s codec=%s" % (acks, codec), produce_check)

    def idempotent():
        # librdkafka's idempotent producer asks for a producer id with
        # InitProducerId and numbers its batches. Several rounds, each
        # delivered before the next, make several batches. Its messages do
        # not show a batch's producer id: its eos debug log must show the
        # one it acquired.
        topic = "produce-idempotent"
        create_topic(b, topic, 1)
        log = LogLines()
        p = producer(b, **{"enable.idempotence": True, "debug": "eos", "logger": log.logger})
        want = []
        for rnd in common.idempotent_records(common.base_ms()):
            produce(p, topic, rnd)
            want += rnd
        got = consume(b, topic, len(want))
        common.compare(to_recs(got), want)
        if [m.offset() for m in got] != list(range(len(want))):
            fail("offsets %r" % [m.offset() for m in got])
        c = consumer(b)
        try:
            low, high = c.get_watermark_offsets(TopicPartition(topic, 0), 10)
        finally:
            c.close()
        if high != len(want):
            fail("end offset %d, want %d" % (high, len(want)))
        if not any(re.search(r"Acquired PID\{Id:\d+,Epoch:0\}", line) for line in log.lines):
            fail("no producer id acquired: %r" % [line for line in log.lines if "PID" in line][:3])
    r.check(2, "idempotent producer (enable.idempotence) writes every record once, in order, with a producer id", idempotent)

    # No refusal check: librdkafka takes INVALID_REQUEST to InitProducerId as
    # retriable and asks again every 500 ms until init_transactions times out.
    r.not_applicable(2, "transactional produce",
                     "Fjord does not implement transactions yet: InitProducerId with a transactional id is refused "
                     "with INVALID_REQUEST, which librdkafka retries until init_transactions times out")


def scenario3(r, b):
    topic = "consume"
    create_topic(b, topic, 1)
    want = common.standard_records(common.base_ms())
    p = producer(b)
    produce(p, topic, want)

    r.check(3, "consume from earliest", lambda: common.compare(to_recs(consume(b, topic, len(want))), want))
    r.check(3, "consume from an offset", lambda: common.compare(to_recs(consume(b, topic, len(want) - 3, 3)), want[3:]))

    def from_timestamp():
        c = consumer(b)
        try:
            found = c.offsets_for_times([TopicPartition(topic, 0, want[4].timestamp)], 10)[0]
        finally:
            c.close()
        if found.offset != 4:
            fail("offset for the timestamp: %r, want 4" % found)
        common.compare(to_recs(consume(b, topic, len(want) - 4, found.offset)), want[4:])
    r.check(3, "consume from a timestamp", from_timestamp)

    def latest():
        c = consumer(b)
        try:
            c.assign([TopicPartition(topic, 0, OFFSET_END)])

            def poll(seconds):
                vals, deadline = [], time.time() + seconds
                while time.time() < deadline:
                    m = c.poll(0.05)
                    if m is not None:
                        if m.error():
                            fail("consume: %s" % m.error())
                        vals.append(m.value())
                return vals
            common.latest_markers(lambda v: produce(p, topic, [Rec(None, v)]), poll)
        finally:
            c.close()
    r.check(3, "consume from latest", latest)


def decode_assignment(b):
    """The consumer protocol's MemberAssignment: version, [topic, [partition]], user data."""
    (_, n), pos, out = struct.unpack_from(">hi", b, 0), 6, {}
    for _ in range(n):
        (ln,) = struct.unpack_from(">h", b, pos)
        topic = b[pos + 2:pos + 2 + ln].decode()
        pos += 2 + ln
        (np,) = struct.unpack_from(">i", b, pos)
        out[topic] = list(struct.unpack_from(">%di" % np, b, pos + 4))
        pos += 4 + 4 * np
    return out


def scenario5(r, b):
    def configs(name):
        res = ConfigResource("topic", name)
        return admin(b).describe_configs([res])[res].result(30)

    def describe():
        create_topic(b, "configs", 1, {"retention.ms": "3600000"})
        c = configs("configs")
        if c["retention.ms"].value != "3600000" or c["retention.ms"].source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value:
            fail("retention.ms %r" % c["retention.ms"])
        if c["cleanup.policy"].value != "delete" or c["cleanup.policy"].source != ConfigSource.DEFAULT_CONFIG.value:
            fail("cleanup.policy %r" % c["cleanup.policy"])
    r.check(5, "describe topic configs", describe)

    def alter():
        res = ConfigResource("topic", "configs", set_config={"segment.bytes": "1048576"})
        admin(b).alter_configs([res])[res].result(30)
        c = configs("configs")
        if c["segment.bytes"].value != "1048576" or c["segment.bytes"].source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value:
            fail("segment.bytes %r" % c["segment.bytes"])
        if c["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value:
            fail("retention.ms still set: AlterConfigs replaces the whole set")
    r.check(5, "alter topic configs (AlterConfigs)", alter)
    r.not_applicable(5, "alter topic configs (IncrementalAlterConfigs)",
                     "confluent-kafka-python 1.7.0 has no incremental_alter_configs (later 2.x releases do)")

    def broker_configs():
        res = ConfigResource("broker", "1")
        c = admin(b).describe_configs([res])[res].result(30)
        if c["auto.create.topics.enable"].value != "true":
            fail("auto.create.topics.enable %r" % c["auto.create.topics.enable"])
    r.check(5, "describe broker configs", broker_configs)

    group, topic = "admin-group", "group-topic"

    def describe_group():
        create_topic(b, topic, 2)
        produce(producer(b), topic, [Rec(None, b"a")])
        c = Consumer({"bootstrap.servers": b, "group.id": group, "client.id": "describer",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        try:
            c.subscribe([topic])
            m = poll_messages(c, 1)[0]
            c.commit(message=m, asynchronous=False)
            g = admin(b).list_groups(group, timeout=10)[0]
            if g.error is not None or g.state != "Stable" or g.protocol_type != "consumer" or len(g.members) != 1:
                fail("group %r state %r protocol %r members %d" % (g.error, g.state, g.protocol_type, len(g.members)))
            mb = g.members[0]
            if mb.client_id != "describer" or sorted(decode_assignment(mb.assignment).get(topic, [])) != [0, 1]:
                fail("member %r assignment %r" % (mb.client_id, decode_assignment(mb.assignment)))
        finally:
            c.close()  # leaves the group
    r.check(5, "describe a group with a member (list_groups)", describe_group)

    def list_groups():
        gs = {g.id: g for g in admin(b).list_groups(timeout=10)}
        if group not in gs or gs[group].state != "Empty" or gs[group].protocol_type != "consumer":
            fail("groups %r" % {k: (g.state, g.protocol_type) for k, g in gs.items()})
    r.check(5, "list groups", list_groups)

    def offsets():
        c = consumer(b, **{"group.id": group})
        try:
            got = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)
        finally:
            c.close()
        if [(tp.partition, tp.offset) for tp in got] != [(0, 1), (1, confluent_kafka.OFFSET_INVALID)]:
            fail("committed %r" % got)
    r.check(5, "fetch committed offsets (Consumer.committed)", offsets)
    r.not_applicable(5, "delete groups", "confluent-kafka-python 1.7.0 has no delete_consumer_groups (later 2.x releases do)")

    def list_offsets():
        topic = "offsets"
        create_topic(b, topic, 1)
        want = common.standard_records(common.base_ms())
        produce(producer(b), topic, want)
        c = consumer(b)
        try:
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
            if (lo, hi) != (0, len(want)):
                fail("watermarks %d %d" % (lo, hi))
            found = c.offsets_for_times([TopicPartition(topic, 0, want[5].timestamp - 1)], 10)[0]
            if found.offset != 5:
                fail("by timestamp %r, want 5" % found)
            found = c.offsets_for_times([TopicPartition(topic, 0, int(time.time() * 1000) + 3600000)], 10)[0]
            if found.offset != OFFSET_END:
                fail("after the last timestamp %r, want the end (-1)" % found)
        finally:
            c.close()
    r.check(5, "list offsets (earliest, latest, by timestamp)", list_offsets)


def scenario6(r, b, noauto):
    def unknown_topic():
        # librdkafka reports the broker's UNKNOWN_TOPIC_OR_PARTITION in
        # metadata as its local error _UNKNOWN_TOPIC.
        p = producer(noauto, **{"topic.metadata.propagation.max.ms": 1000, "message.timeout.ms": 10000})
        try:
            produce(p, "no-such-topic", [Rec(None, b"v")], partition=-1)
        except KafkaException as e:
            if e.args[0].code() not in (KafkaError._UNKNOWN_TOPIC, KafkaError.UNKNOWN_TOPIC_OR_PART):
                raise
        else:
            fail("produced")
        t = topic_metadata(noauto, "no-such-topic").topics["no-such-topic"]
        if t.error is None or t.error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
            fail("metadata: %r, want UNKNOWN_TOPIC_OR_PARTITION" % t.error)
        if "no-such-topic" in topic_metadata(noauto).topics:
            fail("topic created anyway")
    r.check(6, "produce to an unknown topic with auto-create off fails (Local: Unknown topic)", unknown_topic)

    def too_large():
        create_topic(b, "too-large", 1, {"max.message.bytes": "1024"})
        p = producer(b)
        try:
            produce(p, "too-large", [Rec(None, common.incompressible(4096))])
        except KafkaException as e:
            if e.args[0].code() != KafkaError.MSG_SIZE_TOO_LARGE:
                raise
        else:
            fail("produced")
        produce(p, "too-large", [Rec(None, b"small")])
    r.check(6, "a record over max.message.bytes fails with MESSAGE_TOO_LARGE", too_large)

    def bad_acks():
        create_topic(b, "bad-acks", 1)
        try:
            produce(producer(b, **{"acks": 2, "message.timeout.ms": 10000}), "bad-acks", [Rec(None, b"v")])
        except KafkaException as e:
            if e.args[0].code() != KafkaError.INVALID_REQUIRED_ACKS:
                raise
            return
        fail("produced")
    r.check(6, "acks=2 fails with INVALID_REQUIRED_ACKS", bad_acks)


def main():
    b = common.env("FJORD_COMPAT_BOOTSTRAP")
    noauto = common.env("FJORD_COMPAT_NOAUTO_BOOTSTRAP")
    r = common.Report()
    r.client("confluent-kafka-python", "%s (librdkafka %s)" % (confluent_kafka.version()[0], confluent_kafka.libversion()[0]))
    r.run(1, scenario1, r, b)
    r.run(2, scenario2, r, b)
    r.run(3, scenario3, r, b)
    r.run(5, scenario5, r, b)
    r.run(6, scenario6, r, b, noauto)
    return r.summary()


def member():
    """One consumer group member (protocol: compat/go/internal/check/member.go):
    a subscribed librdkafka consumer with its default assignors, a
    synchronous commit after each message, and close() (LeaveGroup) on
    SIGTERM."""
    bootstrap, topic, group, name = common.member_env()
    stop = common.terminated()
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "session.timeout.ms": common.SESSION_TIMEOUT_MS, "heartbeat.interval.ms": common.HEARTBEAT_INTERVAL_MS,
                  "max.poll.interval.ms": common.REBALANCE_TIMEOUT_MS, "fetch.wait.max.ms": 100})

    def on_assign(consumer, partitions):
        common.print_assigned([tp.partition for tp in partitions])

    def on_revoke(consumer, partitions):
        common.print_assigned([])
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    while not stop.is_set():
        m = c.poll(0.1)
        if m is None:
            continue
        if m.error():
            sys.stderr.write("consume: %s\n" % m.error())
            continue
        common.print_record(m.partition(), m.offset(), m.key(), m.value())
        try:
            c.commit(message=m, asynchronous=False)
        except KafkaException as e:
            sys.stderr.write("commit: %s\n" % e)
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(member() if sys.argv[1:] == ["member"] else main())
