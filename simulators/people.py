"""People counted per zone by video analytics: day patrols, rare night rounds.

Each half hour a zone may see one patrol of 1-2 people for a few minutes, mostly between
08:00 and 18:00 local time. Counts never exceed the zone's `max_people`, so a normal day
raises no crowding alarm. Deterministic per seed and independent of sampling order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulators.noise import local_hour, stable_key, uniform

PATROL_BUCKET_MS = 1_800_000  # at most one patrol per zone per half hour
DAY_PATROL_MS = (180_000, 600_000)
NIGHT_PATROL_MS = (120_000, 300_000)
_PATROL, _SIZE = 50, 60


@dataclass(frozen=True, slots=True)
class PeopleModel:
    """How many people one zone's camera counts at a time; `count(t_ms)` is the interface."""

    key: int
    max_people: int = 2
    max_patrol: int = 2
    day_prob: float = 0.3  # per PATROL_BUCKET_MS
    night_prob: float = 0.02
    day_start_h: float = 8.0
    day_end_h: float = 18.0
    utc_offset_s: int = 8 * 3600

    def count(self, t_ms: int) -> int:
        """Return the number of people in the zone at `t_ms`."""
        bucket = t_ms // PATROL_BUCKET_MS
        bucket_start = bucket * PATROL_BUCKET_MS
        day = self.is_day(bucket_start)
        if uniform(self.key, bucket, _PATROL) >= (self.day_prob if day else self.night_prob):
            return 0
        lo, hi = DAY_PATROL_MS if day else NIGHT_PATROL_MS
        duration = int(lo + uniform(self.key, bucket, _PATROL + 1) * (hi - lo))
        start = bucket_start + int(
            uniform(self.key, bucket, _PATROL + 2) * (PATROL_BUCKET_MS - duration)
        )
        if not start <= t_ms < start + duration:
            return 0
        # One person makes a night round; by day a patrol is one or two (never over the limit).
        size = 1 if not day else 1 + int(uniform(self.key, bucket, _SIZE) * self.max_patrol)
        return max(0, min(size, self.max_people))

    def is_day(self, t_ms: int) -> bool:
        """Tell whether `t_ms` falls in the day shift's patrol hours (local time)."""
        return self.day_start_h <= local_hour(t_ms, self.utc_offset_s) < self.day_end_h


def model_for_zone(
    zone: dict[str, Any], *, seed: int, scope: str, utc_offset_s: int = 8 * 3600
) -> PeopleModel:
    """Build the people model of one registry zone (busier when it is not a major hazard)."""
    major = zone.get("hazard") == "major"
    limit = zone.get("max_people")
    max_people = int(limit) if isinstance(limit, int) else 3
    return PeopleModel(
        key=stable_key(seed, scope, zone["id"], "people"),
        max_people=max_people,
        max_patrol=2 if major else 3,
        day_prob=0.3 if major else 0.5,
        night_prob=0.02 if major else 0.04,
        utc_offset_s=utc_offset_s,
    )
