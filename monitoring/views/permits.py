"""The permits page's read model, and recording a permit an enterprise reported by phone.

A permit recorded by an inspector goes through `permit_from_report`, the same validation as
a gateway's MQTT report (contract section 2) and `POST /api/v1/permits`, plus a registry
check that the enterprise, site and zone exist. It is stored in the permit book like a
gateway's report, so the alarm service (which reloads permits every second) applies it to
the suspected-special-operation rule at once. Who recorded it and their note go to the
`permit_recording` table, since a gateway's report has no such fields.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from monitoring.clock import local_time
from monitoring.edge.permit_report import Recording, permit_from_report
from monitoring.records import MessageRejected, Permit
from monitoring.registry.model import Registry
from monitoring.views.common import DEFAULT_TZ, PageView, display_name
from monitoring.views.directory import RestrictionRow, restriction_rows
from monitoring.views.ports import PermitWriter, RecordingLog

RECENT_MS = 24 * 3600 * 1000  # ended permits stay listed this long
DEFAULT_DURATION_MS = 8 * 3600 * 1000  # the form's end time starts this long after its start
# A permit's state on the page: its status, or for approved ones where now falls.
STATES: tuple[str, ...] = ("in_force", "upcoming", "ended", "cancelled", "closed")
LOCAL_FORMAT = "%Y-%m-%d %H:%M"


# Fields of a phone report that are not part of the gateway payload.
@dataclass(frozen=True)
class PermitRow:
    """One permit as the permits page lists it."""

    enterprise: str
    enterprise_name: str
    site: str
    site_name: str
    zone: str
    zone_name: str
    major: bool  # the zone is a major-hazard zone
    permit: str
    type: str
    status: str
    state: str  # one of STATES
    start_ms: int
    end_ms: int
    start_local: str
    end_local: str
    workers: int | None
    supervisor: str | None
    level: str | None
    reported_local: str
    recorded_by: str | None  # None: reported by the enterprise's gateway
    note: str
    many_sites: bool = False  # the enterprise has several sites: name the site with the zone


def permit_state(p: Permit, now_ms: int) -> str:
    """Return a permit's state: cancelled or closed, else in force, upcoming or ended."""
    if p.status != "approved":
        return p.status
    if p.start_ms > now_ms:
        return "upcoming"
    return "in_force" if now_ms < p.end_ms else "ended"


def permit_rows(
    registry: Registry | None,
    permits: Iterable[Permit],
    recordings: Mapping[tuple[str, str, str], Recording],
    now_ms: int,
    lang: str,
    state: str | None = None,
) -> list[PermitRow]:
    """Return permit rows: in force first, then upcoming, then the others; by start within."""
    tz = registry.timezone if registry is not None else DEFAULT_TZ
    rows = []
    for p in permits:
        p_state = permit_state(p, now_ms)
        if state is not None and p_state != state:
            continue
        ent = registry.enterprise(p.enterprise) if registry is not None else None
        site = registry.site(p.enterprise, p.site) if registry is not None else None
        zone = registry.zone(p.enterprise, p.site, p.zone) if registry is not None else None
        rec = recordings.get((p.enterprise, p.site, p.permit))
        # A later gateway report of the same permit replaces what was recorded by phone.
        by_phone = rec if rec is not None and rec.reported_ms == p.reported_ms else None
        rows.append(
            PermitRow(
                enterprise=p.enterprise,
                enterprise_name=display_name(ent, p.enterprise, lang),
                site=p.site,
                site_name=display_name(site, p.site, lang),
                zone=p.zone,
                zone_name=display_name(zone, p.zone, lang),
                major=bool(zone and zone.hazard == "major"),
                permit=p.permit,
                type=p.type,
                status=p.status,
                state=p_state,
                start_ms=p.start_ms,
                end_ms=p.end_ms,
                start_local=local_time(p.start_ms, tz)[:16],
                end_local=local_time(p.end_ms, tz)[:16],
                workers=p.workers,
                supervisor=p.supervisor,
                level=p.level,
                reported_local=local_time(p.reported_ms, tz),
                recorded_by=by_phone.username if by_phone else None,
                note=by_phone.note if by_phone else "",
                many_sites=bool(ent and len(ent.sites) > 1),
            )
        )
    order = {s: i for i, s in enumerate(STATES)}
    rows.sort(key=lambda r: (order.get(r.state, 9), r.start_ms, r.enterprise, r.permit))
    return rows


def enterprise_choices(registry: Registry | None, lang: str) -> list[tuple[str, str]]:
    """Return (id, name) of every enterprise, in registry order."""
    if registry is None:
        return []
    return [(e.id, display_name(e, e.id, lang)) for e in registry.enterprises]


def site_choices(registry: Registry | None, enterprise: str | None) -> list[tuple[str, str]]:
    """Return (id, name) of an enterprise's sites."""
    ent = registry.enterprise(enterprise) if registry is not None and enterprise else None
    return [(s.id, s.name) for s in ent.sites] if ent else []


def zone_choices(
    registry: Registry | None, enterprise: str | None, site: str | None, lang: str
) -> list[tuple[str, str, bool]]:
    """Return (id, name, major hazard) of a site's zones, major-hazard zones first."""
    s = registry.site(enterprise, site) if registry is not None and enterprise and site else None
    if s is None:
        return []
    zones = [(z.id, display_name(z, z.id, lang), z.hazard == "major") for z in s.zones]
    return sorted(zones, key=lambda z: not z[2])


