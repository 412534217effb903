"""API routes for alarms, contacts, calls, permits and latest values (contract section 6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, g, jsonify, request

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.calls import CallLog, ContactLookups
from monitoring.alarms.model import (
    DEFAULT_PAGE,
    MAX_LIST,
    Alarm,
    AlarmError,
    AlarmNotFound,
    Position,
    decode_cursor,
    encode_cursor,
)
from monitoring.api.core import AddRoutes, Require
from monitoring.api.errors import whole_number_arg
from monitoring.books.permits import PermitBook, PermitRecordings
from monitoring.clock import iso_utc
from monitoring.edge.permit_report import permit_from_report
from monitoring.records import MessageRejected, Permit, is_valid_id
from monitoring.registry.model import Registry
from monitoring.registry.roster import contacts_in_call_order
from monitoring.signals import SEVERITIES
from monitoring.storage.base import RecordStore


@dataclass
class AlarmApiContext:
    """What these routes need; built once by the runtime."""

    alarms: AlarmBook
    calls: CallLog
    lookups: ContactLookups
    permits: PermitBook
    store: RecordStore
    registry: Callable[[], Registry | None]
    clock: Callable[[], float]
    recordings: PermitRecordings | None = None  # who recorded a permit reported by phone

    def now_ms(self) -> int:
        return int(self.clock() * 1000)


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _body() -> dict | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def _parse_since(text: str | None) -> int | None:
    """Accept epoch milliseconds or an ISO 8601 time with an offset."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("since needs a time zone offset, e.g. 2026-11-29T08:00:00+08:00")
    return int(parsed.timestamp() * 1000)


def _paging(limit: str | None, cursor: str | None) -> tuple[int, Position | None]:
    """Return a list's page size and where it starts; ValueError saying what is wrong."""
    if limit is None or limit == "":
        size = DEFAULT_PAGE
    elif limit.isdigit() and 1 <= int(limit) <= MAX_LIST:
        size = int(limit)
    else:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_LIST}")
    return size, decode_cursor(cursor) if cursor else None


