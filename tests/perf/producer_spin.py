"""librdkafka's idempotent producer against brokers that answer late, without the relay: a producer
made through ctypes sends 600-byte records at a steady rate to a 12-partition topic on librdkafka's
own mock cluster (3 brokers, every answer delayed by the round-trip time asked for), then prints the
CPU time of the producer's broker threads and the delivery-report latency. Not run by CI.

    python3 tests/perf/producer_spin.py MODE RTT_MS [RATE] [SECONDS]
      MODE: idempotent | plain1 | plain5   (plain: not idempotent, max.in.flight 1 or 5)
    RDKAFKA_LIB=<path of another librdkafka.so.1> python3 tests/perf/producer_spin.py ...

Everything but the producer's settings is the same between modes: acks=all, linger.ms=1. It is the
measurement behind the relay's producer settings (docs/CONFIGURATION.md, docs/DESIGN.md). With an
idempotent producer, librdkafka (2.0.2 from Debian, and 2.16 as bundled with confluent-kafka) sends
one request per partition at a time, and its broker thread polls with a zero timeout until the
answer arrives: the CPU grows with the round-trip time.
"""
import collections
import ctypes
import os
import sys
import time

lib = ctypes.CDLL(os.environ.get("RDKAFKA_LIB", "librdkafka.so.1"))
P, S = ctypes.c_void_p, ctypes.c_char_p
lib.rd_kafka_version_str.restype = S
lib.rd_kafka_conf_new.restype = P
lib.rd_kafka_conf_set.argtypes = [P, S, S, S, ctypes.c_size_t]
lib.rd_kafka_new.restype = P
lib.rd_kafka_new.argtypes = [ctypes.c_int, P, S, ctypes.c_size_t]
lib.rd_kafka_handle_mock_cluster.restype = P
lib.rd_kafka_handle_mock_cluster.argtypes = [P]
lib.rd_kafka_mock_cluster_bootstraps.restype = S
lib.rd_kafka_mock_cluster_bootstraps.argtypes = [P]
lib.rd_kafka_mock_broker_set_rtt.argtypes = [P, ctypes.c_int32, ctypes.c_int]
lib.rd_kafka_mock_topic_create.argtypes = [P, S, ctypes.c_int, ctypes.c_int]
lib.rd_kafka_topic_new.restype = P
lib.rd_kafka_topic_new.argtypes = [P, S, P]
lib.rd_kafka_produce.argtypes = [P, ctypes.c_int32, ctypes.c_int, P, ctypes.c_size_t, P, ctypes.c_size_t, P]
lib.rd_kafka_poll.argtypes = [P, ctypes.c_int]
lib.rd_kafka_flush.argtypes = [P, ctypes.c_int]
DeliveryReport = ctypes.CFUNCTYPE(None, P, P, P)
lib.rd_kafka_conf_set_dr_msg_cb.argtypes = [P, DeliveryReport]


class Message(ctypes.Structure):
    """The head of rd_kafka_message_t, up to its per-message opaque."""
    _fields_ = [("err", ctypes.c_int), ("rkt", P), ("partition", ctypes.c_int32), ("payload", P),
                ("len", ctypes.c_size_t), ("key", P), ("key_len", ctypes.c_size_t), ("offset", ctypes.c_int64),
                ("opaque", P)]


def conf(properties):
    error = ctypes.create_string_buffer(512)
    handle = lib.rd_kafka_conf_new()
    for key, value in properties.items():
        if lib.rd_kafka_conf_set(handle, key.encode(), value.encode(), error, 512) != 0:
            sys.exit(f"{key}: {error.value.decode()}")
    return handle


def thread_cpu(tids):
    """CPU seconds of each thread in `tids`, by thread name."""
    cpu = collections.Counter()
    for tid in tids:
        try:
            stat = open(f"/proc/self/task/{tid}/stat").read()
        except FileNotFoundError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        cpu[name] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return cpu


def main():
    mode, rtt = sys.argv[1], int(sys.argv[2])
    rate = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 8.0
    modes = {"idempotent": {"enable.idempotence": "true"},
             "plain1": {"enable.idempotence": "false", "max.in.flight.requests.per.connection": "1"},
             "plain5": {"enable.idempotence": "false", "max.in.flight.requests.per.connection": "5"}}
    error = ctypes.create_string_buffer(512)
    holder = lib.rd_kafka_new(0, conf({"test.mock.num.brokers": "3"}), error, 512)
    cluster = lib.rd_kafka_handle_mock_cluster(holder)
    lib.rd_kafka_mock_topic_create(cluster, b"spin", 12, 3)
    for broker in (1, 2, 3):
        lib.rd_kafka_mock_broker_set_rtt(cluster, broker, rtt)
    before = set(os.listdir("/proc/self/task"))

    sent, latencies = {}, []

    def delivered(_rk, message, _opaque):
        latencies.append(time.monotonic() - sent.pop(ctypes.cast(message, ctypes.POINTER(Message)).contents.opaque))

    report = DeliveryReport(delivered)
    producer_conf = conf({"bootstrap.servers": lib.rd_kafka_mock_cluster_bootstraps(cluster).decode(),
                          "acks": "all", "linger.ms": "1", **modes[mode]})
    lib.rd_kafka_conf_set_dr_msg_cb(producer_conf, report)
    producer = lib.rd_kafka_new(0, producer_conf, error, 512)
    topic = lib.rd_kafka_topic_new(producer, b"spin", None)
    # One record through first, so every broker thread the metadata names exists when the
    # threads are listed (a late answer would otherwise leave some out).
    sent[10**9] = time.monotonic()
    lib.rd_kafka_produce(topic, -1, 2, b"warm-up", 7, b"warm-up", 7, ctypes.c_void_p(10**9))
    lib.rd_kafka_flush(producer, 30_000)
    latencies.clear()
    threads = set(os.listdir("/proc/self/task")) - before
    start_cpu, start, count, value = thread_cpu(threads), time.monotonic(), 0, b"x" * 600
    while (now := time.monotonic()) - start < seconds:
        while count < int((now - start) * rate):
            count += 1
            key = f"acct-{count}".encode()
            sent[count] = time.monotonic()
            lib.rd_kafka_produce(topic, -1, 2, value, len(value), key, len(key), ctypes.c_void_p(count))
        lib.rd_kafka_poll(producer, 0)
        time.sleep(0.001)
    lib.rd_kafka_flush(producer, 30_000)
    end_cpu = thread_cpu(threads)
    latencies.sort()
    if not latencies:
        sys.exit("no delivery report arrived")
    brokers = sum(end_cpu[name] - start_cpu[name] for name in end_cpu if name.startswith("rdk:broker"))
    print(f"librdkafka {lib.rd_kafka_version_str().decode()}, {mode}, rtt {rtt} ms, {count:,} records at "
          f"{rate:,}/s: broker threads {brokers:.2f} s of CPU in {seconds:.0f} s; delivery p50 "
          f"{1000 * latencies[len(latencies) // 2]:.1f} ms, p99 {1000 * latencies[int(len(latencies) * 0.99)]:.1f} ms "
          f"({len(latencies):,} reports)")


if __name__ == "__main__":
    main()
