"""The wall display in a real browser: sign in as viewer, see it, offline, live, no phones."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from tests.browser import browser_page, chromium_path, log_in, wait_for_wall
from tests.conftest import missing_service
from tests.e2e_support import Gateway, HazwatchProcess, write_registry
from tests.services import wait_for

pytestmark = pytest.mark.services

VIEWER = ("wall", "viewer-pass-1")
# The registry's contacts have +86 mobile numbers (13x-19x, 11 digits).
PHONE = re.compile(r"\+86|(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")


@pytest.fixture(scope="module")
def browser_ready() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing_service("playwright is not installed (pip install -r requirements.txt)")
    if not chromium_path():
        missing_service("chromium is not installed (Debian package 'chromium')")


@pytest.fixture
def app(tmp_path, mosquitto, browser_ready):
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=None,
        influx_db="hazmon",
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.start()
    app.add_user(*VIEWER, "viewer")
    yield app
    app.stop()


@pytest.fixture
def gateway(mosquitto):
    gw = Gateway(mosquitto.port, f"gw-{uuid.uuid4().hex[:8]}")
    yield gw
    gw.close()


def test_viewer_sees_the_wall_offline_in_both_languages_without_phone_numbers(app) -> None:
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        page.goto(site + "/")
        assert "/login" in page.url
        log_in(page, site, *VIEWER)
        wait_for_wall(page)
        assert page.inner_text(".hz-grid").startswith("Test Fertilizer")
        nav = page.locator(".hz-nav-link").all_inner_texts()
        assert nav[0] == "Wall" and "Console" not in nav and "Admin" not in nav  # viewer
        page.click(".hz-lang")
        page.wait_for_selector(".hz-grid .hz-ent:has-text('测试化肥')")
        text = page.inner_text("body")
        assert "监测企业" in text and "Enterprises monitored" not in text
        assert not PHONE.search(text), PHONE.search(text)
        html = page.content()  # phone numbers nowhere, not even in hidden markup
        assert "+86 139" not in html and "0000 0003" not in html and "0000 0004" not in html
        assert page.outside_requests == []


def test_a_new_alarm_reaches_the_wall_within_two_seconds(app, gateway) -> None:
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, site, *VIEWER)
        wait_for_wall(page)
        assert page.locator(".hz-feed-row.hz-sev-red").count() == 0
        gateway.publish(
            "hazmon/e1/s1/telemetry",
            {"ts": int(time.time() * 1000), "sensor": "NH3-1", "value": 120.0},
        )

        def alarm_raised() -> bool:
            alarms = app.get("/alarms", auth=VIEWER, state="open").json()["alarms"]
            return any(a["source"] == "sensor:NH3-1" for a in alarms)

        wait_for(alarm_raised, 15, what="the ammonia alarm in the alarm book")
        start = time.monotonic()
        page.wait_for_selector(".hz-feed-row.hz-sev-red.hz-unack", timeout=5000)
        assert time.monotonic() - start <= 2.2
        assert page.inner_text(".hz-grid .hz-ent-red").startswith("Test Fertilizer")
        assert page.inner_text(".hz-kpis .hz-sev-red .hz-sev-n") == "1"


def chimes(page) -> int:
    """Return how many times the wall played its chime for a new red alarm."""
    return page.evaluate("window.hazwatchChimes || 0")


def wait_for_refreshes(page, count: int) -> None:
    """Wait until the wall has refreshed `count` more times (the newest alarm's age moves)."""
    for _ in range(count):
        age = page.inner_text(".hz-feed-row:first-child .hz-feed-age")
        # Polled from here: the page's Content-Security-Policy forbids wait_for_function's eval.
        _poll(page, lambda age=age: _newest_age(page) != age, 5.0)


def _newest_age(page) -> str:
    return page.inner_text(".hz-feed-row:first-child .hz-feed-age")


def _poll(page, condition, timeout_s: float) -> None:
    """Wait, letting the page run, until `condition()` holds; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout_s} s"
        page.wait_for_timeout(100)


def test_enabled_sound_chimes_once_for_each_new_red_alarm_only(app, gateway) -> None:
    site = f"http://127.0.0.1:{app.port}"
    now = int(time.time() * 1000)
    gateway.publish("hazmon/e1/s1/telemetry", {"ts": now, "sensor": "NH3-1", "value": 120.0})

    def red_alarms() -> int:
        alarms = app.get("/alarms", auth=VIEWER, state="open").json()["alarms"]
        return sum(1 for a in alarms if a["severity"] == "red")

    wait_for(lambda: red_alarms() == 1, 15, what="the first red alarm")
    with browser_page() as page:
        log_in(page, site, *VIEWER)
        wait_for_wall(page)
        page.wait_for_selector(".hz-feed-row.hz-sev-red")
        tile = page.locator(".hz-grid a.hz-ent-red")
        assert tile.get_attribute("href") == "/site?enterprise=e1&site=s1"
        row = page.locator(".hz-feed-row.hz-sev-red")
        assert row.get_attribute("href") == "/site?enterprise=e1&site=s1&sensor=NH3-1"
        toggle = page.locator("#wall-sound")
        assert toggle.is_visible() and toggle.inner_text().endswith("Enable sound")
        toggle.click()
        page.wait_for_selector("#wall-sound.hz-sound-on")
        assert toggle.inner_text().endswith("Sound on")
        wait_for_refreshes(page, 2)
        assert chimes(page) == 0  # red already at page load: no chime

        gateway.publish(
            "hazmon/e1/s1/telemetry",
            {"ts": int(time.time() * 1000), "sensor": "LT-1", "value": 95.0},
        )
        _poll(page, lambda: chimes(page) >= 1, 10.0)
        assert page.locator(".hz-feed-row.hz-sev-red").count() == 2
        wait_for_refreshes(page, 3)
        assert chimes(page) == 1  # once, not on every refresh
        assert page.outside_requests == []


def test_without_the_click_a_new_red_alarm_stays_silent(app, gateway) -> None:
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, site, *VIEWER)
        wait_for_wall(page)
        gateway.publish(
            "hazmon/e1/s1/telemetry",
            {"ts": int(time.time() * 1000), "sensor": "NH3-1", "value": 120.0},
        )
        page.wait_for_selector(".hz-feed-row.hz-sev-red", timeout=15000)
        page.wait_for_function("window.hazwatchSeenRed && window.hazwatchSeenRed.size === 1")
        wait_for_refreshes(page, 1)
        assert chimes(page) == 0
        assert "hz-sound-on" not in page.get_attribute("#wall-sound", "class")