def alarm_routes(ctx: AlarmApiContext) -> AddRoutes:
    """Return a function adding the routes to the /api/v1 blueprint."""

    def add(bp: Blueprint, require: Require) -> None:
        @bp.get("/alarms")
        @require("viewer")
        def list_alarms() -> Response:
            state = request.args.get("state", "open")
            if state not in ("open", "all"):
                return _error(400, "state must be open or all")
            severity = request.args.get("severity") or None
            if severity is not None and severity not in SEVERITIES:
                return _error(400, f"severity must be one of {', '.join(SEVERITIES)}")
            try:
                since = _parse_since(request.args.get("since"))
            except ValueError as exc:
                return _error(400, f"since: {exc}")
            try:
                limit, after = _paging(request.args.get("limit"), request.args.get("cursor"))
            except ValueError as exc:
                return _error(400, str(exc))
            page = ctx.alarms.page(
                state=state,
                enterprise=request.args.get("enterprise") or None,
                site=request.args.get("site") or None,
                severity=severity,
                since_ms=since,
                limit=limit,
                after=after,
            )
            # Contract section 8: `total` counts every match, `next` continues the list.
            return jsonify(
                {
                    "alarms": [a.as_json() for a in page.alarms],
                    "total": page.total,
                    "next": encode_cursor(page.next) if page.next is not None else None,
                }
            )

        @bp.get("/alarms/<int:alarm_id>")
        @require("viewer")
        def alarm_detail(alarm_id: int) -> Response:
            detail = ctx.alarms.detail(alarm_id, include_phones=g.user.can("inspector"))
            if detail is None:
                return _error(404, f"no alarm {alarm_id}")
            return jsonify(detail)

        @bp.post("/alarms/<int:alarm_id>/ack")
        @require("inspector")
        def acknowledge(alarm_id: int) -> Response:
            body = _body()
            if body is None:
                return _error(400, "body must be a JSON object with a comment")
            return _change(
                lambda: ctx.alarms.acknowledge(
                    alarm_id,
                    g.user.username,
                    body.get("comment"),  # type: ignore[arg-type]  # UNTRUSTED: the book checks it
                    body.get("disposition"),
                    now_ms=ctx.now_ms(),
                )
            )

        @bp.post("/alarms/<int:alarm_id>/shelve")
        @require("inspector")
        def shelve(alarm_id: int) -> Response:
            body = _body()
            if body is None:
                return _error(400, "body must be a JSON object with minutes and reason")
            minutes = body.get("minutes")
            if type(minutes) is not int:
                return _error(400, "minutes must be an integer")
            return _change(
                lambda: ctx.alarms.shelve(
                    alarm_id,
                    g.user.username,
                    minutes,
                    body.get("reason"),  # type: ignore[arg-type]  # UNTRUSTED: the book checks it
                    ctx.now_ms(),
                )
            )

        @bp.get("/enterprises/<enterprise_id>/contacts")
        @require("inspector")
        def contacts(enterprise_id: str) -> Response:
            registry = ctx.registry()
            enterprise = registry.enterprise(enterprise_id) if registry else None
            if registry is None or enterprise is None:
                return _error(404, f"no enterprise {enterprise_id!r} in the registry")
            alarm_id = whole_number_arg("alarm_id")  # 400 unless absent or a whole number
            if alarm_id is not None and ctx.alarms.get(alarm_id) is None:
                return _error(404, f"no alarm {alarm_id}")
            now = ctx.now_ms()
            ctx.lookups.record(g.user.username, enterprise.id, alarm_id, now)
            ordered = contacts_in_call_order(enterprise, now, registry.timezone)
            return jsonify(
                {
                    "enterprise": enterprise.id,
                    "contacts": [
                        {
                            "name": c.name,
                            "role": c.role,
                            "phone": c.phone,
                            "on_duty": on_duty,
                            "shifts": [str(s) for s in c.shifts],
                        }
                        for c, on_duty in ordered
                    ],
                }
            )

        @bp.post("/calls")
        @require("inspector")
        def record_call() -> Response:
            body = _body()
            if body is None:
                return _error(400, "body must be a JSON object")
            alarm_id = body.get("alarm_id")
            if type(alarm_id) is not int:
                return _error(400, "alarm_id must be an integer")
            alarm = ctx.alarms.get(alarm_id)
            if alarm is None:
                return _error(404, f"no alarm {alarm_id}")
            registry = ctx.registry()
            enterprise = registry.enterprise(alarm.enterprise) if registry else None
            contact = next(
                (
                    c
                    for c in (enterprise.contacts if enterprise else ())
                    if c.name == body.get("contact")
                ),
                None,
            )
            if contact is None:
                return _error(
                    400,
                    f"contact must be the name of a contact of "
                    f"{alarm.enterprise} as /contacts lists it",
                )
            try:
                record = ctx.calls.record(
                    alarm_id,
                    g.user.username,
                    contact,
                    body.get("outcome"),  # type: ignore[arg-type]  # UNTRUSTED: the log checks it
                    body.get("note") or "",
                    ctx.now_ms(),
                )
            except ValueError as exc:
                return _error(400, str(exc))
            response = jsonify(record)
            response.status_code = 201
            return response

        @bp.get("/sites/<enterprise_id>/<site_id>/latest")
        @require("viewer")
        def latest(enterprise_id: str, site_id: str) -> Response:
            if not (is_valid_id(enterprise_id) and is_valid_id(site_id)):
                return _error(400, "enterprise and site must be valid ids")
            return jsonify(site_latest(ctx, enterprise_id, site_id))

        @bp.get("/permits")
        @require("viewer")
        def list_permits() -> Response:
            active = request.args.get("active") in ("1", "true", "yes")
            permits = ctx.permits.list(
                enterprise=request.args.get("enterprise") or None,
                site=request.args.get("site") or None,
                zone=request.args.get("zone") or None,
                active_at_ms=ctx.now_ms() if active else None,
            )
            return jsonify({"permits": [permit_json(p) for p in permits]})

        @bp.post("/permits")
        @require("inspector")
        def report_permit() -> Response:
            body = _body()
            if body is None:
                return _error(400, "body must be a JSON object")
            now_ms = ctx.now_ms()
            try:
                # The same validation as a gateway's report and the Permits page's form.
                permit = permit_from_report(
                    body.get("enterprise"), body.get("site"), body, now_ms, ctx.registry()
                )
            except MessageRejected as exc:
                return _error(400, exc.detail)
            ctx.permits.upsert_many([permit])
            if ctx.recordings is not None:
                ctx.recordings.add(permit, g.user.username, body.get("note") or "", now_ms)
            response = jsonify(permit_json(permit))
            response.status_code = 201
            return response

    return add


