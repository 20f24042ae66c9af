"""The whole relay next to a naive sequential Python relay (python_relay.py), same broker, same
records, same sink: nginx answering at once in its own process (nginx-sink.conf). Not run by CI:
it needs nginx (Debian's `nginx-light`) and `confluent-kafka` (PyPI), and a release build.

    swift build -c release --product referral-relay
    python3 tests/perf/relay_vs_python.py [accounts]     # default 20,000 (40,000 events)

RELAY_BIN runs another executable in the relay's place (a wrapper that measures its CPU time);
the relay's own variables (RELAY_REFEREE_STORE=false, ...) pass through the environment.
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
RELAY = os.environ.get("RELAY_BIN", os.path.join(HERE, "..", "..", ".build", "release", "referral-relay"))
ENDPOINT = "http://127.0.0.1:8089/api/referral/events"
SECRET = "perf-secret-not-a-real-one"


def broker_with_records(accounts, work):
    broker = subprocess.Popen([RELAY, "dev-broker", "--partitions", "6"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    bootstrap = broker.stdout.readline().split()[-1]
    for topic, line in (("account-created", '{{"account_id":"a{0}","mmref":"m{0}"}}'),
                        ("milestone-reached", '{{"account_id":"a{0}","milestone":"level_10","mmref":"m{0}"}}')):
        path = os.path.join(work, topic)
        with open(path, "w") as f:
            f.writelines(f"a{i}:" + line.format(i) + "\n" for i in range(accounts))
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", ":", "-l", path], check=True)
    return broker, bootstrap


def relay_rate(bootstrap, events, work):
    secret = os.path.join(work, "secret")
    with open(secret, "w") as f:
        f.write(SECRET)
    env = dict(os.environ, KAFKA_BROKERS=bootstrap, KAFKA_GROUP_ID=f"perf-{time.time()}",
               MMOLOVE_ENDPOINT=ENDPOINT, MMOLOVE_SERVER_ID="srv_1", MMOLOVE_REFERRAL_SECRET_FILE=secret,
               RELAY_QUALIFYING_MILESTONES="level_10", RELAY_OPS_PORT="0", RELAY_LOG_LEVEL="warning")
    relay = subprocess.Popen([RELAY, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(re.search(r":(\d+)$", relay.stdout.readline().strip()).group(1))

    def delivered():
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        return sum(float(l.split()[-1]) for l in text.splitlines() if l.startswith("relay_deliveries_total{"))

    first, deadline = None, time.time() + 300
    while (count := delivered()) < events and time.time() < deadline:
        if count > 0 and first is None:
            first = (time.time(), count)
        time.sleep(0.02)
    relay.terminate()
    relay.wait()
    if count < events or first is None:
        sys.exit(f"the relay delivered {count:.0f} of {events} events")
    return (count - first[1]) / (time.time() - first[0])


def main():
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    work = tempfile.mkdtemp()
    os.makedirs("/tmp/referral-relay-perf", exist_ok=True)
    subprocess.run(["nginx", "-c", os.path.join(HERE, "nginx-sink.conf")], check=True)
    try:
        broker, bootstrap = broker_with_records(accounts, work)
        relay = relay_rate(bootstrap, 2 * accounts, work)
        broker.terminate()
        broker, bootstrap = broker_with_records(accounts, work)
        python = float(subprocess.run([sys.executable, os.path.join(HERE, "python_relay.py"), bootstrap,
                                       str(2 * accounts), ENDPOINT, SECRET],
                                      check=True, capture_output=True, text=True).stdout.split()[-1])
        broker.terminate()
    finally:
        subprocess.run(["nginx", "-c", os.path.join(HERE, "nginx-sink.conf"), "-s", "quit"])
    print(f"referral-relay {relay:,.0f} ev/s | sequential Python relay {python:,.0f} ev/s | "
          f"ratio {relay / python:.2f} ({2 * accounts:,} events, nginx sink, same broker kind)")


if __name__ == "__main__":
    main()