def zone_filter_choices(
    registry: Registry | None, enterprise: str | None, lang: str
) -> list[tuple[str, str, str, bool]]:
    """Return (site, zone, label, major) of an enterprise's zones, for the list's zone filter."""
    ent = registry.enterprise(enterprise) if registry is not None and enterprise else None
    if ent is None:
        return []
    many_sites = len(ent.sites) > 1
    out = []
    for site in ent.sites:
        for z in site.zones:
            name = display_name(z, z.id, lang)
            label = f"{display_name(site, site.id, lang)} / {name}" if many_sites else name
            out.append((site.id, z.id, label, z.hazard == "major"))
    return out


def local_input(ts_ms: int, tz: str) -> str:
    """Return epoch ms as the form writes times: `YYYY-MM-DD HH:MM` in the registry's timezone."""
    return datetime.fromtimestamp(ts_ms / 1000, ZoneInfo(tz)).strftime(LOCAL_FORMAT)


def parse_local(text: object, tz: str) -> str:
    """Return a form time (`YYYY-MM-DD HH:MM`, registry timezone) as RFC 3339; ValueError if bad."""
    if text is None or text == "":
        raise ValueError("missing")
    if not isinstance(text, str):
        raise ValueError("not a text")
    value = text.strip().replace("T", " ")
    if not value:
        raise ValueError("missing")
    moment = datetime.strptime(value, LOCAL_FORMAT)  # ValueError when not of that form
    return moment.replace(tzinfo=ZoneInfo(tz)).isoformat()


def rejected_field(detail: str) -> str | None:
    """Return which form field a rejection's detail names (`workers: ...` -> 'workers')."""
    head = detail.split(":", 1)[0].split(" ", 1)[0].strip()
    return head if head in FORM_FIELDS else None


FORM_FIELDS: tuple[str, ...] = (
    "enterprise",
    "site",
    "zone",
    "type",
    "permit",
    "start",
    "end",
    "workers",
    "supervisor",
    "status",
    "note",
)


class PermitFormError(ValueError):
    """A phone report that was not recorded; `field` is the form field to fix (or None)."""

    def __init__(self, field: str | None, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.field = field
        self.reason = reason  # "missing", "time_format", "workers" or "rejected"
        self.detail = detail


def form_report(values: Mapping[str, object], tz: str) -> dict[str, object]:
    """Turn the form's values into a permit report; raise PermitFormError for the first gap.

    Only presence and the form's own formats are checked here; everything else is left to
    `permit_from_report`, so the page and the API refuse the same reports.
    """
    text = {name: _text(values, name) for name in ("enterprise", "site", "zone", "type", "permit")}
    for name, value in text.items():
        if not value:
            raise PermitFormError(name, "missing")
    report: dict[str, object] = {**text, "status": values.get("status") or "approved"}
    for name in ("start", "end"):
        try:
            report[name] = parse_local(values.get(name), tz)
        except ValueError as exc:
            reason = "missing" if str(exc) == "missing" else "time_format"
            raise PermitFormError(name, reason) from None
    workers = values.get("workers")
    if workers not in (None, ""):
        if isinstance(workers, str):
            workers = workers.strip()
            if not workers.isdigit():
                raise PermitFormError("workers", "workers")
            workers = int(workers)
        report["workers"] = workers
    supervisor = _text(values, "supervisor")
    if supervisor:
        report["supervisor"] = supervisor
    report["note"] = _text(values, "note")
    return report


def _text(values: Mapping[str, object], name: str) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):  # only a forged request sends anything else
        raise PermitFormError(name, "rejected", f"{name}: not a text")
    return value.strip()


@dataclass
class PermitsView(PageView):
    """List permits and restrictions for the permits page; record permits reported by phone."""

    permits: PermitWriter
    recordings: RecordingLog
    registry: Callable[[], Registry | None]
    clock: Callable[[], float] = time.time

    def rows(
        self,
        lang: str,
        enterprise: str | None = None,
        site: str | None = None,
        zone: str | None = None,
        state: str | None = None,
    ) -> list[PermitRow]:
        """Return permits in force, upcoming and ended in the last 24 h, filtered."""
        now = self.now_ms()
        permits = self.permits.list(
            enterprise=enterprise, site=site, zone=zone, ending_after_ms=now - RECENT_MS
        )
        keys = [(p.enterprise, p.site, p.permit) for p in permits]
        recordings = self.recordings.latest(keys)
        return permit_rows(self.registry(), permits, recordings, now, lang, state)

    def default_times(self) -> tuple[str, str]:
        """Return the form's initial start (now) and end, as the form writes times."""
        tz, now = self.tz(), self.now_ms()
        return local_input(now, tz), local_input(now + DEFAULT_DURATION_MS, tz)

    def restrictions(self) -> list[RestrictionRow]:
        """Return the registry's restriction periods, marked in force, upcoming or past."""
        return restriction_rows(self.registry(), self.now_ms())

    def record(self, username: str, values: Mapping[str, object]) -> Permit:
        """Record a permit reported by phone from the form's values; raise PermitFormError."""
        registry = self.registry()
        report = form_report(values, self.tz())
        now = self.now_ms()
        try:
            permit = permit_from_report(report["enterprise"], report["site"], report, now, registry)
        except MessageRejected as exc:
            raise PermitFormError(rejected_field(exc.detail), "rejected", exc.detail) from None
        self.permits.upsert_many([permit])
        self.recordings.add(permit, username, str(report["note"]), now)
        return permit
