"""The alarm console in a real browser: an inspector calls about a suspected special operation."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser import browser_page, log_in
from tests.e2e_support import HazwatchProcess, write_registry
from tests.services import wait_for
from tests.test_alarms_e2e import Crowd
from tests.test_wall_browser import PHONE, browser_ready, gateway  # noqa: F401  (fixtures)

pytestmark = pytest.mark.services

INSPECTOR = ("insp", "inspector-pass-1")
VIEWER = ("watch", "viewer-pass-1")


@pytest.fixture
def app(tmp_path, mosquitto, browser_ready):  # noqa: F811
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=None,
        influx_db="hazmon",
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.start()
    for (username, password), role in ((INSPECTOR, "inspector"), (VIEWER, "viewer")):
        app.add_user(username, password, role)
    yield app
    app.stop()


def duty_officer_now() -> str:
    """Return which test duty officer is on shift now (08:00-20:00 Asia/Shanghai: Duty One)."""
    hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour
    return "Duty One" if 8 <= hour < 20 else "Duty Two"


def raise_special_operation(app: HazwatchProcess, gateway) -> int:  # noqa: F811
    with Crowd(gateway, 6):

        def raised() -> list:
            alarms = app.get("/alarms", auth=VIEWER, state="open").json()["alarms"]
            return [a for a in alarms if a["rule"] == "special_operation"]

        wait_for(raised, 20, what="the suspected special operation alarm")
    return raised()[0]["id"]


def test_inspector_looks_up_contacts_logs_a_call_and_acknowledges(app, gateway) -> None:  # noqa: F811
    alarm_id = raise_special_operation(app, gateway)
    site = f"http://127.0.0.1:{app.port}"
    on_duty = duty_officer_now()
    with browser_page() as page:
        log_in(page, site, *INSPECTOR)
        page.click(".hz-nav-link:text('Console')")
        row = page.locator(f".hz-console-grid .ag-row[row-id='{alarm_id}']")
        row.wait_for(timeout=10000)
        assert "Suspected special operation" in row.inner_text()
        assert row.locator(".hz-cell-orange").count() == 1
        row.click()
        page.wait_for_selector(".hz-detail-head.hz-sev-orange")
        assert "Ammonia tanks" in page.inner_text(".hz-fields")
        note = page.locator("#console-call-note")
        wait_for(lambda: "permit" in note.input_value(), 5, what="the call-note reminder")
        assert note.input_value().startswith("Special operations should not be organised now")
        page.wait_for_selector(".hz-trend .main-svg")

        page.click("#console-contacts-button")
        page.wait_for_selector(".hz-contact")
        first = page.locator(".hz-contact").first
        assert first.locator(".hz-contact-name").inner_text() == on_duty
        assert "hz-contact-on-duty" in first.get_attribute("class")
        assert first.locator(".hz-on-duty").inner_text() == "on duty now"
        phone = "+86 139 0000 0003" if on_duty == "Duty One" else "+86 139 0000 0004"
        link = first.locator("a.hz-contact-phone")
        assert link.inner_text() == phone
        assert link.get_attribute("href") == "tel:" + phone.replace(" ", "")
        assert page.locator(".hz-contact-on-duty").count() == 1
        # At 1920x1080 the detail, the contacts and the call form are in view, no page scroll.
        assert page.evaluate("document.documentElement.scrollHeight") <= 1080
        for selector in (".hz-detail-head", ".hz-contact", "#console-call-note"):
            box = page.locator(selector).first.bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= 1080, selector
        submit = page.locator("#console-call-submit").bounding_box()
        assert submit["y"] + submit["height"] <= 1080
        assert page.get_attribute(".hz-site-link", "href") == "/site?enterprise=e1&site=s1"

        page.click("#console-call-submit")  # the on-duty officer is preselected
        page.wait_for_selector(".hz-result .hz-ok")
        page.fill("#console-ack-comment", "Called the duty officer; work stopped")
        page.click("#console-ack-submit")
        page.wait_for_selector(".hz-result .hz-ok:text('Alarm acknowledged')")
        page.wait_for_selector(".hz-history-call")
        page.wait_for_selector(".hz-history-what:text('acknowledged')")
        history = page.inner_text(".hz-history")
        assert "acknowledged" in history and "Called the duty officer" in history
        assert on_duty in page.inner_text(".hz-history-call")
        assert page.outside_requests == []

    detail = app.get(f"/alarms/{alarm_id}", auth=INSPECTOR).json()
    assert detail["state"] == "active_ack" and detail["acked_by"] == INSPECTOR[0]
    assert [c["contact"] for c in detail["calls"]] == [on_duty]
    assert detail["calls"][0]["outcome"] == "reached"
    assert detail["calls"][0]["note"].startswith("Special operations should not")


def test_an_inspector_opens_an_alarm_on_the_console_from_the_wall_feed(app, gateway) -> None:  # noqa: F811
    alarm_id = raise_special_operation(app, gateway)
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, site, *INSPECTOR)  # the wall is the first page
        page.click(f".hz-feed-row[href='/console?alarm={alarm_id}']", timeout=10000)
        page.wait_for_selector(".hz-detail-head.hz-sev-orange")
        assert page.url.endswith(f"/console?alarm={alarm_id}")
        assert "Ammonia tanks" in page.inner_text(".hz-fields")
        assert page.locator("#console-contacts-button").is_visible()


def test_a_viewer_sees_no_phone_numbers_and_no_actions_on_the_console(app, gateway) -> None:  # noqa: F811
    raise_special_operation(app, gateway)
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, site, *VIEWER)
        # The viewer is shown the alarm: on the wall, linked to its Site page, not the console.
        alarm = page.locator(".hz-feed-row.hz-sev-orange", has_text="Ammonia tanks")
        alarm.wait_for(timeout=20000)
        assert alarm.get_attribute("href").startswith("/site?")
        assert "Console" not in page.locator(".hz-nav-link").all_inner_texts()
        assert not PHONE.search(page.content())
        page.goto(site + "/console")
        # The router's whole answer for /console: this message, with the viewer's navigation.
        page.wait_for_selector(".hz-message-page:text('Your role may not open this page')")
        assert "Sites" in page.locator(".hz-nav-link").all_inner_texts()
        assert page.locator("#console-contacts-button").count() == 0
        assert page.locator("#console-ack-submit, #console-call-submit").count() == 0
        assert not PHONE.search(page.content())
