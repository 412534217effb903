"""The intake books together: empty batches, several processes, concurrent writers."""

from __future__ import annotations

import threading

from monitoring.books.gateways import GatewayBook
from monitoring.books.intake import STORE_REJECTED_TOPIC, IntakeBooks
from monitoring.books.permits import PermitBook
from monitoring.books.rejects import RejectLog
from monitoring.books.unregistered import UnregisteredSensors
from monitoring.books.workers import WorkerBoard
from monitoring.db.database import Database
from monitoring.records import GatewayStatus
from tests.monitoring.books.factories import T0, make_permit, make_reject


def test_empty_batches_do_nothing(db) -> None:
    RejectLog(db).record_many([])
    PermitBook(db).upsert_many([])
    GatewayBook(db).update_many([])
    UnregisteredSensors(db).seen_many([])
    assert RejectLog(db).total() == 0
    assert PermitBook(db).list() == []
    assert GatewayBook(db).all() == []
    assert UnregisteredSensors(db).list() == []


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


def test_intake_books_keep_one_batch_in_each_book(db) -> None:
    books = IntakeBooks.open(db)
    books.record(
        [make_reject()],
        [make_permit()],
        [GatewayStatus("ent", "main", "online", T0)],
        [("ent", "main", "X-1", T0)],
    )
    books.record([], [], [], [])  # an empty batch writes nothing
    assert books.rejects.counts() == {"bad_json": 1}
    assert books.permits.get("ent", "main", "DH-1") == make_permit()
    assert books.gateways.get("ent", "main") == GatewayStatus("ent", "main", "online", T0)
    assert [s["count"] for s in books.unregistered.list()] == [1]


def test_intake_books_note_a_refused_store_batch_and_publish_heartbeats(db) -> None:
    books = IntakeBooks.open(db)
    books.store_rejected("field type conflict", 12)
    [row] = books.rejects.recent()
    assert (row["topic"], row["code"]) == (STORE_REJECTED_TOPIC, "store_rejected")
    assert row["reason"] == "the store refused 12 points: field type conflict"
    books.heartbeat("ingest-a", T0, T0 + 5000, {"received": 3})
    assert WorkerBoard(db).all()[0]["state"] == {"received": 3}
