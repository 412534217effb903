"""A repeated (sensor, time) keeps its first value; a later, different value is refused.

InfluxDB identifies a point by measurement, tags and time, so a second reading of a sensor at
the same time replaces the first without a word. A message the broker redelivers (QoS 1)
repeats its readings with the same values: harmless, and passed through. A reading with the
enterprise, site, sensor and time of one received before, but another value or quality, is
refused alone as `conflicting_repeat`, so the store keeps the first value received.

What it cannot see: it remembers only readings received since the ingest started, and only
the latest of them. The memory holds `memory` readings (200,000, about 48 MB): the last
`window` (64) timestamps received of each sensor while at most 3,125 sensors report, an equal
share beyond that (10 each for 20,000 sensors) but never fewer than `min_window` (8), and
past 25,000 sensors the sensor first seen is forgotten first. A repeat older than what is remembered, or
arriving after a restart of the ingest, is not detected and overwrites the stored value. A
first value counts once received, even if the store then refuses it (`store_rejected`).

On the hot path a reading newer than its sensor's newest costs one dictionary look-up, one
comparison and one list append; the readings remembered are the parsed ones, not copies.
"""

from __future__ import annotations

from dataclasses import replace
from operator import itemgetter
from typing import NamedTuple

from monitoring.clock import iso_utc
from monitoring.records import ParsedMessage, Reading, Rejection

CONFLICTING_REPEAT = "conflicting_repeat"
WINDOW = 64  # timestamps remembered per sensor (the last received) while memory allows
MIN_WINDOW = 8  # never fewer per sensor; beyond memory // MIN_WINDOW sensors, evict
MEMORY_READINGS = 200_000  # readings remembered in all, about 240 bytes each
SWEEP_EVERY = 20_000  # readings between two trims, at least; and at least 2 per sensor

_ts_of = itemgetter(3)  # Reading.ts_ms
History = list[Reading]  # one sensor's remembered readings, newest last


class Conflict(NamedTuple):
    """A reading refused because an earlier one had its sensor and time but not its value."""

    first: Reading  # received first: the one stored
    repeat: Reading  # received later with another value or quality: refused


class RepeatDetector:
    """Remember recent readings per sensor and refuse a later, different value for one time.

    Not thread-safe: one thread (the intake's network thread) screens every message.
    """

    def __init__(
        self,
        window: int = WINDOW,
        memory: int = MEMORY_READINGS,
        min_window: int = MIN_WINDOW,
        sweep_every: int = SWEEP_EVERY,
    ) -> None:
        if not 1 <= min_window <= window <= memory:
            raise ValueError("need 1 <= min_window <= window <= memory")
        self.window = window
        self.memory = memory
        self.min_window = min_window
        self.max_sensors = memory // min_window
        self.sweep_every = sweep_every
        # (enterprise, site) -> sensor -> History; the newest reading is always last.
        self._sites: dict[tuple[str, str], dict[str, History]] = {}
        self._sensors = 0
        self._since_sweep = 0
        self._sweep_at = sweep_every

    @property
    def sensors(self) -> int:
        """Return how many sensors are remembered."""
        return self._sensors

    def remembered(self) -> int:
        """Return how many readings are remembered in all."""
        return sum(len(h) for site in self._sites.values() for h in site.values())

    def screen(self, parsed: ParsedMessage) -> ParsedMessage:
        """Return the message without its conflicting repeats, which join its rejections."""
        if parsed.kind != "telemetry":
            return parsed
        # Every reading of a message has the message's enterprise and site.
        key = (parsed.enterprise, parsed.site)
        site = self._sites.get(key)
        if site is None:
            site = self._sites[key] = {}
        # A telemetry message's records are Readings; annotated rather than cast (a call).
        readings: tuple[Reading, ...] = parsed.records  # type: ignore[assignment]
        conflicts: list[Conflict] | None = None
        for reading in readings:
            # By index (sensor [2], ts_ms [3], value [4], quality [5]): faster than by name.
            history = site.get(reading[2])
            if history is None:
                self._remember_sensor(site, reading)
            elif reading[3] > history[-1][3]:
                history.append(reading)  # newer than all: the common case
            else:
                first = _same_time(history, reading[3])
                if first is None:  # out of order but new: remembered, the newest stays last
                    history.insert(-1, reading)
                elif first[4] != reading[4] or first[5] != reading[5]:
                    if conflicts is None:
                        conflicts = []
                    conflicts.append(Conflict(first, reading))
                # else: a redelivery, identical to what is stored; writing it again is harmless
        self._since_sweep += len(readings)
        if self._since_sweep >= self._sweep_at:
            self._sweep()
        if conflicts is None:
            return parsed
        refused = {id(c.repeat) for c in conflicts}
        return replace(
            parsed,
            records=tuple(r for r in readings if id(r) not in refused),
            partial_rejections=parsed.partial_rejections
            + tuple(conflict_rejection(c) for c in conflicts),
        )

    def _remember_sensor(self, site: dict[str, History], reading: Reading) -> None:
        if self._sensors >= self.max_sensors:
            self._forget_oldest_sensor()
        site[reading.sensor] = [reading]
        self._sensors += 1

    def _forget_oldest_sensor(self) -> None:
        # Sites and their sensors are in the order first seen; sites left empty stay until the
        # next sweep, because the caller may hold one of them.
        for site in self._sites.values():
            if site:
                del site[next(iter(site))]
                self._sensors -= 1
                return

    def _sweep(self) -> None:
        """Trim every sensor's memory to its share of the whole, newest kept."""
        self._since_sweep = 0
        # A sweep visits every sensor: waiting for two readings per sensor between sweeps
        # keeps its cost per reading small; the memory may run over by that many readings.
        self._sweep_at = max(self.sweep_every, 2 * self._sensors)
        keep = max(self.min_window, min(self.window, self.memory // max(1, self._sensors)))
        for key in [k for k, site in self._sites.items() if not site]:
            del self._sites[key]
        for site in self._sites.values():
            for history in site.values():
                if len(history) > keep:
                    del history[:-keep]


def _same_time(history: History, ts: int) -> Reading | None:
    """Return the remembered reading at `ts`, if any (at most one: repeats are not kept)."""
    times = list(map(_ts_of, history))
    return history[times.index(ts)] if ts in times else None


def conflict_rejection(conflict: Conflict) -> Rejection:
    """Return why a conflicting repeat was refused: sensor, time and both values."""
    first, repeat = conflict
    return Rejection(
        CONFLICTING_REPEAT,
        f"sensor {repeat.sensor} at {repeat.ts_ms} ({iso_utc(repeat.ts_ms)}): "
        f"value {_shown(repeat)} refused, the first value {_shown(first)} is kept",
    )


def _shown(reading: Reading) -> str:
    quality = "" if reading.quality == "good" else f" ({reading.quality})"
    return f"{reading.value!r}{quality}"
