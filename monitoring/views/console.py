"""The alarm console's read model: open alarms, one alarm's detail, whom to call and what to say.

Pure builders (`alarm_rows`, `contact_rows`, `call_reminder`, `history`, `trend_window`) do the
work; `ConsoleView` only fetches from the alarm book, call log, permit book, store and registry.
Phone numbers appear only in `ContactRow`s, which the console asks for explicitly (and records).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from monitoring.alarms.model import MAX_LIST, Alarm
from monitoring.clock import iso_to_ms, local_time
from monitoring.records import Permit
from monitoring.registry.model import Registry, Sensor, Zone
from monitoring.signals import (
    RULE_LIMIT,
    RULE_LOST_COMM,
    RULE_PEOPLE,
    RULE_SPECIAL_OPERATION,
    SEVERITY_RANK,
)
from monitoring.views.common import DEFAULT_TZ, ContactRow, PageView, contact_rows, display_name
from monitoring.views.ports import (
    AlarmActions,
    CallRecorder,
    LookupRecorder,
    PermitReader,
    StoreReader,
)

TREND_BEFORE_MS = 15 * 60_000  # the trend starts this long before the alarm was raised
TREND_AFTER_MS = 60 * 60_000  # and ends this long after it (or now, if sooner)
TREND_POINTS = 600
TABLE_CACHE_S = 1.0  # consoles refreshing within this share one read of every open alarm

# What an inspector reminds the enterprise of on the phone, by rule (en, zh).
REMINDERS: dict[str, tuple[str, str]] = {
    RULE_SPECIAL_OPERATION: (
        "Special operations should not be organised now; if unavoidable, safety measures must "
        "be in place and a permit approved.",
        "现阶段原则上不应组织特殊作业；确需作业的，必须落实安全措施并办理作业审批（作业票）。",
    ),
    "gas_limit": (
        "Gas concentration over the limit: evacuate people from the area, check for a leak "
        "and isolate it, report back when the reading is normal.",
        "气体浓度超限：立即撤离区域内人员，排查并切断泄漏源，读数恢复正常后回报。",
    ),
    RULE_LIMIT: (
        "Process value over the limit: check the equipment on site and bring it back within "
        "limits; report back what was found.",
        "工艺参数超限：立即现场核查设备，采取措施恢复正常，并回报核查情况。",
    ),
    RULE_LOST_COMM: (
        "Monitoring data lost: restore communication as soon as possible and keep watch on "
        "site until data is back.",
        "监测数据中断：尽快恢复通信，恢复前安排人员现场值守。",
    ),
    RULE_PEOPLE: (
        "Too many people in the area: reduce the number of people to the permitted maximum.",
        "区域人员超限：立即将人员减少至规定人数以内。",
    ),
    "bad_data": (
        "Bad-quality data: check the instrument and report when it is repaired.",
        "数据质量异常：检查仪表，修复后回报。",
    ),
}
DEFAULT_REMINDER = (
    "Check the site and report back what was found.",
    "请核查现场情况并回报。",
)


@dataclass(frozen=True)
class AlarmRow:
    """One open alarm as the console's table shows it (no contact data)."""

    id: int
    severity: str
    state: str
    enterprise: str
    enterprise_name: str
    site: str
    site_name: str
    zone: str | None
    zone_name: str
    source: str
    rule: str
    message: str
    raised_ms: int
    raised_local: str
    elapsed_ms: int
    count: int
    message_key: str = ""
    params: dict = field(default_factory=dict)
    tz: str = DEFAULT_TZ

    @property
    def sensor(self) -> str | None:
        """Return the sensor id of an alarm on a sensor (None for zones and gateways)."""
        kind, ident = source_id(self.source)
        return ident if kind == "sensor" and ident else None


@dataclass(frozen=True)
class HistoryEntry:
    """A transition or a call, in time order."""

    at_local: str
    kind: str  # "transition" or "call"
    actor: str
    what: str  # event name or call outcome
    text: str  # reason / comment / contact and note


@dataclass(frozen=True)
class Trend:
    """What to plot around an alarm: a sensor's values or a zone's people count."""

    kind: str  # "sensor" or "zone"
    label: str
    unit: str
    points: tuple[tuple[int, float], ...]
    limits: dict[str, float]
    alarm_ms: int
    tz: str


@dataclass(frozen=True)
class PermitRow:
    """An active permit for the alarm's zone."""

    permit: str
    type: str
    status: str
    start_local: str
    end_local: str
    workers: int | None
    supervisor: str | None


@dataclass(frozen=True)
class AlarmDetail:
    """Everything the detail panel shows about one alarm (phones only in the calls, if asked)."""

    row: AlarmRow
    alarm: dict
    history: tuple[HistoryEntry, ...]
    permits: tuple[PermitRow, ...]
    reminder: str
    trend: Trend | None
    contact_names: tuple[str, ...]


def source_id(source: str) -> tuple[str, str]:
    """Split `sensor:NH3-1` into ('sensor', 'NH3-1'); `gateway` into ('gateway', '')."""
    kind, _, ident = source.partition(":")
    return kind, ident


