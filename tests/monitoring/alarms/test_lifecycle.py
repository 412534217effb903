"""The ISA-18.2 lifecycle as pure functions of (row, signal or action, time): no database."""

from __future__ import annotations

import json

import pytest

from monitoring.alarms import lifecycle
from monitoring.alarms.lifecycle import ROW_COLUMNS, Chatter, Step
from monitoring.alarms.model import AlarmError, Row
from monitoring.db.schema import alarm_table
from monitoring.signals import AlarmSignal

T0 = 1_764_381_600_000  # 2025-11-29T02:00:00Z
S = 1000
MIN = 60 * S
NOW = T0 + 10 * S  # when the book applies the signals of a plan
CHATTER = Chatter(window_ms=60 * S, count=3)
KEY = "ty-fert|main|sensor:NH3-S-01|limit"


def up(ts_ms: int = T0, severity: str = "yellow", **changes: object) -> AlarmSignal:
    """A raise signal of the limit rule for one sensor."""
    fields: dict = dict(
        enterprise="ty-fert",
        site="main",
        source="sensor:NH3-S-01",
        rule="limit",
        ts_ms=ts_ms,
        severity=severity,
        zone="NH3-TANK-S",
        value=50.0,
        message=f"NH3-S-01 at 50 ppm ({severity})",
        message_key="limit.high",
        params={"sensor": "NH3-S-01"},
    )
    return AlarmSignal("raise", **(fields | changes))


def down(ts_ms: int = T0) -> AlarmSignal:
    """A clear signal for the same sensor."""
    return AlarmSignal(
        "clear", "ty-fert", "main", "sensor:NH3-S-01", "limit", ts_ms, message="back to normal"
    )


def stored(**changes: object) -> Row:
    """An open alarm as the book reads it (id 7, raised yellow at T0), with changes."""
    row = lifecycle.new_row(up(T0), T0)
    row.update({"id": 7} | changes)
    return row


def transitions(steps: list[Step]) -> list[tuple[str, str | None, str]]:
    return [(s.event, s.from_state, s.to_state) for s in steps]


# -- signals from the rules ----------------------------------------------------------------

SHELVED = {"state": "shelved", "shelved_until_ms": T0 + 60 * MIN}
CLEARED = {"state": "cleared_unack", "cleared_ms": T0 + S}

PLAN_CASES = [
    # (the open alarm or None, signals, transitions, the last row's fields after)
    pytest.param(
        None,
        [up(T0, "orange", value=61.5)],
        [("raised", None, "active_unack")],
        {"id": None, "state": "active_unack", "count": 1, "severity": "orange", "value": 61.5},
        id="raise opens an unacknowledged alarm",
    ),
    pytest.param(
        {"state": "closed", "open_key": None},
        [up(T0 + S)],
        [("raised", None, "active_unack")],
        {"id": None, "count": 1, "open_key": KEY},
        id="raise after closed is a new alarm",
    ),
    pytest.param(None, [down(T0)], [], None, id="clear without an open alarm"),
    pytest.param(
        {},
        [up(T0 + S, value=55.0, message="55 ppm")],
        [],
        {"count": 1, "value": 55.0, "message": "55 ppm", "updated_ms": NOW},
        id="raise on an active alarm only takes the reading",
    ),
    pytest.param(
        CLEARED,
        [up(T0 + 2 * MIN)],
        [("reactivated", "cleared_unack", "active_unack")],
        {"count": 2, "cleared_ms": None, "raised_ms": T0, "last_raised_ms": T0 + 2 * MIN},
        id="re-raise after clearing counts one more",
    ),
    pytest.param(
        {},
        [down(T0 + MIN)],
        [("cleared", "active_unack", "cleared_unack")],
        {"cleared_ms": T0 + MIN, "open_key": KEY},
        id="clear of unacknowledged",
    ),
    pytest.param(
        {"state": "active_ack"},
        [down(T0 + MIN)],
        [("cleared", "active_ack", "closed")],
        {"closed_ms": T0 + MIN, "open_key": None},
        id="clear of acknowledged closes",
    ),
    pytest.param(CLEARED, [down(T0 + MIN)], [], {"cleared_ms": T0 + S}, id="repeated clear"),
    pytest.param(
        SHELVED,
        [down(T0 + MIN)],
        [("cleared", "shelved", "shelved")],
        {"state": "shelved", "cleared_ms": T0 + MIN},
        id="clear while shelved is remembered",
    ),
    pytest.param(
        SHELVED | {"cleared_ms": T0 + S},
        [up(T0 + MIN)],
        [("reactivated", "shelved", "shelved")],
        {"state": "shelved", "count": 2, "cleared_ms": None},
        id="re-raise while shelved stays shelved",
    ),
    pytest.param(
        SHELVED,
        [up(T0 + MIN, value=47.0)],
        [],
        {"state": "shelved", "value": 47.0},
        id="raise while shelved and active",
    ),
    pytest.param(
        {},
        [up(T0 + S, "red")],
        [("escalated", "active_unack", "active_unack")],
        {"severity": "red", "ack_clock_ms": NOW, "count": 1},
        id="escalation raises the severity of the same alarm",
    ),
    pytest.param(
        {"state": "active_ack", "acked_by": "inspector1"},
        [up(T0 + S, "red")],
        [("escalated", "active_ack", "active_unack")],
        {"severity": "red"},
        id="escalation un-acknowledges",
    ),
    pytest.param(
        SHELVED,
        [up(T0 + S, "red")],
        [("escalated", "shelved", "active_unack")],
        {"severity": "red", "shelved_until_ms": None},
        id="escalation ends shelving",
    ),
    pytest.param(
        {"severity": "red"},
        [up(T0 + S, "blue")],
        [],
        {"severity": "red"},
        id="a milder raise never lowers the severity",
    ),
    pytest.param(
        {"state": "active_ack"},
        [down(T0 + 2 * S), up(T0 + 3 * S, "red"), down(T0 + 4 * S), up(T0 + 5 * S)],
        [
            ("cleared", "active_ack", "closed"),
            ("raised", None, "active_unack"),
            ("cleared", "active_unack", "cleared_unack"),
            ("reactivated", "cleared_unack", "active_unack"),
        ],
        {"id": None, "count": 2, "severity": "red", "raised_ms": T0 + 3 * S},
        id="several steps of one source in one batch",
    ),
]


