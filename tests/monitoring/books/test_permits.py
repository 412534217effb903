"""The permit book: the latest report of every permit (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from monitoring.books.permits import PermitBook, PermitRecordings
from monitoring.db import schema
from tests.monitoring.books.factories import BATCH_BOUND_S, T0, make_permit


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


def test_permit_recordings_keep_the_latest_recording_of_each_permit(db) -> None:
    recordings = PermitRecordings(db)
    recordings.add(make_permit(), "li.ming", "phoned at 22:10", T0)
    recordings.add(make_permit(reported_ms=T0 + 5), "wang.fang", "x" * 2000 + "\x00", T0 + 10)
    recordings.add(make_permit("DH-3", enterprise="other"), "li.ming", "", T0)
    latest = recordings.latest([("ent", "main", "DH-1"), ("ent", "main", "DH-2")])
    assert list(latest) == [("ent", "main", "DH-1")]  # DH-2 was never recorded by phone
    recording = latest["ent", "main", "DH-1"]
    assert (recording.username, recording.recorded_ms, recording.reported_ms) == (
        "wang.fang",
        T0 + 10,
        T0 + 5,
    )
    assert len(recording.note) == 1000  # cut to MAX_NOTE_CHARS
    assert recordings.latest([]) == {}


@pytest.mark.parametrize("username", ["", "u" * 65, None])
def test_permit_recordings_refuse_a_bad_username(db, username) -> None:
    with pytest.raises(ValueError, match="username"):
        PermitRecordings(db).add(make_permit(), username, "", T0)
