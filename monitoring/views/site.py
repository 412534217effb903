"""The Site page's read model: one site's zones and sensors now, its trends and people counts.

Pure builders (`site_choices`, `sensor_row`, `zone_rows`, `trend_window`, `permit_spans`) do
the work; `SiteView` only fetches from the registry, the record store, the alarm book, the
permit book and the gateway book. Language-neutral (names come with their Chinese variant) and
free of contact data: this page is for viewers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from monitoring.alarms.model import Alarm
from monitoring.records import Permit
from monitoring.registry.model import Enterprise, Registry, Sensor, Site
from monitoring.signals import SEVERITY_RANK
from monitoring.views.common import PageView
from monitoring.views.ports import (
    AlarmReader,
    GatewayReader,
    LatestCount,
    LatestValue,
    PermitReader,
    StoreReader,
)

LIMIT_NAMES = ("low_low", "low", "high", "high_high")
FRESH_MAX_S = 60.0  # a value older than this (or the sensor's stale_after_s) is stale
# Trend windows, shortest first: key -> length in ms.
WINDOWS: dict[str, int] = {
    "15m": 15 * 60_000,
    "1h": 60 * 60_000,
    "6h": 6 * 60 * 60_000,
    "24h": 24 * 60 * 60_000,
    "7d": 7 * 24 * 60 * 60_000,
}
DEFAULT_WINDOW = "1h"
MAX_POINTS = 1500  # per trace: the store averages (or takes the max) into at most this many
MAX_SENSORS = 6  # sensors on the trend at once
DEFAULT_SENSORS = 3  # abnormal sensors a page opened without `sensor=` shows, worst first
FULL_REFRESH_MS = 60_000  # redraw a long window at least this often (its newest bucket grows)
UNACK_STATES = frozenset({"active_unack", "cleared_unack"})


@dataclass(frozen=True)
class SiteChoice:
    """A site as the picker offers it."""

    id: str
    name: str
    name_zh: str | None = None


@dataclass(frozen=True)
class EnterpriseChoice:
    """An enterprise with its sites, as the picker offers them."""

    id: str
    name: str
    name_zh: str | None
    sites: tuple[SiteChoice, ...]


@dataclass(frozen=True)
class AlarmMark:
    """The worst open alarm on a sensor or zone (shelved alarms are left out)."""

    severity: str
    rule: str
    active: bool  # condition present now (not cleared)
    unacknowledged: bool
    count: int  # open alarms on the source


@dataclass(frozen=True)
class SensorRow:
    """One sensor now: its latest value, limits, quality, age and alarm."""

    id: str
    zone: str
    kind: str
    unit: str
    limits: dict[str, float]
    registered: bool
    value: float | None = None
    ts_ms: int | None = None
    age_ms: int | None = None
    quality: str | None = None
    stale: bool = True  # no value, or older than its expected interval
    stale_after_s: float = FRESH_MAX_S
    limit_state: str | None = None  # which limit the latest value is beyond, if any
    alarm: AlarmMark | None = None

    @property
    def abnormal(self) -> bool:
        """Tell whether the sensor needs a look: an open alarm, beyond a limit, stale or no
        data, or a quality other than good."""
        return (
            self.alarm is not None
            or self.limit_state is not None
            or self.stale
            or self.quality not in (None, "good")
        )

    @property
    def rank(self) -> int:
        """Return how bad the sensor's state is, 0 worst: an active alarm by severity (0-3),
        a cleared one (4-7), beyond a limit (8), stale, no data or bad quality (9), normal (10)."""
        if self.alarm is not None:
            return SEVERITY_RANK.get(self.alarm.severity, 3) + (0 if self.alarm.active else 4)
        if self.limit_state is not None:
            return 8
        return 9 if self.abnormal else 10


@dataclass(frozen=True)
class ZoneRow:
    """One zone now: people count against max_people, its sensors and alarm."""

    id: str
    name: str
    name_zh: str | None
    hazard: str
    max_people: int | None
    people: int | None
    people_ts_ms: int | None
    has_cameras: bool
    sensors: tuple[SensorRow, ...]
    alarm: AlarmMark | None = None

    @property
    def major(self) -> bool:
        """Tell whether the zone is a major hazard source."""
        return self.hazard == "major"

    @property
    def over_max(self) -> bool:
        """Tell whether more people are in the zone now than it allows."""
        return (
            self.people is not None
            and self.max_people is not None
            and (self.people > self.max_people)
        )


@dataclass(frozen=True)
class SiteSnapshot:
    """Everything the site page's table and header show at one instant."""

    enterprise: str
    enterprise_name: str
    enterprise_name_zh: str | None
    region: str | None
    site: str
    site_name: str
    site_name_zh: str | None
    zones: tuple[ZoneRow, ...]
    unregistered: tuple[SensorRow, ...]
    gateway_state: str | None
    gateway_alarm: AlarmMark | None
    open_by_severity: dict[str, int]
    now_ms: int
    tz: str