@pytest.mark.parametrize(("old", "signals", "expected", "after"), PLAN_CASES)
def test_plan(old, signals, expected, after) -> None:
    before = None if old is None else stored(**old)
    rows, steps = lifecycle.plan(before, list(enumerate(signals)), NOW, CHATTER)
    assert transitions(steps) == expected
    if after is not None:
        assert {k: rows[-1][k] for k in after} == after
    if before is not None:
        assert rows[0]["id"] == 7 and before == stored(**old)  # the read row is not changed


def test_a_plan_keeps_the_order_and_severity_of_each_step() -> None:
    signals = [up(T0 + S, "orange"), down(T0 + 2 * S), up(T0 + 3 * S)]
    _, steps = lifecycle.plan(stored(), list(enumerate(signals, start=10)), NOW, CHATTER)
    assert [(s.seq, s.severity, s.ts_ms) for s in steps] == [
        (10, "orange", T0 + S),
        (11, "orange", T0 + 2 * S),
        (12, "orange", T0 + 3 * S),
    ]
    assert "yellow -> orange" in steps[0].reason
    assert steps[2].reason.startswith("raised again (count 2)")


@pytest.mark.parametrize(
    ("activation_offsets_s", "chattering"),
    [
        ((20, 40), True),  # 3 activations within 60 s
        ((30, 60), True),  # exactly the window
        ((30, 61), False),
        ((150, 300), False),
        ((20,), False),  # the third activation is needed
        ((100, 120, 140), True),  # the oldest falls out of the window
    ],
)
def test_chattering_is_three_activations_within_a_minute(activation_offsets_s, chattering) -> None:
    row = stored()
    notes = []
    for offset in activation_offsets_s:
        t = T0 + offset * S
        row.update(state="cleared_unack", cleared_ms=t - S)
        (step,) = lifecycle.raise_again(row, 0, up(t), t, CHATTER)
        notes.append(step.reason)
    assert row["chattering"] is chattering
    assert ("chattering: 3 activations within 60 s" in notes[-1]) is chattering
    assert len(json.loads(row["activations"])) <= CHATTER.count


def test_chattering_is_reported_once() -> None:
    row = stored(chattering=True, activations=json.dumps([T0, T0 + S]))
    assert lifecycle.activate(row, T0 + 2 * S, CHATTER) is False
    assert row["chattering"] is True


def test_non_finite_values_and_missing_zones() -> None:
    row = stored()
    lifecycle.take_reading(row, up(T0, value=float("inf"), zone=None), NOW)
    assert (row["value"], row["zone"], row["updated_ms"]) == (None, "NH3-TANK-S", NOW)


def test_a_new_row_fills_every_column_of_the_alarm_table() -> None:
    row = lifecycle.new_row(up(T0), NOW)
    assert set(ROW_COLUMNS) == {c.name for c in alarm_table.columns} - {"id"}
    assert set(row) == {c.name for c in alarm_table.columns}
    assert (row["ack_clock_ms"], row["raised_ms"], row["open_key"]) == (NOW, T0, KEY)


# -- what people do ------------------------------------------------------------------------

ACK_CASES = [
    # (state before, state after or the refusal)
    ("active_unack", "active_ack"),
    ("cleared_unack", "closed"),
    ("active_ack", "already acknowledged"),
    ("closed", "it is closed"),
    ("shelved", "shelved; unshelve it first"),
]


