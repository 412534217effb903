"""The `limit` rule: levels and severities, on-delay, deadband, quality, exposure escalation."""

from __future__ import annotations

import pytest

from monitoring.rules.context import PRESENCE_FRESH_S
from tests.monitoring.rules.factories import (
    MIN,
    T0,
    TANKS,
    TANKS_NAME,
    S,
    engine_for,
    feed,
    people,
    reading,
)


@pytest.fixture
def engine(registry):
    return engine_for(registry, "limit")


def test_gas_high_is_orange_with_the_contract_message(engine):
    [signal] = feed(engine, T0, reading("NH3-S-01", 48.2, T0))
    assert (signal.action, signal.rule, signal.source) == ("raise", "limit", "sensor:NH3-S-01")
    assert signal.severity == "orange"
    assert signal.message == "NH3-S-01 high: 48.2 ppm (limit 42)"
    assert signal.zone == TANKS and signal.value == 48.2 and signal.ts_ms == T0
    assert signal.message_key == "limit.gas_high" and signal.params["limit"] == 42


@pytest.mark.parametrize(
    ("sensor", "value", "severity", "message"),
    [
        ("LT-101", 86, "yellow", "LT-101 high: 86 % (limit 85)"),
        ("LT-101", 9.5, "yellow", "LT-101 low: 9.5 % (limit 10)"),
        ("LT-101", 92, "red", "LT-101 high_high: 92 % (limit 90)"),
        ("NH3-S-01", 85, "red", "NH3-S-01 high_high: 85 ppm (limit 85)"),
        ("NH3-S-01", 42, "orange", "NH3-S-01 high: 42 ppm (limit 42)"),
    ],
)
def test_severity_by_level_and_kind(engine, sensor, value, severity, message):
    [signal] = feed(engine, T0, reading(sensor, value, T0))
    assert (signal.severity, signal.message) == (severity, message)


def test_no_signal_inside_limits_or_for_sensors_without_limits(engine):
    assert feed(engine, T0, reading("NH3-S-01", 41.9, T0), reading("PT-302", 1e9, T0)) == []


def test_unregistered_sensor_is_ignored(engine):
    assert feed(engine, T0, reading("NOT-REGISTERED", 1e6, T0)) == []


def test_signal_only_on_change_not_per_reading(engine):
    signals = []
    for i, value in enumerate([50, 51, 52, 60, 55]):
        signals += feed(engine, T0 + i * S, reading("NH3-S-01", value, T0 + i * S))
    assert [s.action for s in signals] == ["raise"]
    signals = feed(engine, T0 + 10 * S, reading("NH3-S-01", 90, T0 + 10 * S))
    assert [(s.action, s.severity) for s in signals] == [("raise", "red")]
    signals = feed(engine, T0 + 11 * S, reading("NH3-S-01", 50, T0 + 11 * S))
    assert [(s.action, s.severity) for s in signals] == [("raise", "orange")]
    signals = feed(engine, T0 + 12 * S, reading("NH3-S-01", 10, T0 + 12 * S))
    assert [(s.action, s.message) for s in signals] == [("clear", "back within limits")]


def test_on_delay_raises_only_after_delay_s(engine):
    # NH3-S-02: high 42, delay_s 10
    for dt in (0, 3, 6, 9):
        assert feed(engine, T0 + dt * S, reading("NH3-S-02", 50, T0 + dt * S)) == []
    [signal] = feed(engine, T0 + 10 * S, reading("NH3-S-02", 50, T0 + 10 * S))
    assert signal.action == "raise" and signal.ts_ms == T0 + 10 * S


def test_on_delay_ignores_a_short_spike(engine):
    series = [(0, 60), (2, 30), (4, 60), (6, 30), (8, 60), (12, 30), (20, 30)]
    signals = []
    for dt, value in series:
        signals += feed(engine, T0 + dt * S, reading("NH3-S-02", value, T0 + dt * S))
    assert signals == []


def test_deadband_keeps_a_noisy_value_at_the_limit_from_chattering(engine):
    # TT-301: high 80, deadband 2, no delay. LT-101: high 85, no deadband.
    noise = [1.5, -1.5, 0.5, -1.0, 1.0, -1.9, 0.0, -0.5]
    with_deadband, without = [], []
    for i in range(80):
        t = T0 + i * S
        with_deadband += feed(engine, t, reading("TT-301", 80 + noise[i % len(noise)], t))
        without += feed(engine, t, reading("LT-101", 85 + noise[i % len(noise)], t))
    assert [s.action for s in with_deadband] == ["raise"]
    assert len(without) > 20  # what the deadband prevents
    [cleared] = feed(engine, T0 + 100 * S, reading("TT-301", 77.9, T0 + 100 * S))
    assert cleared.action == "clear"


