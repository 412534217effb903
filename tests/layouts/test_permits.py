"""Pure builders of the permits page, without a browser."""

from __future__ import annotations

from dash import html

from layouts import ids, permits
from layouts.i18n import TEXT
from monitoring.records import PERMIT_STATUSES, PERMIT_TYPES
from monitoring.views.directory import RestrictionRow
from monitoring.views.permits import STATES, PermitRow
from tests.layouts.test_console import find, texts
from tests.layouts.test_directory import INSPECTOR, VIEWER, assert_renderable, walk


def row(**kw) -> PermitRow:
    base = dict(
        enterprise="e1",
        enterprise_name="Test Fertilizer",
        site="s1",
        site_name="Main plant",
        zone="Z1",
        zone_name="Ammonia tanks",
        major=True,
        permit="DH-7",
        type="hot_work",
        status="approved",
        state="in_force",
        start_ms=0,
        end_ms=1,
        start_local="2026-11-28 23:00",
        end_local="2026-11-29 07:00",
        workers=4,
        supervisor="Wang Qiang",
        level=None,
        reported_local="2026-11-28 23:10:00",
        recorded_by=None,
        note="",
    )
    return PermitRow(**(base | kw))


def by_id(tree) -> dict:
    return {getattr(c, "id", None): c for c in walk(tree)}


def test_viewers_get_no_form_inspectors_do() -> None:
    page = permits.layout("en", VIEWER, {"enterprise": "e1"})
    assert_renderable(page)
    found = by_id(page)
    assert ids.PERMITS_FORM_SUBMIT not in found and ids.PERMITS_FORM_ENTERPRISE not in found
    assert found[ids.PERMITS_FILTER_ENTERPRISE].value == "e1"
    assert ids.PERMITS_RESTRICTIONS in found
    page = permits.layout("zh", INSPECTOR, {})
    assert_renderable(page)
    found = by_id(page)
    assert found[ids.PERMITS_FORM_SUBMIT].children == "录入作业票"
    assert found[ids.PERMITS_FORM_STATUS].value == "approved"
    assert "录入后立即生效" in " ".join(texts(page))  # the form says it applies at once


def test_type_and_status_options_are_the_contracts() -> None:
    types = permits.type_options("zh")
    assert {o["value"] for o in types} == PERMIT_TYPES and len(types) == 8
    assert types[0] == {"label": "动火作业", "value": "hot_work"}
    assert {o["value"] for o in permits.status_options("en")} == PERMIT_STATUSES
    assert [o["value"] for o in permits.state_options("en")] == list(STATES)
    for state in STATES:
        assert f"permits.state.{state}" in TEXT


def test_grid_rows_translate_and_say_who_reported() -> None:
    gateway, phone = permits.grid_rows(
        [row(), row(permit="P-2", recorded_by="insp", note="Called at 23:10", state="upcoming",
                    site_name="Plant B", site="b", major=False, many_sites=True)],
        "en",
    )  # fmt: skip
    assert gateway["row_id"] == "e1/s1/DH-7" and gateway["state_label"] == "In force"
    assert gateway["type_label"] == "Hot work" and gateway["source"] == "Enterprise gateway"
    assert gateway["zone"] == "Ammonia tanks" and gateway["major"] is True
    assert gateway["note"] is None and gateway["state_rank"] < phone["state_rank"]
    assert phone["source"] == "Phone, recorded by insp" and phone["note"] == "Called at 23:10"
    assert phone["zone"] == "Ammonia tanks · Plant B"
    [zh] = permits.grid_rows([row(recorded_by="insp")], "zh")
    assert zh["source"] == "电话报备，insp录入" and zh["state_label"] == "作业中"


def test_zone_options_mark_major_hazard_and_filter_values_round_trip() -> None:
    assert permits.zone_options([("Z1", "液氨罐区", True), ("G1", "Workshop", False)], "zh") == [
        {"label": "液氨罐区 — 重大危险源", "value": "Z1"},
        {"label": "Workshop", "value": "G1"},
    ]
    [option] = permits.zone_filter_options([("s1", "Z1", "Ammonia tanks", True)], "en")
    assert option["value"] == "s1|Z1" and option["label"] == "Ammonia tanks — major hazard"
    assert permits.split_zone_filter(option["value"]) == ("s1", "Z1")
    assert permits.split_zone_filter(None) == (None, None)
    assert permits.split_zone_filter("bogus") == (None, None)
    assert permits.choice_options([("e1", "测试化肥"), ("x", "x")]) == [
        {"label": "测试化肥 (e1)", "value": "e1"},
        {"label": "x", "value": "x"},
    ]


def test_restrictions_in_force_stand_out() -> None:
    out = permits.restrictions_list(
        [
            RestrictionRow("Past", "2026-02-01 00:00:00", "2026-03-01 00:00:00", "past"),
            RestrictionRow("Now", "2026-11-28 00:00:00", "2026-11-29 00:00:00", "in_force"),
        ],
        "en",
    )
    assert_renderable(out)
    [now] = find(out, "hz-restriction-in_force")
    assert texts(now) == ["Now", "2026-11-28 00:00 – 2026-11-29 00:00", "in force now"]
    assert texts(permits.restrictions_list([], "zh")) == ["登记信息中无限制时段"]


def test_error_messages_name_the_field() -> None:
    missing = permits.error_message("zone", "missing", "", "en")
    assert missing.children == "Zone: required" and missing.className == "hz-error"
    assert permits.error_message("end", "time_format", "", "zh").children.startswith("结束时间：")
    rejected = permits.error_message("workers", "rejected", "workers: 1001 is not ...", "en")
    assert rejected.children == "Not accepted — Workers: workers: 1001 is not ..."
    assert permits.error_message("supervisor", "missing", "", "en").children == (
        "Person in charge: required"
    )
    assert permits.error_message(None, "rejected", "bad", "en").children == "Not accepted: bad"
    forbidden = permits.error_message(None, "forbidden", "", "zh")
    assert forbidden.children == "您的角色无权录入作业票"
    done = permits.done_message("DH-7", "en")
    assert isinstance(done, html.Div) and "DH-7" in done.children
