"""The enterprise directory's read model: enterprises with their open alarms, one enterprise's detail.

Pure builders (`enterprise_rows`, `enterprise_detail`, `regions`, `matches`) do the work from the
registry and the open alarms; `DirectoryView` only fetches them. Phone numbers are never in the
rows or the detail: `DirectoryView.phones` returns them, and records the look-up in the same
contact-lookup audit log as the console and `GET /enterprises/{id}/contacts`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from monitoring.alarms.model import OpenCount
from monitoring.clock import local_time
from monitoring.registry.model import Enterprise, Registry
from monitoring.registry.roster import contacts_in_call_order, role_title
from monitoring.signals import SEVERITIES, SEVERITY_RANK
from monitoring.views.common import ContactRow, PageView, contact_rows, display_name
from monitoring.views.ports import AlarmReader, LookupRecorder

NO_REGION = ""  # the region filter's value for enterprises the registry gives no region


@dataclass(frozen=True)
class EnterpriseRow:
    """One enterprise as the directory's table shows it (no contact data)."""

    id: str
    name: str  # in the page's language
    name_en: str
    name_zh: str
    region: str
    address: str
    sites: int
    zones: int
    major_zones: int
    sensors: int
    cameras: int
    open_alarms: int
    unacknowledged: int
    worst: str | None  # worst severity of its open alarms, None when it has none
    # Open alarms of each severity that has any, worst first: (("red", 1), ("yellow", 12)).
    by_severity: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class SiteRow:
    """One site of an enterprise, with what is registered in it."""

    id: str
    name: str
    zones: int
    sensors: int
    cameras: int
    location: str  # "35.7900, 112.9200" or ""
    open_alarms: int
    worst: str | None


@dataclass(frozen=True)
class ZoneRow:
    """One zone of a site: hazard, people limit, instruments and cameras."""

    site: str
    site_name: str
    id: str
    name: str
    hazard: str  # "major" or "general"
    max_people: int | None
    dwell_s: int
    sensor_kinds: tuple[tuple[str, int], ...]  # (kind, how many), e.g. (("gas_nh3", 2),)
    cameras: int


@dataclass(frozen=True)
class PersonRow:
    """A contact as anyone may see it: name, role and shifts, never the phone number."""

    name: str
    role: str
    role_title: str
    on_duty: bool
    shifts: tuple[str, ...]


@dataclass(frozen=True)
class RestrictionRow:
    """A registry period when special operations are suspended in principle."""

    name: str
    start_local: str
    end_local: str
    phase: str  # "in_force", "upcoming" or "past"


@dataclass(frozen=True)
class EnterpriseDetail:
    """Everything the detail panel shows about one enterprise (no phone numbers)."""

    row: EnterpriseRow
    sites: tuple[SiteRow, ...]
    zones: tuple[ZoneRow, ...]
    people: tuple[PersonRow, ...]
    restrictions: tuple[RestrictionRow, ...]
    tz: str


def matches(enterprise: Enterprise, text: str | None) -> bool:
    """Tell whether a search text is part of the enterprise's id, English or Chinese name."""
    needle = (text or "").strip().casefold()
    if not needle:
        return True
    haystacks = (enterprise.id, enterprise.name, enterprise.name_zh or "")
    return any(needle in h.casefold() for h in haystacks)


def regions(registry: Registry | None) -> list[str]:
    """Return the registry's regions, sorted; NO_REGION last when some enterprise has none."""
    if registry is None:
        return []
    found = {e.region or NO_REGION for e in registry.enterprises}
    return sorted(found - {NO_REGION}) + ([NO_REGION] if NO_REGION in found else [])


@dataclass(frozen=True)
class AlarmSummary:
    """Open alarms of an enterprise or a site, as the database counts them."""

    open_alarms: int = 0
    unacknowledged: int = 0
    by_severity: tuple[tuple[str, int], ...] = ()  # worst first, only severities with any

    @property
    def worst(self) -> str | None:
        """Return the worst severity open, None when nothing is."""
        return self.by_severity[0][0] if self.by_severity else None


def _alarm_summary(counts: Iterable[OpenCount]) -> dict[tuple[str, str | None], AlarmSummary]:
    """Return the open alarms of each (enterprise, site), and of each enterprise under
    (enterprise, None), from the alarm book's counts (never from a list with a limit)."""
    severities: dict[tuple[str, str | None], Counter[str]] = {}
    unack: Counter[tuple[str, str | None]] = Counter()
    for c in counts:
        for key in ((c.enterprise, c.site), (c.enterprise, None)):
            severities.setdefault(key, Counter())[c.severity] += c.count
            unack[key] += c.unacknowledged
    rank = len(SEVERITIES)
    return {
        key: AlarmSummary(
            sum(found.values()),
            unack[key],
            tuple(sorted(found.items(), key=lambda kv: SEVERITY_RANK.get(kv[0], rank))),
        )
        for key, found in severities.items()
    }


def _row(
    ent: Enterprise, summary: dict[tuple[str, str | None], AlarmSummary], lang: str
) -> EnterpriseRow:
    zones = [z for s in ent.sites for z in s.zones]
    alarms = summary.get((ent.id, None), AlarmSummary())
    return EnterpriseRow(
        id=ent.id,
        name=display_name(ent, ent.id, lang),
        name_en=ent.name,
        name_zh=ent.name_zh or "",
        region=ent.region or NO_REGION,
        address=ent.address or "",
        sites=len(ent.sites),
        zones=len(zones),
        major_zones=sum(1 for z in zones if z.hazard == "major"),
        sensors=sum(len(s.sensors) for s in ent.sites),
        cameras=sum(len(s.cameras) for s in ent.sites),
        open_alarms=alarms.open_alarms,
        unacknowledged=alarms.unacknowledged,
        worst=alarms.worst,
        by_severity=alarms.by_severity,
    )


