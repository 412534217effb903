"""The directory's read model: search, region filter, open alarms, detail, phones with an audit."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.calls import ContactLookups
from monitoring.registry.loader import parse_registry
from monitoring.signals import AlarmSignal
from monitoring.views import directory as dv
from tests.e2e_support import REGISTRY_YAML
from tests.factories import Clock

TZ = "Asia/Shanghai"
DAY = int(datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
NIGHT = int(datetime(2026, 11, 28, 23, 30, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
RESTRICTIONS = (
    "[{name: Old holiday, start: 2026-02-01T00:00:00+08:00, end: 2026-03-01T00:00:00+08:00},"
    " {name: Now, start: 2026-11-28T00:00:00+08:00, end: 2026-11-29T00:00:00+08:00},"
    " {name: Later, start: 2026-12-20T00:00:00+08:00, end: 2026-12-25T00:00:00+08:00}]"
)
# The test registry, with a principal and a leader before the duty officers, plus an
# enterprise with two sites and neither Chinese name nor region.
REGISTRY = REGISTRY_YAML.replace("{restrictions}", RESTRICTIONS).replace(
    "      - {name: Duty One",
    '      - {name: Boss Wang, role: principal, phone: "+86 139 0000 0001"}\n'
    '      - {name: Lead Li, role: leader_in_charge, phone: "+86 139 0000 0002"}\n'
    "      - {name: Duty One",
) + (
    "  - id: e2\n"
    "    name: Second Chemicals\n"
    "    sites:\n"
    "      - id: a\n"
    "        name: Plant A\n"
    "        location: {lat: 35.5, lon: 112.25}\n"
    "        zones:\n"
    "          - {id: G1, name: Warehouse, max_people: 8}\n"
    "      - id: b\n"
    "        name: Plant B\n"
)


@pytest.fixture
def registry():
    return parse_registry(yaml.safe_load(REGISTRY))


@pytest.fixture
def view(db, registry):
    return dv.DirectoryView(
        alarms=AlarmBook(db),
        lookups=ContactLookups(db),
        registry=lambda: registry,
        clock=Clock(NIGHT),
    )


def raise_alarm(view, enterprise, site, source, rule, severity, ts_ms) -> None:
    signal = AlarmSignal("raise", enterprise, site, source, rule, ts_ms, severity=severity)
    view.alarms.apply([signal], ts_ms)


def test_search_matches_chinese_and_english_names_and_the_id(registry) -> None:
    e1 = registry.enterprise("e1")
    assert dv.matches(e1, "测试")
    assert dv.matches(e1, "  test FERT ")
    assert dv.matches(e1, "E1")
    assert dv.matches(e1, "") and dv.matches(e1, None)
    assert not dv.matches(e1, "Second")
    assert not dv.matches(e1, "Testland")  # the region is a filter, not a search


def test_regions_are_sorted_with_no_region_last(registry) -> None:
    assert dv.regions(registry) == ["Testland", dv.NO_REGION]
    assert dv.regions(None) == []


def test_rows_filter_and_count_open_alarms_with_the_worst_severity(view) -> None:
    raise_alarm(view, "e1", "s1", "sensor:LT-1", "limit", "yellow", NIGHT - 5000)
    raise_alarm(view, "e1", "s1", "zone:Z1", "special_operation", "orange", NIGHT - 4000)
    raise_alarm(view, "e2", "a", "gateway", "lost_comm", "orange", NIGHT - 3000)
    view.alarms.acknowledge(
        next(a.id for a in view.alarms.list() if a.enterprise == "e2"), "insp", "ok", now_ms=NIGHT
    )
    rows = view.rows("zh")
    assert [r.id for r in rows] == ["e1", "e2"]
    e1, e2 = rows
    assert (e1.name, e1.name_en, e1.region) == ("测试化肥", "Test Fertilizer", "Testland")
    assert (e1.open_alarms, e1.unacknowledged, e1.worst) == (2, 2, "orange")
    assert (e1.sites, e1.zones, e1.major_zones, e1.sensors, e1.cameras) == (1, 1, 1, 3, 1)
    assert (e2.name, e2.region, e2.open_alarms, e2.unacknowledged) == (
        "Second Chemicals",  # no Chinese name: the English one
        dv.NO_REGION,
        1,
        0,
    )
    assert [r.id for r in view.rows("en", search="化肥")] == ["e1"]
    assert [r.id for r in view.rows("en", region=dv.NO_REGION)] == ["e2"]
    assert [r.id for r in view.rows("en", search="test", region=dv.NO_REGION)] == []


def test_rows_never_carry_a_phone_number(view) -> None:
    fields = {f.name for f in dataclasses.fields(dv.EnterpriseRow)}
    fields |= {f.name for f in dataclasses.fields(dv.PersonRow)}
    assert not {name for name in fields if "phone" in name}
    assert "+86" not in repr(view.rows("en")) + repr(view.detail("e1", "en"))


def test_detail_has_sites_zones_restrictions_and_the_roster_on_duty_first(view) -> None:
    raise_alarm(view, "e2", "a", "zone:G1", "people", "yellow", NIGHT - 3000)
    detail = view.detail("e1", "en")
    assert detail.row.address == "1 Test Road" and detail.tz == TZ
    [site] = detail.sites
    assert (site.id, site.name, site.zones, site.sensors, site.cameras) == (
        "s1",
        "Main plant",
        1,
        3,
        1,
    )
    assert site.location == "" and site.open_alarms == 0
    [zone] = detail.zones
    assert (zone.id, zone.name, zone.hazard, zone.max_people, zone.dwell_s) == (
        "Z1",
        "Ammonia tanks",
        "major",
        2,
        2,
    )
    assert zone.sensor_kinds == (("gas_nh3", 1), ("level", 1), ("pressure", 1))
    assert zone.cameras == 1
    # 23:30: Duty Two's night shift; then the leader, the principal, the off-shift officer.
    assert [(p.name, p.on_duty) for p in detail.people] == [
        ("Duty Two", True),
        ("Lead Li", False),
        ("Boss Wang", False),
        ("Duty One", False),
    ]
    assert detail.people[0].role_title == "duty officer" and detail.people[0].shifts == (
        "20:00-08:00",
    )
    assert [(r.name, r.phase) for r in detail.restrictions] == [
        ("Old holiday", "past"),
        ("Now", "in_force"),
        ("Later", "upcoming"),
    ]
    assert detail.restrictions[1].start_local == "2026-11-28 00:00:00"

    view.clock.ms = DAY
    assert view.detail("e1", "zh").people[0].name == "Duty One"
    assert view.detail("e1", "zh").people[0].role_title == "值班人员"

    other = view.detail("e2", "en")
    assert [s.id for s in other.sites] == ["a", "b"]
    assert other.sites[0].location == "35.5000, 112.2500"
    assert (other.sites[0].open_alarms, other.sites[0].worst) == (1, "yellow")
    assert (other.sites[1].open_alarms, other.sites[1].worst) == (0, None)
    assert other.people == ()
    assert view.detail("nope", "en") is None and view.detail(None, "en") is None


def test_major_hazard_zones_come_first(registry) -> None:
    data = yaml.safe_load(REGISTRY)
    zones = data["enterprises"][0]["sites"][0]["zones"]
    zones.insert(0, {"id": "G0", "name": "Office", "max_people": 30})
    detail = dv.enterprise_detail(parse_registry(data), [], "e1", NIGHT, "en")
    assert [z.id for z in detail.zones] == ["Z1", "G0"]
    assert detail.zones[1].sensor_kinds == () and detail.zones[1].hazard == "general"


def test_phones_are_in_call_order_and_the_look_up_is_recorded(view) -> None:
    assert view.lookups.recent(enterprise="e1") == []
    contacts = view.phones("e1", "insp", "en")
    assert [(c.name, c.phone, c.on_duty) for c in contacts][:2] == [
        ("Duty Two", "+86 139 0000 0004", True),
        ("Lead Li", "+86 139 0000 0002", False),
    ]
    [lookup] = view.lookups.recent(enterprise="e1")
    assert (lookup["username"], lookup["enterprise"], lookup["alarm_id"], lookup["ts_ms"]) == (
        "insp",
        "e1",
        None,
        NIGHT,
    )
    assert view.phones("nope", "insp", "en") == []
    assert len(view.lookups.recent()) == 1  # an unknown enterprise records nothing


def test_no_registry_means_empty_pages(db) -> None:
    view = dv.DirectoryView(AlarmBook(db), ContactLookups(db), lambda: None, Clock(NIGHT))
    assert view.rows("en") == [] and view.regions() == []
    assert view.detail("e1", "en") is None and view.phones("e1", "insp", "en") == []
