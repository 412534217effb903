"""Scenarios: each one's effect at its time, and nothing before or after."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from simulators.province import generate_province
from simulators.scenarios import SCENARIOS, list_scenarios, make_scenario
from simulators.site import build_site_models

CST = timezone(timedelta(hours=8))
# 23:30 local: the night the inspectors saw the people on video.
NIGHT_MS = int(datetime(2026, 11, 29, 23, 30, tzinfo=CST).timestamp() * 1000)
MIN_MS = 60_000


@pytest.fixture(scope="module")
def province() -> dict:
    return generate_province()


@pytest.fixture(scope="module")
def sites(province) -> dict:
    return {m.key: m for m in build_site_models(province, t_ms=NIGHT_MS)}


def _frame(sites, scenario, key, t_ms):
    return scenario.apply(sites[key].frame(t_ms))


def test_every_scenario_is_listed_with_a_description():
    lines = list_scenarios()
    assert {line.split(":")[0] for line in lines} == {
        "ammonia-night-patrol",
        "ammonia-leak",
        "gateway-outage",
        "permitted-hot-work",
    }
    assert all(len(line.split(": ", 1)[1]) > 20 for line in lines)
    assert set(SCENARIOS) == {line.split(":")[0] for line in lines}


@pytest.mark.parametrize("speed", [1.0, 20.0])
def test_night_patrol_puts_six_people_in_the_south_tank_farm(province, sites, speed):
    scenario = make_scenario("ammonia-night-patrol", province, NIGHT_MS, speed)
    key = ("ty-fert", "main")
    window_ms = int(600_000 / speed)
    assert scenario.end_ms - scenario.start_ms == window_ms
    for t in range(NIGHT_MS, NIGHT_MS + window_ms, window_ms // 20):
        frame = _frame(sites, scenario, key, t)
        assert frame.people["NH3-TANK-S"] == 6
        assert frame.permits == ()
    for t in (NIGHT_MS - 1, NIGHT_MS + window_ms, NIGHT_MS + window_ms + 10 * MIN_MS):
        assert _frame(sites, scenario, key, t).people["NH3-TANK-S"] <= 2
    # Other sites and zones are untouched.
    during = NIGHT_MS + window_ms // 2
    other = ("qh-chlor", "main")
    assert _frame(sites, scenario, other, during) == sites[other].frame(during)
    frame = _frame(sites, scenario, key, during)
    base = sites[key].frame(during)
    assert {z: n for z, n in frame.people.items() if z != "NH3-TANK-S"} == {
        z: n for z, n in base.people.items() if z != "NH3-TANK-S"
    }


def test_ammonia_leak_rises_past_both_set_points_and_falls_back(province, sites):
    scenario = make_scenario("ammonia-leak", province, NIGHT_MS, 1.0)
    key = ("ty-fert", "main")

    def at(minutes: float) -> dict:
        return _frame(sites, scenario, key, NIGHT_MS + int(minutes * MIN_MS))

    assert at(-1).readings["NH3-S-01"] < 42
    early, mid, ramp_end = at(0.5), at(1.5), at(3.5)
    assert early.readings["NH3-S-01"] < mid.readings["NH3-S-01"] < ramp_end.readings["NH3-S-01"]
    assert 42 < mid.readings["NH3-S-01"]
    for minutes in (4, 8, 14):
        frame = at(minutes)
        assert 110 <= frame.readings["NH3-S-01"] <= 130
        # Neighbours rise, but less.
        assert 10 < frame.readings["NH3-S-02"] < frame.readings["NH3-S-01"]
        assert frame.readings["NH3-S-03"] < frame.readings["NH3-S-02"]
    assert at(0.5).people["NH3-TANK-S"] == 1, "the operator who found it"
    assert at(5).people["NH3-TANK-S"] == 0, "evacuated"
    after = at(21)
    assert after.readings["NH3-S-01"] < 20
    assert after == sites[key].frame(after.t_ms)


def test_gateway_outage_silences_one_site_for_its_window(province, sites):
    scenario = make_scenario("gateway-outage", province, NIGHT_MS, 10.0)
    key = (scenario.enterprise, scenario.site)
    assert key != ("ty-fert", "main"), "the story's plant keeps reporting"
    assert _frame(sites, scenario, key, NIGHT_MS - 1).online
    assert not _frame(sites, scenario, key, NIGHT_MS).online
    assert not _frame(sites, scenario, key, scenario.end_ms - 1).online
    assert _frame(sites, scenario, key, scenario.end_ms).online
    assert scenario.end_ms - scenario.start_ms == 60_000
    assert _frame(sites, scenario, ("ty-fert", "main"), NIGHT_MS + 1000).online


def test_permitted_hot_work_reports_its_permit_then_four_workers(province, sites):
    scenario = make_scenario("permitted-hot-work", province, NIGHT_MS, 1.0)
    key = ("ty-fert", "main")
    frame = _frame(sites, scenario, key, NIGHT_MS)
    (permit,) = frame.permits
    assert permit["type"] == "hot_work" and permit["status"] == "approved"
    assert permit["workers"] == 4 and permit["zone"] == scenario.zone
    start = datetime.fromisoformat(permit["start"])
    end = datetime.fromisoformat(permit["end"])
    assert int(start.timestamp() * 1000) == NIGHT_MS
    assert end - start == timedelta(hours=2)
    assert start.utcoffset() == timedelta(hours=8)
    for minutes in (2, 60, 118):
        working = _frame(sites, scenario, key, NIGHT_MS + minutes * MIN_MS)
        assert working.people[scenario.zone] == 4
        assert working.permits[0]["status"] == "approved"
        assert working.people["NH3-TANK-S"] <= 2
    closing = _frame(sites, scenario, key, NIGHT_MS + 121 * MIN_MS)
    assert closing.permits[0]["status"] == "closed"
    assert closing.permits[0]["permit"] == permit["permit"]
    assert closing.people[scenario.zone] <= 3
    later = _frame(sites, scenario, key, NIGHT_MS + 130 * MIN_MS)
    assert later.permits == ()


def test_scenario_targets_can_be_chosen_and_are_checked(province):
    leak = make_scenario("ammonia-leak:bym-coalchem/main/NH3-REFRIG", province, NIGHT_MS)
    assert (leak.enterprise, leak.site, leak.zone) == ("bym-coalchem", "main", "NH3-REFRIG")
    assert leak.leak_sensors() == ["NH3-301", "NH3-302", "NH3-303"]
    outage = make_scenario("gateway-outage:xh-petro/terminal", province, NIGHT_MS)
    assert (outage.enterprise, outage.site) == ("xh-petro", "terminal")
    for bad in (
        "no-such-thing",
        "gateway-outage:nobody/main",
        "gateway-outage:ty-fert/nope",
        "gateway-outage:ty-fert",
    ):
        with pytest.raises(ValueError):
            make_scenario(bad, province, NIGHT_MS)
    with pytest.raises(ValueError):
        make_scenario("ammonia-leak", province, NIGHT_MS, speed=0)
