"""A 400-sensor site in a real browser (issue 11, defect 3): fast to show, light to refresh.

The site of `tests/big_site.py` (400 sensors in 8 zones, 28 of them abnormal) is served by
`app.py web` while every other sensor reports a new value each second. A viewer opens it in
Chromium, as an operator does: in a browser that keeps Dash's, ag-grid's and Plotly's
bundles in its cache (the first load fills it and is only reported). Targets, for a load
with the cache: the sensor table under 2 s and the trend under 3 s after navigation, no
main-thread task over 200 ms after that (PerformanceObserver `longtask`), a click on a row
shows its trend within a second, and every live refresh (all answers of one tick of the
page's 5 s interval) under 50 KB. On this project's 2-core machines, shared with other
runs, one load can be slowed by whatever else runs; the timings are checked on the best of
four loads with the cache (each is printed), the sizes on every tick of every load. The
trend waits for Plotly's 4.8 MB bundle to be evaluated (0.7-1 s of the main thread here,
after the table): it has the least room. Then the abnormal filter, in English and Chinese.

Before (the HTML table of 3,600 components re-sent every 5 s), the same bench measured:
table 154 s, trend 15.7 s, longest task 137 s, a click never took effect within a minute.
"""

from __future__ import annotations

import statistics

import pytest

from tests.big_site import (
    SITE_PATH,
    LiveReadings,
    SiteProbe,
    big_site_app,
    cached_browser,
    sign_in,
)
from tests.test_wall_browser import browser_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.services

VIEWER = ("bigsite", "viewer-pass-1")
TABLE_MS = 2000
TREND_MS = 3000
LONG_TASK_MS = 200
REFRESH_BYTES = 50_000
CLICK_MS = 1000
WARM_LOADS = 4
GRID = "#site-grid"
TREND_NAMES = """() => { const gd = document.querySelector('#site-trend .js-plotly-plot');
                         return gd && gd.data ? gd.data.filter(t => t.name).map(t => t.name) : []; }"""


@pytest.fixture(scope="module")
def big(tmp_path_factory, browser_ready):  # noqa: F811
    with big_site_app(tmp_path_factory.mktemp("big-site")) as (app, site, store):
        app.add_user(*VIEWER)
        with LiveReadings(store, site):
            yield app, site


def displayed_ids(page) -> list[str]:
    """Return the sensors the grid shows after its filter, in order (via the grid's API)."""
    return page.evaluate(
        """id => { const api = dash_ag_grid.getApi(id); const out = [];
                   api.forEachNodeAfterFilterAndSort(n => out.push(n.data.id)); return out; }""",
        GRID[1:],
    )


def load_once(page, base: str, site) -> dict:
    """Open the site page, click a row, watch three refreshes; return what was measured."""
    probe = SiteProbe(page)
    page.goto(base + SITE_PATH)
    loaded = probe.wait_loaded()
    after = max(loaded["table_ms"], loaded["trend_ms"])

    # By default the trend shows the worst abnormal sensors (of one unit), never all 400.
    shown = page.evaluate(TREND_NAMES)
    assert 1 <= len(shown) <= 3 and site.alarmed.get(shown[0].split()[0]) == "red"
    assert len({name.split()[1] for name in shown}) == 1

    # A click on a row shows that sensor's trend.
    page.wait_for_timeout(500)
    cell = page.locator(f"{GRID} .ag-row[row-index='5'] [col-id='id']")
    sensor = cell.inner_text().strip()
    started = page.evaluate("() => performance.now()")
    cell.click()
    page.wait_for_function(
        """id => { const gd = document.querySelector('#site-trend .js-plotly-plot');
                   return gd && gd.data && gd.data.length && gd.data[0].name
                          && gd.data[0].name.split(' ')[0] === id && gd.data[0].y.length > 0; }""",
        arg=sensor,
        timeout=30_000,
        polling="raf",
    )
    click_ms = page.evaluate("() => performance.now()") - started
    assert page.evaluate(TREND_NAMES)[0].split()[0] == sensor

    # Live refreshes: new values for 372 sensors every second, a refresh every 5 s. Counted
    # from the first tick after the click's own answers (a tick that crosses a new choice of
    # sensors carries that choice's whole figure: not a refresh).
    page.wait_for_timeout(2000)
    first_tick = max(probe.refresh_bytes(0), default=0) + 1
    page.wait_for_timeout(16_000)
    ticks = probe.refresh_bytes(first_tick)
    # Only the rows on screen are drawn.
    drawn = page.locator(f"{GRID} .ag-center-cols-container .ag-row").count()
    return {
        "table_ms": loaded["table_ms"],
        "trend_ms": loaded["trend_ms"],
        "click_ms": click_ms,
        "longest_ms": probe.longest_task_after(after),
        "ticks": ticks,
        "drawn": drawn,
    }