def enterprise_rows(
    registry: Registry | None,
    counts: Iterable[OpenCount],
    lang: str,
    search: str | None = None,
    region: str | None = None,
) -> list[EnterpriseRow]:
    """Return the enterprises matching the search and region, in registry order."""
    if registry is None:
        return []
    summary = _alarm_summary(counts)
    return [
        _row(ent, summary, lang)
        for ent in registry.enterprises
        if matches(ent, search) and (region is None or (ent.region or NO_REGION) == region)
    ]


def person_rows(enterprise: Enterprise, ts_ms: int, tz: str, lang: str) -> list[PersonRow]:
    """Return the contacts in call order (duty officers on shift now first), without phones."""
    return [
        PersonRow(
            name=c.name,
            role=c.role,
            role_title=role_title(c.role, lang),
            on_duty=on_duty,
            shifts=tuple(str(s) for s in c.shifts),
        )
        for c, on_duty in contacts_in_call_order(enterprise, ts_ms, tz)
    ]


def restriction_rows(registry: Registry | None, now_ms: int) -> list[RestrictionRow]:
    """Return the registry's restriction periods by start, each marked in force, upcoming or past."""
    if registry is None:
        return []
    tz = registry.timezone
    rows = []
    for r in sorted(registry.restrictions, key=lambda r: (r.start_ms, r.end_ms)):
        if r.active_at(now_ms):
            phase = "in_force"
        elif r.start_ms > now_ms:
            phase = "upcoming"
        else:
            phase = "past"
        rows.append(
            RestrictionRow(r.name, local_time(r.start_ms, tz), local_time(r.end_ms, tz), phase)
        )
    return rows


def _zone_rows(ent: Enterprise, lang: str) -> list[ZoneRow]:
    rows = []
    for site in ent.sites:
        for zone in site.zones:
            kinds = Counter(s.kind for s in site.sensors if s.zone == zone.id)
            rows.append(
                ZoneRow(
                    site=site.id,
                    site_name=display_name(site, site.id, lang),
                    id=zone.id,
                    name=display_name(zone, zone.id, lang),
                    hazard=zone.hazard,
                    max_people=zone.max_people,
                    dwell_s=zone.dwell_s,
                    sensor_kinds=tuple(sorted(kinds.items())),
                    cameras=sum(1 for c in site.cameras if c.zone == zone.id),
                )
            )
    # Major-hazard zones first: they are the ones the special-operation rule watches.
    rows.sort(key=lambda z: 0 if z.hazard == "major" else 1)
    return rows


def enterprise_detail(
    registry: Registry | None,
    counts: Iterable[OpenCount],
    enterprise_id: str | None,
    now_ms: int,
    lang: str,
) -> EnterpriseDetail | None:
    """Return one enterprise's detail, or None when the registry has no such enterprise."""
    if registry is None or not enterprise_id:
        return None
    ent = registry.enterprise(enterprise_id)
    if ent is None:
        return None
    tz = registry.timezone
    summary = _alarm_summary(counts)
    sites = []
    for site in ent.sites:
        alarms = summary.get((ent.id, site.id), AlarmSummary())
        where = f"{site.location[0]:.4f}, {site.location[1]:.4f}" if site.location else ""
        sites.append(
            SiteRow(
                site.id,
                display_name(site, site.id, lang),
                len(site.zones),
                len(site.sensors),
                len(site.cameras),
                where,
                alarms.open_alarms,
                alarms.worst,
            )  # fmt: skip
        )
    return EnterpriseDetail(
        row=_row(ent, summary, lang),
        sites=tuple(sites),
        zones=tuple(_zone_rows(ent, lang)),
        people=tuple(person_rows(ent, now_ms, tz, lang)),
        restrictions=tuple(restriction_rows(registry, now_ms)),
        tz=tz,
    )


@dataclass
class DirectoryView(PageView):
    """Read the registry and open alarms for the directory page; look up phones with an audit."""

    alarms: AlarmReader
    lookups: LookupRecorder
    registry: Callable[[], Registry | None]
    clock: Callable[[], float] = time.time

    def _open_counts(self, enterprise: str | None = None) -> Sequence[OpenCount]:
        return self.alarms.open_counts(enterprise=enterprise)

    def regions(self) -> list[str]:
        """Return the regions the registry names."""
        return regions(self.registry())

    def rows(
        self, lang: str, search: str | None = None, region: str | None = None
    ) -> list[EnterpriseRow]:
        """Return the enterprises matching the search and region, with their open alarms."""
        registry = self.registry()
        if registry is None:
            return []
        return enterprise_rows(registry, self._open_counts(), lang, search, region)

    def detail(self, enterprise_id: str | None, lang: str) -> EnterpriseDetail | None:
        """Return one enterprise's detail (no phone numbers)."""
        registry = self.registry()
        if registry is None or not enterprise_id or registry.enterprise(enterprise_id) is None:
            return None
        counts = self._open_counts(enterprise_id)
        return enterprise_detail(registry, counts, enterprise_id, self.now_ms(), lang)

    def phones(self, enterprise_id: str, username: str, lang: str) -> list[ContactRow]:
        """Return the enterprise's contacts with phones in call order, recording the look-up."""
        registry = self.registry()
        ent = registry.enterprise(enterprise_id) if registry is not None else None
        if registry is None or ent is None:
            return []
        now = self.now_ms()
        self.lookups.record(username, ent.id, None, now)
        return contact_rows(ent, now, registry.timezone, lang)
