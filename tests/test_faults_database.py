"""Relational-store faults: a stopped or hung PostgreSQL loses no alarm and blocks no call.

Every test runs its own PostgreSQL cluster (never the machine's), because it stops it,
starts it again and freezes all of its processes with SIGSTOP.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.service import AlarmService
from monitoring.db.database import Database
from monitoring.records import StoredBatch
from tests.e2e_support import Gateway, HazwatchProcess, write_registry
from tests.monitoring.rules.factories import batch, engine_for, make_registry, reading
from tests.pg import PrivatePostgres
from tests.services import wait_for

pytestmark = pytest.mark.services

# A hung database must make a call fail within this (the timeouts plus a margin).
HUNG_CALL_LIMIT_S = 15.0
VIEWER = ("admin", "admin-secret-1")


@pytest.fixture(scope="module")
def pg():
    # Not under pytest's tmp folder: that one is private to root, and the cluster runs as
    # the postgres user.
    workdir = Path(tempfile.mkdtemp(prefix="hazwatch-pg-faults-"))
    server = PrivatePostgres(workdir)
    server.start()
    yield server
    try:
        server.stop()
    except subprocess.CalledProcessError:
        pass
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def pg_up(pg):
    """The private cluster, running again whatever the previous test left it in."""
    if subprocess.run([*pg.run_as, pg.pg_ctl, "-D", str(pg.data), "status"]).returncode != 0:
        pg.start()
    return pg


def call_within(fn, limit_s: float) -> tuple[float, BaseException | None]:
    """Run `fn` in a thread; return (seconds taken, what it raised); fail if still blocked."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcome["error"] = exc

    t0 = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit_s)
    elapsed = time.monotonic() - t0
    assert not thread.is_alive(), f"call still blocked after {elapsed:.1f} s on a hung database"
    error = outcome.get("error")
    assert error is None or isinstance(error, BaseException)
    return elapsed, error


# -- (c) a hung database makes calls fail, not block ---------------------------------------------


@pytest.mark.parametrize("pooled", [True, False], ids=["pooled-connection", "new-connection"])
def test_alarm_book_call_on_a_hung_postgres_fails_within_seconds(pg_up, pooled):
    db = Database(pg_up.new_database())
    db.start()
    book = AlarmBook(db)
    if not pooled:
        db.engine.dispose()  # the next call has to connect to the frozen postmaster
    else:
        assert book.list() == []  # leaves a live connection in the pool
    pids = pg_up.freeze()
    try:
        elapsed, error = call_within(book.list, HUNG_CALL_LIMIT_S)
    finally:
        pg_up.thaw(pids)
    assert isinstance(error, sa.exc.DBAPIError | sa.exc.TimeoutError), repr(error)
    assert elapsed < HUNG_CALL_LIMIT_S
    # Once the database answers again, so does the book (the hung connection was dropped).
    assert book.list() == []
    db.close()


# -- alarms kept while the book cannot be written ------------------------------------------------


class NoPermits:
    def list(self, *, ending_after_ms: int | None = None) -> list:
        return []


def _nh3(value: float, ts_ms: int) -> StoredBatch:
    return batch([reading("NH3-S-01", value, ts_ms)])


def _service(url: str) -> tuple[Database, AlarmBook, AlarmService]:
    db = Database(url)
    db.start()
    book = AlarmBook(db)
    return db, book, AlarmService(engine_for(make_registry(), "limit"), book, NoPermits())


def test_alarm_raised_while_the_book_is_down_is_written_when_it_returns(pg_up):
    db, book, service = _service(pg_up.new_database())
    reading_ms = int(time.time() * 1000) - 5_000
    pg_up.stop()
    try:
        _as_the_intake_does(service.on_batch, _nh3(50.0, reading_ms))
        _as_the_intake_does(service.on_batch, _nh3(51.0, reading_ms + 1000))
    finally:
        pg_up.start()
    wait_for(lambda: _try_tick(service) and book.list(), 20, what="the alarm in the book")
    (alarm,) = book.list()
    assert alarm.source == "sensor:NH3-S-01" and alarm.state == "active_unack"
    assert alarm.raised_ms == reading_ms
    db.close()


