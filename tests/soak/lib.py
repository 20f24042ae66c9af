"""Shared helpers for the soak scenarios: the relay at scale against independent tools.

Not run by CI. Each scenario starts its own `referral-relay dev-broker` (12 partitions) and
`referral-relay sandbox` (fault injection), produces and reads with confluent-kafka (an
independent Kafka client), runs one or more `referral-relay run` processes, and checks that
every referral event got an outcome, what was duplicated, exit codes, and that the secret
appears nowhere (logs, outcomes, dead letters, metrics). Needs a release build and
`pip install confluent-kafka`; RELAY_BIN runs another executable.

    python3 tests/soak/backlog.py WORKDIR [--scale F] [--kill | --term] [--restart-check]
    python3 tests/soak/outage.py WORKDIR --mode 503|down
    python3 tests/soak/hostile.py WORKDIR

backlog.py: a cold backlog (30,000 referred + 10,000 unreferred accounts, 10,000 qualifying and
5,000 other milestones) for three relays started 3 s apart in one group; --kill / --term stops
one at half and starts a replacement; --restart-check starts a fourth after the clean stop (the
librdkafka 2.0.2 abort, docs/DESIGN.md). outage.py: 20,000 events through an endpoint outage.
hostile.py: malformed, oversized and odd records mixed with valid ones. The embedded broker
takes about `session.timeout.ms` - 1 s per rebalance (44 s with the default): pass
`--relay-env RDKAFKA_SESSION_TIMEOUT_MS=6000` to see rebalances during the work.
"""
import collections
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition

