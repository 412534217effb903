"""Log once, count always (issue 9), end to end: a write retrying in a loop floods no log.

`app.py serve` runs against an InfluxDB that never answers and a spool bounded to 1 MB, with
real Mosquitto. Once the spool is full, the writer retries the same batch again and again,
logging "cannot make N points durable (...); retrying" each time: the log must show it once
within the minute while /api/v1/health counts every occurrence.
"""

from __future__ import annotations

import random
import time
import uuid

import pytest

from tests.e2e_support import Gateway, HazwatchProcess, write_registry
from tests.services import free_port, wait_for

pytestmark = pytest.mark.services

TEMPLATE_START = "cannot make "  # of "cannot make %d points durable (%s); retrying"
TEMPLATE_END = "points durable"
PER_MESSAGE = 100
REPEATS = 30  # occurrences health must count before the log is looked at


def durable_errors(health: dict) -> int:
    """Return how many "cannot make N points durable" errors health counts (0 if none)."""
    rows = health.get("log", {}).get("top", [])
    return sum(
        row["count"]
        for row in rows
        if row["message"].startswith(TEMPLATE_START) and TEMPLATE_END in row["message"]
    )


def test_a_retry_loop_logs_once_and_health_counts_every_retry(tmp_path, mosquitto_factory):
    broker = mosquitto_factory()
    broker.start()
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=broker.url,
        influx_url=f"http://127.0.0.1:{free_port()}",  # nothing listens: the store is down
        influx_db="hazwatch",
        registry=write_registry(tmp_path),
        extra_env={
            "HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}",
            "HAZMON_SPOOL_MAX_MB": "1",
        },
    )
    gw = Gateway(broker.port, f"gw-{uuid.uuid4().hex[:8]}")
    try:
        app.start()
        started = time.monotonic()
        rng = random.Random(9)
        ts0 = int(time.time() * 1000) - 600_000

        def publish(count: int) -> None:
            nonlocal ts0
            for _ in range(count):
                readings = [
                    {
                        "sensor": "NH3-1" if j % 2 == 0 else "LT-1",
                        "value": round(20 + rng.random() * 20, 6),  # no limit crossed
                        "ts": ts0 + j,
                    }
                    for j in range(PER_MESSAGE)
                ]
                gw.publish("hazmon/e1/s1/telemetry", {"ts": ts0, "readings": readings})
                ts0 += PER_MESSAGE

        publish(1)  # its write fails after the store's retry deadline: spooling starts
        gw.wait_all()
        wait_for(lambda: any("spooling" in p for p in app.health()["problems"]), 40, 0.2)
        # Random values compress poorly: 100,000 readings are well over the spool's 1 MB.
        publish(1000)
        gw.wait_all()

        def logged() -> list[str]:
            text = (app.workdir / "app.log").read_text(errors="replace")
            return [s for s in text.splitlines() if TEMPLATE_START in s and TEMPLATE_END in s]

        def repeated() -> bool:
            if durable_errors(app.health()) >= REPEATS or len(logged()) >= REPEATS:
                return True
            publish(5)  # every message wakes the writer, which retries at once
            return False

        wait_for(repeated, 60, what=f"{REPEATS} retries of a batch the full spool refuses")
        health = app.health()
        lines = logged()
        counted = durable_errors(health)
        within_window = time.monotonic() - started < 60
        # The first occurrence, and at most one summary a minute after it.
        assert 1 <= len(lines) <= (1 if within_window else 3), f"{len(lines)} lines: {lines[:3]}"
        assert "ERROR" in lines[0] and "retrying" in lines[0]
        assert counted >= REPEATS
        assert health["log"]["errors"] >= counted
        assert health["log"]["suppressed"] >= counted - len(lines)
    finally:
        gw.close()
        app.stop()
