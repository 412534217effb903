"""Pure builders of the enterprise directory, without a browser."""

from __future__ import annotations

from dash import dcc, html
from dash.development.base_component import Component

from layouts import directory, ids
from monitoring.views.common import ContactRow
from monitoring.views.directory import (
    NO_REGION,
    EnterpriseDetail,
    EnterpriseRow,
    PersonRow,
    RestrictionRow,
    SiteRow,
    ZoneRow,
)
from tests.layouts.test_console import find, texts

VIEWER = {"viewer": True, "inspector": False, "admin": False}
INSPECTOR = {"viewer": True, "inspector": True, "admin": False}


def row(**kw) -> EnterpriseRow:
    base = dict(
        id="e1",
        name="Test Fertilizer",
        name_en="Test Fertilizer",
        name_zh="测试化肥",
        region="Testland",
        address="1 Test Road",
        sites=1,
        zones=2,
        major_zones=1,
        sensors=3,
        cameras=1,
        open_alarms=2,
        unacknowledged=1,
        worst="orange",
    )
    return EnterpriseRow(**(base | kw))


def detail(**kw) -> EnterpriseDetail:
    base = dict(
        row=row(),
        sites=(SiteRow("s1", "Main plant", 2, 3, 1, "", 2, "orange"),),
        zones=(
            ZoneRow(
                "s1",
                "Main plant",
                "Z1",
                "Ammonia tanks",
                "major",
                2,
                120,
                (("gas_nh3", 2), ("level", 1)),
                1,
            ),
            ZoneRow("s1", "Main plant", "G1", "Workshop", "general", None, 60, (), 0),
        ),
        people=(
            PersonRow("Duty Two", "duty_officer", "duty officer", True, ("20:00-08:00",)),
            PersonRow("Lead Li", "leader_in_charge", "leader in charge", False, ()),
        ),
        restrictions=(
            RestrictionRow("Holiday", "2026-11-28 00:00:00", "2026-11-29 00:00:00", "in_force"),
            RestrictionRow("Later", "2026-12-20 00:00:00", "2026-12-25 00:00:00", "upcoming"),
        ),
        tz="Asia/Shanghai",
    )
    return EnterpriseDetail(**(base | kw))


def walk(component):
    """Yield every component of a tree."""
    if isinstance(component, (list, tuple)):
        for c in component:
            yield from walk(c)
    elif isinstance(component, Component):
        yield component
        children = getattr(component, "children", None)
        if children is not None:
            yield from walk(children)


def assert_renderable(tree) -> None:
    """React refuses a list inside a children list (it broke the detail panel once)."""
    items = tree if isinstance(tree, (list, tuple)) else [tree]
    for top in items:
        for c in walk(top):
            children = getattr(c, "children", None)
            if isinstance(children, (list, tuple)):
                nested = [x for x in children if isinstance(x, (list, tuple))]
                assert not nested, f"{type(c).__name__} has a nested list: {nested!r:.200}"


def test_viewers_get_no_phone_button_and_the_query_opens_an_enterprise() -> None:
    page = directory.layout("en", VIEWER, {"enterprise": "e1", "q": "test"})
    found = {getattr(c, "id", None): c for c in walk(page)}
    assert ids.DIRECTORY_PHONES_BUTTON not in found
    assert found[ids.DIRECTORY_SELECTED].data == "e1"
    assert found[ids.DIRECTORY_SEARCH].value == "test"
    assert "Phone numbers are shown" not in " ".join(texts(page))
    inspector = directory.layout("zh", INSPECTOR, {})
    button = {getattr(c, "id", None): c for c in walk(inspector)}[ids.DIRECTORY_PHONES_BUTTON]
    assert button.children == "显示电话"
    assert {getattr(c, "id", None): c for c in walk(inspector)}[ids.DIRECTORY_SELECTED].data is None
    assert_renderable(page)
    assert_renderable(inspector)


