"""`people`: too many people in a general zone for too long.

| source | condition | severity |
|---|---|---|
| `zone:<id>` | zone with hazard `general` and a `max_people`: more than that for `dwell_s` | yellow |

Clears as soon as the count is back to `max_people` or fewer. Major-hazard zones are left
to `special_operation` (one situation, one alarm).
"""

from __future__ import annotations

from monitoring.registry.model import Zone
from monitoring.rules.base import format_duration
from monitoring.rules.zones import Verdict, ZoneRule, ZoneState
from monitoring.signals import RULE_PEOPLE


class PeopleRule(ZoneRule):
    """Raise general zones holding more people than their max_people for dwell_s."""

    name = RULE_PEOPLE

    def applies(self, zone: Zone) -> bool:
        """Watch general zones that have a people limit."""
        return zone.hazard == "general" and zone.max_people is not None

    def verdict(
        self, zone: Zone, people: int, state: ZoneState, now_ms: int, held_ms: int
    ) -> Verdict | None:
        """Return an over-crowding verdict when people exceed max_people."""
        limit = zone.max_people or 0
        if people <= limit:
            return None
        return Verdict(
            "people.over_max",
            f"{people} people in {zone.name} for {format_duration(held_ms)} (max {limit})",
            ("over_max", people),
            {"max_people": limit},
        )
