"""Bulk actions, readable placeholders and a light refresh, on the console in a real browser.

The app's site has 299 sensors that never report plus PT-1: 300 lost-communication alarms,
the burst of issue 11 that took 15 minutes to clean up through the API one by one.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.browser import browser_page, log_in
from tests.contrast import WCAG_AA_TEXT, placeholder_contrasts
from tests.e2e_support import HazwatchProcess, write_registry
from tests.services import wait_for
from tests.test_console_browser import INSPECTOR, VIEWER
from tests.test_console_deeplink_browser import Clicks, with_silent_sensors
from tests.test_wall_browser import browser_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.services

BURST = 300  # lost-communication alarms: PT-1 and the silent sensors
RULE_CELLS = ".hz-console-grid .ag-center-cols-container [col-id=rule_label]"


@pytest.fixture(scope="module")
def burst_app(tmp_path_factory, mosquitto, browser_ready):  # noqa: F811
    """An app with BURST lost-communication alarms and one red ammonia alarm."""
    folder = tmp_path_factory.mktemp("bulk")
    registry = write_registry(folder)
    text = registry.read_text(encoding="utf-8")
    for sensor in ("NH3-1", "LT-1"):  # these two must not fall silent during the tests
        text = text.replace(f"{{id: {sensor}, ", f"{{id: {sensor}, stale_after_s: 3600, ")
    registry.write_text(text, encoding="utf-8")
    hz = HazwatchProcess(
        folder / "app",
        mqtt_url=mosquitto.url,
        influx_url=None,
        influx_db="hazmon",
        registry=with_silent_sensors(registry, BURST - 1, 5),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    hz.start()
    hz.add_user(*INSPECTOR, "inspector")
    hz.add_user(*VIEWER, "viewer")
    from tests.e2e_support import Gateway

    gw = Gateway(mosquitto.port, f"gw-{uuid.uuid4().hex[:8]}")
    gw.publish(
        "hazmon/e1/s1/telemetry", {"ts": int(time.time() * 1000), "sensor": "NH3-1", "value": 120}
    )
    gw.wait_all()
    gw.close()
    wait_for(lambda: len(lost_comm(hz)) == BURST, 60, what=f"{BURST} lost-communication alarms")
    wait_for(lambda: red_alarms(hz), 20, what="the red ammonia alarm")
    yield hz
    hz.stop()


def open_alarms(hz: HazwatchProcess) -> list[dict]:
    answer = hz.get("/alarms", auth=INSPECTOR, state="open", limit=5000).json()
    return answer["alarms"]


def lost_comm(hz: HazwatchProcess, state: str = "active_unack") -> list[dict]:
    return [a for a in open_alarms(hz) if a["rule"] == "lost_comm" and a["state"] == state]


def red_alarms(hz: HazwatchProcess) -> list[dict]:
    return [a for a in open_alarms(hz) if a["severity"] == "red"]


def open_console(page, hz: HazwatchProcess, alarm: int | None = None) -> None:
    site = f"http://127.0.0.1:{hz.port}"
    log_in(page, site, *INSPECTOR)
    page.goto(site + "/console" + (f"?alarm={alarm}" if alarm else ""))
    page.wait_for_selector(".hz-console-grid .ag-center-cols-container .ag-row")


PAGES = ("/enterprises", "/permits", "/site", "/admin")  # the console is measured first
ADMIN = ("admin", "admin-secret-1")  # HazwatchProcess's: may open every page


def test_every_placeholder_is_readable_in_both_languages(burst_app) -> None:
    red = red_alarms(burst_app)[0]["id"]
    site = f"http://127.0.0.1:{burst_app.port}"
    with browser_page() as page:
        page.goto(site + "/login")
        found = placeholder_contrasts(page)  # the sign-in form
        log_in(page, site, *ADMIN)
        for lang in ("en", "zh"):
            if lang == "zh":
                page.click(".hz-lang")
                page.wait_for_selector(".hz-nav-link:text('大屏')")
            # An alarm shown: the call and acknowledge forms are in view.
            page.goto(f"{site}/console?alarm={red}")
            page.wait_for_selector("#console-ack-disposition .dash-dropdown-placeholder")
            page.fill("#console-call-note", "")  # the note shows its placeholder too
            console = placeholder_contrasts(page)
            low = [f for f in console if f["ratio"] < WCAG_AA_TEXT]  # the call and ack forms
            assert not low, low
            page.click("#console-bulk-ack")
            page.wait_for_selector("#console-bulk-panel:not(.hz-hidden)")
            console += placeholder_contrasts(page)
            if lang == "zh":
                page.screenshot(path="/tmp/hz-console-placeholders-zh.png")
            page.click("#console-bulk-cancel")
            ids = {f["id"] for f in console}
            assert {"console-call-contact", "console-ack-disposition"} <= ids, console
            assert {"console-ack-comment", "console-bulk-comment"} <= ids, console
            found += console
            for path in PAGES:
                page.goto(site + path)
                page.wait_for_selector(".hz-page > *")
                page.wait_for_timeout(1500)  # the page's first callbacks fill its forms
                found += [f | {"page": path} for f in placeholder_contrasts(page)]
            print(lang, sorted({(f.get("page", "/console"), f["id"], f["ratio"]) for f in found}))
    assert len({f.get("page") for f in found}) > 3, found  # other pages had placeholders too
    low = [f for f in found if f["ratio"] < WCAG_AA_TEXT]
    assert not low, low


def test_acknowledging_all_300_lost_communication_alarms_takes_four_clicks(burst_app) -> None:
    hz = burst_app
    assert len(lost_comm(hz)) == BURST
    with browser_page() as page:
        open_console(page, hz)
        clicks = Clicks(page)
        clicks.click("input[aria-label='Alarm Filter Input']")
        page.keyboard.type("lost")
        wait_for(
            lambda: {r[:4] for r in page.locator(RULE_CELLS).all_inner_texts()} == {"Lost"},
            10,
            what="the table filtered to lost communication",
        )
        clicks.click("#console-bulk-ack")
        scope = page.locator("#console-bulk-scope")
        scope.locator("text=All 300 unacknowledged alarms matching the table's filter").wait_for()
        confirm = page.locator("#console-bulk-confirm")
        wait_for(lambda: confirm.inner_text() == "Acknowledge 300 alarms", 5, what="the count")
        page.screenshot(path="/tmp/hz-bulk-confirm-en.png")
        clicks.click("#console-bulk-comment")
        page.keyboard.type("Gateway power restored; all sensors back")
        clicks.click("#console-bulk-confirm")
        page.wait_for_selector("#console-bulk-result .hz-ok:text('300 alarms acknowledged')")
        page.screenshot(path="/tmp/hz-bulk-done-en.png")
        assert clicks.count == 4
        assert page.outside_requests == []
    assert lost_comm(hz) == [] and len(lost_comm(hz, "active_ack")) == BURST
    for alarm in lost_comm(hz, "active_ack"):
        detail = hz.get(f"/alarms/{alarm['id']}", auth=INSPECTOR).json()
        acks = [t for t in detail["transitions"] if t["event"] == "acknowledged"]
        assert [(t["actor"], t["from_state"], t["to_state"], t["comment"]) for t in acks] == [
            ("insp", "active_unack", "active_ack", "Gateway power restored; all sensors back")
        ]
    assert [a["state"] for a in red_alarms(hz)] == ["active_unack"]  # not matched by the filter


def test_ticked_rows_are_shelved_with_their_reason_in_chinese(burst_app) -> None:
    hz = burst_app
    with browser_page() as page:
        open_console(page, hz)
        page.click(".hz-lang")
        page.wait_for_selector(".hz-nav-link:text('值守台')")
        page.wait_for_selector(".hz-console-grid .ag-center-cols-container .ag-row")
        boxes = page.locator(
            ".hz-console-grid .ag-center-cols-container .ag-row .ag-selection-checkbox input"
        )
        ticked = []
        for i in range(3):
            row = page.locator(".hz-console-grid .ag-center-cols-container .ag-row").nth(i)
            ticked.append(int(row.get_attribute("row-id")))
            boxes.nth(i).click()
        page.wait_for_selector("#console-bulk-selection:text('已选 3 条')")
        page.click("#console-bulk-shelve")
        page.wait_for_selector("#console-bulk-panel:not(.hz-hidden)")
        confirm = page.locator("#console-bulk-confirm")
        wait_for(lambda: confirm.inner_text() == "搁置 3 条报警 60 分钟", 5, what="the count")
        page.fill("#console-bulk-comment", "网关更换，停机检修")
        page.click("#console-bulk-confirm")
        page.wait_for_selector("#console-bulk-result .hz-ok:text('已搁置 3 条报警')")
        page.screenshot(path="/tmp/hz-bulk-shelve-zh.png")
    for alarm_id in ticked:
        detail = hz.get(f"/alarms/{alarm_id}", auth=INSPECTOR).json()
        assert detail["state"] == "shelved" and detail["shelve_reason"] == "网关更换，停机检修"
        assert [t["event"] for t in detail["transitions"]][-1] == "shelved"


def test_responses_are_compressed_and_a_quiet_refresh_sends_no_rows(burst_app) -> None:
    hz = burst_app
    api = requests.get(
        f"{hz.base}/alarms",
        params={"state": "open", "limit": 5000},
        auth=INSPECTOR,
        headers={"Accept-Encoding": "gzip"},
        stream=True,
        timeout=10,
    )
    wire = len(api.raw.read(decode_content=False))
    assert api.headers.get("Content-Encoding") == "gzip"
    raw = len(
        requests.get(
            f"{hz.base}/alarms",
            params={"state": "open", "limit": 5000},
            auth=INSPECTOR,
            headers={"Accept-Encoding": "identity"},
            timeout=10,
        ).content
    )
    print(f"GET /alarms (open): {raw} bytes, {wire} gzip")
    assert wire < raw / 4
    refreshes: list[dict] = []

    def on_response(response) -> None:
        if "_dash-update-component" not in response.url:
            return
        body = response.request.post_data or ""
        if "console-grid.rowData" in body:
            refreshes.append(
                {
                    "encoding": response.headers.get("content-encoding"),
                    "wire": response.request.sizes()["responseBodySize"],
                    "body": len(response.body()),
                    "rows": b'"rowData"' in response.body(),
                }
            )

    with browser_page() as page:
        page.on("response", on_response)
        open_console(page, hz)
        page.wait_for_timeout(7000)  # two more 3 s refreshes, nothing changed meanwhile
    first, quiet = refreshes[0], refreshes[1:]
    print("console refreshes:", refreshes)
    # Chromium accepts brotli, which the server prefers; a client without it gets gzip.
    assert first["rows"] and first["encoding"] in ("br", "gzip")
    assert first["wire"] < first["body"] / 4
    assert len(quiet) >= 2 and not any(r["rows"] for r in quiet), quiet
    assert max(r["body"] for r in quiet) < 2000