def alarm_rows(
    registry: Registry | None, alarms: list[Alarm], now_ms: int, lang: str
) -> list[AlarmRow]:
    """Return table rows for alarms: most severe first, then newest."""
    tz = registry.timezone if registry is not None else DEFAULT_TZ
    ranked = sorted(alarms, key=lambda a: (SEVERITY_RANK.get(a.severity, 99), -a.raised_ms, -a.id))
    rows = []
    for a in ranked:
        ent = registry.enterprise(a.enterprise) if registry is not None else None
        site = registry.site(a.enterprise, a.site) if registry is not None else None
        zone = (
            registry.zone(a.enterprise, a.site, a.zone) if registry is not None and a.zone else None
        )
        rows.append(
            AlarmRow(
                id=a.id,
                severity=a.severity,
                state=a.state,
                enterprise=a.enterprise,
                enterprise_name=display_name(ent, a.enterprise, lang),
                site=a.site,
                site_name=display_name(site, a.site, lang),
                zone=a.zone,
                zone_name=display_name(zone, a.zone or "", lang),
                source=a.source,
                rule=a.rule,
                message=a.message,
                raised_ms=a.raised_ms,
                raised_local=local_time(a.raised_ms, tz),
                elapsed_ms=max(0, now_ms - a.raised_ms),
                count=a.count,
                message_key=a.message_key,
                params=a.params,
                tz=tz,
            )
        )
    return rows


def reminder_key(rule: str, sensor_kind: str | None = None) -> str:
    """Return which reminder fits an alarm: gas limits get their own."""
    if rule == RULE_LIMIT and sensor_kind and sensor_kind.startswith("gas_"):
        return "gas_limit"
    return rule if rule in REMINDERS else ""


def call_reminder(rule: str, lang: str, sensor_kind: str | None = None) -> str:
    """Return the note an inspector starts a call with, fitting the alarm's rule."""
    en, zh = REMINDERS.get(reminder_key(rule, sensor_kind), DEFAULT_REMINDER)
    return zh if lang == "zh" else en


def history(detail: dict, tz: str) -> tuple[HistoryEntry, ...]:
    """Return an alarm's transitions and calls merged, oldest first."""
    entries: list[tuple[int, int, HistoryEntry]] = []
    for i, tr in enumerate(detail.get("transitions", ())):
        ms = iso_to_ms(tr["at"]) or 0
        text = tr.get("comment") or tr.get("reason") or ""
        entries.append(
            (ms, i, HistoryEntry(local_time(ms, tz), "transition", tr["actor"], tr["event"], text))
        )
    for i, call in enumerate(detail.get("calls", ())):
        ms = iso_to_ms(call["at"]) or 0
        who = call["contact"] + (f" ({call['phone']})" if call.get("phone") else "")
        text = who + (f": {call['note']}" if call.get("note") else "")
        entries.append(
            (
                ms,
                10_000 + i,
                HistoryEntry(local_time(ms, tz), "call", call["username"], call["outcome"], text),
            )
        )
    entries.sort(key=lambda e: (e[0], e[1]))
    return tuple(e for _, _, e in entries)


def trend_window(raised_ms: int, now_ms: int) -> tuple[int, int]:
    """Return [start, end) of the trend around an alarm raised at `raised_ms`."""
    end = min(now_ms, raised_ms + TREND_AFTER_MS)
    return raised_ms - TREND_BEFORE_MS, max(end, raised_ms + 60_000) + 1


def sensor_limits(sensor: Sensor | None) -> dict[str, float]:
    """Return the limits a registry sensor has (low_low, low, high, high_high)."""
    if sensor is None:
        return {}
    return {
        k: float(getattr(sensor, k))
        for k in ("low_low", "low", "high", "high_high")
        if getattr(sensor, k) is not None
    }


def zone_limits(zone: Zone | None) -> dict[str, float]:
    """Return a zone's people limit as a trend limit."""
    if zone is None or zone.max_people is None:
        return {}
    return {"max_people": float(zone.max_people)}


def permit_row(p: Permit, tz: str) -> PermitRow:
    """Return a permit as the detail panel lists it."""
    return PermitRow(
        permit=p.permit,
        type=p.type,
        status=p.status,
        start_local=local_time(p.start_ms, tz),
        end_local=local_time(p.end_ms, tz),
        workers=p.workers,
        supervisor=p.supervisor,
    )


