"""A full spool recovers by itself (issue 9, case 5), end to end with real services.

`app.py serve` with real Mosquitto and InfluxDB 1.6. While InfluxDB is down, batches go to
the on-disk spool; when the spool cannot take one (its `--spool-max-mb` bound, or its disk
is full), messages stay unacknowledged in the broker. Once InfluxDB answers again, the spool
must be replayed and the backlog taken in without a restart of the ingest, and health must
name the full spool while it lasts. Every published reading has its own timestamp and a
random value (random values compress poorly, so the spool fills), and each one is checked.
"""

from __future__ import annotations

import random
import time
import uuid

import pytest

from tests.e2e_support import Gateway, HazwatchProcess, write_registry
from tests.services import wait_for

pytestmark = pytest.mark.services

PER_MESSAGE = 100


class Publisher:
    """Publish telemetry whose readings have their own timestamps; remember what was sent."""

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.sent: dict[int, float] = {}  # timestamp (ms) -> value
        self.ts0 = int(time.time() * 1000) - 3_600_000
        self.rng = random.Random(95)

    def publish(self, messages: int) -> None:
        for _ in range(messages):
            ts = self.ts0 + len(self.sent)
            readings = [
                {
                    "sensor": "NH3-1" if j % 2 == 0 else "LT-1",
                    "value": round(20 + self.rng.random() * 20, 6),  # no alarm limit crossed
                    "ts": ts + j,
                }
                for j in range(PER_MESSAGE)
            ]
            self.gw.publish("hazmon/e1/s1/telemetry", {"ts": ts, "readings": readings})
            self.sent.update((r["ts"], r["value"]) for r in readings)
        self.gw.wait_all(120)


def stored(influx, db: str) -> dict[int, float]:
    """Return the readings InfluxDB holds, timestamp -> value."""
    series = influx.query(db, 'SELECT "value" FROM "reading"')
    return {t: v for s in series for t, v in s["values"]} if series else {}


def missing(pub: Publisher, influx, db: str) -> list[int]:
    """Return the timestamps of readings sent but not stored with their value."""
    held = stored(influx, db)
    return [t for t, v in pub.sent.items() if held.get(t) != v]


def settle(condition, timeout: float) -> bool:
    """Wait for a condition; say whether it came (the asserts after it give exact counts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def spool_problem(app: HazwatchProcess, seen: list[str]) -> bool:
    """Tell whether health names a full spool; keep the problems seen for the failure text."""
    problems = app.health()["problems"]
    seen[:] = problems
    return any("spool full" in p and "not acknowledged" in p for p in problems)


@pytest.fixture
def parts(tmp_path, mosquitto_factory, influx_factory, influx_db_name):
    broker = mosquitto_factory()
    broker.start()
    influx = influx_factory()
    influx.start()
    gw = Gateway(broker.port, f"gw-{uuid.uuid4().hex[:8]}")

    def make_app(**env: str) -> HazwatchProcess:
        app = HazwatchProcess(
            tmp_path / "app",
            mqtt_url=broker.url,
            influx_url=influx.url,
            influx_db=influx_db_name,
            registry=write_registry(tmp_path),
            extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}", **env},
        )
        apps.append(app)
        return app

    apps: list[HazwatchProcess] = []
    yield influx, make_app, Publisher(gw), influx_db_name
    gw.close()
    for app in apps:
        app.stop()


def test_a_spool_at_its_bound_is_replayed_by_itself_when_influxdb_returns(parts):
    influx, make_app, pub, db = parts
    app = make_app(HAZMON_SPOOL_MAX_MB="1")
    app.start()
    pub.publish(10)
    wait_for(lambda: len(stored(influx, db)) == len(pub.sent), 30, what="first readings")
    influx.stop()
    pub.publish(10)  # the write that finds InfluxDB down retries for 10 s, then spools
    wait_for(lambda: any("spooling" in p for p in app.health()["problems"]), 40, 0.2)
    pub.publish(1500)  # 150,000 readings in batches of 5,000: far more than 1 MB of spool
    seen: list[str] = []
    named = settle(lambda: spool_problem(app, seen), 90)
    influx.start()  # the ingest is not restarted
    settle(lambda: len(stored(influx, db)) >= len(pub.sent), 120)
    lost = missing(pub, influx, db)
    assert not lost, f"{len(lost)} of {len(pub.sent)} readings not stored"
    assert named, f"health never named the full spool: {seen}"
    pub.publish(20)  # and intake goes on
    wait_for(lambda: len(stored(influx, db)) == len(pub.sent), 30, what="readings after it")
    assert settle(lambda: app.health()["status"] == "ok", 30), app.health()["problems"]
    assert app.health()["ingest"]["writer_crashes"] == 0


@pytest.mark.timeout(600)  # three starts of the app, two of InfluxDB
def test_a_full_spool_disk_neither_crashes_the_writer_nor_stops_replay(small_disk, parts, tmp_path):
    # `small_disk` comes before `parts`, so it is unmounted only after the app has stopped.
    influx, make_app, pub, db = parts
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "spool").symlink_to(small_disk.mountpoint)  # the spool's own disk
    small_disk.fill(leave=800 * 1024)
    app = make_app()
    app.start()
    pub.publish(10)
    wait_for(lambda: len(stored(influx, db)) == len(pub.sent), 30, what="first readings")
    influx.stop()
    pub.publish(10)  # the write that finds InfluxDB down retries for 10 s, then spools
    wait_for(lambda: any("spooling" in p for p in app.health()["problems"]), 40, 0.2)
    pub.publish(1000)  # 100,000 readings in batches of 5,000: more than the disk holds
    seen: list[str] = []
    named = settle(lambda: spool_problem(app, seen), 60)
    named_disk = named and any("No space left" in p for p in seen)
    first_seen = list(seen)
    small_disk.fill()  # to the last byte

    # A restart on the full disk, InfluxDB still down: the writer lives, health names it.
    app.stop()
    app.start()
    pub.publish(20)
    named_after_restart = settle(lambda: spool_problem(app, seen), 30)
    crashes = [app.health()["ingest"]["writer_crashes"]]

    # A restart on the full disk with InfluxDB back: replay cannot save its cursor at first.
    app.stop()
    small_disk.fill()
    influx.start()
    app.start()
    settle(lambda: len(stored(influx, db)) >= len(pub.sent), 90)
    crashes.append(app.health()["ingest"]["writer_crashes"])
    lost = missing(pub, influx, db)
    assert not lost, f"{len(lost)} of {len(pub.sent)} readings not stored"
    assert named_disk, f"the full disk was not named: {first_seen}"
    assert named_after_restart, f"the full disk was not named after a restart: {seen}"
    assert crashes == [0, 0], f"writer crashes after each restart: {crashes}"

    small_disk.free()
    pub.publish(20)
    wait_for(lambda: len(stored(influx, db)) == len(pub.sent), 30, what="readings after it")
    assert settle(lambda: app.health()["status"] == "ok", 30), app.health()["problems"]
    assert app.health()["ingest"]["writer_crashes"] == 0
