"""The Site page in a real browser, on data published through Mosquitto into InfluxDB.

A viewer opens a site: sees the latest values with their limits and alarms, switches the
trend's window, keeps a zoom across a live refresh, sees people and a permit on the timeline,
and switches sites with the picker. No phone numbers anywhere on the page.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser import browser_page, log_in
from tests.e2e_support import HazwatchProcess, write_registry
from tests.services import wait_for
from tests.test_wall_browser import PHONE, browser_ready, gateway  # noqa: F401  (fixtures)

pytestmark = pytest.mark.services

VIEWER = ("sites", "viewer-pass-1")
TREND = "#site-trend .js-plotly-plot"
PEOPLE = "#site-people .js-plotly-plot"


@pytest.fixture
def app(tmp_path, mosquitto, influxdb, influx_db_name, browser_ready):  # noqa: F811
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=influxdb.url,
        influx_db=influx_db_name,
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.start()
    app.add_user(*VIEWER, "viewer")
    yield app
    app.stop()


def now_ms() -> int:
    return int(time.time() * 1000)


def publish_history(gw, app: HazwatchProcess) -> None:  # noqa: F811
    """Publish NH3-1's last 3 hours (one a minute), the latest values, people and a permit."""
    now = now_ms()
    history = [
        {"sensor": "NH3-1", "ts": now - k * 60_000, "value": 10.0 + k % 5}
        for k in range(180, 0, -1)
    ]
    for i in range(0, len(history), 60):
        gw.publish("hazmon/e1/s1/telemetry", {"readings": history[i : i + 60]})
    gw.publish(
        "hazmon/e1/s1/telemetry",
        {
            "ts": now,
            "readings": [
                {"sensor": "NH3-1", "value": 12.5},
                {"sensor": "LT-1", "value": 95.0},  # over high_high (90): a red alarm
                {"sensor": "PT-1", "value": 1.2, "quality": "bad"},
            ],
        },
    )
    for k in range(30, 0, -1):
        gw.publish(
            "hazmon/e1/s1/presence",
            {"ts": now - k * 60_000, "camera": "CAM-1", "zone": "Z1", "people": 1 + k % 4},
        )
    start = datetime.now(UTC) - timedelta(minutes=20)
    gw.publish(
        "hazmon/e1/s1/permit",
        {
            "permit": "DH-7",
            "type": "hot_work",
            "zone": "Z1",
            "status": "approved",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "workers": 4,
            "supervisor": "Wang Qiang",
        },
    )
    gw.wait_all()
    wait_for(
        lambda: any(
            a["source"] == "sensor:LT-1"
            for a in app.get("/alarms", auth=VIEWER, state="open").json()["alarms"]
        ),
        20,
        what="the level alarm (everything published before it is stored)",
    )


def row(page, sensor: str):
    """Return a sensor's row of the grid (its unpinned part: every column but the id)."""
    return page.locator(f"#site-grid .ag-center-cols-container .ag-row[row-id='{sensor}']")


def trace(page, selector: str, index: int = 0) -> dict:
    """Return a drawn trace's name and points, as Plotly holds them in the page."""
    return page.evaluate(
        """([sel, i]) => {
            const gd = document.querySelector(sel);
            const t = gd && gd.data && gd.data[i];
            return t ? {name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])} : null;
        }""",
        [selector, index],
    )


def x_range(page) -> list | None:
    return page.evaluate(
        """sel => { const gd = document.querySelector(sel);
                    return gd && gd.layout.xaxis.range ? gd.layout.xaxis.range.slice() : null; }""",
        TREND,
    )


