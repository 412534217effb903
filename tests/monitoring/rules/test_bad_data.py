"""The `bad_data` rule: bad quality for longer than stale_after_s, cleared by good data."""

from __future__ import annotations

import pytest

from tests.monitoring.rules.factories import MIN, T0, TANKS, S, engine_for, feed, reading


@pytest.fixture
def engine(registry):
    return engine_for(registry, "bad_data")


def bad_every_minute(engine, sensor, start, minutes):
    out = []
    for i in range(minutes + 1):
        t = start + i * MIN
        out += feed(engine, t, reading(sensor, 0, t, "bad"))
    return out


def test_bad_quality_for_stale_after_s_is_yellow(engine):
    # NH3-S-02: stale_after_s 300
    assert bad_every_minute(engine, "NH3-S-02", T0, 4) == []
    [signal] = feed(engine, T0 + 5 * MIN, reading("NH3-S-02", 0, T0 + 5 * MIN, "bad"))
    assert (signal.action, signal.rule, signal.source, signal.severity) == (
        "raise",
        "bad_data",
        "sensor:NH3-S-02",
        "yellow",
    )
    assert signal.message == "NH3-S-02 reports bad quality for 5 min"
    assert signal.zone == TANKS
    assert bad_every_minute(engine, "NH3-S-02", T0 + 6 * MIN, 3) == []  # raised once
    [cleared] = feed(engine, T0 + 10 * MIN, reading("NH3-S-02", 1, T0 + 10 * MIN))
    assert (cleared.action, cleared.source) == ("clear", "sensor:NH3-S-02")


def test_a_good_reading_restarts_the_run(engine):
    bad_every_minute(engine, "NH3-S-02", T0, 4)
    feed(engine, T0 + 4 * MIN + S, reading("NH3-S-02", 1, T0 + 4 * MIN + S))
    assert bad_every_minute(engine, "NH3-S-02", T0 + 5 * MIN, 4) == []


def test_uncertain_breaks_a_run_but_does_not_clear(engine):
    bad_every_minute(engine, "NH3-S-02", T0, 4)
    feed(engine, T0 + 4 * MIN + S, reading("NH3-S-02", 1, T0 + 4 * MIN + S, "uncertain"))
    assert feed(engine, T0 + 5 * MIN, reading("NH3-S-02", 0, T0 + 5 * MIN, "bad")) == []
    bad_every_minute(engine, "NH3-S-02", T0 + 6 * MIN, 5)  # raised at +10 min
    assert feed(engine, T0 + 12 * MIN, reading("NH3-S-02", 1, T0 + 12 * MIN, "uncertain")) == []
    [cleared] = feed(engine, T0 + 13 * MIN, reading("NH3-S-02", 1, T0 + 13 * MIN))
    assert cleared.action == "clear"


def test_unregistered_and_good_sensors_are_ignored(engine):
    assert bad_every_minute(engine, "NOT-REGISTERED", T0, 20) == []
    signals = []
    for i in range(20):
        t = T0 + i * MIN
        signals += feed(engine, t, reading("LT-101", 50, t))
    assert signals == []