@dataclass(frozen=True)
class TrendWindow:
    """A trend's time span, cut into equal buckets aligned on multiples of `bucket_ms`.

    Aligning on the epoch keeps the buckets of successive live refreshes identical, so
    a redraw moves the trend along rather than re-averaging every point.
    """

    key: str
    start_ms: int
    end_ms: int
    bucket_ms: int

    @property
    def buckets(self) -> int:
        """Return how many buckets [start, end) holds."""
        return (self.end_ms - self.start_ms) // self.bucket_ms


@dataclass(frozen=True)
class SensorSeries:
    """One sensor's (downsampled) values over a window, with its limits."""

    sensor: str
    kind: str
    unit: str
    limits: dict[str, float]
    points: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class PermitSpan:
    """A permit's time span on the timeline, clipped to the window (names only, no phones)."""

    permit: str
    type: str
    status: str
    start_ms: int
    end_ms: int
    workers: int | None
    supervisor: str | None
    clipped_start_ms: int
    clipped_end_ms: int


@dataclass(frozen=True)
class Trend:
    """Sensor series of a window (the sensor trend)."""

    window: TrendWindow
    tz: str
    series: tuple[SensorSeries, ...]


@dataclass(frozen=True)
class Presence:
    """A zone's people count over a window, its limit and the permits reported for it."""

    window: TrendWindow
    tz: str
    zone: str
    zone_name: str
    zone_name_zh: str | None
    max_people: int | None
    points: tuple[tuple[int, float], ...]
    permits: tuple[PermitSpan, ...]


def site_choices(registry: Registry | None) -> list[EnterpriseChoice]:
    """Return every enterprise and its sites, in registry order, for the picker."""
    if registry is None:
        return []
    return [
        EnterpriseChoice(
            id=ent.id,
            name=ent.name,
            name_zh=ent.name_zh,
            sites=tuple(SiteChoice(s.id, s.name, getattr(s, "name_zh", None)) for s in ent.sites),
        )
        for ent in registry.enterprises
    ]


def sensor_limits(sensor: Sensor | None) -> dict[str, float]:
    """Return the limits the registry gives a sensor, lowest first."""
    if sensor is None:
        return {}
    return {
        name: float(getattr(sensor, name))
        for name in LIMIT_NAMES
        if getattr(sensor, name) is not None
    }


def limit_state(value: float | None, limits: dict[str, float]) -> str | None:
    """Return the most severe limit a value is at or beyond (None: inside all of them)."""
    if value is None:
        return None
    for name in ("high_high", "low_low", "high", "low"):
        if name not in limits:
            continue
        if name.startswith("high") and value >= limits[name]:
            return name
        if name.startswith("low") and value <= limits[name]:
            return name
    return None


def stale_after_s(sensor: Sensor | None) -> float:
    """Return after how many seconds a sensor's latest value is stale."""
    expected = getattr(sensor, "stale_after_s", None) if sensor is not None else None
    return min(float(expected), FRESH_MAX_S) if expected else FRESH_MAX_S