def test_viewer_sees_latest_values_switches_window_and_keeps_zoom_live(app, gateway) -> None:  # noqa: F811
    publish_history(gateway, app)
    base = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, base, *VIEWER)
        page.goto(base + "/site?enterprise=e1&site=s1&sensor=NH3-1")
        page.wait_for_selector(".hz-site-ent:text('Test Fertilizer')", timeout=30000)

        # Latest values, limits, quality and alarms, in the sensor grid.
        nh3 = row(page, "NH3-1")
        nh3.locator("[col-id='v']:text('12.5 ppm')").wait_for(timeout=20000)
        assert "H 42 · HH 85" in nh3.inner_text()
        level = row(page, "LT-1")
        level.locator("[col-id='rank'].hz-sev-red").wait_for(timeout=20000)
        assert "95 %" in level.locator(".hz-site-lim-high_high").inner_text()
        assert row(page, "PT-1").locator("[col-id='q'].hz-site-abnormal").inner_text() == "BAD"
        zone = page.locator(".hz-site-zone", has_text="Ammonia tanks")
        assert "Major hazard" in zone.inner_text() and "max 2" in zone.inner_text()
        assert page.locator(".hz-site-status .hz-site-count.hz-sev-red").count() == 1

        # The trend has the last hour of NH3-1, averaged by InfluxDB into its buckets.
        wait_for(lambda: len((trace(page, TREND) or {}).get("y", [])) >= 55, 20, what="1 h trend")
        one_hour = trace(page, TREND)
        assert one_hour["name"] == "NH3-1 ppm" and len(one_hour["y"]) <= 1500
        assert "3 s per point" in page.inner_text("#site-trend-info")

        page.click(".hz-site-windows label:has-text('6 h')")
        wait_for(lambda: "15 s per point" in page.inner_text("#site-trend-info"), 20, what="6 h")
        wait_for(lambda: len(trace(page, TREND)["y"]) >= 175, 20, what="6 h of points")

        # People with max_people and the permit as a shaded span with its number.
        wait_for(
            lambda: page.evaluate(
                "sel => (document.querySelector(sel)?.layout.shapes || [])"
                ".some(s => s.type === 'rect')",
                PEOPLE,
            ),
            20,
            what="the permit span",
        )
        assert "Hot work · DH-7 · 4 workers" in page.inner_text(".hz-site-permits")
        labels = page.evaluate(
            "sel => document.querySelector(sel).layout.annotations.map(a => a.text)", PEOPLE
        )
        assert "Hot work · DH-7 · 4 workers" in labels and "max 2" in labels

        # A zoom survives the live refresh that brings a new value...
        page.click(".hz-site-windows label:has-text('15 min')")
        wait_for(lambda: "1 s per point" in page.inner_text("#site-trend-info"), 20, what="15 min")
        before = x_range(page)
        box = page.locator("#site-trend .nsewdrag").first.bounding_box()
        y = box["y"] + box["height"] / 2  # a horizontal drag zooms the time axis, as a user does
        page.mouse.move(box["x"] + box["width"] * 0.3, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.45, y, steps=5)
        page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
        page.mouse.up()
        wait_for(lambda: x_range(page) != before, 10, what="the zoom")
        zoomed = x_range(page)
        gateway.publish(
            "hazmon/e1/s1/telemetry", {"ts": now_ms(), "sensor": "NH3-1", "value": 33.25}
        )
        wait_for(lambda: 33.25 in trace(page, TREND)["y"], 30, what="the live refresh")
        assert x_range(page) == zoomed
        wait_for(
            lambda: row(page, "NH3-1").locator("[col-id='v']").inner_text() == "33.25 ppm",
            10,
            what="the new value in the grid",
        )

        # ...and is reset by another choice of sensors: clicking a row shows that sensor.
        page.locator("#site-grid .ag-row[row-id='LT-1'] [col-id='id']").click()
        wait_for(lambda: trace(page, TREND)["name"] == "LT-1 %", 20, what="LT-1's trend")
        assert x_range(page) != zoomed
        assert not PHONE.search(page.content())
        assert page.outside_requests == []


def test_picker_opens_a_site_and_names_are_in_the_chosen_language(app) -> None:
    base = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, base, *VIEWER)
        page.click(".hz-nav-link:text('Sites')")
        page.wait_for_selector(".hz-site-hint:text('Choose an enterprise')", timeout=30000)
        page.click(".hz-lang")
        page.wait_for_selector(".hz-site-hint:text('请选择企业')", timeout=20000)
        page.click("#site-enterprise")
        page.get_by_text("测试化肥").last.click()  # its only site opens at once
        page.wait_for_selector(".hz-site-ent:text('测试化肥')", timeout=20000)
        assert "enterprise=e1" in page.url and "site=s1" in page.url
        page.wait_for_selector("#site-grid .ag-header-cell-text:text('传感器')", timeout=20000)
        assert "重大危险源" in page.inner_text("#site-zones")

        page.goto(base + "/site?enterprise=e1&site=nowhere")
        page.wait_for_selector(".hz-site-hint:text('登记信息中无此厂区')", timeout=30000)
        assert not PHONE.search(page.content())
