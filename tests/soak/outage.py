"""Scenario 3: MMOLove outage while 20,000 events arrive; one relay.

usage: python3 outage.py WORKDIR --mode 503|down [--outage 60] [--accounts 10000]
  503 : sandbox starts with --fail-status 503 --fail-rate 1.0; after the outage PUT /_sandbox/faults fail_rate 0
  down: sandbox runs, relay starts, sandbox process is SIGTERMed, events produced, sandbox restarted on same port
"""
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Env, TopicReader, check, finish_report, grep_secret, log, log_scan  # noqa

work = sys.argv[1]
mode = sys.argv[sys.argv.index("--mode") + 1]
outage = int(sys.argv[sys.argv.index("--outage") + 1]) if "--outage" in sys.argv else 60
N = int(sys.argv[sys.argv.index("--accounts") + 1]) if "--accounts" in sys.argv else 10000

env = Env(work)
t_start = time.time()
try:
    env.start_broker(12)
    if mode == "503":
        env.start_sandbox("--fail-status", "503", "--fail-rate", "1.0")
    else:
        env.start_sandbox()
    port = int(re.search(r":(\d+)$", env.sandbox_url).group(1))
    outs = TopicReader(env.bootstrap, "referral-outcomes")
    dlq = TopicReader(env.bootstrap, "referral-dlq")
    env.start_relay("r0")
    time.sleep(6)  # let it join
    t_out = time.time()
    if mode == "down":
        env.procs["sandbox"].send_signal(signal.SIGTERM)
        env.procs["sandbox"].wait(10)
        log("sandbox stopped")
    ref = [f"acct-o{i:06d}" for i in range(N)]
    p = env.producer()
    # 20k events over ~30 s: batches of 500 accounts then their milestones
    for b in range(0, N, 500):
        batch = ref[b:b + 500]
        env.produce("account-created", ((a.encode(), json.dumps({"account_id": a, "mmref": f"mmr_{a}"}).encode()) for a in batch), p)
        env.produce("milestone-reached", ((a.encode(), json.dumps({"account_id": a, "milestone": "level_10", "mmref": f"mmr_{a}"}).encode()) for a in batch), p)
        p.flush(30)
        outs.drain(1.4)
    log(f"produced {N} accounts + {N} qualifying milestones = {2 * N} events")
    mid_metrics = None
    while time.time() < t_out + outage:
        outs.drain(2)
        mid_metrics = env.metrics("r0")
        try:
            ready = __import__("urllib.request").request.urlopen(f"http://127.0.0.1:{env.relays['r0']['ops']}/readyz", timeout=5).status
        except Exception as e:  # noqa
            ready = str(e)[:200]
        log(f"outage: outcomes so far {len(outs.records)} readyz {ready} relay alive {env.relays['r0']['proc'].poll() is None}")
    outage_outcomes = len(outs.records)
    if mode == "503":
        st = env.sandbox_stats()
        log("sandbox stats during outage", st)
        log("recover:", env.put_faults({"fail_rate": 0, "fail_status": 500}))
    else:
        env.start_sandbox(port=port, tag="sandbox2")
    t_rec = time.time()
    expected = 2 * N
    deadline = time.time() + 300
    while time.time() < deadline:
        outs.drain(2)
        dlq.drain(0.2)
        sids = {json.loads(m.value()).get("server_event_id") for m in outs.records}
        log(f"outcomes {len(outs.records)} unique {len(sids)}/{expected} dlq {len(dlq.records)} alive {env.relays['r0']['proc'].poll() is None}")
        if len(sids) >= expected:
            break
    t_done = time.time()
    outs.drain(3)
    stats_before_stop = env.sandbox_stats()
    exits = env.stop_all_relays(timeout=60)
    outs.drain(3)
    dlq.drain(2)
    rep = check(env, outs.records, dlq.records, set(ref), set(ref), os.path.basename(work))
    rep["mode"] = mode
    rep["outcomes_during_outage"] = outage_outcomes
    rep["seconds_from_recovery_to_all_outcomes"] = round(t_done - t_rec, 1)
    rep["exits"] = exits
    rep["sandbox_stats"] = stats_before_stop
    rep["logs"] = {n: log_scan(os.path.join(r["dir"], "stderr")) for n, r in env.relays.items()}
    finish_report(work, rep, outs, t_start)
finally:
    env.shutdown()
