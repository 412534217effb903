"""The permits page's read model and recording a permit reported by phone."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from monitoring.books.permits import PermitBook, PermitRecordings
from monitoring.edge.parse import parse_message
from monitoring.edge.permit_report import permit_from_report
from monitoring.records import MessageRejected, Permit
from monitoring.registry.loader import parse_registry
from monitoring.views import permits as pv
from tests.e2e_support import REGISTRY_YAML
from tests.factories import Clock

TZ = "Asia/Shanghai"
HOUR = 3600 * 1000


def local_ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)


NOW = local_ms(2026, 11, 28, 23, 30)
REGISTRY = REGISTRY_YAML.replace(
    "{restrictions}",
    "[{name: Now, start: 2026-11-28T00:00:00+08:00, end: 2026-11-29T00:00:00+08:00}]",
).replace(
    "          - {id: Z1, name: Ammonia tanks, hazard: major, max_people: 2, dwell_s: 2}",
    "          - {id: Z1, name: Ammonia tanks, name_zh: 液氨罐区, hazard: major, max_people: 2,"
    " dwell_s: 2}\n"
    "          - {id: G1, name: Workshop, max_people: 10}",
)
FORM = {
    "enterprise": "e1",
    "site": "s1",
    "zone": "Z1",
    "type": "hot_work",
    "permit": "DH-7",
    "start": "2026-11-28 23:00",
    "end": "2026-11-29 07:00",
    "workers": 4,
    "supervisor": "Wang Qiang",
    "status": "approved",
    "note": "Called by Wang at 23:10",
}


@pytest.fixture
def registry():
    return parse_registry(yaml.safe_load(REGISTRY))


@pytest.fixture
def view(db, registry):
    return pv.PermitsView(
        permits=PermitBook(db, clock=Clock(NOW)),
        recordings=PermitRecordings(db),
        registry=lambda: registry,
        clock=Clock(NOW),
    )


def gateway_permit(permit: str, start: int, end: int, status: str = "approved", **kw) -> Permit:
    return Permit("e1", "s1", permit, "lifting", "Z1", start, end, status, NOW - HOUR, **kw)


def test_form_times_are_registry_local() -> None:
    assert pv.parse_local("2026-11-28 23:00", TZ) == "2026-11-28T23:00:00+08:00"
    assert pv.parse_local(" 2026-11-28T23:00 ", TZ) == "2026-11-28T23:00:00+08:00"
    assert pv.local_input(NOW, TZ) == "2026-11-28 23:30"
    for bad in ("", None, "28/11/2026 23:00", "2026-11-28", 5):
        with pytest.raises(ValueError):
            pv.parse_local(bad, TZ)


def test_form_report_checks_presence_and_formats_only() -> None:
    report = pv.form_report(FORM, TZ)
    assert report["start"] == "2026-11-28T23:00:00+08:00"
    assert report["workers"] == 4 and report["note"] == "Called by Wang at 23:10"
    assert pv.form_report({**FORM, "workers": " 3 "}, TZ)["workers"] == 3
    assert "workers" not in pv.form_report({**FORM, "workers": None}, TZ)
    assert pv.form_report({**FORM, "status": None}, TZ)["status"] == "approved"
    cases = [
        ({"zone": None}, "zone", "missing"),
        ({"permit": "  "}, "permit", "missing"),
        ({"start": ""}, "start", "missing"),
        ({"end": "tomorrow"}, "end", "time_format"),
        ({"workers": "four"}, "workers", "workers"),
        ({"supervisor": {"x": 1}}, "supervisor", "rejected"),  # only a forged request
    ]
    for change, field, reason in cases:
        with pytest.raises(pv.PermitFormError) as caught:
            pv.form_report({**FORM, **change}, TZ)
        assert (caught.value.field, caught.value.reason) == (field, reason), change


def test_a_phone_report_is_validated_exactly_like_a_gateway_report(registry) -> None:
    report = pv.form_report(FORM, TZ)
    permit = permit_from_report("e1", "s1", report, NOW, registry)
    payload = {k: v for k, v in report.items() if k not in ("enterprise", "site", "note")}
    [same] = parse_message("hazmon/e1/s1/permit", json.dumps(payload).encode(), NOW).records
    assert permit == same
    assert (permit.start_ms, permit.end_ms) == (
        local_ms(2026, 11, 28, 23),
        local_ms(2026, 11, 29, 7),
    )
    assert (permit.workers, permit.supervisor, permit.reported_ms) == (4, "Wang Qiang", NOW)
    # What the protocol refuses, the phone report refuses, with the protocol's own words.
    for change in (
        {"type": "dancing"},
        {"status": "maybe"},
        {"workers": 1001},
        {"workers": 2.5},
        {"permit": "DH 7"},
        {"end": report["start"]},
        {"supervisor": "x" * 101},
    ):
        bad = {**payload, **change}
        with pytest.raises(MessageRejected) as from_phone:
            permit_from_report("e1", "s1", bad, NOW, registry)
        with pytest.raises(MessageRejected) as from_gateway:
            parse_message("hazmon/e1/s1/permit", json.dumps(bad).encode(), NOW)
        assert from_phone.value.detail == from_gateway.value.detail, change


def test_a_phone_report_must_name_a_registered_enterprise_site_and_zone(registry) -> None:
    report = pv.form_report(FORM, TZ)
    for enterprise, site, zone, field in (
        ("e9", "s1", "Z1", "enterprise"),
        ("e1", "s9", "Z1", "site"),
        ("e1", "s1", "Z9", "zone"),
    ):
        with pytest.raises(MessageRejected) as caught:
            permit_from_report(enterprise, site, {**report, "zone": zone}, NOW, registry)
        assert pv.rejected_field(caught.value.detail) == field
    with pytest.raises(MessageRejected):
        permit_from_report("e 1", "s1", report, NOW)
    # Without a registry (as a gateway's report) an unknown zone is accepted.
    assert permit_from_report("e1", "s1", {**report, "zone": "Z9"}, NOW).zone == "Z9"


def test_rejected_field_names_the_form_field() -> None:
    assert pv.rejected_field("workers: 1001 is not an integer from 0 to 1000") == "workers"
    assert pv.rejected_field("end (5 ms) is not after start (9 ms)") == "end"
    assert pv.rejected_field("something else entirely") is None


def test_recording_stores_the_permit_so_the_rules_see_it_and_says_who(view) -> None:
    permit = view.record("insp", FORM)
    # What the alarm service loads every second, and what the rule asks.
    assert view.permits.covering("e1", "s1", "Z1", NOW) == [permit]
    assert view.permits.list(ending_after_ms=NOW - 24 * HOUR) == [permit]
    [row] = view.rows("zh")
    assert (row.permit, row.state, row.type, row.workers, row.recorded_by) == (
        "DH-7",
        "in_force",
        "hot_work",
        4,
        "insp",
    )
    assert (row.enterprise_name, row.zone_name, row.major) == ("测试化肥", "液氨罐区", True)
    assert (row.start_local, row.end_local) == ("2026-11-28 23:00", "2026-11-29 07:00")
    assert row.note == "Called by Wang at 23:10" and row.supervisor == "Wang Qiang"

    # The enterprise's gateway reports the same permit later: that report wins.
    later = Permit("e1", "s1", "DH-7", "hot_work", "Z1", permit.start_ms, permit.end_ms,
                   "closed", NOW + 1000, workers=4)  # fmt: skip
    view.permits.upsert_many([later])
    [row] = view.rows("en")
    assert (row.state, row.recorded_by, row.note) == ("closed", None, "")


def test_refused_reports_store_nothing(view) -> None:
    with pytest.raises(pv.PermitFormError) as caught:
        view.record("insp", {**FORM, "type": "dancing"})
    assert (caught.value.field, caught.value.reason) == ("type", "rejected")
    assert "dancing" in caught.value.detail
    with pytest.raises(pv.PermitFormError) as caught:
        view.record("insp", {**FORM, "zone": "G9"})
    assert caught.value.field == "zone"
    assert view.permits.list() == [] and view.rows("en") == []


def test_rows_in_force_first_then_upcoming_then_ended_within_a_day(view) -> None:
    view.permits.upsert_many(
        [
            gateway_permit("ENDED", NOW - 5 * HOUR, NOW - HOUR),
            gateway_permit("OLD", NOW - 30 * HOUR, NOW - 25 * HOUR),
            gateway_permit("SOON", NOW + HOUR, NOW + 2 * HOUR, workers=2),
            gateway_permit("NOW", NOW - HOUR, NOW + HOUR),
            gateway_permit("CANCELLED", NOW - HOUR, NOW + HOUR, "cancelled"),
        ]
    )
    rows = view.rows("en")
    assert [(r.permit, r.state) for r in rows] == [
        ("NOW", "in_force"),
        ("SOON", "upcoming"),
        ("ENDED", "ended"),
        ("CANCELLED", "cancelled"),
    ]
    assert all(r.recorded_by is None for r in rows)
    assert [r.permit for r in view.rows("en", state="upcoming")] == ["SOON"]
    assert [r.permit for r in view.rows("en", enterprise="e1", site="s1", zone="Z1")][0] == "NOW"
    assert view.rows("en", zone="G1") == [] and view.rows("en", enterprise="e2") == []


def test_restrictions_and_choices_follow_the_registry(view, registry) -> None:
    [now] = view.restrictions()
    assert (now.name, now.phase) == ("Now", "in_force")
    assert pv.enterprise_choices(registry, "zh") == [("e1", "测试化肥")]
    assert pv.site_choices(registry, "e1") == [("s1", "Main plant")]
    assert pv.site_choices(registry, "e9") == [] and pv.site_choices(registry, None) == []
    assert pv.zone_choices(registry, "e1", "s1", "zh") == [
        ("Z1", "液氨罐区", True),
        ("G1", "Workshop", False),
    ]
    assert pv.zone_filter_choices(registry, "e1", "en") == [
        ("s1", "Z1", "Ammonia tanks", True),
        ("s1", "G1", "Workshop", False),
    ]
    assert view.default_times() == ("2026-11-28 23:30", "2026-11-29 07:30")