def alarm_marks(alarms: Iterable[Alarm]) -> dict[str, AlarmMark]:
    """Return each source's worst open alarm (active before cleared, then by severity)."""
    ranked: dict[str, list[Alarm]] = {}
    for a in alarms:
        if a.state == "shelved":
            continue
        ranked.setdefault(a.source, []).append(a)
    marks = {}
    for source, found in ranked.items():
        worst = min(
            found,
            key=lambda a: (a.cleared_ms is not None, SEVERITY_RANK.get(a.severity, 99), -a.id),
        )
        marks[source] = AlarmMark(
            severity=worst.severity,
            rule=worst.rule,
            active=worst.cleared_ms is None,
            unacknowledged=any(a.state in UNACK_STATES for a in found),
            count=len(found),
        )
    return marks


def sensor_row(
    sensor_id: str,
    sensor: Sensor | None,
    latest: LatestValue | None,
    now_ms: int,
    marks: dict[str, AlarmMark],
) -> SensorRow:
    """Return a sensor's row from its registry entry (None: unregistered) and latest value."""
    limits = sensor_limits(sensor)
    stale_s = stale_after_s(sensor)
    base = SensorRow(
        id=sensor_id,
        zone=sensor.zone if sensor is not None else (latest.zone if latest else "unknown"),
        kind=sensor.kind if sensor is not None else (latest.kind if latest else "unknown"),
        unit=(sensor.unit or "") if sensor is not None else "",
        limits=limits,
        registered=sensor is not None,
        stale_after_s=stale_s,
        alarm=marks.get(f"sensor:{sensor_id}"),
    )
    if latest is None:
        return base
    age_ms = max(0, now_ms - latest.ts_ms)
    return replace(
        base,
        value=latest.value,
        ts_ms=latest.ts_ms,
        age_ms=age_ms,
        quality=latest.quality,
        stale=age_ms > stale_s * 1000,
        limit_state=limit_state(latest.value, limits),
    )


def zone_rows(
    site: Site,
    latest: Iterable[LatestValue],
    presence: Iterable[LatestCount],
    alarms: Iterable[Alarm],
    now_ms: int,
) -> tuple[tuple[ZoneRow, ...], tuple[SensorRow, ...]]:
    """Return the site's zones (registry order, each with its sensors) and unregistered sensors."""
    marks = alarm_marks(alarms)
    newest = {r.sensor: r for r in latest}
    people = {p.zone: p for p in presence}
    cameras = {c.zone for c in site.cameras}
    zones = []
    for zone in site.zones:
        count = people.get(zone.id)
        zones.append(
            ZoneRow(
                id=zone.id,
                name=zone.name,
                name_zh=zone.name_zh,
                hazard=zone.hazard,
                max_people=zone.max_people,
                people=count.people if count else None,
                people_ts_ms=count.ts_ms if count else None,
                has_cameras=zone.id in cameras,
                sensors=tuple(
                    sensor_row(s.id, s, newest.get(s.id), now_ms, marks)
                    for s in site.sensors
                    if s.zone == zone.id
                ),
                alarm=marks.get(f"zone:{zone.id}"),
            )
        )
    registered = {s.id for s in site.sensors}
    unregistered = tuple(
        sensor_row(sensor, None, newest[sensor], now_ms, marks)
        for sensor in sorted(newest)
        if sensor not in registered
    )
    return tuple(zones), unregistered


