"""No data loss across an ingest SIGKILL + restart and a 20 s InfluxDB outage."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.e2e_support import Gateway, HazwatchProcess, write_registry
from tests.services import wait_for

pytestmark = pytest.mark.services

READINGS_PER_MESSAGE = 10


def publish_stream(
    gw: Gateway, messages: int, start_ts: int, pace_s: float, stop: threading.Event | None = None
) -> int:
    """Publish `messages` telemetry messages with unique timestamps; return how many."""
    sent = 0
    for i in range(messages):
        if stop is not None and stop.is_set():
            break
        ts = start_ts + i * READINGS_PER_MESSAGE  # every reading has its own time
        gw.publish(
            "hazmon/e1/s1/telemetry",
            {
                "ts": ts,
                "readings": [
                    {"sensor": "NH3-1" if j % 2 == 0 else "LT-1", "value": float(i), "ts": ts + j}
                    for j in range(READINGS_PER_MESSAGE)
                ],
            },
        )
        sent += 1
        if pace_s:
            time.sleep(pace_s)
    return sent


def distinct_points(influxdb, db: str) -> int:
    series = influxdb.query(db, 'SELECT count("value") FROM "reading"')
    return series[0]["values"][0][1] if series else 0


@pytest.fixture
def parts(tmp_path, mosquitto_factory, influx_factory, influx_db_name):
    broker = mosquitto_factory()
    broker.start()
    influx = influx_factory()
    influx.start()
    registry = write_registry(tmp_path)
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=broker.url,
        influx_url=influx.url,
        influx_db=influx_db_name,
        registry=registry,
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    gw = Gateway(broker.port, f"gw-{uuid.uuid4().hex[:8]}")
    yield broker, influx, app, gw, influx_db_name
    gw.close()
    app.stop()


def test_sigkill_and_restart_loses_nothing_and_duplicates_nothing(parts):
    broker, influx, app, gw, db = parts
    app.start()
    messages = 3000
    start_ts = int(time.time() * 1000) - 3_600_000
    publisher = threading.Thread(target=publish_stream, args=(gw, messages, start_ts, 0.0005))
    publisher.start()
    wait_for(lambda: distinct_points(influx, db) > 2000, 30, what="stream under way")
    app.kill()  # mid-stream, nothing flushed, nothing acknowledged that was not written
    publisher.join()
    gw.wait_all()
    app.start()  # same client id: the persistent session delivers what was not acknowledged
    expected = messages * READINGS_PER_MESSAGE
    wait_for(
        lambda: distinct_points(influx, db) >= expected,
        90,
        what=f"all {expected} readings after restart",
    )
    assert distinct_points(influx, db) == expected
    per_time = influx.query(db, 'SELECT count("value") FROM "reading" GROUP BY "sensor"')
    assert sum(s["values"][0][1] for s in per_time) == expected


def test_influxdb_outage_of_20_seconds_loses_nothing(parts):
    broker, influx, app, gw, db = parts
    app.start()
    start_ts = int(time.time() * 1000) - 7_200_000
    stop = threading.Event()
    sent: list[int] = []
    publisher = threading.Thread(
        target=lambda: sent.append(publish_stream(gw, 100_000, start_ts, 0.004, stop))
    )
    publisher.start()
    wait_for(lambda: distinct_points(influx, db) > 1000, 30, what="stream under way")
    influx.stop()
    outage_started = time.monotonic()
    wait_for(lambda: app.health()["status"] == "degraded", 30, what="health shows the outage")
    time.sleep(max(0.0, 20 - (time.monotonic() - outage_started)))  # the outage itself
    influx.start()
    time.sleep(2)  # keep publishing a little after the store is back
    stop.set()
    publisher.join()
    gw.wait_all()
    expected = sent[0] * READINGS_PER_MESSAGE
    wait_for(
        lambda: distinct_points(influx, db) >= expected,
        90,
        what=f"all {expected} readings after the outage",
    )
    assert distinct_points(influx, db) == expected
    wait_for(lambda: app.health()["ingest"]["pending"] == 0, 30, what="spool drained")
    assert app.health()["status"] == "ok"
