"""What the rules of one site share: its registry entries and the live picture of the site.

The engine enters people counts, permits and gateway states here before it calls the
rules, so every rule sees the same picture. Nothing here reaches another site.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitoring.records import GatewayStatus, Permit, PresenceCount
from monitoring.registry.model import Registry, Restriction, Sensor, Site, Zone

# A people count is trusted this long after it arrived: twice the cameras' 60 s reporting
# interval, so one lost report does not make a crowded zone look empty.
PRESENCE_FRESH_S = 120
# Ended permits are kept this long, to tell "permit expired" from "no permit reported".
PERMIT_KEEP_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class CameraCount:
    """The latest count of one camera in one zone; `heard_ms` is when the engine got it."""

    people: int
    ts_ms: int
    heard_ms: int


@dataclass(frozen=True, slots=True)
class OperationInProgress:
    """A permitted special operation going on now, with the people the cameras count."""

    permit: Permit
    zone_name: str
    people: int | None  # None: no fresh count from the zone's cameras


class SiteContext:
    """Registry entries and live state of one site, shared by its rules."""

    def __init__(self, registry: Registry, enterprise: str, site: Site) -> None:
        self.enterprise = enterprise
        self.site = site.id
        self.zones: dict[str, Zone] = {}
        self.sensors: dict[str, Sensor] = {}
        # zone -> camera -> latest count; zone -> permit id -> latest report
        self.presence: dict[str, dict[str, CameraCount]] = {}
        self.occupied: set[str] = set()  # zones whose latest counts added up to more than 0
        self.permits: dict[str, dict[str, Permit]] = {}
        self.gateway_online = True  # until the gateway says otherwise
        self.gateway_ts_ms: int | None = None
        # When silence starts to count for sensors never heard from: the engine's start,
        # a registry reload that added them, or the gateway coming back online.
        self.comm_origin_ms: int | None = None
        self.configure(registry, site)

    def configure(self, registry: Registry, site: Site) -> None:
        """Take the site's entries from a (new) registry; live state of kept zones stays."""
        self.registry = registry
        self.zones = {z.id: z for z in site.zones}
        self.sensors = {s.id: s for s in site.sensors}
        self.tz = _timezone(registry.timezone)
        self.presence = {z: c for z, c in self.presence.items() if z in self.zones}
        self.occupied &= self.presence.keys()
        self.permits = {z: p for z, p in self.permits.items() if z in self.zones}

    # -- people --------------------------------------------------------------------------

    def apply_presence(self, counts: Iterable[PresenceCount], now_ms: int) -> set[str]:
        """Enter people counts of registered zones; return the zones that got one."""
        touched: set[str] = set()
        for c in counts:
            if c.zone not in self.zones:
                continue
            cameras = self.presence.setdefault(c.zone, {})
            latest = cameras.get(c.camera)
            if latest is not None and c.ts_ms < latest.ts_ms:
                continue  # a redelivered older count must not replace a newer one
            cameras[c.camera] = CameraCount(c.people, c.ts_ms, now_ms)
            touched.add(c.zone)
        oldest = now_ms - PRESENCE_FRESH_S * 1000
        for zone in touched:
            cameras = self.presence[zone]
            # Forget cameras gone quiet, so ids that come and go cannot grow memory.
            for camera in [k for k, count in cameras.items() if count.heard_ms < oldest]:
                del cameras[camera]
            if any(count.people for count in cameras.values()):
                self.occupied.add(zone)
            else:
                self.occupied.discard(zone)
        return touched

    def people_in(self, zone: str, now_ms: int) -> int | None:
        """Return the people in a zone (sum of its cameras' fresh counts); None if unknown."""
        cameras = self.presence.get(zone)
        if not cameras:
            return None
        oldest = now_ms - PRESENCE_FRESH_S * 1000
        total: int | None = None
        for count in cameras.values():
            if count.heard_ms >= oldest:
                total = (total or 0) + count.people
        return total

    # -- permits -------------------------------------------------------------------------

    def apply_permits(self, permits: Iterable[Permit]) -> set[str]:
        """Enter permit reports (the latest report of an id wins); return the zones touched."""
        touched: set[str] = set()
        for p in permits:
            if p.zone not in self.zones:
                continue
            by_id = self.permits.setdefault(p.zone, {})
            known = by_id.get(p.permit)
            if known is not None and p.reported_ms < known.reported_ms:
                continue
            by_id[p.permit] = p
            touched.add(p.zone)
            horizon = p.reported_ms - PERMIT_KEEP_S * 1000
            for old in [k for k, q in by_id.items() if q.end_ms < horizon]:
                del by_id[old]
        return touched

    def covering_permits(self, zone: str, ts_ms: int) -> list[Permit]:
        """Return the approved permits covering a zone at `ts_ms`, by id."""
        permits = self.permits.get(zone)
        if not permits:
            return []
        return sorted((p for p in permits.values() if p.covers(zone, ts_ms)), key=_by_id)

    def ended_permits(self, zone: str, after_ms: int, ts_ms: int) -> list[Permit]:
        """Return approved permits of a zone that ended in (after_ms, ts_ms], latest first."""
        permits = self.permits.get(zone)
        if not permits:
            return []
        ended = [
            p for p in permits.values() if p.status == "approved" and after_ms < p.end_ms <= ts_ms
        ]
        return sorted(ended, key=lambda p: (-p.end_ms, p.permit))

    def restrictions_at(self, ts_ms: int) -> list[Restriction]:
        """Return the registry's restriction periods covering `ts_ms`."""
        return self.registry.restrictions_at(ts_ms)

    # -- gateway -------------------------------------------------------------------------

    def apply_status(self, statuses: Iterable[GatewayStatus]) -> bool:
        """Enter gateway reports (newest wins); return whether online/offline changed."""
        was = self.gateway_online
        for s in statuses:
            if self.gateway_ts_ms is not None and s.ts_ms < self.gateway_ts_ms:
                continue
            self.gateway_ts_ms = s.ts_ms
            self.gateway_online = s.state != "offline"
        return was != self.gateway_online

    def local_time(self, ts_ms: int) -> str:
        """Return `ts_ms` as HH:MM in the registry's timezone."""
        return datetime.fromtimestamp(ts_ms / 1000, self.tz).strftime("%H:%M")


def _by_id(p: Permit) -> str:
    return p.permit


def _timezone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC  # the registry validated it; a hand-built one may say "UTC"
