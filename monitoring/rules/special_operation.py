"""`special_operation`: people in a major-hazard zone as for a special operation (GB 30871).

Source `zone:<id>` of zones with hazard `major`; "over the limit" means more people than
the zone's `max_people` (any people when it has none), for the zone's `dwell_s`:

| condition | severity | message |
|---|---|---|
| over the limit, no approved permit covers the zone now | orange | "6 people in Liquid ammonia tank farm south for 3 min, no permit reported" |
| over the limit, covered, but more people than the permits' `workers` | orange | "6 people in ... for 3 min, permit DH-2026-0042 allows 4" |
| over the limit `dwell_s` after a covering permit ended, people there since before | orange | "permit DH-2026-0042 expired at 17:00, 4 people still in zone" |
| covered, people present, during a registry restriction period | yellow | "special operation during restricted period (Spring Festival): confirm safety measures" |

A covered operation within its `workers` raises nothing; the engine lists it in
`operations_in_progress` for the UI. A crowded major zone never also raises `people`.
Times of day in messages are in the registry's timezone.
"""

from __future__ import annotations

from monitoring.registry.model import Zone
from monitoring.rules.base import format_duration
from monitoring.rules.zones import Verdict, ZoneRule, ZoneState
from monitoring.signals import RULE_SPECIAL_OPERATION


class SpecialOperationRule(ZoneRule):
    """Raise crowds in major-hazard zones that no approved permit explains."""

    name = RULE_SPECIAL_OPERATION

    def applies(self, zone: Zone) -> bool:
        """Watch every major-hazard zone."""
        return zone.hazard == "major"

    def verdict(
        self, zone: Zone, people: int, state: ZoneState, now_ms: int, held_ms: int
    ) -> Verdict | None:
        """Return what the people in the zone mean, given permits and restrictions now."""
        over = people > (zone.max_people or 0)
        if not over:
            state.over_since_ms = None
        elif state.over_since_ms is None:
            state.over_since_ms = now_ms
        ctx = self.ctx
        crowd = f"{people} people in {zone.name} for {format_duration(held_ms)}"
        covering = ctx.covering_permits(zone.id, now_ms)
        if covering:
            ids = [p.permit for p in covering]
            workers = [p.workers for p in covering]
            allowed = None if None in workers else sum(w for w in workers if w is not None)
            if over and allowed is not None and people > allowed:
                permits = (
                    f"permit {ids[0]} allows"
                    if len(ids) == 1
                    else f"permits {', '.join(ids)} allow"
                )
                return Verdict(
                    "special_operation.over_permit",
                    f"{crowd}, {permits} {allowed}",
                    ("over_permit", people, tuple(ids)),
                    {"permits": ids, "workers": allowed},
                )
            restrictions = ctx.restrictions_at(now_ms)
            if restrictions and people > 0:
                name = restrictions[0].name
                return Verdict(
                    "special_operation.restricted_period",
                    f"special operation during restricted period ({name}): confirm safety measures",
                    ("restricted_period", tuple(ids), name),
                    {"permits": ids, "restriction": name},
                )
            return None
        if not over or state.over_since_ms is None:
            return None
        # People who were there when a permit ended and are still there: it expired.
        ended = ctx.ended_permits(zone.id, state.over_since_ms - 1, now_ms)
        if ended:
            permit = ended[0]
            return Verdict(
                "special_operation.permit_expired",
                f"permit {permit.permit} expired at {ctx.local_time(permit.end_ms)}, "
                f"{people} people still in zone",
                ("permit_expired", people, permit.permit),
                {"permit": permit.permit, "end_ms": permit.end_ms},
            )
        return Verdict(
            "special_operation.no_permit",
            f"{crowd}, no permit reported",
            ("no_permit", people),
        )
