"""Scenario 4: hostile input mixed into valid traffic; two relays in one group.

usage: python3 hostile.py WORKDIR [--accounts 4000]
"""
import collections
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Env, TopicReader, check, grep_secret, log, log_scan  # noqa

work = sys.argv[1]
N = int(sys.argv[sys.argv.index("--accounts") + 1]) if "--accounts" in sys.argv else 4000

AC, MR = "account-created", "milestone-reached"
H = []  # (name, topic, key, value, expectation)


def j(o):
    return json.dumps(o, ensure_ascii=False).encode()


def add(name, topic, key, value, expect):
    H.append((name, topic, key, value, expect))


# not JSON / not an object
add("notjson-text", AC, b"h-nj1", b"this is not json {{", "dlq decode")
add("notjson-binary", AC, b"h-nj2", bytes(range(256)), "dlq decode")
add("notjson-truncated", MR, b"h-nj3", b'{"account_id":"h-nj3","milestone":"level_10"', "dlq decode")
add("json-array", AC, b"h-arr", b"[1,2,3]", "dlq decode")
add("json-number", MR, b"h-num", b"42", "dlq decode")
add("json-string", AC, b"h-str", b'"hello"', "dlq decode")
add("json-null-literal", AC, b"h-nul", b"null", "dlq decode")
# wrong types
add("wt-account_id-int", AC, b"5", j({"account_id": 5, "mmref": "mmr_h5"}), "dlq decode")
add("wt-mmref-int", AC, b"h-wt1", j({"account_id": "h-wt1", "mmref": 7}), "dlq decode")
add("wt-mmref-list", AC, b"h-wt2", j({"account_id": "h-wt2", "mmref": ["a"]}), "dlq decode")
add("wt-milestone-int", MR, b"h-wt3", j({"account_id": "h-wt3", "milestone": 10, "mmref": "mmr_h-wt3"}), "dlq decode")
add("wt-created_at-bad", AC, b"h-wt4", j({"account_id": "h-wt4", "mmref": "mmr_h-wt4", "created_at": "yesterday"}), "dlq decode")
add("wt-server_id-obj", AC, b"h-wt5", j({"account_id": "h-wt5", "mmref": "mmr_h-wt5", "server_id": {"x": 1}}), "dlq decode")
add("missing-account_id", AC, b"h-miss", j({"mmref": "mmr_h-miss"}), "dlq decode")
add("empty-account_id", AC, b"", j({"account_id": "", "mmref": "mmr_empty"}), "dlq decode")
add("blank-account_id", AC, b"   ", j({"account_id": "   ", "mmref": "mmr_blank"}), "dlq decode")
add("number-1e999", AC, b"h-inf", b'{"account_id":"h-inf","mmref":"mmr_h-inf","n":1e999}', "outcome (unknown field ignored) or dlq")
add("invalid-utf8-in-string", AC, b"h-badutf", b'{"account_id":"h-\xff\xfe","mmref":"mmr_x"}', "dlq decode")
add("dup-keys", AC, b"h-dup", b'{"account_id":"h-dupA","account_id":"h-dupB","mmref":"mmr_h-dup"}', "dlq or one outcome")
# huge
add("huge-500KB-value", AC, b"h-big", j({"account_id": "h-big", "mmref": "mmr_h-big", "pad": "x" * 500_000}), "dlq decode (size)")
add("huge-500KB-milestone", MR, b"h-big2", j({"account_id": "h-big2", "milestone": "level_10", "mmref": "mmr_h-big2", "pad": "y" * 500_000}), "dlq decode (size)")
add("huge-key-300KB", AC, b"k" * 300_000, j({"account_id": "h-bigkey", "mmref": "mmr_h-bigkey"}), "dlq decode (size)")
add("deep-nesting-100k", AC, b"h-deep", b'{"account_id":"h-deep","mmref":"mmr_h-deep","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "dlq decode or outcome; no crash")
add("long-account_id-200KB", AC, None, j({"account_id": "L" * 200_000, "mmref": "mmr_long"}), "outcome (maybe reduced/rejected) or dlq")
# keys / nulls
add("null-value-tombstone", AC, b"h-tomb", None, "dlq decode or skip")
add("empty-value", MR, b"h-emptyv", b"", "dlq decode")
add("null-key-valid", AC, None, j({"account_id": "h-nullkey", "mmref": "mmr_h-nullkey"}), "VALID: registered outcome")
add("empty-key-valid", AC, b"", j({"account_id": "h-emptykey", "mmref": "mmr_h-emptykey"}), "VALID: registered outcome")
add("mismatched-key-valid", AC, b"someone-else", j({"account_id": "h-mkey", "mmref": "mmr_h-mkey"}), "VALID: registered outcome")
add("null-mmref", AC, b"h-nullref", j({"account_id": "h-nullref", "mmref": None}), "skip (not referred)")
add("empty-mmref", AC, b"h-emptyref", j({"account_id": "h-emptyref", "mmref": ""}), "skip (not referred)")
# unicode
U = ["h-ünïcødé", "h-😀🎮", "h-名前テスト", "h-مرحبا", "h-zw\u200bj", "h-combining-e\u0301"]
for u in U:
    add(f"unicode-created:{u}", AC, u.encode(), j({"account_id": u, "mmref": f"mmr_{u}"}), "VALID: registered outcome")
for u in U:
    add(f"unicode-milestone:{u}", MR, u.encode(), j({"account_id": u, "milestone": "level_10", "mmref": f"mmr_{u}"}), "VALID: qualified outcome")
add("ctrl-chars-account", AC, b"h-ctl", j({"account_id": "h-ctl\n\t\u0001x", "mmref": "mmr_h-ctl"}), "outcome or dlq")
# semantic
add("milestone-never-created", MR, b"h-ghost", j({"account_id": "h-ghost", "milestone": "level_10", "mmref": "mmr_h-ghost"}), "rejected after qualified wait (422) + dlq deliver")
add("milestone-never-created-nommref", MR, b"h-ghost2", j({"account_id": "h-ghost2", "milestone": "level_10"}), "skip (store knows no token)")
add("unknown-server", AC, b"h-srv", j({"account_id": "h-srv", "mmref": "mmr_h-srv", "server_id": "srv_unknown"}), "rejected (no secret) + dlq deliver")
add("go-zero-time", AC, b"h-zero", j({"account_id": "h-zero", "mmref": "mmr_h-zero", "created_at": "0001-01-01T00:00:00Z"}), "VALID: registered outcome")
add("future-time", AC, b"h-fut", j({"account_id": "h-fut", "mmref": "mmr_h-fut", "created_at": "2999-01-01T00:00:00Z"}), "outcome (maybe rejected by replay window)")

env = Env(work)
t_start = time.time()
try:
    env.start_broker(12)
    env.start_sandbox("--fail-rate", "0.05", "--drop-rate", "0.01")
    outs = TopicReader(env.bootstrap, "referral-outcomes")
    dlq = TopicReader(env.bootstrap, "referral-dlq")
    valid = [f"acct-v{i:05d}" for i in range(N)]
    vq = valid[: N // 2]
    p = env.producer()
    where = {}  # (topic, partition, offset) -> hostile name
    errs = []

    def cb_for(name):
        def cb(err, msg):
            if err:
                errs.append((name, str(err)))
            else:
                where[(msg.topic(), msg.partition(), msg.offset())] = name
        return cb

    # interleave: hostile records spread through valid traffic
    step = max(1, N // len(H))
    hi = 0
    for i, a in enumerate(valid):
        p.produce(AC, key=a.encode(), value=j({"account_id": a, "mmref": f"mmr_{a}"}))
        if i % step == 0 and hi < len(H):
            name, topic, k, v, _ = H[hi]
            if topic == AC:
                p.produce(topic, key=k, value=v, on_delivery=cb_for(name))
            hi += 1
        p.poll(0)
    for i, a in enumerate(vq):
        p.produce(MR, key=a.encode(), value=j({"account_id": a, "milestone": "level_10", "mmref": f"mmr_{a}"}))
        p.poll(0)
    for name, topic, k, v, _ in H:
        if topic == MR:
            p.produce(topic, key=k, value=v, on_delivery=cb_for(name))
    p.flush(60)
    log("produce errors:", errs)
    expected_reg = set(valid) | set(U) | {"h-nullkey", "h-emptykey", "h-mkey", "h-zero"}
    expected_qual = set(vq) | set(U)
    exp = len(expected_reg) + len(expected_qual)
    log(f"hostile records {len(H)}, expected valid events {exp}")
    env.start_relay("r0")
    time.sleep(3)
    env.start_relay("r1")
    deadline = time.time() + 300
    t0 = time.time()
    while time.time() < deadline:
        outs.drain(2)
        dlq.drain(0.3)
        sids = {json.loads(m.value()).get("server_event_id") for m in outs.records}
        got = len(sids & ({f"reg-{a}" for a in expected_reg} | {f"qual-{a}" for a in expected_qual}))
        alive = {n: r["proc"].poll() for n, r in env.relays.items()}
        log(f"outcomes {len(outs.records)} valid {got}/{exp} dlq {len(dlq.records)} procs {alive}")
        if got >= exp and "qual-h-ghost" in sids and "reg-h-srv" in sids:
            break
        if got >= exp and time.time() - t0 > 150:
            break
    t_done = time.time()
    exits = env.stop_all_relays(timeout=60)
    outs.drain(3)
    dlq.drain(2)
    rep = check(env, outs.records, dlq.records, expected_reg, expected_qual, os.path.basename(work))
    rep["seconds_to_done"] = round(t_done - t0, 1)
    rep["exits"] = exits
    rep["sandbox_stats"] = env.sandbox_stats()
    # per hostile record: what came of it
    dl = {}
    for m in dlq.records:
        h = dict((k, v.decode(errors="replace") if v else v) for k, v in (m.headers() or []))
        key = (h.get("__connect.errors.topic"), int(h.get("__connect.errors.partition", -1)), int(h.get("__connect.errors.offset", -1)))
        dl[key] = (h.get("__connect.errors.stage"), h.get("__connect.errors.exception.message"), len(m.value() or b""))
    oc = collections.defaultdict(list)
    for m in outs.records:
        o = json.loads(m.value())
        s = o["source"]
        oc[(s["topic"], s["partition"], s["offset"])].append((o["status"], o["event"], (o.get("error") or "")[:100], o.get("reduced"), len(m.value()), (m.key() or b"")[:40]))
    table = []
    inv = {v: k for k, v in where.items()}
    for name, topic, k, v, expect in H:
        loc = inv.get(name)
        table.append(dict(name=name, expect=expect, loc=loc, dlq=dl.get(loc), outcomes=oc.get(loc)))
    rep["hostile"] = table
    rep["logs"] = {n: log_scan(os.path.join(r["dir"], "stderr")) for n, r in env.relays.items()}
    with open(os.path.join(work, "outcomes.jsonl"), "wb") as f:
        for m in outs.records:
            f.write((m.key() or b"")[:300] + b"\t" + (m.value() or b"")[:3000] + b"\n")
    rep["secret_hits"] = grep_secret([work])
    rep["total_wall"] = round(time.time() - t_start, 1)
    json.dump(rep, open(os.path.join(work, "report.json"), "w"), indent=1, default=str, ensure_ascii=False)
    print(json.dumps({k: v for k, v in rep.items() if k not in ("logs", "hostile")}, indent=1, default=str))
    for row in table:
        print("HOSTILE", json.dumps(row, default=str, ensure_ascii=False))
    for n, l in rep["logs"].items():
        print("LOG", n, json.dumps(l, default=str)[:3000])
finally:
    env.shutdown()
