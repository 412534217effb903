"""Sensors online and the newest reading: the wall's online rate and the header's Data badge.

Asking the store for a site's latest readings costs a few milliseconds, so all 500 sites of a
province take 0.5-1.5 s: never in a request. The first figures are counted at once; then a
background thread counts a slice of sites at a time, round robin, for at most `SLICE_S` of
work, and rests `COST_FACTOR` times what the slice took (at least `MIN_PERIOD_S`), so the
store spends at most a twentieth of its time on it.

The newest reading is the newest of any site counted so far. Recounting the whole province
only every 30 s made the Data badge climb to 30 s while gateways sent every 5 s; now some
sites are asked every second or so, and while data flows one of them has something newer.
Its age can only be overstated, never understated: a site not yet asked again cannot make
the data look fresher than it is.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from monitoring.registry.model import Registry
from monitoring.views.ports import StoreReader

log = logging.getLogger(__name__)

COST_FACTOR = 20  # rest this many times what a slice took: the store spends <= 1/20 on it
MIN_PERIOD_S = 0.5  # never more often than the wall's snapshot is rebuilt
SLICE_S = 0.05  # work of one slice: all of a small registry, some 15-25 sites of a province


@dataclass(frozen=True)
class SiteFreshness:
    """One site at the time it was last asked: sensors, how many online, newest reading."""

    total: int
    online: int
    newest_ms: int | None


class SensorFreshness:
    """Count sensors online and find the newest reading, a slice of sites at a time."""

    def __init__(self, store: StoreReader, min_period_s: float = MIN_PERIOD_S) -> None:
        self.store = store
        self.min_period_s = min_period_s
        self._sites: dict[tuple[str, str], SiteFreshness] = {}
        self._counted = False
        self._next = 0  # where the next slice starts in the registry's list of sites
        self._due_s = 0.0  # when the next slice may start (seconds of the caller's clock)
        self._busy = False
        self._lock = threading.Lock()

    def figures(self, registry: Registry | None, now_ms: int) -> tuple[int, int, int | None]:
        """Return (sensors, online, newest reading ms): counted now the first time, then kept
        up in the background (the figures of the last slices meanwhile)."""
        if registry is None:
            return 0, 0, None
        sites = [(e.id, s.id) for e, s in registry.sites()]
        with self._lock:
            first = not self._counted
            start = not first and not self._busy and now_ms / 1000 >= self._due_s
            if start:
                self._busy = True
        if first:
            self._count(registry, sites, now_ms, everything=True)
        elif start:
            threading.Thread(
                target=self._count_in_background,
                args=(registry, sites, now_ms),
                name="wall-freshness",
                daemon=True,
            ).start()
        return self._sum(registry)

    def _sum(self, registry: Registry) -> tuple[int, int, int | None]:
        total = online = 0
        newest: int | None = None
        with self._lock:
            for enterprise, site in registry.sites():
                total += len(site.sensors)
                known = self._sites.get((enterprise.id, site.id))
                if known is None:
                    continue
                online += known.online
                if known.newest_ms is not None and (newest is None or known.newest_ms > newest):
                    newest = known.newest_ms
        return total, online, newest

    def _count_in_background(
        self, registry: Registry, sites: list[tuple[str, str]], now_ms: int
    ) -> None:
        try:
            self._count(registry, sites, now_ms, everything=False)
        except Exception:  # the store is down or closing: keep showing the last figures
            log.warning("counting online sensors failed", exc_info=True)

    def _count(
        self, registry: Registry, sites: list[tuple[str, str]], now_ms: int, everything: bool
    ) -> None:
        """Count the next sites (all of them when `everything`) and schedule the next slice."""
        started = time.perf_counter()
        counted: dict[tuple[str, str], SiteFreshness] = {}
        try:
            position = self._next if self._next < len(sites) else 0
            for _ in range(len(sites)):
                key = sites[position]
                counted[key] = self._site(registry, key, now_ms)
                position = (position + 1) % len(sites)
                if not everything and time.perf_counter() - started >= SLICE_S:
                    break
        finally:
            took = time.perf_counter() - started
            with self._lock:
                self._sites.update(counted)
                if everything or len(self._sites) > len(sites):
                    # A reloaded registry: forget the sites it no longer has.
                    keep = set(sites)
                    self._sites = {k: v for k, v in self._sites.items() if k in keep}
                self._next = position if sites else 0
                self._counted = True
                # The first, complete count is not a slice: slices start right after it.
                rest = 0.0 if everything else COST_FACTOR * took
                self._due_s = now_ms / 1000 + max(self.min_period_s, rest)
                self._busy = False

    def _site(self, registry: Registry, key: tuple[str, str], now_ms: int) -> SiteFreshness:
        enterprise, site_id = key
        site = registry.site(enterprise, site_id)
        sensors = site.sensors if site is not None else ()
        latest = {r.sensor: r.ts_ms for r in self.store.latest_readings(enterprise, site_id)}
        online = 0
        for sensor in sensors:
            ts = latest.get(sensor.id)
            if ts is not None and now_ms - ts <= sensor.stale_after_s * 1000:
                online += 1
        return SiteFreshness(len(sensors), online, max(latest.values()) if latest else None)
