"""Bulk acknowledge and shelve in the alarm book: each alarm's transition, each outcome."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.bulk import (
    ACK_STATES,
    BULK_MAX,
    SHELVE_STATES,
    AlarmFilter,
    check_ids,
    summary,
)
from monitoring.db.schema import alarm_transition_table
from monitoring.signals import AlarmSignal

T0 = 1_764_381_600_000
MIN = 60_000


def lost(i: int, ts_ms: int = T0, site: str = "main") -> AlarmSignal:
    return AlarmSignal(
        "raise",
        enterprise="ty-fert",
        site=site,
        source=f"sensor:LC-{i:03d}",
        rule="lost_comm",
        ts_ms=ts_ms,
        message=f"LC-{i:03d} silent",
    )


@pytest.fixture
def book(db) -> AlarmBook:
    return AlarmBook(db)


def burst(book: AlarmBook, n: int, site: str = "main") -> list[int]:
    changes = book.apply([lost(i, T0, site) for i in range(n)], T0)
    return [c.alarm.id for c in changes]


def transitions(book: AlarmBook, event: str) -> list[dict]:
    t = alarm_transition_table
    with book.db.engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.event == event).order_by(t.c.alarm_id))
        return [dict(r) for r in rows.mappings()]


def test_acknowledging_300_records_each_transition_and_reports_each_alarm(book) -> None:
    ids = burst(book, 300)
    book.acknowledge(ids[0], "insp", "handled alone", now_ms=T0 + MIN)  # already acknowledged
    outcomes = book.acknowledge_many(
        ids + [999_999], "insp", "gateway power restored", "instrument_fault", now_ms=T0 + 2 * MIN
    )
    assert [o.id for o in outcomes] == ids + [999_999]  # in the order asked
    assert summary(outcomes) == {"done": 299, "not_found": 1, "refused": 1}
    assert outcomes[0].outcome == "refused" and "already acknowledged" in outcomes[0].error
    assert outcomes[-1].as_json() == {"id": 999_999, "outcome": "not_found", "state": None}
    assert {o.state for o in outcomes[1:-1]} == {"active_ack"}
    rows = transitions(book, "acknowledged")
    assert len(rows) == 300  # one each, the single one included
    bulk_rows = [r for r in rows if r["comment"] == "gateway power restored"]
    assert sorted(r["alarm_id"] for r in bulk_rows) == sorted(ids[1:])
    assert {(r["actor"], r["from_state"], r["to_state"], r["ts_ms"]) for r in bulk_rows} == {
        ("insp", "active_unack", "active_ack", T0 + 2 * MIN)
    }
    assert {book.get(i).disposition for i in ids[1:]} == {"instrument_fault"}


def test_shelving_many_records_each_transition(book) -> None:
    ids = burst(book, 20)
    outcomes = book.shelve_many(ids, "insp", 60, "site maintenance", T0)
    assert summary(outcomes)["done"] == 20
    rows = transitions(book, "shelved")
    assert sorted(r["alarm_id"] for r in rows) == sorted(ids)
    assert {r["comment"] for r in rows} == {"site maintenance"}
    assert {book.get(i).shelved_until_ms for i in ids} == {T0 + 60 * MIN}


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda b, ids: b.acknowledge_many(ids, "insp", "  ", now_ms=T0), "comment"),
        (lambda b, ids: b.acknowledge_many(ids, "insp", "c", "maybe", now_ms=T0), "disposition"),
        (lambda b, ids: b.shelve_many(ids, "insp", 0, "r", T0), "minutes"),
        (lambda b, ids: b.shelve_many(ids, "insp", 30, "", T0), "reason"),
        (lambda b, ids: b.acknowledge_many([], "insp", "", now_ms=T0), "comment"),
        (lambda b, ids: b.acknowledge_many(["1"], "insp", "c", now_ms=T0), "whole number"),
        (
            lambda b, ids: b.acknowledge_many(range(1, BULK_MAX + 2), "insp", "c", now_ms=T0),
            "at most 1000",
        ),
    ],
)
def test_bad_requests_change_nothing(book, call, problem) -> None:
    ids = burst(book, 3)
    with pytest.raises(ValueError, match=problem):
        call(book, ids)
    assert {book.get(i).state for i in ids} == {"active_unack"}
    assert transitions(book, "acknowledged") == transitions(book, "shelved") == []


def test_matching_ids_counts_all_and_returns_at_most_the_limit(book) -> None:
    main = burst(book, 12)
    burst(book, 5, site="north")
    book.acknowledge(main[0], "insp", "done", now_ms=T0)
    where = AlarmFilter(rule="lost_comm", site="main")
    ids, total = book.matching_ids(where, ACK_STATES, limit=10)
    assert total == 11 and ids == sorted(main[1:])[:10]
    assert book.matching_ids(where, SHELVE_STATES)[1] == 12
    assert book.matching_ids(AlarmFilter(state="active_ack"), ACK_STATES) == ([], 0)
    assert book.matching_ids(AlarmFilter(rule="limit"), ACK_STATES) == ([], 0)


def test_filters_and_ids_from_requests_are_checked() -> None:
    assert AlarmFilter.from_json({"rule": "lost_comm"}) == AlarmFilter(rule="lost_comm")
    for doc, problem in (
        ([], "object"),
        ({"colour": "red"}, "colour"),
        ({"severity": "purple"}, "severity"),
        ({"state": "closed"}, "state"),
        ({"site": 3}, "text"),
    ):
        with pytest.raises(ValueError, match=problem):
            AlarmFilter.from_json(doc)
    assert check_ids([3, 1, 3]) == [3, 1]
    assert check_ids([], allow_empty=True) == []
    for ids in ("12", [True], [0], None, []):
        with pytest.raises(ValueError):
            check_ids(ids)