RELAY = os.environ.get(
    "RELAY_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".build", "release", "referral-relay"))
SECRET = "whsec_SOAK_s3cr3t_9f8e7d6c5b4a"
SERVER = "srv_1"


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


class Env:
    def __init__(self, workdir):
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.secret_file = os.path.join(workdir, "secret")
        with open(self.secret_file, "w") as f:
            f.write(SECRET + "\n")
        self.procs = {}  # name -> Popen
        self.relays = {}  # name -> dict(proc, ops)
        self.exits = {}

    # ---- broker -----------------------------------------------------------------
    def start_broker(self, partitions=12):
        out = open(os.path.join(self.dir, "broker.out"), "w+")
        err = open(os.path.join(self.dir, "broker.err"), "w")
        p = subprocess.Popen([RELAY, "dev-broker", "--partitions", str(partitions)], stdout=out, stderr=err)
        self.procs["broker"] = p
        for _ in range(100):
            time.sleep(0.1)
            txt = open(out.name).read()
            m = re.search(r"bootstrap: (\S+)", txt)
            if m:
                self.bootstrap = m.group(1)
                log("broker", self.bootstrap, "pid", p.pid)
                return self.bootstrap
        raise RuntimeError("no bootstrap")

    # ---- sandbox ----------------------------------------------------------------
    def start_sandbox(self, *args, port=0, tag="sandbox"):
        out = open(os.path.join(self.dir, f"{tag}.out"), "a+")
        err = open(os.path.join(self.dir, f"{tag}.err"), "a")
        p = subprocess.Popen([RELAY, "sandbox", "--port", str(port), "--server-id", SERVER,
                              "--secret-file", self.secret_file, "--seed", "7", *args], stdout=out, stderr=err)
        self.procs[tag] = p
        for _ in range(100):
            time.sleep(0.1)
            txt = open(out.name).read()
            m = re.findall(r"listening on (http://\S+)", txt)
            if m:
                self.sandbox_url = m[-1]
                log(tag, self.sandbox_url, "pid", p.pid, args)
                return self.sandbox_url
        raise RuntimeError("no sandbox")

    def sandbox_stats(self):
        return json.loads(urllib.request.urlopen(self.sandbox_url + "/_sandbox/stats", timeout=10).read())

    def put_faults(self, faults):
        req = urllib.request.Request(self.sandbox_url + "/_sandbox/faults", data=json.dumps(faults).encode(),
                                     method="PUT", headers={"content-type": "application/json"})
        return urllib.request.urlopen(req, timeout=10).read().decode()

    # ---- relay ------------------------------------------------------------------
    def start_relay(self, name, group="soak", extra_env=None):
        d = os.path.join(self.dir, name)
        os.makedirs(os.path.join(d, "store"), exist_ok=True)
        env = dict(os.environ, KAFKA_BROKERS=self.bootstrap, KAFKA_GROUP_ID=group,
                   MMOLOVE_ENDPOINT=self.sandbox_url + "/api/referral/events", MMOLOVE_SERVER_ID=SERVER,
                   MMOLOVE_REFERRAL_SECRET_FILE=self.secret_file, RELAY_OPS_PORT="0",
                   RELAY_OPS_HOST="127.0.0.1",
                   RELAY_REFEREE_STORE_DIR=os.path.join(d, "store"), RELAY_LOG_LEVEL="info",
                   RELAY_QUALIFYING_MILESTONES="level_10")
        env.update(extra_env or {})
        out = open(os.path.join(d, "stdout"), "w")
        err = open(os.path.join(d, "stderr"), "w")
        p = subprocess.Popen([RELAY, "run"], env=env, stdout=out, stderr=err)
        ops = None
        for _ in range(200):
            time.sleep(0.1)
            m = re.search(r"(\d+\.\d+\.\d+\.\d+|localhost|\[[^\]]*\]):(\d+)", open(out.name).read())
            if m:
                ops = int(m.group(2))
                break
            if p.poll() is not None:
                break
        self.relays[name] = dict(proc=p, ops=ops, dir=d)
        log("relay", name, "pid", p.pid, "ops", ops, "stdout:", open(out.name).read().strip()[:200])
        return p

    def metrics(self, name):
        r = self.relays[name]
        try:
            txt = urllib.request.urlopen(f"http://127.0.0.1:{r['ops']}/metrics", timeout=10).read().decode()
        except Exception as e:  # noqa
            return None
        with open(os.path.join(r["dir"], f"metrics-{int(time.time())}.txt"), "w") as f:
            f.write(txt)
        return txt

    def signal_relay(self, name, sig):
        p = self.relays[name]["proc"]
        log("signal", sig, "->", name, p.pid)
        os.kill(p.pid, sig)

    def stop_all_relays(self, timeout=60):
        for name, r in self.relays.items():
            if r["proc"].poll() is None:
                self.metrics(name)
                self.signal_relay(name, signal.SIGTERM)
        t0 = time.time()
        for name, r in self.relays.items():
            try:
                rc = r["proc"].wait(timeout=max(1, timeout - (time.time() - t0)))
            except subprocess.TimeoutExpired:
                rc = "TIMEOUT(still running)"
            self.exits[name] = rc
        log("relay exit codes", self.exits)
        return self.exits

    def shutdown(self):
        for name, r in self.relays.items():
            if r["proc"].poll() is None:
                r["proc"].kill()
        for n, p in self.procs.items():
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()

    # ---- kafka io ---------------------------------------------------------------
    def producer(self):
        return Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 20, "batch.num.messages": 1000,
                         "message.max.bytes": 2_000_000, "queue.buffering.max.messages": 200000})

    def produce(self, topic, records, p=None):
        """records: iterable of (key_bytes_or_None, value_bytes_or_None)."""
        own = p is None
        p = p or self.producer()
        errs = []

        def cb(err, msg):
            if err:
                errs.append(str(err))
        n = 0
        for k, v in records:
            while True:
                try:
                    p.produce(topic, key=k, value=v, on_delivery=cb)
                    break
                except BufferError:
                    p.poll(0.1)
            n += 1
            if n % 5000 == 0:
                p.poll(0)
        if own:
            p.flush(60)
        if errs:
            log("PRODUCE ERRORS", topic, errs[:5], len(errs))
        return n


class TopicReader:
    """Reads a topic (all partitions, from the beginning) incrementally."""

    def __init__(self, bootstrap, topic, parts=12):
        self.c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"soak-reader-{topic}-{time.time()}",
                           "enable.auto.commit": False, "enable.partition.eof": False,
                           "fetch.message.max.bytes": 2_000_000})
        self.c.assign([TopicPartition(topic, i, 0) for i in range(parts)])
        self.records = []

    def drain(self, seconds=1.0):
        end = time.time() + seconds
        while time.time() < end:
            msgs = self.c.consume(5000, 0.2)
            for m in msgs:
                if m.error():
                    continue
                self.records.append(m)
        return self.records