def test_alarm_that_ended_while_the_book_was_down_is_kept_cleared_unacknowledged(pg_up):
    db, book, service = _service(pg_up.new_database())
    reading_ms = int(time.time() * 1000) - 5_000
    pg_up.stop()
    try:
        _as_the_intake_does(service.on_batch, _nh3(50.0, reading_ms))
        _as_the_intake_does(service.on_batch, _nh3(3.0, reading_ms + 2000))
    finally:
        pg_up.start()
    wait_for(lambda: _try_tick(service) and book.list(), 20, what="the alarm in the book")
    (alarm,) = book.list()
    assert alarm.state == "cleared_unack"
    assert (alarm.raised_ms, alarm.cleared_ms) == (reading_ms, reading_ms + 2000)
    db.close()


def _as_the_intake_does(listener, stored: StoredBatch) -> None:
    try:
        listener(stored)
    except Exception:  # the intake logs a failing listener and goes on
        pass


def _try_tick(service: AlarmService) -> bool:
    try:
        service.tick()
    except Exception:  # the unfixed service lets a failed write escape
        pass
    return True


# -- end to end: gateway -> Mosquitto -> `app.py serve --db-url postgresql://...` ---------------


def _start_app(tmp_path, mosquitto, influxdb, influx_db_name, db_url) -> HazwatchProcess:
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=influxdb.url,
        influx_db=influx_db_name,
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.args[app.args.index("--db-url") + 1] = db_url
    app.start()
    return app


def _nh3_alarms(app: HazwatchProcess) -> list[dict]:
    try:
        r = app.get("/alarms", auth=VIEWER, state="all")
    except Exception:
        return []
    if r.status_code != 200:
        return []
    return [a for a in r.json()["alarms"] if a["source"] == "sensor:NH3-1"]


def _processed(app: HazwatchProcess, stored: int) -> bool:
    """Tell whether the ingest stored `stored` points and ran the rules on all of them."""
    try:
        ingest = app.health()["ingest"]
    except Exception:
        return False
    return ingest["stored"] >= stored and ingest["pending"] == 0


@pytest.fixture
def e2e(tmp_path, mosquitto, influxdb, influx_db_name, pg_up):
    app = _start_app(tmp_path, mosquitto, influxdb, influx_db_name, pg_up.new_database())
    gw = Gateway(mosquitto.port, f"gw-{uuid.uuid4().hex[:8]}")
    yield app, gw, pg_up
    gw.close()
    app.stop()


def _publish(gw: Gateway, value: float, ts_ms: int) -> None:
    gw.publish("hazmon/e1/s1/telemetry", {"ts": ts_ms, "sensor": "NH3-1", "value": value})


def test_e2e_alarm_of_a_reading_during_a_postgres_outage_is_raised_with_its_time(e2e):
    app, gw, pg = e2e
    stored0 = app.health()["ingest"]["stored"]
    pg.stop()
    try:
        first_ms = int(time.time() * 1000)
        # NH3 50 ppm (high 42), one reading a second, each with its own time.
        sent = [first_ms + i * 1000 for i in range(3)]
        for ts in sent:
            _publish(gw, 50.0, ts)
        gw.wait_all()
        wait_for(lambda: _processed(app, stored0 + len(sent)), 20, what="readings through rules")
    finally:
        pg.start()
    # The reading stays high after the database returns.
    later = [first_ms + 3000 + i * 1000 for i in range(3)]
    for ts in later:
        _publish(gw, 50.0, ts)
    gw.wait_all()
    wait_for(lambda: _nh3_alarms(app), 30, what="the NH3 alarm after the database returned")
    (alarm,) = _nh3_alarms(app)
    assert alarm["state"] == "active_unack" and alarm["severity"] != ""
    assert alarm["raised_at"] == _iso(first_ms)


