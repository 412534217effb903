"""A repeated (sensor, ts) with another value keeps the first in InfluxDB; the second is refused.

Issue 9, case 8, end to end with real Mosquitto, `app.py serve` and InfluxDB 1.6. Every good
reading carries its own index as its value and has its own (sensor, ts), so each is checked.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e_support import Gateway, HazwatchProcess, write_registry
from tests.services import wait_for

pytestmark = pytest.mark.services

TOPIC = "hazmon/e1/s1/telemetry"
SENSORS = ("NH3-1", "LT-1", "PT-1")
PER_MESSAGE = 10
MESSAGES = 120
CONFLICT_AT = 80  # this message carries, among nine good readings, a conflicting repeat
REPEATED = 123  # ... of the reading with this index (in message 12, a reading of NH3-1)
CONFLICTING_VALUE = 1_000_123
REDELIVERED_AT = 40  # after this message, message 12 comes again, identical


@pytest.fixture
def stack(tmp_path, mosquitto, influxdb, influx_db_name):
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=influxdb.url,
        influx_db=influx_db_name,
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.start()
    gw = Gateway(mosquitto.port, f"gw-{uuid.uuid4().hex[:8]}")
    yield app, gw, influxdb, influx_db_name
    gw.close()
    app.stop()


def reading(index: int, ts0: int) -> dict:
    """Reading `index`: its own sensor and time, valued `index`."""
    return {"sensor": SENSORS[index % 3], "ts": ts0 + index // 3, "value": index}


def stored_points(influxdb, db: str) -> dict[tuple[str, int], float]:
    series = influxdb.query(db, 'SELECT "value" FROM "reading" GROUP BY "sensor"')
    return {(s["tags"]["sensor"], ts): v for s in series for ts, v in s["values"]}


def test_a_conflicting_repeat_keeps_the_first_value_and_is_refused_alone(stack):
    app, gw, influxdb, db = stack
    ts0 = int(time.time() * 1000) - 3_600_000
    first = reading(REPEATED, ts0)
    expected = {}
    for m in range(MESSAGES):
        indexes = range(m * PER_MESSAGE, (m + 1) * PER_MESSAGE)
        readings = [reading(i, ts0) for i in indexes]
        expected.update({(r["sensor"], r["ts"]): r["value"] for r in readings})
        if m == CONFLICT_AT:
            readings.insert(4, {**first, "value": CONFLICTING_VALUE})
        gw.publish(TOPIC, {"ts": ts0, "readings": readings})
        if m == REDELIVERED_AT:  # a redelivery of the first one's message: harmless
            gw.publish(TOPIC, {"ts": ts0, "readings": [reading(i, ts0) for i in range(120, 130)]})
    gw.wait_all()
    wait_for(
        lambda: (
            app.health()["ingest"]["received"] == MESSAGES + 1
            and app.health()["ingest"]["pending"] == 0
        ),
        30,
        what="every message taken in",
    )
    points = stored_points(influxdb, db)
    key = (first["sensor"], first["ts"])
    assert points[key] == REPEATED, f"the repeat overwrote the first value: {points[key]}"
    assert points == expected  # every good reading stored, each with its own value
    rejected = app.get("/rejected", limit=100).json()
    assert rejected["counts"] == {"conflicting_repeat": 1}, rejected["counts"]
    (entry,) = rejected["rejected"]
    assert entry["code"] == "conflicting_repeat" and entry["topic"] == TOPIC
    reason = entry["reason"]
    assert f"sensor {first['sensor']} at {first['ts']}" in reason, reason
    assert f"value {float(CONFLICTING_VALUE)!r} refused" in reason, reason
    assert f"first value {float(REPEATED)!r} is kept" in reason, reason
    health = app.health()
    assert health["ingest"]["rejected_readings"] == 1 and health["ingest"]["rejected"] == 0
    assert health["status"] == "ok", health["problems"]