def trend_window(key: str, now_ms: int, max_points: int = MAX_POINTS) -> TrendWindow:
    """Return the window `key` ending just after `now_ms`, in at most `max_points` buckets.

    Buckets are whole seconds long and aligned on multiples of their length.
    """
    span = WINDOWS.get(key, WINDOWS[DEFAULT_WINDOW])
    key = key if key in WINDOWS else DEFAULT_WINDOW
    bucket = max(1000, -(-span // max_points // 1000) * 1000)
    while -(-span // bucket) > max_points:  # ceil rounding can leave one bucket too many
        bucket += 1000
    end = (now_ms // bucket + 1) * bucket
    return TrendWindow(key, end - -(-span // bucket) * bucket, end, bucket)


def needs_refresh(previous: dict | None, revision: str, window: TrendWindow, now_ms: int) -> bool:
    """Tell whether a live refresh must redraw: new view, a new bucket, or a minute passed."""
    if not previous or previous.get("revision") != revision:
        return True
    if previous.get("end_ms") != window.end_ms:
        return True
    return now_ms - int(previous.get("at_ms") or 0) >= FULL_REFRESH_MS


def permit_spans(permits: Iterable[Permit], window: TrendWindow) -> tuple[PermitSpan, ...]:
    """Return the permits that overlap the window, oldest first, clipped to it."""
    spans = [
        PermitSpan(
            permit=p.permit,
            type=p.type,
            status=p.status,
            start_ms=p.start_ms,
            end_ms=p.end_ms,
            workers=p.workers,
            supervisor=p.supervisor,
            clipped_start_ms=max(p.start_ms, window.start_ms),
            clipped_end_ms=min(p.end_ms, window.end_ms),
        )
        for p in permits
        if p.start_ms < window.end_ms and p.end_ms > window.start_ms
    ]
    return tuple(sorted(spans, key=lambda s: (s.start_ms, s.permit)))


def tail_start(window: TrendWindow, since: int | None, tail: bool) -> int:
    """Return where a read of the window starts: its start, or for a live tail the bucket of
    the newest point the browser has (read again: its average may have grown), aligned."""
    if not tail or since is None:
        return window.start_ms
    aligned = (
        window.start_ms + (int(since) - window.start_ms) // window.bucket_ms * window.bucket_ms
    )
    return min(max(window.start_ms, aligned), window.end_ms - window.bucket_ms)


def pick_sensors(
    site: Site | None, wanted: Iterable[str] | None, fallback: Iterable[str] = ()
) -> list[str]:
    """Return the wanted sensors that the site has (at most MAX_SENSORS), else the fallback
    ones it has (`default_sensors`), else its first one."""
    known = [s.id for s in site.sensors] if site is not None else []
    chosen = [s for s in dict.fromkeys(wanted or ()) if s in known][:MAX_SENSORS]
    chosen = chosen or [s for s in dict.fromkeys(fallback) if s in known][:MAX_SENSORS]
    return chosen or known[:1]


def default_sensors(snap: SiteSnapshot | None, n: int = DEFAULT_SENSORS) -> list[str]:
    """Return the sensors a trend shows when none was asked for: the worst abnormal one
    (alarms by severity, then beyond a limit, then stale or bad; registry order within each)
    and the next worst of the same unit, `n` at most, so they share one panel; none when
    every sensor is normal. Never all of a big site's sensors."""
    if snap is None:
        return []
    rows = sorted((s for z in snap.zones for s in z.sensors if s.abnormal), key=lambda s: s.rank)
    return [s.id for s in rows if s.unit == rows[0].unit][:n] if rows else []


def pick_zone(site: Site | None, wanted: str | None, sensors: list[str]) -> str | None:
    """Return the zone for the people chart: the wanted one, the first sensor's, or a watched one."""
    if site is None or not site.zones:
        return None
    zone_ids = [z.id for z in site.zones]
    if wanted in zone_ids:
        return wanted
    by_sensor = {s.id: s.zone for s in site.sensors}
    if sensors and by_sensor.get(sensors[0]) in zone_ids:
        return by_sensor[sensors[0]]
    watched = {c.zone for c in site.cameras}
    return next((z for z in zone_ids if z in watched), zone_ids[0])


@dataclass
class SiteView(PageView):
    """Read one site's state and history for the site page."""

    store: StoreReader
    alarms: AlarmReader
    permits: PermitReader
    gateways: GatewayReader
    registry: Callable[[], Registry | None]
    clock: Callable[[], float] = time.time

    def choices(self) -> list[EnterpriseChoice]:
        """Return the enterprises and sites the picker offers."""
        return site_choices(self.registry())

    def site(self, enterprise: str, site: str) -> tuple[Enterprise, Site] | tuple[None, None]:
        """Return (enterprise, site) from the registry, (None, None) when unknown."""
        registry = self.registry()
        if registry is None or not enterprise or not site:
            return None, None
        ent, found = registry.enterprise(enterprise), registry.site(enterprise, site)
        return (ent, found) if ent is not None and found is not None else (None, None)

    def snapshot(self, enterprise: str, site: str) -> SiteSnapshot | None:
        """Return the site's zones and sensors now (None for a site the registry lacks)."""
        ent, found = self.site(enterprise, site)
        if ent is None or found is None:
            return None
        now = self.now_ms()
        open_alarms = self.alarms.list(state="open", enterprise=enterprise, site=site)
        zones, unregistered = zone_rows(
            found,
            self.store.latest_readings(enterprise, site),
            self.store.latest_presence(enterprise, site),
            open_alarms,
            now,
        )
        gateway = self.gateways.get(enterprise, site)
        counts = {s: 0 for s in SEVERITY_RANK}
        for a in open_alarms:
            counts[a.severity] = counts.get(a.severity, 0) + 1
        return SiteSnapshot(
            enterprise=ent.id,
            enterprise_name=ent.name,
            enterprise_name_zh=ent.name_zh,
            region=ent.region,
            site=found.id,
            site_name=found.name,
            site_name_zh=getattr(found, "name_zh", None),
            zones=zones,
            unregistered=unregistered,
            gateway_state=gateway.state if gateway else None,
            gateway_alarm=alarm_marks(open_alarms).get("gateway"),
            open_by_severity=counts,
            now_ms=now,
            tz=self.tz(),
        )

    def trend(
        self,
        enterprise: str,
        site: str,
        sensors: list[str],
        window: TrendWindow,
        since: dict[str, int | None] | None = None,
    ) -> Trend:
        """Return the chosen sensors' values over the window, averaged by the store into the
        window's buckets. With `since` (sensor -> the bucket of the newest point a browser
        already has), only the buckets from there on: a live refresh sends its tail."""
        registry = self.registry()
        series = []
        for sensor_id in sensors[:MAX_SENSORS]:
            sensor = registry.sensor(enterprise, site, sensor_id) if registry else None
            start = tail_start(window, (since or {}).get(sensor_id), since is not None)
            points = self.store.reading_series(
                enterprise,
                site,
                sensor_id,
                start,
                window.end_ms,
                (window.end_ms - start) // window.bucket_ms,
            )
            series.append(
                SensorSeries(
                    sensor=sensor_id,
                    kind=sensor.kind if sensor else "unknown",
                    unit=(sensor.unit or "") if sensor else "",
                    limits=sensor_limits(sensor),
                    points=tuple((p.ts_ms, p.value) for p in points),
                )
            )
        return Trend(window=window, tz=self.tz(), series=tuple(series))

    def presence(
        self,
        enterprise: str,
        site: str,
        zone: str,
        window: TrendWindow,
        since: int | None = None,
        tail: bool = False,
    ) -> Presence:
        """Return a zone's people count over the window and the permits reported for it
        (with `tail`, the counts only from the bucket `since` on, as `trend` does)."""
        registry = self.registry()
        found = registry.zone(enterprise, site, zone) if registry else None
        start = tail_start(window, since, tail)
        points = self.store.presence_series(
            enterprise,
            site,
            zone,
            start,
            window.end_ms,
            (window.end_ms - start) // window.bucket_ms,
        )
        permits = self.permits.list(enterprise, site, zone, ending_after_ms=window.start_ms)
        return Presence(
            window=window,
            tz=self.tz(),
            zone=zone,
            zone_name=found.name if found else zone,
            zone_name_zh=found.name_zh if found else None,
            max_people=found.max_people if found else None,
            points=tuple((p.ts_ms, p.value) for p in points),
            permits=permit_spans(permits, window),
        )