def summarize_outcomes(records):
    outs = []
    for m in records:
        try:
            outs.append(json.loads(m.value()))
        except Exception:
            outs.append({"_unparsable": repr(m.value()[:200])})
    return outs


def check(env, outcomes_msgs, dlq_msgs, expected_reg, expected_qual, label, allow_dup=True):
    """expected_reg / expected_qual: sets of account ids. Returns a report dict."""
    outs = summarize_outcomes(outcomes_msgs)
    by_sid = collections.defaultdict(list)
    for o in outs:
        by_sid[o.get("server_event_id")].append(o)
    status = collections.Counter((o.get("event"), o.get("status")) for o in outs)
    exp_sids = {f"reg-{a}" for a in expected_reg} | {f"qual-{a}" for a in expected_qual}
    missing = sorted(exp_sids - set(by_sid))
    unexpected = sorted(set(by_sid) - exp_sids)
    dups = {s: len(v) for s, v in by_sid.items() if len(v) > 1}
    bad = [o for o in outs if o.get("status") not in ("advanced", "duplicate")]
    # final status per sid: any advanced/duplicate?
    never_ok = [s for s, v in by_sid.items() if s in exp_sids and not any(o.get("status") in ("advanced", "duplicate") for o in v)]
    rep = dict(label=label, outcomes=len(outs), expected=len(exp_sids), by_event_status={f"{k[0]}/{k[1]}": v for k, v in status.items()},
               missing=len(missing), missing_sample=missing[:10], unexpected=len(unexpected), unexpected_sample=unexpected[:10],
               dup_sids=len(dups), dup_extra_records=sum(v - 1 for v in dups.values()), dup_sample=list(dups.items())[:10],
               non_ok_outcomes=len(bad), non_ok_sample=bad[:5], expected_never_ok=len(never_ok), never_ok_sample=never_ok[:10],
               dlq=len(dlq_msgs))
    dlqc = collections.Counter()
    for m in dlq_msgs:
        h = dict((k, v.decode(errors="replace") if v else v) for k, v in (m.headers() or []))
        dlqc[(h.get("__connect.errors.stage"), h.get("__connect.errors.exception.message", "")[:80])] += 1
    rep["dlq_by_reason"] = {f"{k[0]}: {k[1]}": v for k, v in dlqc.most_common(30)}
    return rep


def grep_secret(paths):
    hits = []
    for root in paths:
        for dp, _, files in os.walk(root):
            for fn in files:
                fp = os.path.join(dp, fn)
                if fn == "secret" or fp.endswith(".py"):
                    continue
                try:
                    data = open(fp, "rb").read()
                except Exception:
                    continue
                if SECRET.encode() in data:
                    hits.append(fp)
    return hits


def log_scan(path):
    """Count JSON log lines by level, and collect error/critical messages."""
    levels = collections.Counter()
    msgs = collections.Counter()
    samples = {}
    try:
        lines = open(path, errors="replace").read().splitlines()
    except FileNotFoundError:
        return {}
    for line in lines:
        try:
            j = json.loads(line)
            lvl = j.get("level") or j.get("log.level") or "?"
            msg = j.get("message") or j.get("msg") or ""
        except Exception:
            lvl, msg = "raw", line[:160]
        levels[lvl] += 1
        if lvl in ("warning", "error", "critical", "raw"):
            msgs[(lvl, msg[:120])] += 1
            samples.setdefault((lvl, msg[:120]), line[:600])
    return dict(levels=dict(levels), top=[(f"{k[0]}: {k[1]}", v, samples[k]) for k, v in msgs.most_common(15)])


def finish_report(work, rep, outcomes, t_start):
    """Dumps the outcomes (key, tab, value per line), greps the run's files for the secret,
    writes report.json and prints it with each relay's log summary."""
    with open(os.path.join(work, "outcomes.jsonl"), "wb") as f:
        for m in outcomes.records:
            f.write((m.key() or b"") + b"\t" + (m.value() or b"") + b"\n")
    rep["secret_hits"] = grep_secret([work])
    rep["total_wall"] = round(time.time() - t_start, 1)
    json.dump(rep, open(os.path.join(work, "report.json"), "w"), indent=1, default=str)
    print(json.dumps({k: v for k, v in rep.items() if k != "logs"}, indent=1, default=str))
    for n, l in rep.get("logs", {}).items():
        print("LOG", n, json.dumps(l, default=str)[:3000])
