"""The wall display's read model: KPIs, enterprises by worst open alarm, the alarm feed.

Language-neutral and free of phone numbers: pages translate and format it. Computed at most
once per `CACHE_S` (0.5 s) however many wall screens ask, so a 1.5 s refresh stays cheap.
Every count and colour comes from the alarm book's GROUP BY (`open_counts`), never from a list
with a limit; only the feed is a list, its first `FEED_LIMIT` alarms.

When the database does not answer, the wall keeps the last alarms it read and says so
(`WallSnapshot.outage`: since when, and when that data was read); the database is then asked
again in the background every `RETRY_S`, so no wall request waits for a hung database's
timeout, and the outage ends by itself at the first read that works.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from monitoring.alarms.model import UNACK_STATES, Alarm, OpenCount
from monitoring.registry.model import Registry
from monitoring.signals import SEVERITIES, SEVERITY_RANK
from monitoring.views.freshness import SensorFreshness
from monitoring.views.ports import AlarmReader, StoreReader

log = logging.getLogger(__name__)

CACHE_S = 0.5  # with the 1.5 s refresh, a new alarm is on the wall within 2 s
FEED_LIMIT = 30
RETRY_S = 3.0  # while the database does not answer, it is asked again this often


@dataclass(frozen=True)
class EnterpriseTile:
    """One enterprise on the grid, coloured by its worst open alarm (None: none open)."""

    id: str
    name: str
    name_zh: str | None
    worst: str | None
    open_alarms: int
    unacknowledged: int
    site: str | None = None  # the site its Site-page link opens: its worst alarm's, or its first
    # Open alarms of each severity that has any, worst first: (("red", 1), ("yellow", 12)).
    by_severity: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class FeedItem:
    """One open alarm in the feed; carries no contact data."""

    id: int
    enterprise: str
    enterprise_name: str
    enterprise_name_zh: str | None
    site: str
    site_name: str
    source: str
    rule: str
    severity: str
    state: str
    count: int
    raised_ms: int
    message: str
    message_key: str = ""
    params: dict = field(default_factory=dict)
    zone_name: str | None = None
    zone_name_zh: str | None = None
    site_name_zh: str | None = None

    @property
    def sensor(self) -> str | None:
        """Return the sensor id of an alarm on a sensor (None for zones and gateways)."""
        kind, _, ident = self.source.partition(":")
        return ident if kind == "sensor" and ident else None

    @property
    def unacknowledged(self) -> bool:
        """Tell whether nobody has acknowledged the alarm yet."""
        return self.state in UNACK_STATES


@dataclass(frozen=True)
class DatabaseOutage:
    """The database does not answer: since when, and when the alarms shown were read."""

    since_ms: int
    data_ms: int | None  # None: nothing was read since the web app started
    reason: str = ""


@dataclass(frozen=True)
class WallSnapshot:
    """Everything the wall shows at one instant."""

    now_ms: int
    enterprises: tuple[EnterpriseTile, ...]
    sensors_total: int
    sensors_online: int
    open_by_severity: dict[str, int]
    unacknowledged: int
    special_operations: int
    feed: tuple[FeedItem, ...]
    health: dict = field(default_factory=dict)
    newest_reading_ms: int | None = None
    tz: str = "UTC"
    red_ids: tuple[int, ...] = ()  # open red alarms, for the wall's chime
    outage: DatabaseOutage | None = None  # set: the alarms shown are those of data_ms


def socket_error(exc: BaseException) -> bool:
    """Tell whether `exc` is a socket error (the views' default "did not answer" test)."""
    return isinstance(exc, OSError)


@dataclass
class WallView:
    """Build (and briefly cache) wall snapshots from the alarm book, store and registry."""

    alarms: AlarmReader
    store: StoreReader
    registry: Callable[[], Registry | None]
    health: Callable[[], dict] = dict
    clock: Callable[[], float] = time.time
    cache_s: float = CACHE_S
    # Whether an error of the alarm book means the database did not answer; the web app
    # passes the database's own test (monitoring.db.errors.database_unavailable).
    unavailable: Callable[[BaseException], bool] = socket_error
    retry_s: float = RETRY_S
    _cached: WallSnapshot | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _sensors: SensorFreshness = field(init=False, repr=False)
    _good: WallSnapshot | None = field(default=None, init=False, repr=False)
    _outage: DatabaseOutage | None = field(default=None, init=False, repr=False)
    _outage_health: dict = field(default_factory=dict, init=False, repr=False)
    _next_try: float = field(default=0.0, init=False, repr=False)
    _probing: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self._sensors = SensorFreshness(self.store, min_period_s=self.cache_s)

    def snapshot(self) -> WallSnapshot:
        """Return the current snapshot, recomputed when the cached one is older than cache_s.

        While the database does not answer: the last alarms read, with `outage` set.
        """
        with self._lock:
            now = self.clock()
            now_ms = int(now * 1000)
            cached = self._cached
            if cached is not None and now_ms - cached.now_ms < self.cache_s * 1000:
                return cached
            if self._outage is None:
                try:
                    cached = self._good = self._build(now_ms)
                except Exception as exc:
                    if not self.unavailable(exc):
                        raise
                    self._went_down(now, exc)
                    cached = self._degraded(now_ms)
            else:
                if not self._probing and now >= self._next_try:
                    self._probing = True
                    threading.Thread(
                        target=self._probe, name="wall-database-probe", daemon=True
                    ).start()
                cached = self._degraded(now_ms)
            self._cached = cached
            return cached

    def _went_down(self, now: float, exc: BaseException) -> None:
        good = self._good
        self._outage = DatabaseOutage(
            since_ms=int(now * 1000),
            data_ms=good.now_ms if good is not None else None,
            reason=_first_line(exc),
        )
        self._outage_health = _database_down(good.health if good is not None else {})
        self._next_try = now + self.retry_s
        log.warning("wall: the database does not answer (%s)", self._outage.reason)

    def _degraded(self, now_ms: int) -> WallSnapshot:
        """Return the last snapshot read, marked with the outage; store figures stay live."""
        registry = self.registry()
        total, online, newest = self._freshness(registry, now_ms)
        base = self._good or WallSnapshot(
            now_ms=now_ms,
            enterprises=(),
            sensors_total=0,
            sensors_online=0,
            open_by_severity={},
            unacknowledged=0,
            special_operations=0,
            feed=(),
        )
        return replace(
            base,
            now_ms=now_ms,
            sensors_total=total,
            sensors_online=online,
            newest_reading_ms=newest,
            health=self._outage_health,
            tz=registry.timezone if registry is not None else "UTC",
            outage=self._outage,
        )

    def _probe(self) -> None:
        """Read the database again (in the background); end the outage if it answers."""
        try:
            snap = self._build(int(self.clock() * 1000))
        except Exception as exc:
            unavailable = self.unavailable(exc)
            if not unavailable:
                log.error("wall: reading the alarm book failed", exc_info=True)
            health = self._health_during_outage()
            with self._lock:
                self._probing = False
                if not unavailable:  # not an outage: the next request builds and fails itself
                    self._outage = None
                    return
                if self._outage is not None:
                    self._outage = replace(self._outage, reason=_first_line(exc))
                self._outage_health = health
                self._next_try = self.clock() + self.retry_s
            return
        with self._lock:
            self._good = self._cached = snap
            self._outage = None
            self._probing = False
        log.info("wall: the database answers again")

    def _health_during_outage(self) -> dict:
        """Return the health answer (broker, store ...) with the database marked down."""
        try:
            health = self.health()
        except Exception:  # the database is down; keep what was known of the rest
            log.warning("wall: health report failed during the outage", exc_info=True)
            health = self._outage_health
        return _database_down(health)

    def _build(self, now_ms: int) -> WallSnapshot:
        """Read the alarm book: every count from its GROUP BY, the feed from its first rows."""
        registry = self.registry()
        counts = self.alarms.open_counts()
        feed = self.alarms.list(state="open", limit=FEED_LIMIT)
        red_ids = self.alarms.open_ids(severity=SEVERITIES[0])
        total, online, newest = self._freshness(registry, now_ms)
        return WallSnapshot(
            now_ms=now_ms,
            enterprises=enterprise_tiles(registry, counts),
            sensors_total=total,
            sensors_online=online,
            open_by_severity=severity_totals(counts),
            unacknowledged=sum(c.unacknowledged for c in counts),
            special_operations=sum(c.special_operations for c in counts),
            feed=feed_items(registry, feed, FEED_LIMIT),
            health=self.health(),
            newest_reading_ms=newest,
            tz=registry.timezone if registry is not None else "UTC",
            red_ids=tuple(red_ids),
        )

    def _freshness(self, registry: Registry | None, now_ms: int) -> tuple[int, int, int | None]:
        """Return (sensors, online, newest reading), kept up in the background."""
        return self._sensors.figures(registry, now_ms)


def _database_down(health: dict) -> dict:
    """Return a health answer that says the database is unreachable."""
    database = dict(health.get("database") or {}, reachable=False)
    problems = list(health.get("problems") or [])
    if "database unreachable" not in problems:
        problems.append("database unreachable")
    return {**health, "status": "degraded", "problems": problems, "database": database}


def _first_line(exc: BaseException) -> str:
    """Return an error's first line (SQLAlchemy appends the statement and its parameters)."""
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


def severity_totals(counts: Iterable[OpenCount]) -> dict[str, int]:
    """Return how many alarms are open of each severity."""
    totals = dict.fromkeys(SEVERITIES, 0)
    for c in counts:
        totals[c.severity] = totals.get(c.severity, 0) + c.count
    return totals


def enterprise_tiles(
    registry: Registry | None, counts: Iterable[OpenCount]
) -> tuple[EnterpriseTile, ...]:
    """Return one tile per registered enterprise (then per unknown one with open alarms)."""
    by_enterprise: dict[str, dict[str, int]] = {}
    unack: dict[str, int] = {}
    # The site of the enterprise's worst alarm, the newest one's when several sites have it.
    worst_site: dict[str, tuple[int, int, str]] = {}
    for c in counts:
        severities = by_enterprise.setdefault(c.enterprise, {})
        severities[c.severity] = severities.get(c.severity, 0) + c.count
        unack[c.enterprise] = unack.get(c.enterprise, 0) + c.unacknowledged
        rank = (-SEVERITY_RANK.get(c.severity, len(SEVERITIES)), c.newest_ms)
        if c.enterprise not in worst_site or rank > worst_site[c.enterprise][:2]:
            worst_site[c.enterprise] = (*rank, c.site)
    known = list(registry.enterprises) if registry is not None else []
    ids = [e.id for e in known] + sorted(set(by_enterprise) - {e.id for e in known})
    by_id = {e.id: e for e in known}
    tiles = []
    for eid in ids:
        ent = by_id.get(eid)
        severities = by_enterprise.get(eid, {})
        ranked = tuple(
            sorted(severities.items(), key=lambda kv: SEVERITY_RANK.get(kv[0], len(SEVERITIES)))
        )
        first_site = ent.sites[0].id if ent and ent.sites else None
        tiles.append(
            EnterpriseTile(
                id=eid,
                name=ent.name if ent else eid,
                name_zh=ent.name_zh if ent else None,
                worst=ranked[0][0] if ranked else None,
                open_alarms=sum(severities.values()),
                unacknowledged=unack.get(eid, 0),
                site=worst_site[eid][2] if eid in worst_site else first_site,
                by_severity=ranked,
            )
        )
    # Registry order, so a browser can be sent just the tiles that changed; the page shows
    # the worst first (CSS order), so an abnormal enterprise is never below the fold.
    return tuple(tiles)


def feed_items(
    registry: Registry | None, open_alarms: list[Alarm], limit: int
) -> tuple[FeedItem, ...]:
    """Return open alarms for the feed: most severe first, then newest."""
    ranked = sorted(
        open_alarms, key=lambda a: (SEVERITY_RANK.get(a.severity, 99), -a.raised_ms, -a.id)
    )
    items = []
    for a in ranked[:limit]:
        ent = registry.enterprise(a.enterprise) if registry is not None else None
        site = registry.site(a.enterprise, a.site) if registry is not None else None
        zone = (
            registry.zone(a.enterprise, a.site, a.zone) if registry is not None and a.zone else None
        )
        items.append(
            FeedItem(
                id=a.id,
                enterprise=a.enterprise,
                enterprise_name=ent.name if ent else a.enterprise,
                enterprise_name_zh=ent.name_zh if ent else None,
                site=a.site,
                site_name=site.name if site else a.site,
                site_name_zh=site.name_zh if site else None,
                source=a.source,
                rule=a.rule,
                severity=a.severity,
                state=a.state,
                count=a.count,
                raised_ms=a.raised_ms,
                message=a.message,
                message_key=a.message_key,
                params=a.params,
                zone_name=zone.name if zone else None,
                zone_name_zh=zone.name_zh if zone else None,
            )
        )
    return tuple(items)
