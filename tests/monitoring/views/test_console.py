"""The console's read model: rows, detail, contacts in call order, reminders, permits, trend."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import yaml

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.calls import CallLog, ContactLookups
from monitoring.books.permits import PermitBook
from monitoring.db.database import Database
from monitoring.records import Permit, PresenceCount, Reading
from monitoring.registry.loader import parse_registry
from monitoring.signals import AlarmSignal
from monitoring.storage.embedded import EmbeddedStore
from monitoring.views import common
from monitoring.views import console as cv
from tests.e2e_support import REGISTRY_YAML
from tests.factories import Clock

TZ = "Asia/Shanghai"
NIGHT = int(datetime(2026, 11, 28, 23, 30, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
DAY = int(datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
# The test registry plus a principal and a leader in charge, listed before the duty officers.
REGISTRY = REGISTRY_YAML.replace("{restrictions}", "[]").replace(
    "      - {name: Duty One",
    '      - {name: Boss Wang, role: principal, phone: "+86 139 0000 0001"}\n'
    '      - {name: Lead Li, role: leader_in_charge, phone: "+86 139 0000 0002"}\n'
    "      - {name: Duty One",
)


@pytest.fixture
def view(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    store = EmbeddedStore(tmp_path / "readings.sqlite")
    store.start()
    registry = parse_registry(yaml.safe_load(REGISTRY))
    yield cv.ConsoleView(
        alarms=AlarmBook(db),
        calls=CallLog(db),
        lookups=ContactLookups(db),
        permits=PermitBook(db),
        store=store,
        registry=lambda: registry,
        clock=Clock(NIGHT + 120_000),
    )
    store.close()
    db.close()


def raise_alarm(view, source: str, rule: str, severity: str, ts_ms: int, **kw) -> int:
    signal = AlarmSignal(
        "raise", "e1", "s1", source, rule, ts_ms, severity=severity, message="test", **kw
    )
    view.alarms.apply([signal], ts_ms)
    return next(a.id for a in view.alarms.list() if a.source == source and a.rule == rule)


def test_rows_are_most_severe_first_with_names_in_the_language(view) -> None:
    raise_alarm(view, "sensor:LT-1", "limit", "yellow", NIGHT)
    raise_alarm(view, "zone:Z1", "special_operation", "orange", NIGHT + 1000, zone="Z1")
    rows = view.rows("zh")
    assert [(r.rule, r.severity) for r in rows] == [
        ("special_operation", "orange"),
        ("limit", "yellow"),
    ]
    top = rows[0]
    assert top.enterprise_name == "测试化肥" and top.zone_name == "Ammonia tanks"
    assert top.raised_local == "2026-11-28 23:30:01"
    assert top.elapsed_ms == 119_000 and top.count == 1 and top.state == "active_unack"
    assert view.rows("en")[0].enterprise_name == "Test Fertilizer"


def test_reminder_fits_the_rule() -> None:
    so = cv.call_reminder("special_operation", "en")
    assert so == (
        "Special operations should not be organised now; if unavoidable, safety measures must "
        "be in place and a permit approved."
    )
    assert "特殊作业" in cv.call_reminder("special_operation", "zh")
    assert "evacuate" in cv.call_reminder("limit", "en", "gas_nh3")
    assert "leak" in cv.call_reminder("limit", "en", "gas_nh3")
    assert "evacuate" not in cv.call_reminder("limit", "en", "pressure")
    assert "restore communication" in cv.call_reminder("lost_comm", "en")
    assert "撤离" in cv.call_reminder("limit", "zh", "gas_nh3")
    assert cv.call_reminder("unknown_rule", "en") == cv.DEFAULT_REMINDER[0]


def test_contacts_put_the_duty_officer_on_shift_first_then_the_leader(view) -> None:
    registry = view.registry()
    night = common.contact_rows(registry.enterprise("e1"), NIGHT, TZ, "en")
    assert [(c.name, c.on_duty) for c in night] == [
        ("Duty Two", True),
        ("Lead Li", False),
        ("Boss Wang", False),
        ("Duty One", False),
    ]
    assert night[1].role_title == "leader in charge"
    day = common.contact_rows(registry.enterprise("e1"), DAY, TZ, "zh")
    assert day[0].name == "Duty One" and day[0].role_title == "值班人员"
    assert day[0].phone == "+86 139 0000 0003" and day[0].shifts == ("08:00-20:00",)


def test_looking_up_contacts_is_recorded(view) -> None:
    alarm_id = raise_alarm(view, "zone:Z1", "special_operation", "orange", NIGHT, zone="Z1")
    contacts = view.contacts(alarm_id, "insp", "en")
    assert contacts[0].name == "Duty Two"
    [lookup] = view.lookups.recent()
    assert (lookup["username"], lookup["enterprise"], lookup["alarm_id"]) == (
        "insp",
        "e1",
        alarm_id,
    )


def test_detail_has_history_permits_reminder_and_people_trend(view) -> None:
    alarm_id = raise_alarm(view, "zone:Z1", "special_operation", "orange", NIGHT, zone="Z1")
    view.store.write(
        [], [PresenceCount("e1", "s1", "CAM-1", "Z1", NIGHT - 5000 + i * 1000, 6) for i in range(5)]
    )
    view.permits.upsert_many(
        [
            Permit(
                "e1",
                "s1",
                "P-1",
                "hot_work",
                "Z1",
                NIGHT - 3600_000,
                NIGHT + 3600_000,
                "approved",
                NIGHT - 7200_000,
                workers=3,
            ),
            Permit(
                "e1",
                "s1",
                "P-0",
                "hot_work",
                "Z1",
                NIGHT - 9000_000,
                NIGHT - 7200_000,
                "approved",
                NIGHT - 9000_000,
            ),
        ]
    )
    view.log_call(alarm_id, "insp", "Duty Two", "reached", "stop the work")
    view.clock.ms += 30_000
    view.acknowledge(alarm_id, "insp", "work stopped", "real_event")

    detail = view.detail(alarm_id, "en", include_phones=True)

    assert detail.reminder.startswith("Special operations should not be organised now")
    assert [p.permit for p in detail.permits] == ["P-1"]  # only the active one
    assert [(h.kind, h.what) for h in detail.history] == [
        ("transition", "raised"),
        ("call", "reached"),
        ("transition", "acknowledged"),
    ]
    assert "+86 139 0000 0004" in detail.history[1].text
    assert "+86" not in repr(view.detail(alarm_id, "en", include_phones=False).history)
    assert detail.trend.kind == "zone" and detail.trend.limits == {"max_people": 2.0}
    assert {v for _, v in detail.trend.points} == {6.0} and detail.trend.alarm_ms == NIGHT
    assert detail.contact_names == ("Boss Wang", "Lead Li", "Duty One", "Duty Two")


def test_sensor_trend_carries_the_sensor_limits(view) -> None:
    alarm_id = raise_alarm(view, "sensor:NH3-1", "limit", "red", NIGHT, zone="Z1")
    view.store.write([Reading("e1", "s1", "NH3-1", NIGHT, 90.0, zone="Z1", kind="gas_nh3")], [])
    detail = view.detail(alarm_id, "en", include_phones=False)
    assert detail.trend.limits == {"high": 42.0, "high_high": 85.0}
    assert detail.trend.unit == "ppm" and [v for _, v in detail.trend.points] == [90.0]
    assert "evacuate" in detail.reminder


def test_log_call_refuses_a_contact_of_another_enterprise(view) -> None:
    alarm_id = raise_alarm(view, "zone:Z1", "special_operation", "orange", NIGHT, zone="Z1")
    with pytest.raises(ValueError):
        view.log_call(alarm_id, "insp", "Somebody Else", "reached", "")


def test_only_inspectors_and_admins_may_act() -> None:
    def user(role: str) -> SimpleNamespace:
        rank = {"viewer": 0, "inspector": 1, "admin": 2}
        return SimpleNamespace(can=lambda needed: rank[role] >= rank[needed])

    assert not common.can_act(None)
    assert not common.can_act(user("viewer"))
    assert common.can_act(user("inspector")) and common.can_act(user("admin"))


def test_trend_window_surrounds_the_alarm() -> None:
    start, end = cv.trend_window(NIGHT, NIGHT + 10 * 60_000)
    assert start == NIGHT - cv.TREND_BEFORE_MS and end == NIGHT + 10 * 60_000 + 1
    assert cv.trend_window(NIGHT, NIGHT + 10 * 3600_000)[1] == NIGHT + cv.TREND_AFTER_MS + 1


def test_rows_carry_message_key_params_and_timezone(view) -> None:
    params = {"sensor": "NH3-1", "level": "high", "value": 50.0, "unit": "ppm", "limit": 42.0}
    raise_alarm(
        view,
        "sensor:NH3-1",
        "limit",
        "orange",
        NIGHT,
        zone="Z1",
        message_key="limit.gas_high",
        params=params,
    )
    [r] = view.rows("en")
    assert (r.message_key, r.params, r.tz) == ("limit.gas_high", params, TZ)
    assert r.sensor == "NH3-1" and r.message == "test"
    assert view.detail(r.id, "zh", include_phones=False).row.params == params
