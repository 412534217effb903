"""Ingest benchmark on the real stack: publishers -> Mosquitto -> `app.py ingest` -> InfluxDB.

    .venv/bin/python bench/ingest.py                       # both shapes, 500,000 readings each
    .venv/bin/python bench/ingest.py --per-message 1 --readings 200000
    .venv/bin/python bench/ingest.py --per-message 10 --rate 100000  # latency at a paced rate

Publishers (separate processes) send a burst faster than the ingest can take it, QoS 1, or
with --rate a steady flow. Prints readings/s (first publish to last stored), messages lost,
p50/p99 publish-to-stored latency, the ingest's peak RSS and CPU per reading. In a burst the
latency is mostly the queue behind it (it grows with how much faster the publishers are);
--rate measures it at a given sustained rate. Latency is read off two cumulative curves sampled every
100 ms, published(t) and stored(t): the k-th reading's latency is the time stored(t) reaches
k minus the time published(t) reached k (FIFO order through one broker queue).
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import InfluxServer, MosquittoServer, find_binary, free_port  # noqa: E402

SAMPLE_S = 0.1
PUBLISH_WINDOW = 20_000
CHUNK = 200


def publisher(
    port: int, worker: int, messages: list[bytes], counter, start_evt, per_s: float = 0.0
) -> None:
    """Publish pre-built payloads and count broker acknowledgements.

    As fast as QoS 1 allows, or paced at `per_s` messages per second. Uses the simulators'
    batching MQTT publisher: paho spends one or two system calls per message and could not
    outrun the ingest on this machine.
    """
    from simulators.wire import WirePublisher

    pub = WirePublisher("127.0.0.1", port, f"bench-pub-{worker}")
    pub.connect()
    topic = b"hazmon/bench/s1/telemetry"
    start_evt.wait()
    started = time.monotonic()
    last = 0
    for i in range(0, len(messages), CHUNK):
        if per_s:  # paced: chunk i leaves at its scheduled time
            pause = started + i / per_s - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        # MQTT packet ids are 16 bits: keep well under 65,535 messages unacknowledged.
        while pub.sent - pub.acked > PUBLISH_WINDOW:
            pub.poll(0.01)
        for m in messages[i : i + CHUNK]:
            pub.queue(topic, m)
        pub.flush()
        pub.poll(0.0)
        with counter.get_lock():
            counter.value += pub.acked - last
        last = pub.acked
    while pub.acked < len(messages):
        pub.poll(0.05)
        with counter.get_lock():
            counter.value += pub.acked - last
        last = pub.acked
    pub.close()


def build_messages(readings: int, per_message: int, sensors: int, base_ts: int) -> list[bytes]:
    """Return telemetry payloads; every reading has its own (sensor, time) identity."""
    out = []
    for start in range(0, readings, per_message):
        n = min(per_message, readings - start)
        out.append(
            json.dumps(
                {
                    "ts": base_ts + start,
                    "readings": [
                        {
                            "sensor": f"S{(start + j) % sensors:04d}",
                            "value": 5.0 + (start + j) % 100 / 10.0,  # normal: below every limit
                            "ts": base_ts + start + j,
                        }
                        for j in range(n)
                    ],
                }
            ).encode()
        )
    return out


def bench_registry(directory: Path, sensors: int, probes: int = 0) -> Path:
    """Write a registry with one site, `sensors` registered sensors and `probes` probe ones."""
    lines = [
        "timezone: Asia/Shanghai",
        "restrictions: []",
        "enterprises:",
        "  - id: bench",
        "    name: Bench Chemicals",
        "    contacts: []",
        "    sites:",
        "      - id: s1",
        "        name: Bench site",
        "        zones:",
        "          - {id: Z1, name: Zone one, hazard: major, max_people: 2}",
        "        sensors:",
    ]
    lines += [
        f"          - {{id: S{i:04d}, zone: Z1, kind: gas_nh3, unit: ppm, high: 42}}"
        for i in range(sensors)
    ]
    lines += [
        f"          - {{id: P{i:04d}, zone: Z1, kind: gas_nh3, unit: ppm, high: 42}}"
        for i in range(probes)
    ]
    lines.append("        cameras: []")
    path = directory / "bench-registry.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def points_written(influx_url: str) -> int:
    """Return how many points InfluxDB accepted so far (cheap: its own write counters).

    Polling `SELECT count(...)` every 100 ms would cost InfluxDB more CPU than the writes
    being measured; the exact distinct count is taken once at the end.
    """
    stats = requests.get(f"{influx_url}/debug/vars", timeout=10).json()
    return stats["write"]["values"]["pointReq"]


def stored_count(influx_url: str, db: str) -> int:
    r = requests.post(
        f"{influx_url}/query",
        data={"db": db, "q": 'SELECT count("value") FROM "reading"'},
        timeout=30,
    )
    series = r.json()["results"][0].get("series")
    return series[0]["values"][0][1] if series else 0


def _cpu_seconds(proc: psutil.Process) -> tuple[float, float]:
    """Return the CPU time (user, system) a process has used so far."""
    times = proc.cpu_times()
    return times.user, times.system


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_once(
    readings: int,
    per_message: int,
    publishers: int,
    workdir: Path,
    rate: float = 0.0,
    extra_args: tuple[str, ...] = (),
) -> dict:
    """Run one burst on fresh servers and return the figures."""
    broker = MosquittoServer(workdir / "mosquitto", find_binary("mosquitto"))
    influx = InfluxServer(workdir / "influx", find_binary("influxd"))
    broker.start()
    influx.start()
    db = "bench"
    sensors = 500
    registry = bench_registry(workdir, sensors)
    env = dict(os.environ, HAZMON_ADMIN_PASSWORD="bench-admin-1")
    # BENCH_INGEST_PROFILE=<file>: run the ingest under py-spy (collapsed stacks of the thread
    # holding the GIL, i.e. where the Python time goes).
    profile = os.environ.get("BENCH_INGEST_PROFILE")
    profiler = (
        ["py-spy", "record", "-r", "250", "--gil", "-f", "raw", "-o", profile, "--"]
        if profile
        else []
    )
    app = psutil.Popen(
        [
            *profiler,
            sys.executable,
            str(ROOT / "app.py"),
            "ingest",
            "--registry",
            str(registry),
            "--mqtt-url",
            broker.url,
            "--influx-url",
            influx.url,
            "--influx-db",
            db,
            "--db-url",
            f"sqlite:///{workdir / 'hz.db'}",
            "--data-dir",
            str(workdir / "data"),
            "--no-simulate",
            "--port",
            str(free_port()),
            "--log-level",
            os.environ.get("BENCH_INGEST_LOG_LEVEL", "WARNING"),  # DEBUG: per-batch timings
            *extra_args,
        ],
        cwd=ROOT,
        env=env,
        stdout=open(os.environ.get("BENCH_INGEST_LOG", workdir / "ingest.log"), "ab"),
        stderr=-2,
    )
    try:
        # Wait until the ingest subscribed: a probe message must come out the other side.
        probe_ts = int(time.time() * 1000) - 86_400_000
        import paho.mqtt.publish as single

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and stored_count(influx.url, db) == 0:
            single.single(
                "hazmon/bench/s1/telemetry",
                json.dumps({"ts": probe_ts, "sensor": "PROBE", "value": 1}),
                qos=1,
                hostname="127.0.0.1",
                port=broker.port,
            )
            time.sleep(0.5)
        baseline = stored_count(influx.url, db)
        written_baseline = points_written(influx.url)

        base_ts = int(time.time() * 1000) - 3 * 86_400_000
        messages = build_messages(readings, per_message, sensors, base_ts)
        chunks = [messages[i::publishers] for i in range(publishers)]
        counter = mp.Value("q", 0)
        start_evt = mp.Event()
        procs = [
            mp.Process(
                target=publisher,
                args=(broker.port, i, chunk, counter, start_evt, rate / per_message / publishers),
            )
            for i, chunk in enumerate(chunks)
        ]
        for p in procs:
            p.start()
        time.sleep(1.0)  # let publishers connect before the clock starts

        samples_pub: list[tuple[float, int]] = []
        samples_store: list[tuple[float, int]] = []
        peak_rss = 0
        done = threading.Event()

        def sample_rss() -> None:
            nonlocal peak_rss
            while not done.is_set():
                try:
                    peak_rss = max(peak_rss, app.memory_info().rss)
                except psutil.Error:
                    pass
                time.sleep(0.05)

        threading.Thread(target=sample_rss, daemon=True).start()
        cpu_before = _cpu_seconds(app)
        peers = {
            "influxd": psutil.Process(influx.proc.pid),
            "mosquitto": psutil.Process(broker.proc.pid),
        }
        peers_before = {name: sum(_cpu_seconds(p)) for name, p in peers.items()}
        t0 = time.monotonic()
        start_evt.set()
        deadline = t0 + 300
        stored = 0
        while time.monotonic() < deadline:
            now = time.monotonic() - t0
            samples_pub.append((now, counter.value * per_message))
            stored = points_written(influx.url) - written_baseline
            samples_store.append((time.monotonic() - t0, stored))
            if stored >= readings:
                break
            time.sleep(SAMPLE_S)
        elapsed = samples_store[-1][0]
        cpu_after = _cpu_seconds(app)
        cpu_user = cpu_after[0] - cpu_before[0]
        cpu_system = cpu_after[1] - cpu_before[1]
        peers_cpu = {name: sum(_cpu_seconds(p)) - peers_before[name] for name, p in peers.items()}
        published_at = next((t for t, n in samples_pub if n >= readings), None)
        done.set()
        for p in procs:
            p.join(60)
        # Quiet period: anything still arriving is counted as stored, not lost.
        time.sleep(2)
        final = stored_count(influx.url, db) - baseline

        latencies = []
        pub_t = [t for t, _ in samples_pub]
        pub_n = [n for _, n in samples_pub]
        step = max(1, readings // 2000)
        for k in range(step, min(final, readings) + 1, step):
            i_pub = bisect.bisect_left(pub_n, k)
            i_sto = bisect.bisect_left([n for _, n in samples_store], k)
            if i_pub < len(pub_t) and i_sto < len(samples_store):
                latencies.append(max(0.0, samples_store[i_sto][0] - pub_t[i_pub]))
        return {
            "readings": readings,
            "per_message": per_message,
            "messages": len(messages),
            "elapsed_s": round(elapsed, 2),
            "readings_per_s": round(min(final, readings) / elapsed),
            "messages_per_s": round(min(final, readings) / per_message / elapsed),
            "lost": readings - final,
            "p50_latency_s": round(percentile(latencies, 50), 3),
            "p99_latency_s": round(percentile(latencies, 99), 3),
            "ingest_peak_rss_mb": round(peak_rss / 2**20, 1),
            # Machine-independent-ish: the ingest's own CPU per reading, and how fast the
            # publishers went (the queue, hence latency, grows by the difference).
            "ingest_cpu_us_per_reading": round((cpu_user + cpu_system) / readings * 1e6, 2),
            "ingest_system_cpu_us_per_reading": round(cpu_system / readings * 1e6, 2),
            "published_per_s": round(readings / published_at) if published_at else None,
            **{
                f"{name}_cpu_us_per_reading": round(used / readings * 1e6, 2)
                for name, used in peers_cpu.items()
            },
        }
    finally:
        if profile:  # py-spy writes its file on SIGINT and stops the ingest with it
            app.send_signal(2)
        else:
            app.terminate()
        try:
            app.wait(20)
        except psutil.TimeoutExpired:
            app.kill()
        broker.stop()
        influx.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--readings", type=int, default=500_000)
    parser.add_argument("--per-message", type=int, action="append")
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="readings/s the publishers send at (default: as fast as they can, a burst)",
    )
    args = parser.parse_args()
    shapes = args.per_message or [10, 1]
    for per_message in shapes:
        with tempfile.TemporaryDirectory(prefix="hz-bench-") as tmp:
            result = run_once(args.readings, per_message, args.publishers, Path(tmp), args.rate)
        print(json.dumps(result), flush=True)
        target = ">= 100,000 readings/s" if per_message == 10 else ">= 15,000 messages/s"
        print(
            f"  {per_message} reading(s)/message: {result['readings_per_s']:,} readings/s, "
            f"{result['messages_per_s']:,} messages/s, lost {result['lost']}, "
            f"p50 {result['p50_latency_s']} s, p99 {result['p99_latency_s']} s, "
            f"peak RSS {result['ingest_peak_rss_mb']} MB, ingest CPU "
            f"{result['ingest_cpu_us_per_reading']} us/reading, publishers "
            f"{result['published_per_s'] or 0:,} readings/s  (target {target}, zero loss, "
            "p99 < 2 s, RSS < 300 MB)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
