"""Readings the store refuses for good (older than retention) cost only themselves.

Issue 9, cases 1 and 2, end to end with real Mosquitto, InfluxDB 1.6 and `app.py serve`.
Every published reading carries its own index (its value), so each one is checked.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e_support import Gateway, HazwatchProcess, write_registry
from tests.services import wait_for

pytestmark = pytest.mark.services

PER_MESSAGE = 10
DAY_MS = 86_400_000


def telemetry(index0: int, ts0: int, old_slot: int | None = None, old_ts: int = 0) -> dict:
    """One message of PER_MESSAGE readings valued index0.. (slot `old_slot` dated `old_ts`)."""
    readings = []
    for j in range(PER_MESSAGE):
        ts = old_ts if j == old_slot else ts0 + j
        readings.append(
            {"sensor": "NH3-1" if j % 2 == 0 else "LT-1", "value": index0 + j, "ts": ts}
        )
    return {"ts": ts0, "readings": readings}


def settle(condition, timeout: float) -> bool:
    """Wait for a condition; say whether it came (the asserts after it give exact counts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def stored_values(influx, db: str) -> set[int]:
    series = influx.query(db, 'SELECT "value" FROM "reading"')
    return {int(v) for s in series for _, v in s["values"]} if series else set()


def stored_count(influx, db: str) -> int:
    series = influx.query(db, 'SELECT count("value") FROM "reading"')
    return series[0]["values"][0][1] if series else 0


@pytest.fixture
def parts(tmp_path, mosquitto_factory, influx_factory, influx_db_name):
    broker = mosquitto_factory()
    broker.start()
    influx = influx_factory()
    influx.start()
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=broker.url,
        influx_url=influx.url,
        influx_db=influx_db_name,
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    gw = Gateway(broker.port, f"gw-{uuid.uuid4().hex[:8]}")
    yield influx, app, gw, influx_db_name
    gw.close()
    app.stop()


def test_old_readings_in_a_backlog_cost_only_themselves(parts):
    influx, app, gw, db = parts
    app.start()  # creates the persistent session, then goes away: the broker keeps the backlog
    app.stop()
    messages, now = 2000, int(time.time() * 1000)
    start_ts = now - 3_600_000
    old_every = messages // 10  # 10 old readings spread over the backlog
    expected: set[int] = set()
    old: set[int] = set()
    for i in range(messages):
        slot = 3 if i % old_every == old_every // 2 else None
        gw.publish(
            "hazmon/e1/s1/telemetry",
            telemetry(i * PER_MESSAGE, start_ts + i * PER_MESSAGE, slot, now - 100 * DAY_MS),
        )
        for j in range(PER_MESSAGE):
            (old if j == slot else expected).add(i * PER_MESSAGE + j)
    gw.wait_all()
    assert len(old) == 10 and len(expected) == messages * PER_MESSAGE - 10
    app.start()  # the whole backlog arrives at once: batches far above 5,000 points
    wait_for(
        lambda: (
            app.health()["ingest"]["received"] >= messages
            and app.health()["ingest"]["pending"] == 0
        ),
        60,
        what="the backlog taken in",
    )
    values = stored_values(influx, db)
    lost = expected - values
    assert not lost, f"{len(lost)} of {len(expected)} valid readings lost"
    assert not values & old, "an old reading was stored"
    health = app.health()
    assert health["ingest"]["rejected_readings"] == 10, health["ingest"]
    rejected = app.get("/rejected", limit=100).json()
    assert rejected["counts"].get("too_old") == 10, rejected["counts"]
    assert health["status"] == "ok", health["problems"]


def test_a_spooled_reading_the_store_refuses_does_not_poison_replay(parts):
    influx, app, gw, db = parts
    app.start()
    now = int(time.time() * 1000)
    # An operator shortened retention in InfluxDB behind the app's back: a reading of 60 days
    # passes the edge (90 days) and is refused by the store only after it was spooled.
    influx.query(db, f'ALTER RETENTION POLICY "autogen" ON "{db}" DURATION 30d SHARD DURATION 1d')
    start_ts = now - 3_600_000
    expected: set[int] = set()
    index = 0

    def publish(count: int, old_slot: int | None = None) -> None:
        nonlocal index
        for _ in range(count):
            gw.publish(
                "hazmon/e1/s1/telemetry",
                telemetry(index, start_ts + index, old_slot, now - 60 * DAY_MS),
            )
            expected.update(index + j for j in range(PER_MESSAGE) if j != old_slot)
            old_slot = None
            index += PER_MESSAGE

    publish(50)
    gw.wait_all()
    wait_for(lambda: stored_count(influx, db) == len(expected), 30, what="first readings")
    influx.stop()
    publish(1, old_slot=3)  # the refused reading goes to the spool with nine valid ones
    publish(49)
    gw.wait_all()
    wait_for(lambda: any("spooling" in p for p in app.health()["problems"]), 30, what="spooling")
    influx.start()
    publish(200)
    gw.wait_all()
    settle(lambda: stored_count(influx, db) >= len(expected), 45)
    publish(100)  # after the replay: the writer must still be alive to take these
    gw.wait_all()
    settle(lambda: stored_count(influx, db) >= len(expected), 20)
    settle(lambda: app.health()["ingest"]["pending"] == 0, 10)
    values = stored_values(influx, db)
    lost = expected - values
    assert not lost, f"{len(lost)} of {len(expected)} valid readings lost"
    assert len(values) == len(expected)
    health = app.health()
    assert health["status"] == "ok", health["problems"]
    rejected = app.get("/rejected", limit=100).json()
    assert rejected["counts"].get("too_old") == 1, rejected["counts"]