@pytest.mark.parametrize(("state", "outcome"), ACK_CASES)
def test_acknowledge(state, outcome) -> None:
    row = stored(state=state)
    if " " in outcome:
        with pytest.raises(AlarmError, match=f"cannot acknowledge alarm 7: .*{outcome}"):
            lifecycle.acknowledge(row, "inspector1", "seen", None, NOW)
        assert row == stored(state=state)
        return
    step = lifecycle.acknowledge(row, "inspector1", "seen", "false_alarm", NOW)
    assert (step.event, step.from_state, step.to_state) == ("acknowledged", state, outcome)
    assert (step.actor, step.comment, step.reason) == (
        "inspector1",
        "seen",
        "disposition false_alarm",
    )
    assert (row["acked_ms"], row["acked_by"], row["disposition"]) == (
        NOW,
        "inspector1",
        "false_alarm",
    )
    assert row["closed_ms"] == (NOW if outcome == "closed" else None)


@pytest.mark.parametrize("state", ["active_unack", "active_ack", "cleared_unack", "shelved"])
def test_shelve_an_open_alarm(state) -> None:
    row = stored(state=state)
    step = lifecycle.shelve(row, "inspector1", 30, "sensor being replaced", NOW)
    assert (step.from_state, step.to_state, step.comment) == (
        state,
        "shelved",
        "sensor being replaced",
    )
    assert (row["shelved_until_ms"], row["shelve_reason"]) == (
        NOW + 30 * MIN,
        "sensor being replaced",
    )
    assert "shelved for 30 min until 2025-11-29T02:30:10.000Z" in step.reason


def test_a_closed_alarm_cannot_be_shelved_or_unshelved() -> None:
    with pytest.raises(AlarmError, match="cannot shelve alarm 7: it is closed"):
        lifecycle.shelve(stored(state="closed"), "u", 10, "r", NOW)
    with pytest.raises(AlarmError, match="cannot unshelve alarm 7: it is active_unack"):
        lifecycle.unshelve(stored(), "u", "", NOW)


# -- leaving shelving, by hand or by time --------------------------------------------------

END_CASES = [
    # (cleared while shelved, state after, reason's ending)
    (None, "active_unack", "(active, needs acknowledgement)"),
    (T0 + S, "closed", "(cleared, closed)"),
]


@pytest.mark.parametrize(("cleared_ms", "after", "ending"), END_CASES)
def test_unshelve(cleared_ms, after, ending) -> None:
    row = stored(cleared_ms=cleared_ms, ack_clock_ms=T0, **SHELVED)
    step = lifecycle.unshelve(row, "inspector2", "done", NOW)
    assert (step.event, step.from_state, step.to_state) == ("unshelved", "shelved", after)
    assert (step.actor, step.comment, step.reason) == ("inspector2", "done", f"unshelved {ending}")
    assert lifecycle.unshelve(stored(**SHELVED), "u", "", NOW).comment is None


@pytest.mark.parametrize(("cleared_ms", "after", "ending"), END_CASES)
def test_shelving_expires(cleared_ms, after, ending) -> None:
    row = stored(cleared_ms=cleared_ms, ack_clock_ms=T0, **SHELVED)
    step = lifecycle.expire_shelving(row, T0 + 61 * MIN)
    assert (step.event, step.from_state, step.to_state) == ("shelving_expired", "shelved", after)
    assert step.actor == "system"
    assert step.reason == f"shelving ended at 2025-11-29T03:00:00.000Z {ending}"
    assert (row["state"], row["shelved_until_ms"], row["updated_ms"]) == (
        after,
        None,
        T0 + 61 * MIN,
    )
    if after == "active_unack":  # the escalation clock starts again
        assert (row["ack_clock_ms"], row["open_key"]) == (T0 + 61 * MIN, KEY)
    else:
        assert (row["closed_ms"], row["open_key"]) == (T0 + 61 * MIN, None)


def test_an_overdue_red_alarm_is_marked_without_changing_state() -> None:
    row = stored(severity="red")
    step = lifecycle.mark_overdue(row, T0 + 5 * MIN, 300_000)
    assert (step.event, step.from_state, step.to_state, step.actor) == (
        "ack_overdue",
        "active_unack",
        "active_unack",
        "system",
    )
    assert step.reason == "red alarm unacknowledged for 300 s"
    assert (row["state"], row["escalated_ms"]) == ("active_unack", T0 + 5 * MIN)


# -- reporting -----------------------------------------------------------------------------


def test_changes_come_in_signal_order_with_each_alarm_as_it_ended() -> None:
    first, second = stored(), stored(id=8, source="sensor:B")
    steps = [
        Step(second, 2, "raised", None, "active_unack", T0, "b"),
        Step(first, 0, "escalated", "active_unack", "active_unack", T0, "a"),
        Step(first, 1, "cleared", "active_unack", "cleared_unack", T0 + S, "a"),
    ]
    first.update(state="cleared_unack", cleared_ms=T0 + S)
    changes = lifecycle.changes(steps)
    assert [(c.event, c.alarm.id) for c in changes] == [
        ("escalated", 7),
        ("cleared", 7),
        ("raised", 8),
    ]
    assert changes[0].alarm.state == "cleared_unack"  # the alarm after the whole call
    assert changes[0].alarm.params == {"sensor": "NH3-S-01"}
