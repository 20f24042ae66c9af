"""A naive sequential relay, the baseline of issue 9: consume both input topics, sign each referral
event (HMAC-SHA256 over "<t>.<body>"), POST it and wait for the answer, publish one outcome per
event. Run by relay_vs_python.py; prints its rate from the first event to the last."""
import hashlib
import hmac
import json
import sys
import time
import urllib.request

from confluent_kafka import Consumer, Producer

bootstrap, events, endpoint, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"python-{time.time()}",
                     "auto.offset.reset": "earliest", "fetch.wait.max.ms": 10})
consumer.subscribe(["account-created", "milestone-reached"])
producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
done, first = 0, None
while done < events:
    message = consumer.poll(1.0)
    if message is None or message.error():
        continue
    value = json.loads(message.value())
    if not value.get("mmref"):
        continue
    kind = "registered" if message.topic() == "account-created" else "qualified"
    body = json.dumps({"event": kind, "token": value["mmref"], "server_id": "srv_1",
                       "server_event_id": f"{kind[:4]}-{value['account_id']}"}).encode()
    t = str(int(time.time()))
    signature = hmac.new(secret, t.encode() + b"." + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-MMOLove-Signature": f"t={t},v1=sha256={signature}"})
    with urllib.request.urlopen(request) as answer:
        answer.read()
    producer.produce("referral-outcomes", key=value["account_id"].encode(),
                     value=json.dumps({"status": "advanced", "event": kind}).encode())
    producer.poll(0)
    done += 1
    first = first or time.time()
producer.flush()
print(f"{done / (time.time() - first):.0f}")