def _change(action: Callable[[], Alarm]) -> Response:
    try:
        alarm = action()
    except AlarmNotFound as exc:
        return _error(404, str(exc))
    except AlarmError as exc:
        return _error(409, str(exc))
    except ValueError as exc:
        return _error(400, str(exc))
    return jsonify(alarm.as_json())


def permit_json(p: Permit) -> dict:
    """Return a permit as the API shows it."""
    return {
        "enterprise": p.enterprise,
        "site": p.site,
        "permit": p.permit,
        "type": p.type,
        "zone": p.zone,
        "start": iso_utc(p.start_ms),
        "end": iso_utc(p.end_ms),
        "status": p.status,
        "level": p.level,
        "supervisor": p.supervisor,
        "workers": p.workers,
        "reported_at": iso_utc(p.reported_ms),
    }


def site_latest(ctx: AlarmApiContext, enterprise: str, site: str) -> dict:
    """Return the latest value of every sensor and zone of a site, with registry details."""
    registry = ctx.registry()
    reg_site = registry.site(enterprise, site) if registry else None
    sensors = {r.sensor: r for r in ctx.store.latest_readings(enterprise, site)}
    zones = {z.zone: z for z in ctx.store.latest_presence(enterprise, site)}
    now = ctx.now_ms()
    out_sensors = []
    known = {s.id: s for s in reg_site.sensors} if reg_site else {}
    for sensor_id in sorted(set(known) | set(sensors)):
        reg, last = known.get(sensor_id), sensors.get(sensor_id)
        entry: dict[str, object] = {
            "sensor": sensor_id,
            "registered": reg is not None,
            "zone": reg.zone if reg else (last.zone if last else None),
            "kind": reg.kind if reg else (last.kind if last else None),
            "unit": reg.unit if reg else None,
        }
        if reg:
            entry["limits"] = {
                k: getattr(reg, k)
                for k in ("low_low", "low", "high", "high_high")
                if getattr(reg, k) is not None
            }
        if last:
            entry.update(
                value=last.value,
                quality=last.quality,
                ts=iso_utc(last.ts_ms),
                age_s=max(0, (now - last.ts_ms) // 1000),
            )
        else:
            entry.update(value=None, quality=None, ts=None, age_s=None)
        out_sensors.append(entry)
    out_zones = []
    reg_zones = {z.id: z for z in reg_site.zones} if reg_site else {}
    for zone_id in sorted(set(reg_zones) | set(zones)):
        zone, count = reg_zones.get(zone_id), zones.get(zone_id)
        out_zones.append(
            {
                "zone": zone_id,
                "name": zone.name if zone else None,
                "hazard": zone.hazard if zone else None,
                "max_people": zone.max_people if zone else None,
                "people": count.people if count else None,
                "ts": iso_utc(count.ts_ms) if count else None,
            }
        )
    return {"enterprise": enterprise, "site": site, "sensors": out_sensors, "zones": out_zones}
