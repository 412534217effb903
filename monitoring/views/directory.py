"""The enterprise directory's read model: enterprises with their open alarms, one enterprise's detail.

Pure builders (`enterprise_rows`, `enterprise_detail`, `regions`, `matches`) do the work from the
registry and the open alarms; `DirectoryView` only fetches them. Phone numbers are never in the
rows or the detail: `DirectoryView.phones` returns them, and records the look-up in the same
contact-lookup audit log as the console and `GET /enterprises/{id}/contacts`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from monitoring.alarms.model import MAX_LIST, Alarm
from monitoring.clock import local_time
from monitoring.registry.model import Enterprise, Registry
from monitoring.registry.roster import contacts_in_call_order, role_title
from monitoring.signals import SEVERITY_RANK
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


def _alarm_summary(alarms: Iterable[Alarm]) -> dict[tuple[str, str | None], tuple[int, int, str]]:
    """Return {(enterprise, site): (open, unacknowledged, worst)} and the same per enterprise
    under (enterprise, None)."""
    summary: dict[tuple[str, str | None], tuple[int, int, str]] = {}
    for a in alarms:
        unack = 1 if a.state in ("active_unack", "cleared_unack") else 0
        for key in ((a.enterprise, a.site), (a.enterprise, None)):
            n, u, worst = summary.get(key, (0, 0, a.severity))
            if SEVERITY_RANK.get(a.severity, 99) < SEVERITY_RANK.get(worst, 99):
                worst = a.severity
            summary[key] = (n + 1, u + unack, worst)
    return summary


def _row(ent: Enterprise, summary: dict, lang: str) -> EnterpriseRow:
    zones = [z for s in ent.sites for z in s.zones]
    n, unack, worst = summary.get((ent.id, None), (0, 0, None))
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
        open_alarms=n,
        unacknowledged=unack,
        worst=worst,
    )


def enterprise_rows(
    registry: Registry | None,
    alarms: Iterable[Alarm],
    lang: str,
    search: str | None = None,
    region: str | None = None,
) -> list[EnterpriseRow]:
    """Return the enterprises matching the search and region, in registry order."""
    if registry is None:
        return []
    summary = _alarm_summary(alarms)
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
    alarms: Iterable[Alarm],
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
    summary = _alarm_summary(alarms)
    sites = []
    for site in ent.sites:
        n, _unack, worst = summary.get((ent.id, site.id), (0, 0, None))
        where = f"{site.location[0]:.4f}, {site.location[1]:.4f}" if site.location else ""
        sites.append(
            SiteRow(
                site.id,
                display_name(site, site.id, lang),
                len(site.zones),
                len(site.sensors),
                len(site.cameras),
                where,
                n,
                worst,
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

    def _open_alarms(self, enterprise: str | None = None) -> list[Alarm]:
        return self.alarms.list(state="open", enterprise=enterprise, limit=MAX_LIST)

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
        return enterprise_rows(registry, self._open_alarms(), lang, search, region)

    def detail(self, enterprise_id: str | None, lang: str) -> EnterpriseDetail | None:
        """Return one enterprise's detail (no phone numbers)."""
        registry = self.registry()
        if registry is None or not enterprise_id or registry.enterprise(enterprise_id) is None:
            return None
        alarms = self._open_alarms(enterprise_id)
        return enterprise_detail(registry, alarms, enterprise_id, self.now_ms(), lang)

    def phones(self, enterprise_id: str, username: str, lang: str) -> list[ContactRow]:
        """Return the enterprise's contacts with phones in call order, recording the look-up."""
        registry = self.registry()
        ent = registry.enterprise(enterprise_id) if registry is not None else None
        if registry is None or ent is None:
            return []
        now = self.now_ms()
        self.lookups.record(username, ent.id, None, now)
        return contact_rows(ent, now, registry.timezone, lang)