def test_a_400_sensor_site_shows_fast_and_refreshes_light(big) -> None:
    app, site = big
    with cached_browser() as first:
        sign_in(first, app.base, *VIEWER)
        first.goto("about:blank")  # no wall refreshing beside the measured page
        runs = []
        for i in range(1 + WARM_LOADS):
            page = first.context.new_page()
            runs.append(load_once(page, app.base, site))
            if i == WARM_LOADS:
                page.screenshot(path="/tmp/site-big-en.png")
            page.close()
        assert first.outside_requests == []
    for i, r in enumerate(runs):
        print(
            f"load {i} ({'cold' if i == 0 else 'cached'}): table {r['table_ms']:.0f} ms,"
            f" trend {r['trend_ms']:.0f} ms, click {r['click_ms']:.0f} ms,"
            f" longest task after load {r['longest_ms']:.0f} ms,"
            f" rows drawn {r['drawn']}, refresh bytes {sorted(r['ticks'].values())}"
        )
    warm = runs[1:]
    for r in runs:
        assert len(r["ticks"]) >= 3
        assert max(r["ticks"].values()) < REFRESH_BYTES
        assert r["drawn"] < 60
    assert min(r["table_ms"] for r in warm) < TABLE_MS
    assert min(r["trend_ms"] for r in warm) < TREND_MS
    assert min(r["click_ms"] for r in warm) < CLICK_MS
    assert min(r["longest_ms"] for r in warm) < LONG_TASK_MS
    # And no load is far off: the median too, with room for a busy machine.
    assert statistics.median(r["longest_ms"] for r in warm) < 2 * LONG_TASK_MS


def test_the_abnormal_filter_shows_exactly_the_abnormal_sensors_in_both_languages(big) -> None:
    app, site = big
    with cached_browser() as page:
        sign_in(page, app.base, *VIEWER)
        page.goto(app.base + SITE_PATH)
        page.wait_for_selector(f"{GRID} .ag-row", timeout=30_000)
        page.wait_for_function(
            "id => dash_ag_grid.getApi(id).getDisplayedRowCount() === 400", arg=GRID[1:]
        )
        assert page.inner_text("#site-grid-count") == "Showing 400 of 400"

        page.click("#site-abnormal label:has-text('Abnormal only')")
        page.wait_for_function(
            "([id, n]) => dash_ag_grid.getApi(id).getDisplayedRowCount() === n",
            arg=[GRID[1:], len(site.abnormal)],
            timeout=10_000,
        )
        assert set(displayed_ids(page)) == site.abnormal
        assert page.inner_text("#site-grid-count") == f"Showing {len(site.abnormal)} of 400"
        # The zone lines count the abnormal sensors of each zone.
        assert "4 abnormal" in page.inner_text("#site-zones")
        page.screenshot(path="/tmp/site-big-abnormal-en.png")

        # A zone too: its abnormal sensors only.
        page.click("#site-grid-zone")
        page.get_by_role("option", name="LPG sphere tanks").click()
        z03 = {s for s in site.abnormal if site.sensor(s).zone == "Z03"}
        page.wait_for_function(
            "([id, n]) => dash_ag_grid.getApi(id).getDisplayedRowCount() === n",
            arg=[GRID[1:], len(z03)],
            timeout=10_000,
        )
        assert set(displayed_ids(page)) == z03

        page.click(".hz-lang")
        page.wait_for_selector("#site-abnormal label:has-text('仅显示异常')", timeout=20_000)
        page.wait_for_selector(f"{GRID} .ag-row", timeout=20_000)
        assert "传感器" in page.inner_text(f"{GRID} .ag-header")
        assert page.inner_text("#site-grid-count") == "显示 400 / 400"
        page.click("#site-abnormal label:has-text('仅显示异常')")
        page.wait_for_function(
            "([id, n]) => dash_ag_grid.getApi(id).getDisplayedRowCount() === n",
            arg=[GRID[1:], len(site.abnormal)],
            timeout=10_000,
        )
        assert page.inner_text("#site-grid-count") == f"显示 {len(site.abnormal)} / 400"
        for sensor, label in ((sorted(site.stale)[0], "数据过期"), (sorted(site.bad)[0], "坏值")):
            page.evaluate(
                "([g, id]) => { const api = dash_ag_grid.getApi(g);"
                " api.ensureNodeVisible(api.getRowNode(id), 'middle'); }",
                [GRID[1:], sensor],
            )
            row = page.locator(f"{GRID} .ag-center-cols-container .ag-row[row-id='{sensor}']")
            row.wait_for(timeout=5000)
            assert label in row.inner_text()
        assert "个异常" in page.inner_text("#site-zones")
        page.screenshot(path="/tmp/site-big-abnormal-zh.png")
        assert page.outside_requests == []