@pytest.mark.parametrize("quality", ["bad", "uncertain"])
def test_readings_not_good_neither_raise_nor_clear(engine, quality):
    assert feed(engine, T0, reading("NH3-S-01", 99, T0, quality)) == []
    feed(engine, T0 + S, reading("NH3-S-01", 50, T0 + S))
    assert feed(engine, T0 + 2 * S, reading("NH3-S-01", 0, T0 + 2 * S, quality)) == []
    [cleared] = feed(engine, T0 + 3 * S, reading("NH3-S-01", 0, T0 + 3 * S))
    assert cleared.action == "clear"


def test_readings_not_good_do_not_advance_the_on_delay(engine):
    feed(engine, T0, reading("NH3-S-02", 50, T0))
    for dt in range(1, 12):
        feed(engine, T0 + dt * S, reading("NH3-S-02", 50, T0 + dt * S, "bad"))
    assert feed(engine, T0 + 12 * S, reading("NH3-S-02", 50, T0 + 12 * S)) == []
    [signal] = feed(engine, T0 + 22 * S, reading("NH3-S-02", 50, T0 + 22 * S))
    assert signal.action == "raise"


def test_late_reading_is_ignored(engine):
    feed(engine, T0 + 10 * S, reading("NH3-S-01", 50, T0 + 10 * S))
    assert feed(engine, T0 + 11 * S, reading("NH3-S-01", 10, T0 + 5 * S)) == []


def test_gas_alarm_with_people_present_escalates_to_red_and_back(engine):
    t = T0
    [orange] = feed(engine, t, reading("NH3-S-01", 48.2, t))
    assert orange.severity == "orange"
    [red] = feed(engine, t + S, people(6, t + S))
    assert (red.action, red.severity, red.source, red.rule) == (
        "raise",
        "red",
        "sensor:NH3-S-01",
        "limit",
    )
    assert red.message == f"NH3-S-01 high: 48.2 ppm (limit 42) — 6 people exposed in {TANKS_NAME}"
    assert red.params["people"] == 6
    # More readings at the same level: nothing new to say.
    assert feed(engine, t + 2 * S, reading("NH3-S-01", 49, t + 2 * S)) == []
    [back] = feed(engine, t + 3 * S, people(0, t + 3 * S))
    assert (back.action, back.severity) == ("raise", "orange")
    assert "exposed" not in back.message


def test_people_already_present_make_the_first_raise_red(engine):
    feed(engine, T0, people(2, T0, camera="CAM-07"), people(1, T0, camera="CAM-08"))
    [signal] = feed(engine, T0 + S, reading("NH3-S-01", 90, T0 + S))
    assert signal.severity == "red" and signal.message.endswith(f"3 people exposed in {TANKS_NAME}")


def test_exposure_ends_when_the_count_goes_stale(engine):
    feed(engine, T0, people(4, T0), reading("NH3-S-01", 50, T0))
    assert engine.on_tick(T0 + PRESENCE_FRESH_S * S) == []
    [back] = engine.on_tick(T0 + PRESENCE_FRESH_S * S + S)
    assert (back.severity, back.message) == ("orange", "NH3-S-01 high: 50 ppm (limit 42)")


def test_non_gas_alarm_is_not_escalated_by_people(engine):
    [signal] = feed(engine, T0, people(6, T0), reading("LT-101", 86, T0))
    assert signal.severity == "yellow"
    assert feed(engine, T0 + MIN, people(7, T0 + MIN)) == []


def test_a_new_count_of_exposed_people_updates_the_red_alarm(engine):
    feed(engine, T0, people(2, T0), reading("NH3-S-01", 50, T0))
    [update] = feed(engine, T0 + MIN, people(5, T0 + MIN))
    assert (update.severity, update.params["people"]) == ("red", 5)
    assert update.message.endswith(f"5 people exposed in {TANKS_NAME}")
    assert feed(engine, T0 + 2 * MIN, people(5, T0 + 2 * MIN)) == []