def test_e2e_alarm_that_ended_during_a_postgres_outage_is_cleared_unacknowledged(e2e):
    app, gw, pg = e2e
    stored0 = app.health()["ingest"]["stored"]
    pg.stop()
    try:
        first_ms = int(time.time() * 1000)
        sent = [(50.0, first_ms), (50.0, first_ms + 1000), (5.0, first_ms + 2000)]
        for value, ts in sent:
            _publish(gw, value, ts)
        gw.wait_all()
        wait_for(lambda: _processed(app, stored0 + len(sent)), 20, what="readings through rules")
    finally:
        pg.start()
    wait_for(lambda: _nh3_alarms(app), 30, what="the NH3 alarm after the database returned")
    (alarm,) = _nh3_alarms(app)
    assert alarm["state"] == "cleared_unack"
    assert alarm["raised_at"] == _iso(first_ms)
    assert alarm["cleared_at"] == _iso(first_ms + 2000)


def _iso(ms: int) -> str:
    from monitoring.clock import iso_utc

    return iso_utc(ms)


# -- readings keep flowing while PostgreSQL hangs; its records are journaled ------------------


def _count_readings(influx, db: str) -> int:
    series = influx.query(db, """SELECT count("value") FROM "reading" WHERE "sensor" = 'LT-1'""")
    return series[0]["values"][0][1] if series else 0


def _reading_values(influx, db: str) -> list[int]:
    series = influx.query(db, """SELECT "value" FROM "reading" WHERE "sensor" = 'LT-1'""")
    return sorted(int(v) for s in series for _, v in s["values"]) if series else []


def _relational_messages(gw: Gateway, now_ms: int) -> None:
    """Publish one message of each kind that needs a relational write."""
    gw.publish("hazmon/e1/s1/telemetry", b'{"ts": "yesterday", "sensor": "NH3-1"}')  # reject
    gw.publish("hazmon/e1/s1/status", b"offline")
    gw.publish(
        "hazmon/e1/s1/permit",
        {
            "permit": "HUNG-1",
            "type": "hot_work",
            "zone": "Z1",
            "status": "approved",
            "start": _iso(now_ms - 3_600_000),
            "end": _iso(now_ms + 3_600_000),
        },
    )
    gw.publish("hazmon/e1/s1/telemetry", {"ts": now_ms, "sensor": "NEW-9", "value": 1.0})


def _relational_state(url: str) -> dict[str, object]:
    from monitoring.books.gateways import GatewayBook
    from monitoring.books.permits import PermitBook
    from monitoring.books.rejects import RejectLog
    from monitoring.books.unregistered import UnregisteredSensors

    db = Database(url)
    db.start()
    try:
        return {
            "rejects": [r["code"] for r in RejectLog(db).recent()],
            "statuses": [(g.site, g.state) for g in GatewayBook(db).all()],
            "permits": [p.permit for p in PermitBook(db).list()],
            "unregistered": [u["sensor"] for u in UnregisteredSensors(db).list()],
        }
    finally:
        db.close()