def test_grid_rows_show_open_alarms_worst_first_when_sorted() -> None:
    rows = directory.grid_rows(
        [
            row(),
            row(id="e2", open_alarms=0, worst=None, region=NO_REGION),
            row(id="e3", worst="red", open_alarms=1),
        ],
        "zh",
    )
    assert [r["alarms"] for r in rows] == ["橙色2条", "无", "红色1条"]
    assert rows[0]["other_name"] == "Test Fertilizer" and rows[0]["zones_label"] == "2（重大1）"
    assert rows[1]["region"] == "（未填地区）" and rows[1]["worst"] is None
    assert sorted(rows, key=lambda r: r["alarm_rank"])[0]["id"] == "e3"
    assert rows[0]["alarm_rank"] < rows[1]["alarm_rank"]
    [en] = directory.grid_rows([row()], "en")
    assert en["alarms"] == "2\xa0orange" and en["other_name"] == "测试化肥"
    # Each severity counted by itself (issue 11: "Red · 13" meant 1 red and 12 yellow).
    [mixed] = directory.grid_rows(
        [row(worst="red", open_alarms=13, by_severity=(("red", 1), ("yellow", 12)))], "en"
    )
    assert mixed["alarms"] == "1\xa0red · 12\xa0yellow"  # wrapped between counts only


def test_region_options_label_the_missing_region() -> None:
    assert directory.region_options(["Testland", NO_REGION], "en") == [
        {"label": "Testland", "value": "Testland"},
        {"label": "(no region)", "value": NO_REGION},
    ]


def test_detail_shows_every_registry_field_sites_with_links_zones_and_restrictions() -> None:
    body = directory.detail_body(detail(), "en")
    assert_renderable(body)
    text = " ".join(texts(body))
    for expected in (
        "Test Fertilizer",
        "测试化肥",
        "1 Test Road",
        "Testland",
        "Yes: 1 major-hazard zones",
        "3 sensors, 1 cameras",
        "2 (1 unacknowledged), worst Orange",
        "Main plant",
        "2 zones · 3 sensors · 1 cameras",
        "Ammonia tanks",
        "gas_nh3 ×2, level, 1 cam",
        "Holiday",
        "in force now",
    ):
        assert expected in text, expected
    [link] = [c for c in walk(body) if isinstance(c, dcc.Link)]
    assert link.href == "/site?enterprise=e1&site=s1"
    assert find(body, "hz-restriction-in_force") and find(body, "hz-restriction-upcoming")
    assert find(body, "hz-dir-zone-major")
    assert "Site" not in texts(find(body, "hz-dir-zones"))  # one site: no site column


def test_detail_hint_when_nothing_or_unknown_is_open() -> None:
    assert texts(directory.detail_body(None, "en")) == [
        "Select an enterprise to see its sites, zones and contacts"
    ]
    assert texts(directory.detail_body(None, "zh", "nope")) == ["登记信息中无此企业"]


def test_people_have_no_phone_and_the_on_duty_officer_is_marked() -> None:
    people = directory.people_list(detail().people, "en")
    assert_renderable(people)
    assert not [c for c in walk(people) if isinstance(c, html.A)]
    assert "+86" not in repr(people)
    first = people[0]
    assert "hz-contact-on-duty" in first.className
    assert "on duty now" in texts(first) and "20:00-08:00" in texts(first)
    assert texts(directory.people_list((), "zh")) == ["登记信息中无联系人"]


def test_phones_are_tel_links_in_the_given_order() -> None:
    contacts = [
        ContactRow(
            "Duty Two", "duty_officer", "值班人员", "+86 139 0000 0004", True, ("20:00-08:00",)
        ),
        ContactRow("Lead Li", "leader_in_charge", "分管负责人", "+86 139 0000 0002", False, ()),
    ]
    out = directory.phones_list(contacts, "zh")
    assert_renderable(out)
    links = [c for c in walk(out) if isinstance(c, html.A)]
    assert [(a.children, a.href) for a in links] == [
        ("+86 139 0000 0004", "tel:+8613900000004"),
        ("+86 139 0000 0002", "tel:+8613900000002"),
    ]
    assert "当前值班" in texts(out[0])
