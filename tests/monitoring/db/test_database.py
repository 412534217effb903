"""The relational store and the intake books, on SQLite (a file) and on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from monitoring.books import intake_log
from monitoring.books.intake_log import (
    GatewayBook,
    PermitBook,
    RejectedMessage,
    RejectLog,
    UnregisteredSensors,
    WorkerBoard,
)
from monitoring.db import database as database_module
from monitoring.db import schema
from monitoring.db.database import (
    SCHEMA_VERSION,
    Database,
    SchemaTooNew,
    normalise_url,
    schema_version_table,
)
from monitoring.records import GatewayStatus, Permit, Rejection

T0 = 1_764_381_600_000  # 2025-11-29T02:00:00Z
BATCH_BOUND_S = 3.0  # generous: measured well under 0.1 s on both backends


def make_reject(
    n: int = 0, code: str = "bad_json", payload: bytes = b"{not json"
) -> RejectedMessage:
    return RejectedMessage.from_raw(
        f"hazmon/ent/site/telemetry{n}", payload, Rejection(code, f"reason {n}"), T0 + n
    )


def make_permit(permit: str = "DH-1", **changes) -> Permit:
    fields = dict(
        enterprise="ent",
        site="main",
        permit=permit,
        type="hot_work",
        zone="Z1",
        start_ms=T0,
        end_ms=T0 + 3_600_000,
        status="approved",
        reported_ms=T0 - 1000,
        level="1",
        supervisor="Wang Qiang",
        workers=4,
    )
    fields.update(changes)
    return Permit(**fields)


# -- engine and schema ----------------------------------------------------------------------


def test_url_normalisation_picks_psycopg_3() -> None:
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql://u@h:5/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(ValueError, match="sqlite:// or postgresql://"):
        Database("mysql://u@h/db")


def test_constructor_does_no_io(tmp_path) -> None:
    path = tmp_path / "never.db"
    database = Database(f"sqlite:///{path}")
    assert database.dialect == "sqlite"
    assert not path.exists()
    with pytest.raises(RuntimeError, match="start"):
        _ = database.engine


def test_schema_creation_is_idempotent(db, db_url) -> None:
    RejectLog(db).record_many([make_reject()])
    db.start()  # again, on the same object
    again = Database(db_url)
    again.start()  # and from another process's object
    try:
        assert RejectLog(again).total() == 1
        assert again.schema_version() == SCHEMA_VERSION
        with again.engine.connect() as conn:
            rows = conn.execute(sa.select(schema_version_table)).all()
        assert len(rows) == 1
        tables = set(sa.inspect(again.engine).get_table_names())
        assert {
            "schema_version",
            "rejected_message",
            "reject_count",
            "permit",
            "gateway_status",
            "unregistered_sensor",
            "ingest_worker",
        } <= tables
    finally:
        again.close()


def test_processes_starting_together_create_the_schema_once(db_url) -> None:
    databases = [Database(db_url) for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(databases))

    def start(database: Database) -> None:
        try:
            barrier.wait(60)
            database.start()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(d,)) for d in databases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        with databases[0].engine.connect() as conn:
            assert conn.execute(sa.select(schema_version_table.c.version)).all() == [
                (SCHEMA_VERSION,)
            ]
    finally:
        for database in databases:
            database.close()


def test_dialect_and_sqlite_pragmas(db) -> None:
    assert db.dialect in ("sqlite", "postgresql")
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_a_newer_schema_is_refused(db, db_url) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            schema_version_table.insert().values(version=SCHEMA_VERSION + 1, applied_ms=T0)
        )
    newer = Database(db_url)
    try:
        with pytest.raises(SchemaTooNew, match="newer"):
            newer.start()
    finally:
        newer.close()


def test_an_older_schema_is_migrated(db, db_url, monkeypatch) -> None:
    ran: list[int] = []
    monkeypatch.setattr(database_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(
        database_module,
        "MIGRATIONS",
        {SCHEMA_VERSION + 1: lambda conn: ran.append(SCHEMA_VERSION + 1)},
    )
    later = Database(db_url)
    later.start()
    later.start()  # the migration runs once
    try:
        assert ran == [SCHEMA_VERSION + 1]
        assert later.schema_version() == SCHEMA_VERSION + 1
    finally:
        later.close()


# -- reject log -------------------------------------------------------------------------------


def test_reject_log_keeps_newest_first_and_counts(db) -> None:
    log = RejectLog(db)
    log.record_many([make_reject(0), make_reject(1, code="bad_topic")])
    log.record_many([make_reject(2)])
    recent = log.recent()
    assert [r["topic"] for r in recent] == [
        "hazmon/ent/site/telemetry2",
        "hazmon/ent/site/telemetry1",
        "hazmon/ent/site/telemetry0",
    ]
    first = recent[-1]
    assert first["received_ms"] == T0
    assert first["received_at"] == "2025-11-29T02:00:00.000Z"
    assert first["payload"] == "{not json"
    assert first["payload_truncated"] is False
    assert first["size"] == len(b"{not json")
    assert (first["code"], first["reason"]) == ("bad_json", "reason 0")
    assert log.counts() == {"bad_json": 2, "bad_topic": 1}
    assert log.total() == 3
    assert [r["topic"] for r in log.recent(limit=1)] == ["hazmon/ent/site/telemetry2"]


def test_reject_log_limit_is_clamped(db) -> None:
    log = RejectLog(db)
    log.record_many([make_reject(n) for n in range(3)])
    assert len(log.recent(limit=0)) == 1
    assert len(log.recent(limit=-5)) == 1
    assert len(log.recent(limit=10**9)) == 3


def test_reject_log_truncates_what_it_keeps(db) -> None:
    payload = b"\xff" + b"x" * 300_000  # not UTF-8, and far above 4 KiB
    topic = "hazmon/" + "t" * 5000 + "\x00"
    rejection = Rejection("too_large", "r" * 5000 + "\x00")
    message = RejectedMessage.from_raw(topic, payload, rejection, T0)
    assert len(message.payload) == 4096
    assert message.size == len(payload)
    log = RejectLog(db)
    log.record_many([message])
    [row] = log.recent()
    assert len(row["topic"]) == 1024
    assert row["topic"].startswith("hazmon/ttt")
    assert len(row["reason"]) == 1000
    assert row["payload"] == "\ufffd" + "x" * 4095
    assert row["payload_truncated"] is True
    assert row["size"] == 300_001


def test_reject_log_stores_text_postgresql_would_refuse(db) -> None:
    # A NUL or a lone surrogate in a topic must not make the batch fail forever.
    message = RejectedMessage.from_raw(
        "hazmon/a\x00b/\udcff", b"\x00", Rejection("bad_id", "x"), T0
    )
    direct = RejectedMessage(T0, "t" * 2000 + "\x00", b"p" * 9000, "c" * 40, "\x00why", 9000)
    log = RejectLog(db)
    log.record_many([message, direct])
    newest, oldest = log.recent()
    assert oldest["topic"] == "hazmon/a\ufffdb/?"
    assert oldest["payload"] == "\x00"
    assert len(newest["topic"]) == 1024
    assert newest["payload_truncated"] is True
    assert newest["reason"] == "\ufffdwhy"
    assert log.counts() == {"bad_id": 1, "c" * 32: 1}


def test_reject_log_prunes_beyond_max_rows_but_keeps_counting(db, monkeypatch) -> None:
    monkeypatch.setattr(intake_log, "PRUNE_EVERY", 10)
    log = RejectLog(db, max_rows=25)
    for batch in range(6):
        log.record_many([make_reject(batch * 10 + n) for n in range(10)])
    recent = log.recent(limit=1000)
    assert len(recent) == 25
    assert recent[0]["received_ms"] == T0 + 59
    assert recent[-1]["received_ms"] == T0 + 35
    assert log.total() == 60
    assert log.counts() == {"bad_json": 60}


def test_reject_log_prunes_only_every_prune_every_inserts(db, monkeypatch) -> None:
    monkeypatch.setattr(intake_log, "PRUNE_EVERY", 100)
    log = RejectLog(db, max_rows=5)
    log.record_many([make_reject(n) for n in range(10)])  # the first batch prunes
    assert len(log.recent(limit=1000)) == 5
    log.record_many([make_reject(n) for n in range(10, 20)])  # 10 < 100 since: no prune
    assert len(log.recent(limit=1000)) == 15
    log.record_many([make_reject(n) for n in range(20, 110)])  # 100 since: prune
    assert [r["received_ms"] for r in log.recent(limit=1000)] == [
        T0 + n for n in range(109, 104, -1)
    ]
    assert log.total() == 110


def test_reject_log_batch_of_1000_is_fast(db) -> None:
    log = RejectLog(db)
    items = [
        make_reject(n, code=("bad_json", "bad_id", "bad_topic")[n % 3], payload=b"x" * 2000)
        for n in range(1000)
    ]
    log.record_many(items[:1])  # warm the pool
    began = time.perf_counter()
    log.record_many(items)
    elapsed = time.perf_counter() - began
    print(f"\n{db.dialect}: record_many(1000) took {elapsed * 1000:.1f} ms")
    assert elapsed < BATCH_BOUND_S
    assert log.total() == 1001
    assert log.counts() == {"bad_id": 333, "bad_json": 335, "bad_topic": 333}


# -- permits --------------------------------------------------------------------------------


def test_permit_reported_again_is_updated(db) -> None:
    book = PermitBook(db, clock=lambda: T0 / 1000)
    book.upsert_many([make_permit()])
    assert book.get("ent", "main", "DH-1") == make_permit()
    cancelled = make_permit(
        status="cancelled", workers=None, supervisor=None, reported_ms=T0 + 60_000
    )
    book.upsert_many([cancelled])
    assert book.get("ent", "main", "DH-1") == cancelled
    assert book.get("ent", "main", "DH-2") is None
    assert len(book.list()) == 1


def test_permit_older_report_does_not_undo_a_newer_one(db) -> None:
    book = PermitBook(db)
    newer = make_permit(status="cancelled", reported_ms=T0 + 60_000)
    book.upsert_many([newer])
    book.upsert_many([make_permit(reported_ms=T0)])  # redelivered late
    assert book.get("ent", "main", "DH-1") == newer
    # In one batch the latest report wins too, in whichever order it came.
    book.upsert_many(
        [
            make_permit(status="closed", reported_ms=T0 + 120_000),
            make_permit(status="approved", reported_ms=T0 + 90_000),
        ]
    )
    assert book.get("ent", "main", "DH-1").status == "closed"


def test_permit_free_text_is_made_storable(db) -> None:
    book = PermitBook(db)
    book.upsert_many([make_permit(supervisor="W\x00" + "q" * 500, level="1" * 300)])
    stored = book.get("ent", "main", "DH-1")
    assert stored.supervisor.startswith("W\ufffdqq")
    assert len(stored.supervisor) == schema.MAX_FREE_TEXT_CHARS
    assert len(stored.level) == schema.MAX_FREE_TEXT_CHARS


def test_permit_list_filters(db) -> None:
    book = PermitBook(db)
    book.upsert_many(
        [
            make_permit("A", zone="Z1", start_ms=T0, end_ms=T0 + 100),
            make_permit("B", zone="Z2", start_ms=T0 + 50, end_ms=T0 + 200, status="closed"),
            make_permit("C", site="north", zone="Z1", start_ms=T0 + 300, end_ms=T0 + 400),
            make_permit("D", enterprise="other", zone="Z1"),
        ]
    )

    def ids(**filters) -> list[str]:
        return [p.permit for p in book.list(**filters)]

    assert ids() == ["A", "B", "C", "D"]
    assert ids(enterprise="ent") == ["A", "B", "C"]
    assert ids(enterprise="ent", site="main") == ["A", "B"]
    assert ids(zone="Z1") == ["A", "C", "D"]
    assert ids(status="closed") == ["B"]
    assert ids(enterprise="ent", active_at_ms=T0 + 60) == ["A", "B"]
    assert ids(enterprise="ent", active_at_ms=T0 + 100) == ["B"]
    assert ids(enterprise="ent", active_at_ms=T0 + 350, zone="Z1") == ["C"]
    assert ids(enterprise="nobody") == []


@pytest.mark.parametrize(
    ("ts_offset", "zone", "covered"),
    [
        (0, "Z1", True),  # start is inclusive
        (3_599_999, "Z1", True),
        (3_600_000, "Z1", False),  # end is exclusive
        (-1, "Z1", False),
        (10, "Z2", False),  # another zone
    ],
)
def test_permit_covering_edges(db, ts_offset, zone, covered) -> None:
    book = PermitBook(db)
    book.upsert_many([make_permit()])
    found = book.covering("ent", "main", zone, T0 + ts_offset)
    assert [p.permit for p in found] == (["DH-1"] if covered else [])
    assert make_permit().covers(zone, T0 + ts_offset) is covered


def test_permit_covering_ignores_cancelled_and_closed(db) -> None:
    book = PermitBook(db)
    book.upsert_many(
        [
            make_permit("A", status="cancelled"),
            make_permit("B", status="closed"),
            make_permit("C"),
            make_permit("D", site="north"),
        ]
    )
    assert [p.permit for p in book.covering("ent", "main", "Z1", T0 + 1)] == ["C"]


def test_permit_batch_of_1000_is_fast(db) -> None:
    book = PermitBook(db)
    permits = [make_permit(f"P-{n:04d}", zone=f"Z{n % 7}") for n in range(1000)]
    book.upsert_many(permits[:1])  # warm the pool
    began = time.perf_counter()
    book.upsert_many(permits)
    elapsed = time.perf_counter() - began
    updated = [make_permit(f"P-{n:04d}", status="closed", reported_ms=T0) for n in range(1000)]
    began = time.perf_counter()
    book.upsert_many(updated)
    elapsed_update = time.perf_counter() - began
    print(
        f"\n{db.dialect}: upsert_many(1000) insert {elapsed * 1000:.1f} ms, "
        f"update {elapsed_update * 1000:.1f} ms"
    )
    assert elapsed < BATCH_BOUND_S
    assert elapsed_update < BATCH_BOUND_S
    assert len(book.list(status="closed")) == 1000


# -- gateways, unregistered sensors, workers ------------------------------------------------


def test_gateway_older_status_is_ignored(db) -> None:
    book = GatewayBook(db)
    book.update_many([GatewayStatus("ent", "main", "online", T0)])
    book.update_many([GatewayStatus("ent", "main", "offline", T0 - 1)])
    assert book.get("ent", "main") == GatewayStatus("ent", "main", "online", T0)
    book.update_many([GatewayStatus("ent", "main", "offline", T0 + 5)])
    assert book.get("ent", "main").state == "offline"
    book.update_many(
        [
            GatewayStatus("ent", "north", "online", T0 + 9),
            GatewayStatus("ent", "north", "offline", T0 + 7),
        ]
    )
    assert book.all() == [
        GatewayStatus("ent", "main", "offline", T0 + 5),
        GatewayStatus("ent", "north", "online", T0 + 9),
    ]
    assert book.get("ent", "south") is None


def test_unregistered_sensors_aggregate(db) -> None:
    book = UnregisteredSensors(db)
    book.seen_many(
        [
            ("ent", "main", "X-1", T0 + 5),
            ("ent", "main", "X-1", T0),
            ("ent", "main", "X-2", T0 + 1),
            ("ent", "main", "X-1", T0 + 3),
        ]
    )
    book.seen_many([("ent", "main", "X-1", T0 - 10), ("ent", "main", "X-2", T0 + 20)])
    assert book.list() == [
        {
            "enterprise": "ent",
            "site": "main",
            "sensor": "X-2",
            "first_seen_ms": T0 + 1,
            "last_seen_ms": T0 + 20,
            "count": 2,
        },
        {
            "enterprise": "ent",
            "site": "main",
            "sensor": "X-1",
            "first_seen_ms": T0 - 10,
            "last_seen_ms": T0 + 5,
            "count": 4,
        },
    ]
    assert [s["sensor"] for s in book.list(limit=1)] == ["X-2"]
    book.forget("ent", "main", "X-2")
    assert [s["sensor"] for s in book.list()] == ["X-1"]


def test_worker_board_upserts_each_worker(db) -> None:
    board = WorkerBoard(db)
    board.heartbeat("ingest-a", T0, T0 + 5000, {"received": 3, "broker_connected": True})
    board.heartbeat("ingest-b", T0 + 1, T0 + 5001, {"received": 0, "broker_connected": False})
    board.heartbeat(
        "ingest-a",
        T0,
        T0 + 10_000,
        {"received": 9, "broker_connected": True, "rejected_by_code": {"bad_json": 2}},
    )
    assert board.all() == [
        {
            "worker_id": "ingest-a",
            "started_ms": T0,
            "heartbeat_ms": T0 + 10_000,
            "state": {"received": 9, "broker_connected": True, "rejected_by_code": {"bad_json": 2}},
        },
        {
            "worker_id": "ingest-b",
            "started_ms": T0 + 1,
            "heartbeat_ms": T0 + 5001,
            "state": {"received": 0, "broker_connected": False},
        },
    ]
    board.remove("ingest-b")
    assert [w["worker_id"] for w in board.all()] == ["ingest-a"]
    with pytest.raises(ValueError, match="worker_id"):
        board.heartbeat("w" * 65, T0, T0, {})


def test_empty_batches_do_nothing(db) -> None:
    RejectLog(db).record_many([])
    PermitBook(db).upsert_many([])
    GatewayBook(db).update_many([])
    UnregisteredSensors(db).seen_many([])
    assert RejectLog(db).total() == 0
    assert PermitBook(db).list() == []
    assert GatewayBook(db).all() == []
    assert UnregisteredSensors(db).list() == []


# -- several processes ------------------------------------------------------------------------


def test_two_database_objects_see_each_others_writes(db, second_db) -> None:
    ingest, web = db, second_db
    RejectLog(ingest).record_many([make_reject()])
    PermitBook(ingest).upsert_many([make_permit()])
    GatewayBook(ingest).update_many([GatewayStatus("ent", "main", "online", T0)])
    UnregisteredSensors(ingest).seen_many([("ent", "main", "X-1", T0)])
    WorkerBoard(ingest).heartbeat("ingest-a", T0, T0, {"received": 1})
    assert RejectLog(web).total() == 1
    assert PermitBook(web).get("ent", "main", "DH-1") == make_permit()
    assert GatewayBook(web).get("ent", "main").state == "online"
    assert UnregisteredSensors(web).list()[0]["sensor"] == "X-1"
    assert WorkerBoard(web).all()[0]["state"] == {"received": 1}
    # And the other way round: the web forgets a sensor once it is registered.
    UnregisteredSensors(web).forget("ent", "main", "X-1")
    assert UnregisteredSensors(ingest).list() == []


def test_concurrent_writers_lose_no_count(db, second_db) -> None:
    errors: list[BaseException] = []

    def write(database: Database, worker: int) -> None:
        try:
            log, unregistered = RejectLog(database), UnregisteredSensors(database)
            for n in range(20):
                # Codes in both orders, so lock order is exercised on PostgreSQL.
                codes = ("bad_json", "bad_id") if worker % 2 else ("bad_id", "bad_json")
                log.record_many([make_reject(n, code=c) for c in codes])
                unregistered.seen_many(
                    [("ent", "main", "X-1", T0 + n), ("ent", "main", "X-0", T0 + n)]
                )
                WorkerBoard(database).heartbeat(f"w{worker}", T0, T0 + n, {"n": n})
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(d, i))
        for i, d in enumerate([db, second_db, db, second_db])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert RejectLog(db).counts() == {"bad_id": 80, "bad_json": 80}
    assert {s["sensor"]: s["count"] for s in UnregisteredSensors(second_db).list()} == {
        "X-0": 80,
        "X-1": 80,
    }
    assert [w["state"] for w in WorkerBoard(db).all()] == [{"n": 19}] * 4
