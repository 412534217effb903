"""People counts: day patrols, rare night rounds, never over a zone's limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from simulators.people import PeopleModel, model_for_zone
from simulators.province import generate_province
from simulators.site import build_site_models

CST = timezone(timedelta(hours=8))
DAY0_MS = int(datetime(2026, 11, 29, tzinfo=CST).timestamp() * 1000)
HOUR_MS = 3_600_000


def _local_hour(t_ms: int) -> int:
    return datetime.fromtimestamp(t_ms / 1000, CST).hour


def test_patrols_by_day_rare_at_night_never_over_the_limit():
    province = generate_province()
    day_minutes = night_minutes = 0
    night_max = 0
    for model in build_site_models(province, t_ms=DAY0_MS):
        for zone_id, people in model.people.items():
            limit = model.zones[zone_id]["max_people"]
            for t in range(DAY0_MS, DAY0_MS + 7 * 24 * HOUR_MS, 60_000):
                n = people.count(t)
                assert 0 <= n <= limit
                if not n:
                    continue
                hour = _local_hour(t)
                if 8 <= hour < 18:
                    day_minutes += n
                elif hour >= 20 or hour < 6:
                    night_minutes += n
                    night_max = max(night_max, n)
    assert day_minutes > 20 * max(night_minutes, 1)
    assert night_minutes > 0, "a night round happens now and then"
    assert night_max == 1, "one person makes a night round"


def test_counts_are_deterministic_per_seed():
    zone = {"id": "NH3-TANK-S", "hazard": "major", "max_people": 2, "dwell_s": 120}
    times = range(DAY0_MS, DAY0_MS + 24 * HOUR_MS, 30_000)
    a = model_for_zone(zone, seed=7, scope="ty-fert/main")
    b = model_for_zone(zone, seed=7, scope="ty-fert/main")
    c = model_for_zone(zone, seed=9, scope="ty-fert/main")
    counts = [a.count(t) for t in times]
    assert counts == [b.count(t) for t in reversed(times)][::-1]
    assert counts != [c.count(t) for t in times]
    assert max(counts) >= 1


def test_major_zones_see_at_most_two_people_on_patrol():
    model = PeopleModel(key=1234, max_people=4, max_patrol=2, day_prob=1.0)
    counts = {model.count(t) for t in range(DAY0_MS, DAY0_MS + 24 * HOUR_MS, 60_000)}
    assert counts <= {0, 1, 2}
    assert 2 in counts
