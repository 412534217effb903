"""What a Mosquitto SIGKILL loses, and what crash safety costs, on the shipped broker config.

    .venv/bin/python bench/broker_crash.py crash                 # shipped config, 20,000 msgs
    .venv/bin/python bench/broker_crash.py crash --set autosave_interval=30 \\
        --set autosave_on_changes=false                          # the old config
    .venv/bin/python bench/broker_crash.py crash --scenario midstream
    .venv/bin/python bench/broker_crash.py throughput --set autosave_on_changes=false \\
        --set autosave_interval=30                               # bench/ingest.py on it

`crash` runs real Mosquitto (deploy/mosquitto.conf made private, see tests/deployed_broker.py),
InfluxDB and `app.py serve --no-simulate`. The ingest subscribes once (its persistent session)
and stops; N QoS 1 messages, one uniquely timed reading each, are published while it is away;
the broker is SIGKILLed, restarted on the same database, the ingest started again, and every
reading is looked up in InfluxDB. Scenarios:

  saved      the session is on disk (the broker was restarted gracefully after it subscribed);
             the kill comes after the publisher has every PUBACK.
  fresh      the session was created after the broker's last save (no graceful restart).
  midstream  as `saved`, but the kill lands while the publisher is still sending; only the
             messages the broker acknowledged before it died are expected.

`throughput` runs bench/ingest.py's burst (publishers -> broker -> ingest -> InfluxDB) on the
shipped config, or with --set overrides, and prints its figures.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.deployed_broker import DeployedMosquitto, publish_indexed  # noqa: E402
from tests.e2e_support import HazwatchProcess, write_registry  # noqa: E402
from tests.services import InfluxServer, find_binary, wait_for  # noqa: E402

DB = "crash"


def stored_times(influx: InfluxServer) -> set[int]:
    """Return the times (ms) of every reading stored (each run has its own database)."""
    series = influx.query(DB, 'SELECT "value" FROM "reading"')
    return {row[0] for s in series for row in s["values"]}


def crash_once(
    workdir: Path, scenario: str, messages: int, overrides: dict[str, str | None]
) -> dict:
    """Run one crash scenario and return published / acknowledged / stored / lost."""
    broker = DeployedMosquitto(workdir / "mosquitto", find_binary("mosquitto"), overrides=overrides)
    influx = InfluxServer(workdir / "influx", find_binary("influxd"))
    broker.start()
    influx.start()
    app = HazwatchProcess(
        workdir / "app",
        mqtt_url=broker.url,
        influx_url=influx.url,
        influx_db=DB,
        registry=write_registry(workdir),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    try:
        app.start()  # subscribes: the persistent session now exists in the broker
        app.stop()  # ... and the ingest is away
        if scenario in ("saved", "midstream"):
            broker.stop()  # SIGTERM saves: the session is on disk
            broker.start()
        base_ts = int(time.time() * 1000) - 3_600_000
        if scenario == "midstream":
            acked, seconds = publish_indexed(
                broker.port, base_ts, messages, messages // 2, broker.kill
            )
        else:
            acked, seconds = publish_indexed(broker.port, base_ts, messages)
            broker.kill()
        broker.start()
        app.start()
        # The sentinel queues behind whatever the broker restored for the session, so once
        # it is stored every restored message has been delivered.
        sentinel = base_ts + messages + 1000
        sent, _ = publish_indexed(broker.port, sentinel, 1)
        assert sent == 1
        wait_for(lambda: sentinel in stored_times(influx), 120, what="the sentinel")
        wait_for(lambda: app.health()["ingest"]["pending"] == 0, 60, what="the ingest to drain")
        stored = stored_times(influx) - {sentinel}
        expected = set(range(base_ts, base_ts + acked))
        lost = sorted(t - base_ts for t in expected - stored)
        return {
            "scenario": scenario,
            "overrides": overrides,
            "published": messages,
            "acknowledged": acked,
            "stored": len(stored & expected),
            "lost_acknowledged": len(lost),
            "first_lost": lost[0] if lost else None,
            "last_lost": lost[-1] if lost else None,
            "publish_s": round(seconds, 2),
            "publish_msgs_per_s": round(acked / seconds) if seconds else None,
        }
    finally:
        app.stop()
        broker.stop()
        influx.stop()


def throughput(
    overrides: dict[str, str | None], readings: int, per_message: int, rate: float
) -> dict:
    """Run bench/ingest.py's burst with the shipped broker config (plus overrides)."""
    from bench import ingest

    broker = functools.partial(DeployedMosquitto, overrides=overrides)
    ingest.MosquittoServer = broker
    with tempfile.TemporaryDirectory(prefix="hz-bench-") as tmp:
        result = ingest.run_once(readings, per_message, 2, Path(tmp), rate)
    return {"overrides": overrides, **result}


def parse_overrides(pairs: list[str]) -> dict[str, str | None]:
    """Parse `key=value` settings (`key=` drops the setting)."""
    out: dict[str, str | None] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key] = value or None
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("crash", "throughput"))
    parser.add_argument("--scenario", choices=("saved", "fresh", "midstream"), default="saved")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--readings", type=int, default=500_000, help="throughput mode")
    parser.add_argument("--per-message", type=int, default=10, help="throughput mode")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="throughput mode: readings/s (default: burst)"
    )
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    overrides = parse_overrides(args.set)
    if args.mode == "crash":
        with tempfile.TemporaryDirectory(prefix="hz-crash-") as tmp:
            result = crash_once(Path(tmp), args.scenario, args.messages, overrides)
    else:
        result = throughput(overrides, args.readings, args.per_message, args.rate)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
