"""What the people-count rules share: a verdict per zone, the dwell time, unknown counts.

A zone rule looks at the zone's people count (the sum of its cameras' fresh counts, see
`SiteContext.people_in`) and says what, if anything, is wrong right now (a `Verdict`).
A verdict is raised once it has held for the zone's `dwell_s`; it clears as soon as there
is none (no dwell to clear). While no camera of the zone has reported for
`PRESENCE_FRESH_S` the count is unknown: an alarm neither raises nor clears (after an
ingest restart a restored alarm waits for the cameras), and a pending dwell starts over.
A camera that never reports again leaves its zone's alarm open until one does.

Times are the engine's (`now_ms`): a count is judged by when it arrived, so a camera with
a wrong clock is not taken for an absent one.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from monitoring.records import Permit, PresenceCount
from monitoring.registry.model import Zone
from monitoring.rules.base import OnDelay, SiteRule
from monitoring.rules.context import SiteContext
from monitoring.rules.severity import SEVERITY_TABLE
from monitoring.signals import AlarmSignal


@dataclass(frozen=True, slots=True)
class Verdict:
    """What is wrong in a zone now: `key` is the SEVERITY_TABLE entry and message key."""

    key: str
    message: str
    signature: Hashable  # what, if it changes, is worth telling the alarm book again
    params: dict = field(default_factory=dict)

    @property
    def severity(self) -> str:
        """Return the severity of this verdict."""
        return SEVERITY_TABLE[self.key]


@dataclass(slots=True)
class ZoneState:
    """Per-zone state of a zone rule."""

    dwell: OnDelay
    over_since_ms: int | None = None  # people over the zone's limit since (no dwell)


class ZoneRule(SiteRule):
    """Base of the people-count rules; subclasses say which zones and what verdict."""

    def __init__(self, ctx: SiteContext) -> None:
        super().__init__(ctx)
        self._states: dict[str, ZoneState] = {}
        self._pending: set[str] = set()  # zones whose dwell is running
        self._build()

    def applies(self, zone: Zone) -> bool:
        """Tell whether this rule watches a zone."""
        raise NotImplementedError

    def verdict(
        self, zone: Zone, people: int, state: ZoneState, now_ms: int, held_ms: int
    ) -> Verdict | None:
        """Return what is wrong with `people` in the zone now (`held_ms`: for how long)."""
        raise NotImplementedError

    def _build(self) -> list[str]:
        """Watch the zones this rule applies to; return the ids no longer watched."""
        old = self._states
        states: dict[str, ZoneState] = {}
        for zone in self.ctx.zones.values():
            if self.applies(zone):
                state = old.get(zone.id) or ZoneState(OnDelay(0))
                state.dwell.delay_ms = zone.dwell_s * 1000
                states[zone.id] = state
        self._states = states
        self._pending &= states.keys()
        return [z for z in old if z not in states]

    def on_presence(self, counts: Sequence[PresenceCount], now_ms: int) -> list[AlarmSignal]:
        """Judge the zones that got a new count."""
        return self._evaluate_all({c.zone for c in counts}, now_ms)

    def on_permits(self, permits: Sequence[Permit], now_ms: int) -> list[AlarmSignal]:
        """Judge the zones that got a permit report."""
        return self._evaluate_all({p.zone for p in permits}, now_ms)

    def on_tick(self, now_ms: int) -> list[AlarmSignal]:
        """Judge busy zones again: dwell times, permit ends and stale counts move with time."""
        occupied = self.ctx.occupied
        if not (occupied or self._pending or self.alarms):
            return []  # the usual case, for most sites on most ticks
        busy = occupied & self._states.keys()
        busy.update(self._pending)
        busy.update(s[5:] for s in self.alarms.sources())
        return self._evaluate_all(busy, now_ms)

    def reconfigure(self, now_ms: int) -> list[AlarmSignal]:
        """Follow new zone settings; clear alarms of zones this rule no longer watches."""
        out = []
        for zone_id in self._build():
            signal = self.alarms.clear(
                f"zone:{zone_id}", now_ms, "zone no longer watched", zone=zone_id
            )
            if signal is not None:
                out.append(signal)
        return out

    def restore(self, source: str, severity: str) -> bool:
        """Know an open alarm of a zone; it waits for the cameras before clearing."""
        if not source.startswith("zone:") or source[5:] not in self._states:
            return False
        self.alarms.restore(source, severity)
        return True

    def _evaluate_all(self, zone_ids: set[str], now_ms: int) -> list[AlarmSignal]:
        out = []
        for zone_id in sorted(zone_ids):
            if zone_id in self._states:
                signal = self._evaluate(zone_id, now_ms)
                if signal is not None:
                    out.append(signal)
        return out

    def _evaluate(self, zone_id: str, now_ms: int) -> AlarmSignal | None:
        state = self._states[zone_id]
        zone = self.ctx.zones[zone_id]
        source = f"zone:{zone_id}"
        people = self.ctx.people_in(zone_id, now_ms)
        if people is None:
            if source not in self.alarms:  # a raised alarm keeps its start for the message
                state.dwell.reset()
                state.over_since_ms = None
                self._pending.discard(zone_id)
            return None
        since = state.dwell.since_ms
        held_ms = 0 if since is None else max(0, now_ms - since)
        verdict = self.verdict(zone, people, state, now_ms, held_ms)
        if verdict is None:
            state.dwell.reset()
            self._pending.discard(zone_id)
            return self.alarms.clear(
                source, now_ms, f"{people} people in {zone.name}", zone=zone_id, value=people
            )
        held = state.dwell.update(True, now_ms)
        if not held and source not in self.alarms:
            self._pending.add(zone_id)
            return None
        self._pending.discard(zone_id)
        return self.alarms.activate(
            source,
            now_ms,
            verdict.severity,
            verdict.message,
            signature=verdict.signature,
            zone=zone_id,
            value=people,
            key=verdict.key,
            params={"zone": zone_id, "zone_name": zone.name, "people": people, **verdict.params},
        )
