"""Operator pages at province scale, in a real browser: every count shown is the database's.

Issue 11, defect 1. On a province of 500 enterprises with 6,075 open alarms
(`tests.province_scale`), in English and Chinese:
- the wall's KPIs and every enterprise tile (colour, unacknowledged outline, the count of each
  severity) equal the alarm book's GROUP BY; the old wall read the first 5,000 alarms and
  drew the 30 `tail` enterprises, 8 unacknowledged alarms each, as calm "Normal", and its
  tiles read "Red · 13" for 1 red and 12 yellow;
- the console says which part of how many it shows, pages through every open alarm and
  filters all of them (the old console held 500 and said "500 open");
- the directory's alarm column equals the database for each of the 500 enterprises (the old
  one read 5,000 and listed the tail as "none");
- GET /api/v1/alarms pages with `limit`/`cursor`, says `total`, and a walk through the pages
  returns every open alarm exactly once (the old API stopped at 500 without saying so).
"""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.browser import browser_page, log_in, wait_for_wall
from tests.province_scale import (
    Counts,
    ProvinceWeb,
    Seeded,
    build_province,
    database_counts,
    merge,
    open_alarm_ids,
)
from tests.test_wall_browser import browser_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.services

INSPECTOR = ("insp", "inspector-pass-1")
VIEWER = ("watch", "viewer-pass-1")
SEVERITY_WORDS = {
    "en": {"red": "red", "orange": "orange", "yellow": "yellow", "blue": "blue"},
    "zh": {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"},
}
COUNT = {
    "en": re.compile(r"([\d,]+)\s(red|orange|yellow|blue)"),
    "zh": re.compile(r"(红色|橙色|黄色|蓝色)([\d,]+)条"),
}


class Province:
    """The seeded province, its web app and the database's own counts."""

    def __init__(self, seeded: Seeded, app: ProvinceWeb) -> None:
        self.seeded = seeded
        self.app = app
        self.counts = database_counts(seeded.db_url)
        self.total = merge(self.counts.values())

    def of(self, enterprise: str) -> Counts:
        return self.counts.get(enterprise, Counts())


@pytest.fixture(scope="module")
def province(tmp_path_factory, browser_ready) -> Province:  # noqa: F811
    seeded = build_province(tmp_path_factory.mktemp("province"))
    app = ProvinceWeb(seeded, seeded.registry_path.parent / "app")
    app.start()
    for (username, password), role in ((INSPECTOR, "inspector"), (VIEWER, "viewer")):
        app.add_user(username, password, role)
    yield Province(seeded, app)
    app.stop()


def number(text: str) -> int:
    return int(text.replace(",", ""))


def shown_counts(status: str, lang: str) -> dict[str, int]:
    """Return {severity: n} read from a tile's or a cell's "1 red · 12 yellow"."""
    words = {w: s for s, w in SEVERITY_WORDS[lang].items()}
    found: dict[str, int] = {}
    for match in COUNT[lang].finditer(status):
        word, n = (match[2], match[1]) if lang == "en" else (match[1], match[2])
        found[words.get(word, word)] = number(n)
    return found


def expected_counts(c: Counts) -> dict[str, int]:
    return {s: n for s, n in c.by_severity.items() if n}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_wall_kpis_and_every_tile_are_the_databases_counts(province, lang) -> None:
    site = province.app.site
    with browser_page() as page:
        log_in(page, site, *VIEWER)
        wait_for_wall(page, 60000)
        if lang == "zh":
            page.click(".hz-lang")
            page.wait_for_selector(".hz-kpis .hz-tile-label:text('监测企业')")
        expect(page.locator(".hz-grid a.hz-ent")).to_have_count(500, timeout=30000)
        kpis = page.locator(".hz-kpis .hz-tile")
        total = province.total
        assert number(kpis.nth(0).locator(".hz-tile-value").inner_text()) == 500
        assert number(kpis.nth(2).locator(".hz-tile-value").inner_text()) == total.open == 6075
        for severity, n in total.by_severity.items():
            shown = page.inner_text(f".hz-kpis .hz-sev-{severity} .hz-sev-n")
            assert number(shown) == n, severity
        assert number(kpis.nth(3).locator(".hz-tile-value").inner_text()) == total.unacknowledged
        assert number(kpis.nth(4).locator(".hz-tile-value").inner_text()) == (
            total.special_operations
        )
        feed = {"en": "Alarm feed · 30 of 6,075 open", "zh": "实时报警 · 6,075条中的30条"}[lang]
        expect(page.locator("#wall-feed-title")).to_have_text(feed)
        assert page.locator(".hz-feed .hz-feed-row").count() == 30
        tiles = page.evaluate(
            """() => [...document.querySelectorAll('.hz-grid a.hz-ent')].map(a => ({
                enterprise: new URL(a.href).searchParams.get('enterprise'),
                cls: a.className,
                status: (a.querySelector('.hz-ent-status') || {}).innerText || '',
                calm: getComputedStyle(a, '::after').content,
                cut: a.scrollHeight > a.clientHeight + 1 || a.scrollWidth > a.clientWidth + 1,
            }))"""
        )
        assert len({t["enterprise"] for t in tiles}) == 500
        for tile in tiles:
            c = province.of(tile["enterprise"])
            classes = tile["cls"].split()
            if c.worst is None:
                assert "hz-ent-calm" in classes and tile["status"] == "", tile
                assert ("正常" if lang == "zh" else "Normal") in tile["calm"]
                continue
            assert f"hz-ent-{c.worst}" in classes, tile
            assert ("hz-unack" in classes) == (c.unacknowledged > 0), tile
            assert shown_counts(tile["status"], lang) == expected_counts(c), tile
            assert not tile["cut"], tile  # every count readable inside its tile
        tail = set(province.seeded.groups["tail"])
        assert sum(1 for t in tiles if t["enterprise"] in tail and "hz-ent-blue" in t["cls"]) == 30
        assert page.outside_requests == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_console_pages_and_filters_every_open_alarm_and_says_how_many(province, lang) -> None:
    site = province.app.site
    total = f"{province.total.open:,}"
    tail = province.seeded.registry.enterprise(province.seeded.groups["tail"][-1])
    assert tail is not None
    with browser_page() as page:
        log_in(page, site, *INSPECTOR)
        if lang == "zh":
            page.click(".hz-lang")
            page.wait_for_selector(".hz-nav-link:text('值守台')")
        page.goto(site + "/console")
        heading = page.locator("#console-count")
        first = {
            "en": f"Showing 1–100 of {total} open",
            "zh": f"显示第1–100条，共{total}条未关闭",
        }[lang]
        expect(heading).to_have_text(first, timeout=60000)
        label = {"en": "Page {} of 61", "zh": "第{}/61页"}[lang]
        expect(page.locator("#console-page-label")).to_have_text(label.format(1))
        assert grid_rows(page) == 100
        page.click("#console-page-next")
        second = {
            "en": f"Showing 101–200 of {total} open",
            "zh": f"显示第101–200条，共{total}条未关闭",
        }[lang]
        expect(heading).to_have_text(second, timeout=20000)
        expect(page.locator("#console-page-label")).to_have_text(label.format(2))
        page.wait_for_timeout(7000)  # two refreshes later the page asked for is still shown
        expect(heading).to_have_text(second)
        # The oldest alarms of all, far beyond the first 5,000: a filter finds them.
        name = tail.name_zh if lang == "zh" and tail.name_zh else tail.name
        page.fill(".ag-floating-filter[col-id='enterprise'] input", name)
        filtered = {
            "en": f"8 of {total} open match the filters",
            "zh": f"{total}条未关闭中8条符合筛选",
        }[lang]
        expect(heading).to_have_text(filtered, timeout=20000)
        rows = page.locator(".hz-console-grid .ag-center-cols-container .ag-row")
        expect(rows).to_have_count(8, timeout=20000)
        assert grid_rows(page) == 8
        severities = page.evaluate(
            """() => { const rows = [];
                dash_ag_grid.getApi('console-grid').forEachNodeAfterFilterAndSort(
                    n => rows.push([n.data.severity, n.data.state]));
                return rows; }"""
        )
        assert severities == [["blue", "active_unack"]] * 8
        assert page.locator("#console-pager").get_attribute("class") == "hz-pager hz-pager-one"


def test_a_link_to_the_oldest_alarm_opens_the_last_page_with_it(province) -> None:
    site = province.app.site
    [oldest] = requests.get(
        f"{province.app.base}/alarms",
        auth=VIEWER,
        params={"severity": "blue", "limit": 1, "cursor": last_cursor(province, "blue", 239)},
        timeout=60,
    ).json()["alarms"]
    with browser_page() as page:
        log_in(page, site, *INSPECTOR)
        page.goto(f"{site}/console?alarm={oldest['id']}")
        total = f"{province.total.open:,}"
        expect(page.locator("#console-count")).to_have_text(
            f"Showing 6,001–6,075 of {total} open", timeout=60000
        )
        row = page.locator(f".hz-console-grid .ag-row[row-id='{oldest['id']}']")
        expect(row).to_have_count(1, timeout=20000)
        expect(page.locator("#console-page-label")).to_have_text("Page 61 of 61")


def last_cursor(province: Province, severity: str, skip: int) -> str:
    """Return the cursor after the first `skip` alarms of a severity (the API's own)."""
    answer = requests.get(
        f"{province.app.base}/alarms",
        auth=VIEWER,
        params={"severity": severity, "limit": skip},
        timeout=60,
    ).json()
    return answer["next"]


def grid_rows(page) -> int:
    """Return how many rows the console's grid shows after its filters."""
    return page.evaluate("() => dash_ag_grid.getApi('console-grid').getDisplayedRowCount()")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_directory_alarm_column_is_the_databases_count_for_every_enterprise(province, lang) -> None:
    site = province.app.site
    with browser_page() as page:
        log_in(page, site, *VIEWER)
        if lang == "zh":
            page.click(".hz-lang")
            page.wait_for_selector(".hz-nav-link:text('企业名录')")
        page.goto(site + "/enterprises")
        page.wait_for_selector(".hz-dir-grid .ag-row", timeout=60000)
        expect(page.locator("#directory-count")).to_contain_text("500", timeout=30000)
        shown = "() => dash_ag_grid.getApi('directory-grid').getDisplayedRowCount()"
        assert page.evaluate(shown) == 500
        cells = page.evaluate(
            """() => { const rows = [];
                dash_ag_grid.getApi('directory-grid').forEachNode(
                    n => rows.push([n.data.id, n.data.alarms, n.data.worst]));
                return rows; }"""
        )
        none = "无" if lang == "zh" else "none"
        for enterprise, text, worst in cells:
            c = province.of(enterprise)
            assert worst == c.worst, enterprise
            if c.worst is None:
                assert text == none, enterprise
            else:
                assert shown_counts(text, lang) == expected_counts(c), (enterprise, text)
        # What a person sees: search one of the tail, read its row on the screen.
        tail = province.seeded.groups["tail"][0]
        page.fill("#directory-search", tail)
        row = page.locator(f".hz-dir-grid .ag-row[row-id='{tail}']")
        row.wait_for(timeout=20000)
        cell = row.locator("[col-id='alarm_rank']")
        assert shown_counts(cell.inner_text(), lang) == {"blue": 8}
        assert "hz-cell-blue" in (cell.get_attribute("class") or "")


def test_api_pages_through_every_open_alarm_once_with_the_total(province) -> None:
    api, auth = province.app.base, VIEWER
    wanted = open_alarm_ids(province.seeded.db_url)
    first = requests.get(f"{api}/alarms", auth=auth, timeout=60).json()
    assert len(first["alarms"]) == 500 and first["total"] == len(wanted) == 6075
    assert isinstance(first["next"], str)  # the old API: 500 alarms, no total, no next
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        answer = requests.get(f"{api}/alarms", auth=auth, params=params, timeout=60)
        assert answer.status_code == 200
        body = answer.json()
        assert body["total"] == 6075
        seen += [a["id"] for a in body["alarms"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert pages == 7 and len(seen) == len(set(seen)) == 6075 and set(seen) == wanted
    blue = requests.get(
        f"{api}/alarms", auth=auth, params={"severity": "blue", "limit": 5000}, timeout=60
    ).json()
    assert blue["total"] == len(blue["alarms"]) == 240 and blue["next"] is None
    for params in (
        {"cursor": "not-a-cursor"},
        {"cursor": uuid.uuid4().hex},
        {"limit": "0"},
        {"limit": "5001"},
        {"limit": "ten"},
    ):
        refused = requests.get(f"{api}/alarms", auth=auth, params=params, timeout=60)
        assert refused.status_code == 400, params
        assert refused.headers["Content-Type"].startswith("application/json")
        assert refused.json()["error"], params