@dataclass
class ConsoleView(PageView):
    """Read (and, for inspectors, act on) alarms for the console page."""

    alarms: AlarmActions
    calls: CallRecorder
    lookups: LookupRecorder
    permits: PermitReader
    store: StoreReader
    registry: Callable[[], Registry | None]
    clock: Callable[[], float] = time.time

    _tables: dict[str, tuple[float, list[dict]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _tables_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def rows(self, lang: str) -> list[AlarmRow]:
        """Return every open alarm as table rows, most severe first, then newest."""
        return alarm_rows(self.registry(), self.open_alarms(), self.now_ms(), lang)

    def open_alarms(self) -> list[Alarm]:
        """Return every open alarm, read a page at a time: no limit cuts the list short."""
        alarms: dict[int, Alarm] = {}  # one whose severity changed between pages: once
        after = None
        while True:
            page = self.alarms.page(state="open", limit=MAX_LIST, after=after)
            for alarm in page.alarms:
                alarms.setdefault(alarm.id, alarm)
            if page.next is None:
                return list(alarms.values())
            after = page.next

    def table(
        self, lang: str, render: Callable[[list[AlarmRow]], list[dict]], fresh: bool = False
    ) -> list[dict]:
        """Return every open alarm as `render` makes table rows of them, in `rows` order.

        Read and rendered at most once per TABLE_CACHE_S and language, however many consoles
        refresh (thousands of open alarms take a few hundred milliseconds); `fresh` reads
        now, after an action of this user.
        """
        now = time.monotonic()
        with self._tables_lock:
            cached = self._tables.get(lang)
        if cached is not None and not fresh and now - cached[0] < TABLE_CACHE_S:
            return cached[1]
        table = render(self.rows(lang))
        with self._tables_lock:
            self._tables[lang] = (now, table)
        return table

    def detail(self, alarm_id: int, lang: str, include_phones: bool) -> AlarmDetail | None:
        """Return one alarm's detail: fields, history, permits, reminder and trend."""
        alarm = self.alarms.get(alarm_id)
        data = self.alarms.detail(alarm_id, include_phones=include_phones)
        if alarm is None or data is None:
            return None
        registry, tz, now = self.registry(), self.tz(), self.now_ms()
        row = alarm_rows(registry, [alarm], now, lang)[0]
        kind, ident = source_id(alarm.source)
        sensor = (
            registry.sensor(alarm.enterprise, alarm.site, ident)
            if registry is not None and kind == "sensor"
            else None
        )
        permits = (
            self.permits.list(alarm.enterprise, alarm.site, alarm.zone, active_at_ms=now)
            if alarm.zone
            else []
        )
        ent = registry.enterprise(alarm.enterprise) if registry is not None else None
        return AlarmDetail(
            row=row,
            alarm=data,
            history=history(data, tz),
            permits=tuple(permit_row(p, tz) for p in permits),
            reminder=call_reminder(alarm.rule, lang, sensor.kind if sensor else None),
            trend=self._trend(alarm, registry, sensor, lang, tz, now),
            contact_names=tuple(c.name for c in ent.contacts) if ent else (),
        )

    def _trend(
        self,
        alarm: Alarm,
        registry: Registry | None,
        sensor: Sensor | None,
        lang: str,
        tz: str,
        now: int,
    ) -> Trend | None:
        kind, ident = source_id(alarm.source)
        start, end = trend_window(alarm.raised_ms, now)
        if kind == "sensor":
            points = self.store.reading_series(
                alarm.enterprise, alarm.site, ident, start, end, TREND_POINTS
            )
            limits, unit = sensor_limits(sensor), (sensor.unit or "") if sensor else ""
        elif kind == "zone":
            points = self.store.presence_series(
                alarm.enterprise, alarm.site, ident, start, end, TREND_POINTS
            )
            zone = registry.zone(alarm.enterprise, alarm.site, ident) if registry else None
            limits, unit = zone_limits(zone), ""
            ident = display_name(zone, ident, lang)
        else:
            return None
        return Trend(
            kind=kind,
            label=ident,
            unit=unit,
            points=tuple((p.ts_ms, p.value) for p in points),
            limits=limits,
            alarm_ms=alarm.raised_ms,
            tz=tz,
        )

    def contacts(self, alarm_id: int, username: str, lang: str) -> list[ContactRow]:
        """Return the alarm's enterprise contacts in call order, recording the look-up."""
        alarm = self.alarms.get(alarm_id)
        registry = self.registry()
        if alarm is None or registry is None:
            return []
        enterprise = registry.enterprise(alarm.enterprise)
        if enterprise is None:
            return []
        now = self.now_ms()
        self.lookups.record(username, enterprise.id, alarm_id, now)
        return contact_rows(enterprise, now, registry.timezone, lang)

    def log_call(self, alarm_id: int, username: str, contact: str, outcome: str, note: str) -> dict:
        """Record a call to a contact (by name) of the alarm's enterprise; ValueError if bad."""
        alarm = self.alarms.get(alarm_id)
        registry = self.registry()
        ent = registry.enterprise(alarm.enterprise) if alarm and registry else None
        found = next((c for c in (ent.contacts if ent else ()) if c.name == contact), None)
        if found is None:
            raise ValueError("contact")
        return self.calls.record(alarm_id, username, found, outcome, note, self.now_ms())

    def acknowledge(
        self, alarm_id: int, username: str, comment: str, disposition: str | None
    ) -> Alarm:
        """Acknowledge the alarm as `username`, now."""
        return self.alarms.acknowledge(
            alarm_id, username, comment, disposition or None, now_ms=self.now_ms()
        )

    def shelve(self, alarm_id: int, username: str, minutes: int, reason: str) -> Alarm:
        """Shelve the alarm for `minutes` as `username`, now."""
        return self.alarms.shelve(alarm_id, username, minutes, reason, self.now_ms())
