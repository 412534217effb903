"""The `lost_comm` rule: silent sensors after stale_after_s, gateway offline, suppression."""

from __future__ import annotations

import pytest

from tests.monitoring.rules.factories import (
    MIN,
    T0,
    S,
    engine_for,
    feed,
    only,
    reading,
    status,
)

ALL_SENSORS = {"NH3-S-01", "LT-101", "NH3-S-02", "TT-301", "PT-302"}


@pytest.fixture
def engine(registry):
    return engine_for(registry, "lost_comm")


def ticks(engine, start, end, step=S):
    """Tick every `step` from start to end inclusive; return all signals."""
    out = []
    for t in range(start, end + 1, step):
        out += engine.on_tick(t)
    return out


def test_sensor_never_seen_is_silent_stale_after_s_after_start_not_at_once(engine):
    assert ticks(engine, T0, T0 + 59 * S) == []  # NH3-S-01 has stale_after_s 60
    [signal] = engine.on_tick(T0 + 60 * S)
    assert (signal.action, signal.rule, signal.source) == ("raise", "lost_comm", "sensor:NH3-S-01")
    assert signal.severity == "yellow"
    assert signal.message == "no data from NH3-S-01 for 1 min"
    assert ticks(engine, T0 + 61 * S, T0 + 119 * S) == []
    late = ticks(engine, T0 + 120 * S, T0 + 120 * S)  # LT-101, TT-301, PT-302: default 120 s
    assert {s.source for s in late} == {"sensor:LT-101", "sensor:TT-301", "sensor:PT-302"}
    assert only(late, source="sensor:LT-101")[0].message == "no data from LT-101 for 2 min"


def test_data_keeps_a_sensor_alive_and_its_return_clears_the_alarm(engine):
    engine.on_tick(T0)
    for t in range(T0, T0 + 5 * MIN, 30 * S):
        feed(engine, t, reading("NH3-S-01", 1, t))
    alive = only(ticks(engine, T0, T0 + 5 * MIN - 30 * S, 10 * S), source="sensor:NH3-S-01")
    assert alive == []
    last = T0 + 5 * MIN - 30 * S
    assert only(engine.on_tick(last + 59 * S), source="sensor:NH3-S-01") == []
    [raised] = only(engine.on_tick(last + 60 * S), source="sensor:NH3-S-01")
    assert raised.action == "raise"
    [cleared] = feed(engine, last + 70 * S, reading("NH3-S-01", 1, last + 70 * S))
    assert (cleared.action, cleared.source) == ("clear", "sensor:NH3-S-01")
    assert only(engine.on_tick(last + 71 * S), source="sensor:NH3-S-01") == []


def test_silence_is_measured_on_arrival_not_on_the_gateway_clock(engine):
    engine.on_tick(T0)
    # The gateway's clock is 10 minutes behind: its data is still fresh data.
    feed(engine, T0 + 50 * S, reading("NH3-S-01", 1, T0 - 10 * MIN))
    assert only(engine.on_tick(T0 + 100 * S), source="sensor:NH3-S-01") == []


def test_any_quality_counts_as_data(engine):
    engine.on_tick(T0)
    engine.on_tick(T0 + 60 * S)
    [cleared] = feed(engine, T0 + 61 * S, reading("NH3-S-01", 0, T0 + 61 * S, "bad"))
    assert cleared.action == "clear"


def test_raised_once_while_silent(engine):
    signals = ticks(engine, T0, T0 + 10 * MIN, 5 * S)
    assert len(only(signals, source="sensor:NH3-S-01")) == 1
    assert {s.source for s in signals} == {f"sensor:{s}" for s in ALL_SENSORS}


def test_unregistered_sensor_is_never_raised(engine):
    engine.on_tick(T0)
    feed(engine, T0 + S, reading("NOT-REGISTERED", 1, T0 + S))
    signals = ticks(engine, T0, T0 + 10 * MIN, 10 * S)
    assert "sensor:NOT-REGISTERED" not in {s.source for s in signals}


def test_gateway_offline_is_orange_and_suppresses_sensor_alarms(engine):
    engine.on_tick(T0)
    [offline] = feed(engine, T0 + 10 * S, status("offline", T0 + 10 * S))
    assert (offline.action, offline.source, offline.severity, offline.message) == (
        "raise",
        "gateway",
        "orange",
        "gateway offline",
    )
    assert ticks(engine, T0 + 11 * S, T0 + 30 * MIN, 5 * S) == []  # one situation, one alarm
    [online] = feed(engine, T0 + 30 * MIN, status("online", T0 + 30 * MIN))
    assert (online.action, online.source) == ("clear", "gateway")
    # Sensors get their full stale_after_s from the return of the gateway.
    assert ticks(engine, T0 + 30 * MIN, T0 + 30 * MIN + 59 * S) == []
    [silent] = engine.on_tick(T0 + 31 * MIN)
    assert silent.source == "sensor:NH3-S-01"


def test_gateway_offline_supersedes_sensor_alarms_already_raised(engine):
    engine.on_tick(T0)
    [sensor] = engine.on_tick(T0 + 60 * S)
    signals = feed(engine, T0 + 90 * S, status("offline", T0 + 90 * S))
    assert [(s.action, s.source) for s in signals] == [
        ("raise", "gateway"),
        ("clear", sensor.source),
    ]
    assert only(signals, source=sensor.source)[0].message == "superseded by gateway offline"


def test_repeated_or_older_status_changes_nothing(engine):
    engine.on_tick(T0)
    feed(engine, T0 + S, status("offline", T0 + S))
    assert feed(engine, T0 + 2 * S, status("offline", T0 + S)) == []
    assert feed(engine, T0 + 3 * S, status("online", T0 - MIN)) == []  # older than the last
    [online] = feed(engine, T0 + 4 * S, status("online", T0 + 4 * S))
    assert online.action == "clear"


def test_gateway_online_at_start_raises_nothing(engine):
    assert feed(engine, T0, status("online", T0)) == []
