"""Signal models: reproducible, physically plausible, quiet in the steady state."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from simulators.province import generate_province
from simulators.signals import SignalModel, model_for_sensor
from simulators.site import build_site_models

CST = timezone(timedelta(hours=8))
# Local midnight of an ordinary day.
DAY0_MS = int(datetime(2026, 11, 29, tzinfo=CST).timestamp() * 1000)
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@pytest.fixture(scope="module")
def province() -> dict:
    return generate_province()


@pytest.fixture(scope="module")
def sensors(province) -> list[tuple[dict, SignalModel]]:
    """Every sensor of the province with its signal model."""
    pairs = []
    for model in build_site_models(province, t_ms=DAY0_MS):
        for sensor_id, signal in model.signals.items():
            pairs.append((model.sensors[sensor_id], signal))
    return pairs


def test_same_seed_same_values_in_any_sampling_order(province):
    sensor = province["enterprises"][0]["sites"][0]["sensors"][0]
    times = [DAY0_MS + i * 7_919 for i in range(500)]
    a = model_for_sensor(sensor, seed=7, scope="ty-fert/main")
    b = model_for_sensor(sensor, seed=7, scope="ty-fert/main")
    forward = [a.sample(t) for t in times]
    shuffled = times[:]
    random.Random(1).shuffle(shuffled)
    backward = dict(zip(shuffled, (b.sample(t) for t in shuffled), strict=True))
    assert forward == [backward[t] for t in times]
    other = model_for_sensor(sensor, seed=8, scope="ty-fert/main")
    assert [other.sample(t) for t in times] != forward


def test_values_stay_physically_possible(sensors):
    rng = random.Random(3)
    for sensor, signal in sensors:
        for _ in range(300):
            value = signal.value(DAY0_MS + rng.randrange(30 * DAY_MS))
            if sensor["kind"].startswith("gas_") or sensor["kind"] in ("pressure", "flow"):
                assert value >= 0, sensor
            if sensor["kind"] == "level":
                assert 0 <= value <= 100, sensor
            if sensor["kind"] == "temperature":
                assert -40 < value < 1500, sensor


def test_a_normal_day_stays_inside_every_limit(sensors):
    """The steady state must raise no threshold alarm: a real plant's normal day has none."""
    checked = 0
    for sensor, signal in sensors:
        times = list(range(DAY0_MS, DAY0_MS + DAY_MS, 60_000))
        # Spikes are short: look at each one's peak as well.
        times += [(e.start_ms + e.end_ms) // 2 for e in signal.events(DAY0_MS, DAY0_MS + DAY_MS)]
        for t in times:
            value = signal.sample(t)
            if value is None:
                continue
            checked += 1
            if "high" in sensor:
                # Well inside, not just under, so that noise never makes an alarm chatter;
                # gas detectors read far below their first set point.
                margin = 0.5 if sensor["kind"].startswith("gas_") else 0.92
                assert value < margin * sensor["high"], (sensor, t, value)
            if "low" in sensor:
                assert value > sensor["low"] * 1.2, (sensor, t, value)
    assert checked > 200_000


def test_gas_detectors_read_near_zero_most_of_the_time(sensors):
    for sensor, signal in sensors:
        if sensor["kind"] == "gas_nh3":
            values = [signal.value(t) for t in range(DAY0_MS, DAY0_MS + DAY_MS, 600_000)]
            assert max(values) < 42 * 0.5
            assert sorted(values)[len(values) // 2] < 42 * 0.15


def test_dropouts_and_stuck_values_happen_over_a_long_horizon(sensors):
    start, end = DAY0_MS, DAY0_MS + 30 * DAY_MS
    dropouts, stucks = [], []
    for _, signal in sensors:
        for event in signal.events(start, end):
            if event.kind == "dropout":
                dropouts.append((signal, event))
            elif event.kind == "stuck":
                stucks.append((signal, event))
    # Rare for one sensor (a few a year), but a province of sensors sees several a month.
    assert 5 <= len(dropouts) <= 0.05 * len(sensors) * 30
    assert 5 <= len(stucks) <= 0.05 * len(sensors) * 30
    for signal, event in dropouts[:20]:
        inside = range(event.start_ms, event.end_ms, 10_000)
        assert all(signal.sample(t) is None for t in inside)
        assert (
            signal.sample(event.start_ms - 1) is not None or signal.sample(event.end_ms) is not None
        )
    for signal, event in stucks[:20]:
        values = {signal.sample(t) for t in range(event.start_ms, event.end_ms, 10_000)}
        values.discard(None)  # a dropout may fall inside a stuck period
        assert len(values) == 1, values


def test_temperature_follows_the_day(sensors):
    ambient = [
        s for sensor, s in sensors if sensor["kind"] == "temperature" and sensor["high"] <= 60
    ]
    assert ambient
    for signal in ambient:
        afternoons = [
            signal.value(DAY0_MS + d * DAY_MS + 14 * HOUR_MS + 1800_000) for d in range(7)
        ]
        nights = [signal.value(DAY0_MS + d * DAY_MS + 3 * HOUR_MS) for d in range(7)]
        assert sum(afternoons) / 7 > sum(nights) / 7 + 4


def test_tank_levels_fill_and_empty(sensors):
    levels = [s for sensor, s in sensors if sensor["kind"] == "level"]
    assert levels
    for signal in levels:
        values = [signal.value(t) for t in range(DAY0_MS, DAY0_MS + 2 * DAY_MS, 900_000)]
        assert max(values) - min(values) > 15


def test_loading_flows_run_by_day_and_rest_at_night(sensors):
    loading = [s for sensor, s in sensors if sensor["kind"] == "flow" and "low" not in sensor]
    assert loading
    day = night = 0
    for signal in loading:
        for d in range(7):
            base = DAY0_MS + d * DAY_MS
            day += sum(signal.value(base + h * 600_000) > 0 for h in range(48, 108))
            night += sum(signal.value(base + h * 600_000) > 0 for h in range(0, 36))
    assert day > 5 * max(night, 1)
