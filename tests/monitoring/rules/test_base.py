"""The rule building blocks: limits with deadband, on-delays, the window, change-only signals."""

from __future__ import annotations

import pytest

from monitoring.rules.base import (
    HIGH,
    HIGH_HIGH,
    LOW,
    LOW_LOW,
    ActiveAlarms,
    LevelDebounce,
    Limits,
    OnDelay,
    SlidingWindow,
    format_duration,
    format_number,
)
from monitoring.rules.catalog import RULES
from monitoring.rules.severity import SEVERITY_TABLE
from monitoring.signals import SEVERITIES

LIMITS = Limits(low_low=5, low=10, high=85, high_high=90, deadband=2)


@pytest.mark.parametrize(
    ("value", "current", "expected"),
    [
        (50, None, None),
        (85, None, HIGH),  # reaching the limit is an alarm (GB/T 50493 "reaches")
        (84.9, None, None),
        (90, None, HIGH_HIGH),
        (10, None, LOW),
        (5, None, LOW_LOW),
        (84, HIGH, HIGH),  # inside, but not by more than the deadband
        (83, HIGH, HIGH),
        (82.9, HIGH, None),
        (89, HIGH_HIGH, HIGH_HIGH),
        (87.9, HIGH_HIGH, HIGH),  # leaving high_high still leaves high with its deadband
        (82, HIGH_HIGH, None),
        (12, LOW, LOW),
        (12.1, LOW, None),
        (6.5, LOW_LOW, LOW_LOW),
        (7.5, LOW_LOW, LOW),
        (84, LOW, None),  # a deadband does not carry over to the other side
    ],
)
def test_classify_applies_the_deadband_only_to_leave_a_level(value, current, expected):
    assert LIMITS.classify(value, current) == expected


def test_limit_chain_and_missing_limits():
    only_hh = Limits(high_high=85)
    assert only_hh.chain(HIGH_HIGH) == (HIGH_HIGH,)
    assert LIMITS.chain(LOW_LOW) == (LOW, LOW_LOW)
    assert not Limits().any()
    assert only_hh.any()
    with pytest.raises(ValueError):
        only_hh.limit(HIGH)


def test_level_debounce_without_delay_follows_the_value():
    d = LevelDebounce()
    assert d.update(LIMITS, 86, 0, 0) == HIGH
    assert d.update(LIMITS, 91, 1, 0) == HIGH_HIGH
    assert d.update(LIMITS, 50, 2, 0) is None


def test_level_debounce_delays_entering_each_level_but_not_leaving():
    d = LevelDebounce()
    assert d.update(LIMITS, 86, 0, 10) is None
    assert d.update(LIMITS, 86, 9, 10) is None
    assert d.update(LIMITS, 86, 10, 10) == HIGH
    assert d.update(LIMITS, 95, 11, 10) == HIGH  # high_high must hold its own delay
    assert d.update(LIMITS, 95, 21, 10) == HIGH_HIGH
    assert d.update(LIMITS, 86, 22, 10) == HIGH  # going down is at once
    assert d.update(LIMITS, 50, 23, 10) is None


def test_level_debounce_restarts_the_delay_when_the_condition_breaks():
    d = LevelDebounce()
    d.update(LIMITS, 86, 0, 10)
    d.update(LIMITS, 84, 5, 10)  # back inside (not yet raised: no deadband to hold it)
    assert d.update(LIMITS, 86, 12, 10) is None
    assert d.update(LIMITS, 86, 22, 10) == HIGH


def test_level_debounce_interrupt_forgets_pending_but_keeps_the_level():
    d = LevelDebounce()
    assert d.update(LIMITS, 86, 0, 10) is None
    d.interrupt()
    assert d.update(LIMITS, 86, 10, 10) is None
    assert d.update(LIMITS, 86, 20, 10) == HIGH
    d.interrupt()
    assert d.update(LIMITS, 86, 21, 10) == HIGH


def test_level_debounce_restored_holds_any_level_inside_its_deadband():
    d = LevelDebounce()
    d.restore()
    assert d.level is None  # not known until a sample comes
    assert d.update(LIMITS, 84, 0, 10) == HIGH  # within the deadband of high
    d.restore()
    assert d.update(LIMITS, 4, 0, 10) == LOW_LOW
    d.restore()  # beyond low but only within low_low's deadband: the milder level is taken
    assert d.update(LIMITS, 6, 0, 10) == LOW
    d.restore()
    assert d.update(LIMITS, 50, 0, 10) is None


def test_on_delay():
    delay = OnDelay(100)
    assert not delay.update(True, 1000)
    assert delay.held_ms(1050) == 50
    assert delay.update(True, 1100)
    assert not delay.update(False, 1101)
    assert delay.held_ms(1200) == 0
    assert not delay.update(True, 1200)
    assert OnDelay(0).update(True, 5)


def test_sliding_window_keeps_the_span_in_order():
    window: SlidingWindow[int] = SlidingWindow(1000)
    for ts in (0, 400, 800):
        window.add(ts, ts)
    window.add(600, 600)  # late sample
    assert window.values() == [0, 400, 600, 800]
    window.add(1500, 1500)
    assert window.values() == [600, 800, 1500]
    assert window.oldest_ms() == 600
    window.expire(2600)
    assert len(window) == 0 and window.oldest_ms() is None
    with pytest.raises(ValueError):
        SlidingWindow(0)


def test_active_alarms_signal_only_on_changes():
    alarms = ActiveAlarms("e", "s", "limit")
    first = alarms.activate("sensor:X", 1, "yellow", "X high: 50")
    assert (
        first is not None
        and first.action == "raise"
        and first.key == ("e", "s", "sensor:X", "limit")
    )
    assert alarms.activate("sensor:X", 2, "yellow", "X high: 51", signature="high") is not None
    assert alarms.activate("sensor:X", 3, "yellow", "X high: 52", signature="high") is None
    escalated = alarms.activate("sensor:X", 4, "red", "X high", signature="high")
    assert escalated is not None and escalated.severity == "red"
    cleared = alarms.clear("sensor:X", 5, "back")
    assert cleared is not None and cleared.action == "clear" and cleared.severity == "red"
    assert alarms.clear("sensor:X", 6) is None


def test_restored_alarm_is_raised_again_only_when_it_gets_worse():
    alarms = ActiveAlarms("e", "s", "limit")
    alarms.restore("sensor:X", "orange")
    assert alarms.activate("sensor:X", 1, "orange", "X high") is None
    assert alarms.activate("sensor:X", 2, "orange", "X high") is None
    alarms.restore("sensor:Y", "orange")
    assert alarms.activate("sensor:Y", 1, "yellow", "Y high") is None
    alarms.restore("sensor:Z", "orange")
    worse = alarms.activate("sensor:Z", 1, "red", "Z high high")
    assert worse is not None and worse.severity == "red"


@pytest.mark.parametrize(
    ("ms", "text"), [(0, "0 s"), (45_000, "45 s"), (180_000, "3 min"), (7_500_000, "2 h 5 min")]
)
def test_format_duration(ms, text):
    assert format_duration(ms) == text


def test_format_number():
    assert format_number(48.2) == "48.2"
    assert format_number(42.0) == "42"


def test_severity_table_uses_contract_severities_and_every_rule_is_registered():
    assert set(SEVERITY_TABLE.values()) <= set(SEVERITIES)
    assert set(RULES) == {"limit", "lost_comm", "people", "special_operation", "bad_data"}
    assert {key.split(".")[0] for key in SEVERITY_TABLE} == set(RULES)
    with pytest.raises(TypeError):
        RULES["x"] = RULES["limit"]  # type: ignore[index]
