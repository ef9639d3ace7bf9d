"""Shared parts of the Python clients' compatibility scripts.

Result lines and the summary follow compat/go/internal/check; the record
set and the consumer group member protocol are the Go side's
(check/data.go, check/member.go).
"""
import os
import signal
import sys
import threading
import time
import traceback

SESSION_TIMEOUT_MS = 4000
HEARTBEAT_INTERVAL_MS = 400
REBALANCE_TIMEOUT_MS = 20000


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.stderr.write("%s is not set: run the suite with compat/run, which starts the brokers\n" % name)
        sys.exit(2)
    return v


class Failed(Exception):
    pass


def fail(msg):
    raise Failed(msg)


class Report:
    def __init__(self):
        self.passed = self.failed = self.na = 0

    def client(self, name, version):
        print("CLIENT %s %s" % (name, version), flush=True)

    def check(self, scenario, name, fn, *args):
        """Runs fn(*args); a Failed or any other exception fails the check."""
        try:
            fn(*args)
        except Failed as e:
            self._line("FAIL", scenario, name, str(e))
            self.failed += 1
            return False
        except Exception as e:  # an unexpected error is a failure too, with its type
            traceback.print_exc(file=sys.stderr)
            self._line("FAIL", scenario, name, "%s: %s" % (type(e).__name__, e))
            self.failed += 1
            return False
        self._line("PASS", scenario, name, "")
        self.passed += 1
        return True

    def run(self, scenario, fn, *args):
        """Runs a scenario's function; an error outside its checks (in its
        set-up) is a failed check of its own."""
        try:
            fn(*args)
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            self._line("FAIL", scenario, "scenario set-up", "%s: %s" % (type(e).__name__, e))
            self.failed += 1

    def not_applicable(self, scenario, name, reason):
        self._line("N/A ", scenario, name, reason)
        self.na += 1

    def _line(self, status, scenario, name, detail):
        line = "%s [%d] %s" % (status, scenario, name)
        if detail:
            line += ": " + " | ".join(detail.strip().splitlines())[:500]
        print(line, flush=True)

    def summary(self):
        if self.na:
            print("%d not applicable" % self.na)
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 0 if self.failed == 0 else 1


class Rec:
    """A record as produced and consumed; None key or value is null."""

    def __init__(self, key, value, headers=(), timestamp=None):
        self.key, self.value, self.headers, self.timestamp = key, value, list(headers), timestamp

    def __repr__(self):
        return "Rec(%r, %r, %r, %r)" % (self.key, self.value, self.headers, self.timestamp)


def base_ms():
    """An hour ago, in milliseconds (inside retention, before anything produced now)."""
    return int(time.time() * 1000) - 3600 * 1000


def standard_records(base):
    """The record set every client produces (compat/go/internal/check/data.go)."""
    recs = [
        Rec(b"k0", b"v0", [("h1", b"v1")]),
        Rec(None, b"no key"),
        Rec(b"k2", None),
        Rec(b"k3", b""),
        Rec(b"\x00\xffbin", bytes(range(256))),
        Rec(b"k5", b"compressible " * 1000),
        Rec(b"k6", b"v6", [("h1", b"v1"), ("h1", b"v2"), ("empty", b"")]),
        Rec("ключ-✓".encode(), "значение ✓".encode()),
    ]
    for i, r in enumerate(recs):
        r.timestamp = base + i * 1000
    return recs


def idempotent_records(base):
    """What the idempotent producer checks produce, in rounds, each delivered
    before the next (compat/go/internal/check/batches.go): the standard
    records, then three rounds of 20 numbered ones, timestamps one second
    apart from base throughout."""
    rounds = [standard_records(base)]
    n = len(rounds[0])
    for r in range(3):
        rnd = []
        for _ in range(20):
            rnd.append(Rec(b"idem-%d" % r, b"record %d" % n, [], base + n * 1000))
            n += 1
        rounds.append(rnd)
    return rounds


def show(b):
    if b is None:
        return "null"
    if len(b) > 40:
        return "%r...(%d bytes)" % (b[:40], len(b))
    return repr(b)


def compare(got, want):
    """Fails on the first difference, field by field, or a count mismatch."""
    for i, (g, w) in enumerate(zip(got, want)):
        if g.key != w.key:
            fail("record %d: key %s, want %s" % (i, show(g.key), show(w.key)))
        if g.value != w.value:
            fail("record %d: value %s, want %s" % (i, show(g.value), show(w.value)))
        if g.timestamp != w.timestamp:
            fail("record %d: timestamp %s, want %s" % (i, g.timestamp, w.timestamp))
        if list(g.headers or []) != list(w.headers or []):
            fail("record %d: headers %r, want %r" % (i, g.headers, w.headers))
    if len(got) != len(want):
        fail("%d records, want %d" % (len(got), len(want)))


def latest_markers(produce, poll):
    """Checks "consume from latest" for a consumer that resolves its start
    asynchronously: produces markers one at a time until the consumer returns
    one (at most 50), then reads on to the last marker produced. Everything
    read must be consecutive markers ending with the last: nothing from
    before the consumer started. poll(seconds) returns the values read."""
    got, produced = [], 0
    deadline = time.time() + 30
    while time.time() < deadline:
        if not got and produced < 50:
            produce(b"latest-%d" % produced)
            produced += 1
        got += poll(0.5)
        if got and got[-1] == b"latest-%d" % (produced - 1):
            break
    if not got:
        fail("nothing consumed after %d markers" % produced)
    if not got[0].startswith(b"latest-"):
        fail("first record %r is not a marker: consumed from before the start" % got[0])
    first = int(got[0][len(b"latest-"):])
    want = [b"latest-%d" % i for i in range(first, produced)]
    if got != want:
        fail("consumed %r, want %r" % (got, want))


def incompressible(n):
    import base64
    import random
    r = random.Random(1)
    return base64.b64encode(bytes(r.getrandbits(8) for _ in range(n)))[:n]


# --- consumer group members (scenario 4)

_out = threading.Lock()


def member_env():
    return (env("FJORD_COMPAT_BOOTSTRAP"), env("FJORD_COMPAT_TOPIC"), env("FJORD_COMPAT_GROUP"),
            env("FJORD_COMPAT_MEMBER"))


def print_assigned(partitions):
    with _out:
        print(" ".join(["assigned"] + [str(p) for p in sorted(partitions)]), flush=True)


def print_record(partition, offset, key, value):
    with _out:
        print("record %d %d %s %s" % (partition, offset, (key or b"").decode(), (value or b"").decode()), flush=True)


def terminated():
    """An Event set on SIGTERM or SIGINT."""
    ev = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: ev.set())
    signal.signal(signal.SIGINT, lambda *_: ev.set())
    return ev
