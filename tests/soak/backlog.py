"""Scenarios 1 and 2: cold backlog consumed by three relays in one group.

usage: python3 backlog.py WORKDIR [--scale F] [--kill]   (--kill: kill -9 one instance at half, replace 5 s later)
"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Env, TopicReader, check, finish_report, grep_secret, log, log_scan  # noqa

work = sys.argv[1]
scale = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1.0
kill = "--kill" in sys.argv or "--term" in sys.argv
KSIG = signal.SIGTERM if "--term" in sys.argv else signal.SIGKILL
N_REF, N_UNREF, N_QUAL, N_NONQ = (int(x * scale) for x in (30000, 10000, 10000, 5000))

RENV = dict(kv.split("=", 1) for kv in sys.argv[sys.argv.index("--relay-env") + 1].split(",")) if "--relay-env" in sys.argv else {}
env = Env(work)
t_start = time.time()
try:
    env.start_broker(12)
    extra = sys.argv[sys.argv.index("--sandbox-extra") + 1].split() if "--sandbox-extra" in sys.argv else []
    env.start_sandbox("--fail-rate", "0.05", "--drop-rate", "0.01", *extra)
    ref = [f"acct-r{i:06d}" for i in range(N_REF)]
    unref = [f"acct-u{i:06d}" for i in range(N_UNREF)]
    qual = ref[:N_QUAL]
    nonq = ref[N_QUAL:N_QUAL + N_NONQ]
    p = env.producer()
    env.produce("account-created", ((a.encode(), json.dumps({"account_id": a, "mmref": f"mmr_{a}"}).encode()) for a in ref), p)
    env.produce("account-created", ((a.encode(), json.dumps({"account_id": a}).encode()) for a in unref), p)
    p.flush(60)
    NOMM = "--nommref-half" in sys.argv
    def mval(i, a):
        o = {"account_id": a, "milestone": "level_10", "mmref": f"mmr_{a}"}
        if NOMM and i % 2 == 0:
            del o["mmref"]
        return json.dumps(o).encode()
    env.produce("milestone-reached", ((a.encode(), mval(i, a)) for i, a in enumerate(qual)), p)
    env.produce("milestone-reached", ((a.encode(), json.dumps({"account_id": a, "milestone": "level_5", "mmref": f"mmr_{a}"}).encode()) for a in nonq), p)
    p.flush(60)
    expected = N_REF + N_QUAL
    log(f"produced {N_REF} referred + {N_UNREF} unreferred accounts, {N_QUAL} qualifying + {N_NONQ} non-qualifying milestones; expect {expected} outcomes")

    outs = TopicReader(env.bootstrap, "referral-outcomes")
    dlq = TopicReader(env.bootstrap, "referral-dlq")
    t_relay = time.time()
    for i in range(3):
        env.start_relay(f"r{i}", extra_env=RENV)
        if i < 2:
            time.sleep(3)
    killed = False
    deadline = time.time() + 300
    replacement = None
    while time.time() < deadline:
        outs.drain(1.0 if kill and not killed else 2.0)
        dlq.drain(0.2)
        sids = {json.loads(m.value()).get("server_event_id") for m in outs.records}
        crashed = {n: r["proc"].poll() for n, r in env.relays.items() if r["proc"].poll() is not None and not r.get("killed")}
        log(f"outcomes {len(outs.records)} unique {len(sids)}/{expected} dlq {len(dlq.records)} crashed {crashed}")
        if kill and not killed and len(sids) >= expected // 2:
            best = -1
            for n, r in env.relays.items():
                if r["proc"].poll() is not None:
                    continue
                txt = env.metrics(n) or ""
                d = sum(float(l.split()[-1]) for l in txt.splitlines() if l.startswith("relay_deliveries_total{"))
                ap = [l for l in txt.splitlines() if l.startswith("relay_assigned_partitions")]
                log("instance", n, "deliveries", d, ap)
                if d > best:
                    best, victim = d, n
            env.relays[victim]["killed"] = True
            env.signal_relay(victim, KSIG)
            killed = True
            replacement = time.time() + 5
        if replacement and time.time() >= replacement:
            env.start_relay("r3", extra_env=RENV)
            t_replaced = time.time()
            replacement = None
        if len(sids) >= expected and not replacement:
            break
    t_done = time.time()
    # let a few more seconds pass for commit, then stop
    outs.drain(3)
    metrics = {n: env.metrics(n) for n, r in env.relays.items() if r["proc"].poll() is None}
    stats_before_stop = env.sandbox_stats()
    exits = env.stop_all_relays(timeout=60)
    outs.drain(5)
    dlq.drain(2)
    from confluent_kafka import Consumer, TopicPartition
    cc = Consumer({"bootstrap.servers": env.bootstrap, "group.id": "soak", "enable.auto.commit": False})
    tps = [TopicPartition(t, i) for t in ("account-created", "milestone-reached") for i in range(12)]
    committed = cc.committed(tps, timeout=20)
    lag = {}
    for tp in committed:
        lo, hi = cc.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=10)
        lag[f"{tp.topic}[{tp.partition}]"] = (tp.offset, hi)
    cc.close()
    uncommitted = sum(hi - (off if off >= 0 else 0) for off, hi in lag.values())
    log("after shutdown: records not covered by the group's committed offsets:", uncommitted, lag)
    restart_dups = None
    if "--restart-check" in sys.argv:
        time.sleep(float(os.environ.get("RESTART_DELAY", "0")))
        outs.drain(1)
        n0 = len(outs.records)
        env.start_relay("rcheck", extra_env=RENV)
        time.sleep(40)
        outs.drain(3)
        env.stop_all_relays(timeout=60)
        outs.drain(3)
        restart_dups = len(outs.records) - n0
        log("outcomes re-published by a fresh relay in the same group after clean shutdown:", restart_dups)
    rep = check(env, outs.records, dlq.records, set(ref), set(qual), os.path.basename(work))
    rep["relay_wall_seconds_to_all_outcomes"] = round(t_done - t_relay, 1)
    rep["exits"] = {n: v for n, v in exits.items()}
    rep["uncommitted_after_shutdown"] = uncommitted
    rep["committed"] = lag
    rep["restart_republished"] = restart_dups
    rep["killed"] = [n for n, r in env.relays.items() if r.get("killed")]
    rep["sandbox_stats"] = env.sandbox_stats()
    rep["sandbox_stats_before_stop"] = stats_before_stop
    rep["logs"] = {n: log_scan(os.path.join(r["dir"], "stderr")) for n, r in env.relays.items()}
    with open(os.path.join(work, "dlq.jsonl"), "wb") as f:
        for m in dlq.records:
            f.write(repr(m.headers()).encode() + b"\t" + (m.key() or b"")[:200] + b"\t" + (m.value() or b"")[:500] + b"\n")
    finish_report(work, rep, outs, t_start)
finally:
    env.shutdown()
