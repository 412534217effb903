"""`limit`: a sensor value beyond its low_low / low / high / high_high limits.

Source `sensor:<id>`. Severities (see `severity.SEVERITY_TABLE`):

| condition | severity |
|---|---|
| high / low, non-gas sensor | yellow |
| high / low, gas sensor (`gas_*`, GB/T 50493 first-level alarm) | orange |
| high_high / low_low | red |
| gas alarm while people are in the zone (exposure escalation) | red |

A level is entered when the value has been beyond it for the sensor's `delay_s` (0: at
once) and left when the value is back inside by more than `deadband`, so a noisy value
at a limit does not chatter. Readings that are not `good` neither raise nor clear, and
restart a pending on-delay. Exposure escalation raises the same alarm (same source and
rule) as red with "N people exposed"; when people leave it is raised again with the base
severity, and the alarm book keeps the worst severity the open alarm has had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitoring.records import PresenceCount, Reading
from monitoring.registry.model import Sensor
from monitoring.rules.base import LevelDebounce, Limits, SiteRule, format_number
from monitoring.rules.context import SiteContext
from monitoring.rules.severity import SEVERITY_TABLE
from monitoring.signals import RULE_LIMIT, AlarmSignal

GAS_KIND_PREFIX = "gas_"
SEVERITY_EXPOSED = SEVERITY_TABLE["limit.exposed"]


@dataclass(slots=True)
class _Watched:
    """A sensor with at least one limit, and where its value stands."""

    sensor: Sensor
    limits: Limits
    delay_ms: int
    gas: bool
    debounce: LevelDebounce
    last_ts: int | None = None
    value: float | None = None  # last good value
    # Strictly between these a normal sensor stays normal: the hot path skips the debounce.
    inside_above: float = float("-inf")
    inside_below: float = float("inf")

    def set_bounds(self) -> None:
        """Derive the normal band from the limits."""
        lim = self.limits
        lows = [v for v in (lim.low, lim.low_low) if v is not None]
        highs = [v for v in (lim.high, lim.high_high) if v is not None]
        self.inside_above = max(lows) if lows else float("-inf")
        self.inside_below = min(highs) if highs else float("inf")


class LimitRule(SiteRule):
    """Raise sensors beyond their limits, escalating gas alarms where people are exposed."""

    name = RULE_LIMIT

    def __init__(self, ctx: SiteContext) -> None:
        super().__init__(ctx)
        self._watched: dict[str, _Watched] = {}
        self._gas_by_zone: dict[str, list[_Watched]] = {}
        self._exposed: set[str] = set()  # sensors signalled with people exposed
        self._build()

    def _build(self) -> list[str]:
        """Watch the sensors that have limits; return the ids no longer watched."""
        old = self._watched
        watched: dict[str, _Watched] = {}
        for sensor in self.ctx.sensors.values():
            limits = Limits(
                sensor.low_low, sensor.low, sensor.high, sensor.high_high, sensor.deadband
            )
            if not limits.any():
                continue  # no limits: such readings cost one dict miss
            w = old.get(sensor.id)
            if w is None:
                w = _Watched(sensor, limits, 0, False, LevelDebounce())
            elif w.debounce.level is not None and getattr(limits, w.debounce.level) is None:
                w.debounce.restore()  # its level is gone: the next reading tells
            w.sensor, w.limits = sensor, limits
            w.set_bounds()
            w.delay_ms = int(sensor.delay_s * 1000)
            w.gas = sensor.kind.startswith(GAS_KIND_PREFIX)
            watched[sensor.id] = w
        self._watched = watched
        gas: dict[str, list[_Watched]] = {}
        for w in watched.values():
            if w.gas:
                gas.setdefault(w.sensor.zone, []).append(w)
        self._gas_by_zone = gas
        self._exposed &= watched.keys()
        return [sid for sid in old if sid not in watched]

    def on_readings(self, readings: Sequence[Reading], now_ms: int) -> list[AlarmSignal]:
        """Debounce each good reading against its sensor's limits."""
        watched = self._watched
        if not watched:
            return []
        out: list[AlarmSignal] = []
        for r in readings:
            w = watched.get(r.sensor)
            if w is None or (w.last_ts is not None and r.ts_ms < w.last_ts):
                continue  # no limits, unregistered, or a late redelivery
            w.last_ts = r.ts_ms
            if r.quality != "good":
                w.debounce.interrupt()
                continue
            w.value = value = r.value
            debounce = w.debounce
            if debounce.active is None and w.inside_above < value < w.inside_below:
                if debounce.pending:  # normal and staying normal: only an on-delay ends
                    debounce.pending.clear()
                continue
            level = debounce.update(w.limits, value, r.ts_ms, w.delay_ms)
            signal = self._signal(w, level, r.ts_ms, now_ms)
            if signal is not None:
                out.append(signal)
        return out

    def on_presence(self, counts: Sequence[PresenceCount], now_ms: int) -> list[AlarmSignal]:
        """Escalate or de-escalate active gas alarms of zones whose people count changed."""
        out: list[AlarmSignal] = []
        for zone in sorted({c.zone for c in counts}):
            for w in self._gas_by_zone.get(zone, ()):
                signal = self._reevaluate(w, now_ms)
                if signal is not None:
                    out.append(signal)
        return out

    def on_tick(self, now_ms: int) -> list[AlarmSignal]:
        """De-escalate exposed alarms whose people count went stale."""
        if not self._exposed:
            return []
        out: list[AlarmSignal] = []
        for sid in sorted(self._exposed):
            signal = self._reevaluate(self._watched[sid], now_ms)
            if signal is not None:
                out.append(signal)
        return out

    def reconfigure(self, now_ms: int) -> list[AlarmSignal]:
        """Follow new limits; clear alarms of sensors that lost their limits or left."""
        out = []
        for sid in self._build():
            signal = self.alarms.clear(f"sensor:{sid}", now_ms, "no limits in the registry")
            if signal is not None:
                out.append(signal)
        return out

    def restore(self, source: str, severity: str) -> bool:
        """Know an open limit alarm; the next good reading tells its level."""
        w = self._watched.get(source.removeprefix("sensor:"))
        if not source.startswith("sensor:") or w is None:
            return False
        w.debounce.restore()
        self.alarms.restore(source, severity)
        return True

    def _reevaluate(self, w: _Watched, now_ms: int) -> AlarmSignal | None:
        level = w.debounce.level
        if level is None or w.value is None:
            return None
        return self._signal(w, level, now_ms, now_ms)

    def _signal(
        self, w: _Watched, level: str | None, ts_ms: int, now_ms: int
    ) -> AlarmSignal | None:
        sensor = w.sensor
        if level is None:
            if self._exposed:
                self._exposed.discard(sensor.id)
            if not self.alarms:
                return None  # the usual case: spare building the source per reading
            return self.alarms.clear(
                f"sensor:{sensor.id}", ts_ms, "back within limits", zone=sensor.zone, value=w.value
            )
        value = w.value if w.value is not None else 0.0
        key = f"limit.gas_{level}" if w.gas else f"limit.{level}"
        severity = SEVERITY_TABLE[key]
        unit = f" {sensor.unit}" if sensor.unit else ""
        limit = w.limits.limit(level)
        message = (
            f"{sensor.id} {level}: {format_number(value)}{unit} (limit {format_number(limit)})"
        )
        params = {
            "sensor": sensor.id,
            "level": level,
            "value": value,
            "unit": sensor.unit,
            "limit": limit,
        }
        exposed = 0
        if w.gas:
            exposed = self.ctx.people_in(sensor.zone, now_ms) or 0
        if exposed:
            self._exposed.add(sensor.id)
            zone = self.ctx.zones.get(sensor.zone)
            zone_name = zone.name if zone is not None else sensor.zone
            message += f" — {exposed} people exposed in {zone_name}"
            severity, key = SEVERITY_EXPOSED, "limit.exposed"
            params.update(people=exposed, zone_name=zone_name)
        else:
            self._exposed.discard(sensor.id)
        return self.alarms.activate(
            f"sensor:{sensor.id}",
            ts_ms,
            severity,
            message,
            signature=(level, exposed),
            zone=sensor.zone,
            value=value,
            key=key,
            params=params,
        )
