"""The whole relay against brokers that answer late: `dev-broker --brokers 3 --rtt-ms N` (librdkafka's
mock cluster delaying every answer), the same records and nginx sink as relay_vs_python.py. Prints
the relay's rate and the CPU time its process used, for each round-trip time asked for. Not run by
CI: it needs nginx (Debian's `nginx-light`), kcat, and a release build.

    swift build -c release --product referral-relay
    python3 tests/perf/relay_far_brokers.py [accounts] [rtt-ms ...]   # default 10,000 (20,000 events); 0 5 20

It is the measurement behind the relay's producer settings (docs/CONFIGURATION.md): librdkafka's
idempotent producer spins while a partition's request is in flight, so its CPU per event grows
with the brokers' distance. RELAY_BIN runs another executable in the relay's place; the relay's
own variables (RDKAFKA_ENABLE_IDEMPOTENCE is refused; RDKAFKA_MAX_IN_FLIGHT=1, ...) pass through.
"""
import os
import resource
import subprocess
import sys
import tempfile

from relay_vs_python import HERE, RELAY, relay_rate

LINES = (("account-created", '{{"account_id":"a{0}","mmref":"m{0}"}}'),
         ("milestone-reached", '{{"account_id":"a{0}","milestone":"level_10","mmref":"m{0}"}}'))


def far_broker_with_records(accounts, rtt, work):
    broker = subprocess.Popen([RELAY, "dev-broker", "--brokers", "3", "--partitions", "6", "--rtt-ms", str(rtt)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    bootstrap = broker.stdout.readline().split()[-1]
    for topic, line in LINES:
        path = os.path.join(work, topic)
        with open(path, "w") as f:
            f.writelines(f"a{i}:" + line.format(i) + "\n" for i in range(accounts))
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", ":", "-l", path], check=True)
    return broker, bootstrap


def main():
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rtts = [int(a) for a in sys.argv[2:]] or [0, 5, 20]
    os.makedirs("/tmp/referral-relay-perf", exist_ok=True)  # nginx-sink.conf's logs and pid
    subprocess.run(["nginx", "-c", os.path.join(HERE, "nginx-sink.conf")], check=True)
    try:
        for rtt in rtts:
            work = tempfile.mkdtemp()
            broker, bootstrap = far_broker_with_records(accounts, rtt, work)
            try:
                # RUSAGE_CHILDREN counts children once waited for: between the two readings
                # that is the relay alone (kcat was waited for before, the broker is after).
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                rate = relay_rate(bootstrap, 2 * accounts, work)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
            finally:
                broker.terminate()
                broker.wait()
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            print(f"rtt {rtt:>3} ms: {rate:>8,.0f} events/s, relay CPU {cpu:.2f} s "
                  f"({1e6 * cpu / (2 * accounts):.0f} us/event, {2 * accounts:,} events)")
    finally:
        subprocess.run(["nginx", "-c", os.path.join(HERE, "nginx-sink.conf"), "-s", "quit"])


if __name__ == "__main__":
    main()