def test_e2e_readings_keep_flowing_while_postgres_hangs_and_its_records_arrive_after(
    tmp_path, mosquitto, influxdb, influx_db_name, pg_up
):
    """Issue 9 case 4: before, the first relational write stalled every InfluxDB write."""
    db_url = pg_up.new_database()
    app = _start_app(tmp_path, mosquitto, influxdb, influx_db_name, db_url)
    gw = Gateway(mosquitto.port, f"gw-{uuid.uuid4().hex[:8]}")
    messages, per_message = 300, 10
    expected = list(range(messages * per_message))
    pids = pg_up.freeze()
    try:
        now_ms = int(time.time() * 1000)
        t0 = time.monotonic()

        def publish(first: int, last: int) -> None:
            for m in range(first, last):
                readings = [
                    {"sensor": "LT-1", "ts": now_ms - 60_000 + m * per_message + j, "value": v}
                    for j, v in enumerate(expected[m * per_message : (m + 1) * per_message])
                ]
                gw.publish("hazmon/e1/s1/telemetry", {"ts": now_ms, "readings": readings})
            gw.wait_all(timeout=60)

        # The first batch holds messages that need the frozen database; once its readings
        # are stored, the writer is at its relational write. Before the fix it stayed
        # there: the readings published after it were never stored.
        _relational_messages(gw, now_ms)
        publish(0, 100)
        wait_for(
            lambda: _count_readings(influxdb, influx_db_name) >= 100 * per_message,
            30,
            what="the first readings stored",
        )
        publish(100, messages)
        try:
            wait_for(
                lambda: _count_readings(influxdb, influx_db_name) >= len(expected),
                60,
                what="every reading stored while PostgreSQL is frozen",
            )
        except AssertionError:
            stored = _count_readings(influxdb, influx_db_name)
            raise AssertionError(f"stored {stored} of {len(expected)} readings") from None
        took = time.monotonic() - t0
        assert _reading_values(influxdb, influx_db_name) == expected
        health = requests.get(f"{app.base}/health", timeout=30).json()
        assert health["status"] != "ok"
        assert any("database unreachable" in p for p in health["problems"]), health["problems"]
    finally:
        pg_up.thaw(pids)
    # One stalled call at most (the answer timeout), not the whole outage.
    assert took < 45, f"readings took {took:.0f} s to be stored"

    def arrived() -> bool:
        state = _relational_state(db_url)
        return bool(
            "bad_timestamp" in str(state["rejects"])
            and ("s1", "offline") in state["statuses"]  # type: ignore[operator]
            and "HUNG-1" in state["permits"]  # type: ignore[operator]
            and "NEW-9" in state["unregistered"]  # type: ignore[operator]
        )

    try:
        wait_for(arrived, 60, what="the journaled records in PostgreSQL after the thaw")
        wait_for(
            lambda: app.health()["status"] == "ok" or _only_alarm_problems(app.health()),
            60,
            what="health without database problems",
        )
    finally:
        gw.close()
        app.stop()


def _only_alarm_problems(health: dict) -> bool:
    """Tell whether health names no database or journal problem (alarms may be open)."""
    return not any("database" in p or "journal" in p for p in health["problems"])


def test_e2e_a_verdict_and_records_survive_an_ingest_restart_during_a_postgres_outage(
    tmp_path, mosquitto, influxdb, influx_db_name, pg_up
):
    """Before, the verdict and the records waited in memory only: a restart lost them."""
    db_url = pg_up.new_database()
    app = _start_app(tmp_path, mosquitto, influxdb, influx_db_name, db_url)
    client_id = app.env["HAZMON_MQTT_CLIENT_ID"]
    gw = Gateway(mosquitto.port, f"gw-{uuid.uuid4().hex[:8]}")
    stored0 = app.health()["ingest"]["stored"]
    pg_up.stop()
    try:
        first_ms = int(time.time() * 1000)
        # NH3 above its limit, then back to normal: the alarm began and ended in the outage.
        for value, ts in ((50.0, first_ms), (50.0, first_ms + 1000), (5.0, first_ms + 2000)):
            _publish(gw, value, ts)
        _relational_messages(gw, first_ms)
        gw.wait_all()
        wait_for(lambda: _processed(app, stored0 + 3), 30, what="readings through the rules")
        assert app.health()["ingest"]["pending"] == 0
        app.stop()  # graceful: everything acknowledged; the book never saw the verdicts
    finally:
        pg_up.start()
    again = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=influxdb.url,
        influx_db=influx_db_name,
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": client_id},
    )
    again.args[again.args.index("--db-url") + 1] = db_url
    again.start()
    try:
        wait_for(lambda: _nh3_alarms(again), 30, what="the NH3 alarm kept across the restart")
        (alarm,) = _nh3_alarms(again)
        assert alarm["state"] == "cleared_unack"
        assert alarm["raised_at"] == _iso(first_ms)
        assert alarm["cleared_at"] == _iso(first_ms + 2000)
        wait_for(
            lambda: "HUNG-1" in _relational_state(db_url)["permits"],  # type: ignore[operator]
            30,
            what="the journaled permit in PostgreSQL",
        )
        state = _relational_state(db_url)
        assert ("s1", "offline") in state["statuses"]  # type: ignore[operator]
        assert "NEW-9" in state["unregistered"]  # type: ignore[operator]
        assert "bad_timestamp" in str(state["rejects"])
    finally:
        gw.close()
        again.stop()
