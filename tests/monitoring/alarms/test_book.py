"""The alarm book's ISA-18.2 lifecycle, on SQLite (a file) and on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from monitoring.alarms import book as book_module
from monitoring.alarms.book import AlarmBook
from monitoring.alarms.calls import CallLog
from monitoring.alarms.model import AlarmError, AlarmNotFound
from monitoring.db.database import Database
from monitoring.db.schema import alarm_table, alarm_transition_table
from monitoring.signals import DISPOSITIONS, SEVERITIES, AlarmSignal

T0 = 1_764_381_600_000  # 2025-11-29T02:00:00Z
S = 1000  # one second in ms
MIN = 60 * S
BATCH_BOUND_S = 5.0  # generous: see test_batch_of_500_signals_is_fast for measured times
CONTRACT_FIELDS = [
    "id", "enterprise", "site", "zone", "source", "rule", "severity", "state", "count",
    "raised_at", "cleared_at", "value", "message",
]  # fmt: skip


@pytest.fixture
def book(db) -> AlarmBook:
    return AlarmBook(db)


def up(
    ts_ms: int = T0, severity: str = "yellow", source: str = "sensor:NH3-S-01", **changes
) -> AlarmSignal:
    """A raise signal for one source (the limit rule unless told otherwise)."""
    fields = dict(
        enterprise="ty-fert",
        site="main",
        source=source,
        rule="limit",
        ts_ms=ts_ms,
        severity=severity,
        zone="NH3-TANK-S",
        value=50.0,
        message=f"NH3-S-01 at 50 ppm ({severity})",
        message_key="limit.high",
        params={"sensor": "NH3-S-01", "value": 50.0},
    )
    return AlarmSignal("raise", **(fields | changes))


def down(ts_ms: int = T0, source: str = "sensor:NH3-S-01", **changes) -> AlarmSignal:
    """A clear signal for one source."""
    fields = dict(
        enterprise="ty-fert",
        site="main",
        source=source,
        rule="limit",
        ts_ms=ts_ms,
        message="NH3-S-01 back to 10 ppm",
    )
    return AlarmSignal("clear", **(fields | changes))


def raised(book: AlarmBook, ts_ms: int = T0, **changes):
    """Raise one alarm and return it."""
    (change,) = book.apply([up(ts_ms, **changes)], ts_ms)
    return change.alarm


def row_count(db: Database, table: sa.Table = alarm_table) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(table))


def events(book: AlarmBook, alarm_id: int) -> list[tuple]:
    return [
        (t["event"], t["from_state"], t["to_state"]) for t in book.detail(alarm_id)["transitions"]
    ]


# -- the lifecycle paths of contract section 5 ---------------------------------------------


def test_raise_opens_an_unacknowledged_alarm(book) -> None:
    changes = book.apply([up(T0, "orange", value=61.5)], T0 + 5)
    assert [(c.event, c.from_state, c.to_state) for c in changes] == [
        ("raised", None, "active_unack")
    ]
    alarm = changes[0].alarm
    assert (alarm.state, alarm.count, alarm.severity, alarm.value) == (
        "active_unack",
        1,
        "orange",
        61.5,
    )
    assert (alarm.raised_ms, alarm.cleared_ms, alarm.zone) == (T0, None, "NH3-TANK-S")
    assert book.get(alarm.id) == alarm


def test_acknowledge_then_clear_closes(book) -> None:
    alarm = raised(book)
    acked = book.acknowledge(alarm.id, "inspector1", "called the duty officer", now_ms=T0 + MIN)
    assert (acked.state, acked.acked_by, acked.acked_ms) == ("active_ack", "inspector1", T0 + MIN)
    (change,) = book.apply([down(T0 + 2 * MIN)], T0 + 2 * MIN)
    assert (change.event, change.from_state, change.to_state) == ("cleared", "active_ack", "closed")
    closed = book.get(alarm.id)
    assert (closed.state, closed.cleared_ms, closed.closed_ms) == (
        "closed",
        T0 + 2 * MIN,
        T0 + 2 * MIN,
    )
    assert events(book, alarm.id) == [
        ("raised", None, "active_unack"),
        ("acknowledged", "active_unack", "active_ack"),
        ("cleared", "active_ack", "closed"),
    ]
    # The key is free again: the next raise is a new alarm.
    assert raised(book, T0 + 3 * MIN).id != alarm.id


def test_clear_then_acknowledge_closes(book) -> None:
    alarm = raised(book)
    book.apply([down(T0 + MIN)], T0 + MIN)
    assert book.get(alarm.id).state == "cleared_unack"
    closed = book.acknowledge(
        alarm.id, "inspector1", "spike during calibration", "instrument_fault", now_ms=T0 + 2 * MIN
    )
    assert (closed.state, closed.disposition, closed.closed_ms) == (
        "closed",
        "instrument_fault",
        T0 + 2 * MIN,
    )
    assert events(book, alarm.id) == [
        ("raised", None, "active_unack"),
        ("cleared", "active_unack", "cleared_unack"),
        ("acknowledged", "cleared_unack", "closed"),
    ]
    assert book.list() == []


def test_repeat_raises_the_count_not_a_new_row(db, book) -> None:
    alarm = raised(book)
    book.apply([down(T0 + MIN)], T0 + MIN)
    (change,) = book.apply([up(T0 + 2 * MIN)], T0 + 2 * MIN)
    assert (change.event, change.from_state, change.to_state) == (
        "reactivated",
        "cleared_unack",
        "active_unack",
    )
    again = book.get(alarm.id)
    assert (again.count, again.state, again.cleared_ms) == (2, "active_unack", None)
    assert (again.raised_ms, again.last_raised_ms) == (T0, T0 + 2 * MIN)
    assert row_count(db) == 1


def test_raise_on_an_active_alarm_updates_it_without_a_transition(book) -> None:
    alarm = raised(book)
    changes = book.apply([up(T0 + S, value=55.0, message="NH3-S-01 at 55 ppm")], T0 + S)
    assert changes == []
    now = book.get(alarm.id)
    assert (now.value, now.message, now.count) == (55.0, "NH3-S-01 at 55 ppm", 1)
    assert len(events(book, alarm.id)) == 1


def test_escalation_raises_the_severity_of_the_same_alarm(db, book) -> None:
    alarm = raised(book, severity="yellow")
    (change,) = book.apply([up(T0 + S, "red", value=90.0)], T0 + S)
    assert (change.event, change.alarm.id, change.severity) == ("escalated", alarm.id, "red")
    assert "yellow -> red" in change.reason
    # A milder raise afterwards never lowers it.
    assert book.apply([up(T0 + 2 * S, "blue")], T0 + 2 * S) == []
    assert book.get(alarm.id).severity == "red"
    assert row_count(db) == 1
    detail = book.detail(alarm.id)
    assert [t["severity"] for t in detail["transitions"]] == ["yellow", "red"]


def test_escalation_of_an_acknowledged_alarm_needs_a_new_acknowledgement(book) -> None:
    alarm = raised(book, severity="orange")
    book.acknowledge(alarm.id, "inspector1", "watching it", now_ms=T0 + S)
    (change,) = book.apply([up(T0 + 2 * S, "red")], T0 + 2 * S)
    assert (change.from_state, change.to_state) == ("active_ack", "active_unack")
    assert book.get(alarm.id).state == "active_unack"


def test_several_steps_of_one_source_in_one_batch(db, book) -> None:
    alarm = raised(book)
    book.acknowledge(alarm.id, "inspector1", "seen", now_ms=T0 + S)
    changes = book.apply(
        [down(T0 + 2 * S), up(T0 + 3 * S, "red"), down(T0 + 4 * S), up(T0 + 5 * S)],
        T0 + 6 * S,
    )
    assert [(c.event, c.to_state) for c in changes] == [
        ("cleared", "closed"),
        ("raised", "active_unack"),
        ("cleared", "cleared_unack"),
        ("reactivated", "active_unack"),
    ]
    assert book.get(alarm.id).state == "closed"
    (successor,) = book.list()
    assert (successor.id != alarm.id, successor.count, successor.severity) == (True, 2, "red")
    assert row_count(db) == 2


def test_clear_without_an_open_alarm_changes_nothing(db, book) -> None:
    assert book.apply([down(T0)], T0) == []
    alarm = raised(book)
    book.apply([down(T0 + S)], T0 + S)
    assert book.apply([down(T0 + 2 * S)], T0 + 2 * S) == []  # already cleared
    assert row_count(db) == 1
    assert len(events(book, alarm.id)) == 2


# -- chattering ----------------------------------------------------------------------------


@pytest.mark.parametrize(("spacing_ms", "chattering"), [(20 * S, True), (150 * S, False)])
def test_chattering_is_three_activations_within_a_minute(book, spacing_ms, chattering) -> None:
    alarm = raised(book, T0)
    for n in (1, 2):
        t = T0 + n * spacing_ms
        book.apply([down(t - S), up(t)], t)
    now = book.get(alarm.id)
    assert now.count == 3
    assert now.chattering is chattering
    last = book.detail(alarm.id)["transitions"][-1]
    assert ("chattering" in last["reason"]) is chattering


def test_chattering_needs_the_third_activation(book) -> None:
    alarm = raised(book, T0)
    book.apply([down(T0 + S), up(T0 + 2 * S)], T0 + 2 * S)
    assert book.get(alarm.id).chattering is False


# -- shelving ------------------------------------------------------------------------------


def test_repeat_while_shelved_stays_shelved(book) -> None:
    alarm = raised(book)
    shelved = book.shelve(alarm.id, "inspector1", 30, "sensor being replaced", T0 + S)
    assert (shelved.state, shelved.shelved_until_ms) == ("shelved", T0 + S + 30 * MIN)
    (cleared,) = book.apply([down(T0 + 2 * S)], T0 + 2 * S)
    assert (cleared.from_state, cleared.to_state) == ("shelved", "shelved")
    assert book.get(alarm.id).cleared_ms == T0 + 2 * S  # remembered as cleared
    (again,) = book.apply([up(T0 + 3 * S)], T0 + 3 * S)
    assert (again.event, again.to_state) == ("reactivated", "shelved")
    now = book.get(alarm.id)
    assert (now.state, now.count, now.cleared_ms) == ("shelved", 2, None)
    # A raise while it is still active changes nothing but the value.
    assert book.apply([up(T0 + 4 * S, value=47.0)], T0 + 4 * S) == []
    assert book.get(alarm.id).value == 47.0


def test_shelving_expires_to_unacknowledged_if_still_active(book) -> None:
    alarm = raised(book)
    book.acknowledge(alarm.id, "inspector1", "seen", now_ms=T0 + S)
    book.shelve(alarm.id, "inspector1", 10, "maintenance", T0 + 2 * S)
    assert book.expire_shelving(T0 + 2 * S + 10 * MIN - 1) == []
    (change,) = book.expire_shelving(T0 + 2 * S + 10 * MIN)
    assert (change.event, change.from_state, change.to_state) == (
        "shelving_expired",
        "shelved",
        "active_unack",
    )
    now = book.get(alarm.id)
    assert (now.state, now.shelved_until_ms) == ("active_unack", None)
    assert book.expire_shelving(T0 + 60 * MIN) == []


def test_shelving_expires_to_closed_if_cleared_meanwhile(book) -> None:
    alarm = raised(book)
    book.shelve(alarm.id, "inspector1", 10, "maintenance", T0 + S)
    book.apply([down(T0 + 2 * S)], T0 + 2 * S)
    (change,) = book.expire_shelving(T0 + 11 * MIN)
    assert change.to_state == "closed"
    assert book.get(alarm.id).closed_ms == T0 + 11 * MIN
    assert raised(book, T0 + 12 * MIN).id != alarm.id


def test_unshelve_by_hand(book) -> None:
    alarm = raised(book)
    book.shelve(alarm.id, "inspector1", 60, "maintenance", T0 + S)
    back = book.unshelve(alarm.id, "inspector2", T0 + MIN, comment="maintenance done")
    assert back.state == "active_unack"
    last = book.detail(alarm.id)["transitions"][-1]
    assert (last["event"], last["actor"], last["comment"]) == (
        "unshelved",
        "inspector2",
        "maintenance done",
    )
    with pytest.raises(AlarmError, match="unshelve"):
        book.unshelve(alarm.id, "inspector2", T0 + 2 * MIN)


def test_escalation_breaks_through_shelving(book) -> None:
    alarm = raised(book, severity="yellow")
    book.shelve(alarm.id, "inspector1", 60, "nuisance", T0 + S)
    (change,) = book.apply([up(T0 + 2 * S, "red")], T0 + 2 * S)
    assert (change.event, change.from_state, change.to_state) == (
        "escalated",
        "shelved",
        "active_unack",
    )
    assert book.get(alarm.id).shelved_until_ms is None


@pytest.mark.parametrize(
    ("minutes", "reason", "problem"),
    [
        (0, "x", "between"),
        (1441, "x", "between"),
        (1.5, "x", "whole"),
        (True, "x", "whole"),
        (10, "  ", "reason is required"),
    ],
)
def test_shelve_validates_minutes_and_reason(book, minutes, reason, problem) -> None:
    alarm = raised(book)
    with pytest.raises(ValueError, match=problem):
        book.shelve(alarm.id, "inspector1", minutes, reason, T0)
    assert book.get(alarm.id).state == "active_unack"


def test_shelve_limits_are_accepted(book) -> None:
    alarm = raised(book)
    assert book.shelve(alarm.id, "u", 1, "r", T0).shelved_until_ms == T0 + MIN
    assert book.shelve(alarm.id, "u", 1440, "r", T0).shelved_until_ms == T0 + 1440 * MIN


# -- the escalation marker -----------------------------------------------------------------


def test_red_unacknowledged_for_five_minutes_is_marked_once(book) -> None:
    red = raised(book, severity="red", source="sensor:A")
    raised(book, severity="orange", source="sensor:B")
    acked = raised(book, severity="red", source="sensor:C")
    book.acknowledge(acked.id, "inspector1", "on it", now_ms=T0 + MIN)
    assert book.mark_escalations(T0 + 5 * MIN - 1) == []
    (marked,) = book.mark_escalations(T0 + 5 * MIN)
    assert (marked.id, marked.escalated_ms) == (red.id, T0 + 5 * MIN)
    assert book.get(red.id).as_json()["escalated"] is True
    assert book.mark_escalations(T0 + 10 * MIN) == []
    last = book.detail(red.id)["transitions"][-1]
    assert (last["event"], last["actor"]) == ("ack_overdue", "system")


def test_escalation_clock_starts_when_the_alarm_turns_red(book) -> None:
    alarm = raised(book, severity="yellow")
    book.apply([up(T0 + 4 * MIN, "red")], T0 + 4 * MIN)
    assert book.mark_escalations(T0 + 5 * MIN) == []
    assert [a.id for a in book.mark_escalations(T0 + 9 * MIN)] == [alarm.id]


def test_escalate_after_is_configurable(db) -> None:
    book = AlarmBook(db, escalate_after_s=10)
    raised(book, severity="red")
    assert len(book.mark_escalations(T0 + 10 * S)) == 1


# -- acknowledging -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "disposition", "problem"),
    [
        ("", None, "comment is required"),
        ("   ", None, "comment is required"),
        ("x" * 2001, None, "at most 2000"),
        ("ok", "bogus", "disposition"),
        ("ok", "", "disposition"),
    ],
)
def test_acknowledge_validates_comment_and_disposition(book, comment, disposition, problem) -> None:
    alarm = raised(book)
    with pytest.raises(ValueError, match=problem):
        book.acknowledge(alarm.id, "inspector1", comment, disposition, now_ms=T0)
    assert book.get(alarm.id).state == "active_unack"


@pytest.mark.parametrize("disposition", DISPOSITIONS)
def test_acknowledge_takes_every_disposition(book, disposition) -> None:
    alarm = raised(book)
    acked = book.acknowledge(alarm.id, "inspector1", "x" * 2000, disposition, now_ms=T0)
    assert acked.disposition == disposition


def test_wrong_state_errors_change_nothing(db, book) -> None:
    alarm = raised(book)
    book.acknowledge(alarm.id, "inspector1", "seen", now_ms=T0 + S)
    with pytest.raises(AlarmError, match="already acknowledged"):
        book.acknowledge(alarm.id, "inspector2", "seen too", now_ms=T0 + 2 * S)
    book.apply([down(T0 + 3 * S)], T0 + 3 * S)
    with pytest.raises(AlarmError, match="closed"):
        book.acknowledge(alarm.id, "inspector2", "late", now_ms=T0 + 4 * S)
    with pytest.raises(AlarmError, match="closed"):
        book.shelve(alarm.id, "inspector2", 10, "late", T0 + 4 * S)
    other = raised(book, source="sensor:B")
    book.shelve(other.id, "inspector1", 10, "maintenance", T0 + S)
    with pytest.raises(AlarmError, match="shelved"):
        book.acknowledge(other.id, "inspector1", "ack", now_ms=T0 + 2 * S)
    with pytest.raises(AlarmNotFound):
        book.acknowledge(999_999, "inspector1", "ack", now_ms=T0)
    assert book.get(999_999) is None and book.detail(999_999) is None
    assert row_count(db, alarm_transition_table) == 5  # raise, ack, clear; raise, shelve


def test_username_is_required_and_system_is_reserved(book) -> None:
    alarm = raised(book)
    for username in ("", "system", "u" * 65):
        with pytest.raises(ValueError, match="username"):
            book.acknowledge(alarm.id, username, "ok", now_ms=T0)


# -- the record ----------------------------------------------------------------------------


def test_every_transition_records_who_when_and_why(book) -> None:
    alarm = raised(book, T0, severity="yellow")
    book.apply([up(T0 + S, "orange")], T0 + S)
    book.apply([down(T0 + 2 * S), up(T0 + 3 * S)], T0 + 3 * S)
    book.shelve(alarm.id, "inspector1", 5, "maintenance", T0 + 4 * S)
    book.expire_shelving(T0 + 4 * S + 5 * MIN)
    book.acknowledge(alarm.id, "inspector2", "handled", "real_event", now_ms=T0 + 6 * MIN)
    book.apply([down(T0 + 7 * MIN)], T0 + 7 * MIN)
    transitions = book.detail(alarm.id)["transitions"]
    assert [t["event"] for t in transitions] == [
        "raised",
        "escalated",
        "cleared",
        "reactivated",
        "shelved",
        "shelving_expired",
        "acknowledged",
        "cleared",
    ]
    assert [t["actor"] for t in transitions] == [
        "system",
        "system",
        "system",
        "system",
        "inspector1",
        "system",
        "inspector2",
        "system",
    ]
    assert all(t["reason"] and t["at"].endswith("Z") for t in transitions)
    assert transitions[0]["at"] == "2025-11-29T02:00:00.000Z"
    assert (transitions[4]["comment"], transitions[6]["comment"]) == ("maintenance", "handled")
    assert "real_event" in transitions[6]["reason"]


def test_as_json_has_the_contract_fields_first(book) -> None:
    alarm = raised(book, T0, severity="red", value=90.0)
    book.apply([down(T0 + MIN)], T0 + MIN)
    body = book.get(alarm.id).as_json()
    assert list(body)[: len(CONTRACT_FIELDS)] == CONTRACT_FIELDS
    assert body["raised_at"] == "2025-11-29T02:00:00.000Z"
    assert body["cleared_at"] == "2025-11-29T02:01:00.000Z"
    assert (body["state"], body["value"], body["params"]) == (
        "cleared_unack",
        90.0,
        {"sensor": "NH3-S-01", "value": 50.0},
    )
    assert (body["acked_by"], body["escalated"], body["chattering"]) == (None, False, False)


def test_detail_includes_transitions_and_calls_without_phones_by_default(db, book) -> None:
    alarm = raised(book)
    contact = {"name": "Wang Qiang", "role": "duty_officer", "phone": "+86 139 0000 0003"}
    CallLog(db).record(alarm.id, "inspector1", contact, "reached", "valve closed", T0 + MIN)
    detail = book.detail(alarm.id)
    assert detail["id"] == alarm.id and len(detail["transitions"]) == 1
    (call,) = detail["calls"]
    assert (call["contact"], call["outcome"], call["note"]) == (
        "Wang Qiang",
        "reached",
        "valve closed",
    )
    assert "phone" not in call
    assert book.detail(alarm.id, include_phones=True)["calls"][0]["phone"] == contact["phone"]


def test_stored_text_is_made_storable(book) -> None:
    alarm = raised(book, message="bad \x00 byte \ud800 " + "m" * 3000)
    stored = book.get(alarm.id).message
    assert "\x00" not in stored and len(stored) == 2000


def test_invalid_signals_are_refused_before_any_write(db, book) -> None:
    for bad in (
        up(severity="purple"),
        up(source="a|b"),
        up(ts_ms=1.5),
        AlarmSignal("toggle", "e", "s", "gateway", "lost_comm", T0),
    ):
        with pytest.raises(ValueError, match="invalid alarm signal"):
            book.apply([up(source="sensor:OK"), bad], T0)
    assert row_count(db) == 0


def test_non_finite_values_are_stored_as_none(book) -> None:
    assert raised(book, value=float("nan")).value is None


# -- listing -------------------------------------------------------------------------------


def test_list_orders_most_severe_first_then_newest(book) -> None:
    ids = {}
    for n, (source, severity) in enumerate(
        [("A", "yellow"), ("B", "red"), ("C", "blue"), ("D", "red"), ("E", "orange")]
    ):
        ids[source] = raised(book, T0 + n * S, severity=severity, source=source).id
    assert [a.id for a in book.list()] == [ids[s] for s in ("D", "B", "E", "A", "C")]
    assert [a.id for a in book.list(limit=2)] == [ids["D"], ids["B"]]


def test_list_filters(book) -> None:
    a = raised(book, T0, severity="red", source="A")
    b = raised(book, T0 + S, severity="yellow", source="B", site="north")
    c = raised(book, T0 + 2 * S, severity="yellow", source="C", enterprise="other")
    book.acknowledge(a.id, "u", "ok", now_ms=T0 + 10 * S)
    book.apply([down(T0 + 11 * S, source="A")], T0 + 11 * S)  # a closes

    def ids(**filters) -> set[int]:
        return {alarm.id for alarm in book.list(**filters)}

    assert ids() == {b.id, c.id}
    assert ids(state="all") == {a.id, b.id, c.id}
    assert ids(state="closed") == {a.id}
    assert ids(state="all", enterprise="ty-fert") == {a.id, b.id}
    assert ids(site="north") == {b.id}
    assert ids(state="all", severity="red") == {a.id}
    assert ids(state="all", since_ms=T0 + 5 * S) == {a.id}  # changed since
    with pytest.raises(ValueError, match="state"):
        book.list(state="everything")
    with pytest.raises(ValueError, match="severity"):
        book.list(severity="crimson")


def test_counts_by_severity_and_disposition_counts(book) -> None:
    for n, severity in enumerate(["red", "red", "yellow"]):
        raised(book, T0, severity=severity, source=f"S{n}")
    assert book.counts_by_severity() == {"red": 2, "orange": 0, "yellow": 1, "blue": 0}
    (first, second, third) = sorted(a.id for a in book.list())
    book.acknowledge(first, "u", "ok", "false_alarm", now_ms=T0 + MIN)
    book.acknowledge(second, "u", "ok", "false_alarm", now_ms=T0 + 2 * MIN)
    book.acknowledge(third, "u", "ok", now_ms=T0 + 2 * MIN)
    counts = book.disposition_counts()
    assert counts["false_alarm"] == 2 and sum(counts.values()) == 2
    assert list(counts) == list(DISPOSITIONS)
    assert book.disposition_counts(since_ms=T0 + 2 * MIN)["false_alarm"] == 1
    assert book.counts_by_severity(site="elsewhere") == dict.fromkeys(SEVERITIES, 0)


# -- several processes ---------------------------------------------------------------------


def test_two_books_raising_the_same_alarms_concurrently_keep_one_open_each(db, second_db) -> None:
    books = [AlarmBook(db), AlarmBook(second_db)]
    rounds, sources = 5, [f"sensor:S{n}" for n in range(20)]
    errors: list[BaseException] = []

    def work(book: AlarmBook, barrier: threading.Barrier, ts: int) -> None:
        try:
            barrier.wait()
            book.apply([up(ts, source=s) for s in sources], ts)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    for r in range(rounds):
        barrier = threading.Barrier(len(books))
        threads = [threading.Thread(target=work, args=(b, barrier, T0 + r * S)) for b in books]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        if r < rounds - 1:
            books[0].apply([down(T0 + r * S + 500, source=s) for s in sources], T0 + r * S)
    assert errors == []
    open_alarms = books[1].list()
    assert sorted(a.source for a in open_alarms) == sorted(sources)
    assert {a.count for a in open_alarms} == {rounds}  # each repeat counted once
    assert row_count(db) == len(sources)


def test_an_insert_lost_to_another_worker_is_reapplied_to_its_alarm(
    db, db_url, monkeypatch
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: no insert race")
    book = AlarmBook(db)
    raised(book, source="sensor:TEMPLATE")
    with db.engine.connect() as conn:
        template = dict(conn.execute(sa.select(alarm_table)).mappings().one())
    target = up(T0 + S, "red")
    key = "|".join(target.key)
    copy = {k: v for k, v in template.items() if k != "id"} | {
        "source": target.source,
        "open_key": key,
    }
    real_insert = book_module._insert_rows
    lost: list[set[str]] = []

    def other_worker_wins(db_, conn, rows):
        # The book has read "no open alarm" for the key and is about to insert it: another
        # worker inserts and commits the same open alarm first, from its own connection.
        if not lost:
            with other.engine.connect() as other_conn:
                other_conn.execute(alarm_table.insert().values(copy))
                other_conn.commit()
        lost.append(real_insert(db_, conn, rows))
        return lost[-1]

    other = Database(db_url)
    other.start()
    try:
        monkeypatch.setattr(book_module, "_insert_rows", other_worker_wins)
        (change,) = book.apply([target], T0 + S)
    finally:
        other.close()
    # The race happened (the book's insert was lost), then the re-plan inserted nothing.
    assert lost == [{key}, set()]
    assert (change.event, change.severity) == ("escalated", "red")
    (alarm,) = book.list(severity="red")
    assert (alarm.source, alarm.count, change.alarm.id) == (target.source, 1, alarm.id)
    assert events(book, alarm.id) == [("escalated", "active_unack", "active_unack")]
    assert row_count(db) == 2


def test_open_keys_survive_a_restart(db_url, db, book) -> None:
    raised(book, severity="red", source="sensor:A")
    raised(book, severity="yellow", source="zone:Z1", rule="people")
    book.apply([up(T0, source="sensor:B"), down(T0 + S, source="sensor:B")], T0 + S)
    restarted = Database(db_url)
    restarted.start()
    try:
        keys = AlarmBook(restarted).open_keys()
    finally:
        restarted.close()
    # sensor:B is open but cleared: the restored rule must be free to raise it again.
    assert keys == {
        ("ty-fert", "main", "sensor:A", "limit"): "red",
        ("ty-fert", "main", "zone:Z1", "people"): "yellow",
    }


def test_batch_of_500_signals_is_fast(db, book, capsys) -> None:
    signals = [up(T0 + n, severity=SEVERITIES[n % 4], source=f"sensor:S{n}") for n in range(500)]
    started = time.perf_counter()
    changes = book.apply(signals, T0 + 1000)
    created_s = time.perf_counter() - started
    assert len(changes) == 500
    again = [down(T0 + 2000 + n, source=f"sensor:S{n}") for n in range(250)] + [
        up(T0 + 3000 + n, "red", source=f"sensor:S{n}") for n in range(250, 500)
    ]
    started = time.perf_counter()
    changes = book.apply(again, T0 + 4000)
    updated_s = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\n[{db.dialect}] 500 new alarms {created_s * 1000:.0f} ms, "
            f"500 changes {updated_s * 1000:.0f} ms"
        )
    assert len(changes) == 250 + sum(1 for n in range(250, 500) if n % 4)
    assert book.counts_by_severity()["red"] == 250 + 63
    assert created_s < BATCH_BOUND_S and updated_s < BATCH_BOUND_S


def test_constructor_validates_and_does_no_io(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'never.db'}")
    AlarmBook(db)
    assert not (tmp_path / "never.db").exists()
    with pytest.raises(ValueError):
        AlarmBook(db, chatter_count=1)
    with pytest.raises(ValueError):
        AlarmBook(db, escalate_after_s=0)


class _DeadlockDetected(Exception):
    sqlstate = "40P01"


def test_a_batch_aborted_by_a_deadlock_is_redone(book, monkeypatch) -> None:
    real = AlarmBook._apply_keys
    calls: list[int] = []

    def deadlock_once(self, conn, by_key, now_ms):
        calls.append(1)
        if len(calls) == 1:
            real(self, conn, by_key, now_ms)  # its writes must be rolled back
            raise sa.exc.OperationalError("INSERT ...", {}, _DeadlockDetected())
        return real(self, conn, by_key, now_ms)

    monkeypatch.setattr(AlarmBook, "_apply_keys", deadlock_once)
    (change,) = book.apply([up(T0)], T0)
    assert (len(calls), change.event) == (2, "raised")
    (alarm,) = book.list(state="all")
    assert alarm.count == 1 and len(events(book, alarm.id)) == 1

    def always_broken(self, conn, by_key, now_ms):
        raise sa.exc.OperationalError("INSERT ...", {}, Exception("disk full"))

    monkeypatch.setattr(AlarmBook, "_apply_keys", always_broken)
    with pytest.raises(sa.exc.OperationalError, match="disk full"):
        book.apply([up(T0 + S, source="sensor:B")], T0 + S)
