"""Alarm benchmark on the real stack: publish -> Mosquitto -> `app.py ingest` -> committed alarm.

    .venv/bin/python bench/alarms.py                    # 30 s of 10,000 readings/s + probes
    .venv/bin/python bench/alarms.py --seconds 60 --rate 10000

1. Latency: while a background load of `--rate` readings/s (10 per message, normal values)
   flows, a probe reading over its sensor's `high` limit is published every 0.5 s, each on
   its own sensor. Latency = the alarm row's commit time (`updated_ms`, written in the same
   transaction) minus the probe's publish time. Prints p50/p99 and how many probes raised.
2. Cost of the rules: the ingest burst of bench/ingest.py (200,000 readings) with all rules
   on and with `--no-rules`, in one run; prints both throughputs and the drop.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import bench_registry, percentile, run_once, stored_count  # noqa: E402
from tests.services import InfluxServer, MosquittoServer, find_binary, free_port  # noqa: E402

PROBE_EVERY_S = 0.5
LOG_LEVEL = os.environ.get("BENCH_INGEST_LOG_LEVEL", "WARNING")  # DEBUG: per-batch timings
SENSORS = 500


def background(port: int, rate: int, seconds: float, stop_at: float) -> None:
    """Publish `rate` readings/s in 10-reading messages with normal values until stop_at."""
    from simulators.wire import WirePublisher

    pub = WirePublisher("127.0.0.1", port, "bench-background")
    pub.connect()
    per_message = 10
    messages_per_tick = max(1, rate // per_message // 20)  # 20 ticks a second
    base = int(time.time() * 1000) - 3 * 86_400_000
    n = 0
    next_tick = time.monotonic()
    while time.time() < stop_at:
        for _ in range(messages_per_tick):
            ts = base + n * per_message
            pub.queue(
                b"hazmon/bench/s1/telemetry",
                json.dumps(
                    {
                        "ts": ts,
                        "readings": [
                            {
                                "sensor": f"S{(n * per_message + j) % SENSORS:04d}",
                                "value": 5.0 + j,
                                "ts": ts + j,
                            }
                            for j in range(per_message)
                        ],
                    }
                ).encode(),
            )
            n += 1
        pub.flush()
        pub.poll(0.0)
        next_tick += 0.05
        time.sleep(max(0.0, next_tick - time.monotonic()))
    while pub.acked < pub.sent:
        pub.poll(0.05)
    pub.close()


def latency_run(workdir: Path, rate: int, seconds: float) -> dict:
    """Measure publish-to-committed-alarm latency under background load."""
    broker = MosquittoServer(workdir / "mosquitto", find_binary("mosquitto"))
    influx = InfluxServer(workdir / "influx", find_binary("influxd"))
    broker.start()
    influx.start()
    probes = int(seconds / PROBE_EVERY_S)
    registry = bench_registry(workdir, SENSORS, probes=probes)
    db_file = workdir / "hz.db"
    import psutil

    app = psutil.Popen(
        [
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
            "bench",
            "--db-url",
            f"sqlite:///{db_file}",
            "--data-dir",
            str(workdir / "data"),
            "--no-simulate",
            "--port",
            str(free_port()),
            "--log-level",
            LOG_LEVEL,
        ],
        cwd=ROOT,
        env=dict(os.environ, HAZMON_ADMIN_PASSWORD="bench-admin-1"),
        stdout=open(workdir / "ingest.log", "ab"),
        stderr=-2,
    )
    import paho.mqtt.publish as single

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and stored_count(influx.url, "bench") == 0:
            single.single(
                "hazmon/bench/s1/telemetry",
                json.dumps({"sensor": "S0000", "value": 1.0}),
                qos=1,
                hostname="127.0.0.1",
                port=broker.port,
            )
            time.sleep(0.5)
        stop_at = time.time() + seconds
        loader = mp.Process(target=background, args=(broker.port, rate, seconds, stop_at))
        loader.start()
        time.sleep(2)  # let the background load settle
        sent: dict[str, int] = {}
        for i in range(probes):
            if time.time() > stop_at - 1:
                break
            sensor = f"P{i:04d}"
            sent[sensor] = int(time.time() * 1000)
            single.single(
                "hazmon/bench/s1/telemetry",
                json.dumps({"ts": sent[sensor], "sensor": sensor, "value": 99.0}),
                qos=1,
                hostname="127.0.0.1",
                port=broker.port,
            )
            time.sleep(PROBE_EVERY_S)
        loader.join(seconds + 60)
        time.sleep(2)
        with sqlite3.connect(db_file) as conn:
            rows = conn.execute(
                "SELECT source, updated_ms FROM alarm WHERE source LIKE 'sensor:P%'"
            ).fetchall()
        committed = {src.split(":", 1)[1]: ms for src, ms in rows}
        latencies = [(committed[s] - t) / 1000 for s, t in sent.items() if s in committed]
        stored = stored_count(influx.url, "bench")
        return {
            "rate": rate,
            "seconds": seconds,
            "probes": len(sent),
            "alarms_raised": len(latencies),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            "background_stored": stored,
        }
    finally:
        app.terminate()
        app.wait(20)
        broker.stop()
        influx.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--burst", type=int, default=200_000, help="0: skip the burst runs")
    parser.add_argument("--keep-log", type=Path, help="copy the ingest's log here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hz-alarm-bench-") as tmp:
        result = latency_run(Path(tmp), args.rate, args.seconds)
        if args.keep_log:
            import shutil

            shutil.copy(Path(tmp) / "ingest.log", args.keep_log)
    print(json.dumps(result), flush=True)
    print(
        f"  alarm latency under {args.rate:,} readings/s: p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms ({result['alarms_raised']}/{result['probes']} probes "
        "raised; target p99 < 250 ms)",
        flush=True,
    )
    if not args.burst:
        return 0
    figures = {}
    for label, extra in (("rules on", ()), ("rules off", ("--no-rules",))):
        with tempfile.TemporaryDirectory(prefix="hz-alarm-bench-") as tmp:
            figures[label] = run_once(args.burst, 10, 2, Path(tmp), extra)
        print(json.dumps({label: figures[label]}), flush=True)
    on, off = figures["rules on"]["readings_per_s"], figures["rules off"]["readings_per_s"]
    print(
        f"  burst throughput: rules on {on:,} readings/s, rules off {off:,} readings/s, "
        f"drop {100 * (off - on) / off:.1f} % (target < 15 %)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
