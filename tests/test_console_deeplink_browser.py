"""The wall-to-call path in a real browser: wall -> alarm -> Contacts -> Log call -> Acknowledge.

An inspector clicks an alarm on the wall, which opens `/console?alarm=<id>`; that link must
select, highlight and scroll to its alarm and fill every form a click on the row fills, so the
call and the acknowledgement take five clicks and land on that alarm, in both languages.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.browser import browser_page, log_in, wait_for_wall
from tests.e2e_support import HazwatchProcess, write_registry
from tests.services import wait_for
from tests.test_console_browser import (
    INSPECTOR,
    VIEWER,
    duty_officer_now,
    raise_special_operation,
)
from tests.test_wall_browser import browser_ready, gateway  # noqa: F401  (fixtures)

pytestmark = pytest.mark.services

REMINDER_SPECIAL_EN = "Special operations should not be organised now"
REMINDER_LIMIT_ZH = "工艺参数超限"
FLOOD = 560  # more yellow alarms than the console's first page holds


def start_app(tmp_path, mosquitto, registry) -> HazwatchProcess:
    """Start `app.py serve` on the registry with an inspector."""
    hz = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=None,
        influx_db="hazmon",
        registry=registry,
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    hz.start()
    hz.add_user(*INSPECTOR, "inspector")
    hz.add_user(*VIEWER, "viewer")
    return hz


@pytest.fixture
def app(tmp_path, mosquitto, browser_ready):  # noqa: F811
    hz = start_app(tmp_path, mosquitto, write_registry(tmp_path))
    yield hz
    hz.stop()


class Clicks:
    """Clicks of the person on the page, counted (typing is not a click)."""

    def __init__(self, page) -> None:
        self.page, self.count = page, 0

    def click(self, selector: str, **kw) -> None:
        self.page.click(selector, **kw)
        self.count += 1


def open_alarms(app: HazwatchProcess) -> list[dict]:
    return app.get("/alarms", auth=INSPECTOR, state="open").json()["alarms"]


def acknowledge_by_api(app: HazwatchProcess, alarm_id: int, comment: str) -> None:
    r = requests.post(
        f"{app.base}/alarms/{alarm_id}/ack", auth=INSPECTOR, json={"comment": comment}, timeout=10
    )
    assert r.status_code == 200, r.text


def raise_limit(app: HazwatchProcess, gw, sensor: str, value: float) -> int:  # noqa: F811
    gw.publish(
        "hazmon/e1/s1/telemetry", {"ts": int(time.time() * 1000), "sensor": sensor, "value": value}
    )

    def raised() -> list[dict]:
        return [
            a
            for a in open_alarms(app)
            if a["source"] == f"sensor:{sensor}" and a["rule"] == "limit"
        ]

    wait_for(raised, 15, what=f"the limit alarm of {sensor}")
    return raised()[0]["id"]


def selected_row_ids(page) -> list[str]:
    return page.eval_on_selector_all(
        ".hz-console-grid .ag-center-cols-container .ag-row-selected",
        "rows => rows.map(r => r.getAttribute('row-id'))",
    )


def row_in_view(page, alarm_id: int) -> bool:
    """Return whether the alarm's row is drawn inside the grid's visible body."""
    return page.evaluate(
        """id => {
            const row = document.querySelector(
                `.hz-console-grid .ag-center-cols-container .ag-row[row-id='${id}']`);
            const body = document.querySelector('.hz-console-grid .ag-body-viewport');
            if (!row || !body) return false;
            const r = row.getBoundingClientRect(), b = body.getBoundingClientRect();
            return r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
        }""",
        str(alarm_id),
    )


def expect_linked_alarm_ready(page, alarm_id: int, reminder: str, contact: str) -> None:
    """The deep link selected, highlighted and scrolled to the alarm and filled the forms."""
    page.wait_for_selector(f".hz-detail-rule:text('#{alarm_id} ')")
    # Polled from here: the page's Content-Security-Policy forbids wait_for_function's eval.
    wait_for(lambda: selected_row_ids(page) == [str(alarm_id)], 10, what="the linked row selected")
    assert row_in_view(page, alarm_id)
    note = page.locator("#console-call-note")
    wait_for(lambda: note.input_value().startswith(reminder), 10, what="the call-note reminder")
    # The call form offers the enterprise's contacts before Contacts is clicked.
    page.click("#console-call-contact")
    page.wait_for_selector(f"[role=option]:has-text('{contact}')")
    page.keyboard.press("Escape")


DONE = {
    "en": ("Call logged", "Alarm acknowledged"),
    "zh": ("通话已记录", "报警已确认"),
}


def result_text(page) -> str:
    return page.inner_text("#console-result")


def walk_wall_to_acknowledged_call(
    page,
    app: HazwatchProcess,
    alarm_id: int,
    reminder: str,
    on_duty: str,
    comment: str,
    lang: str = "en",
) -> int:
    """Do the documented path from the wall; return how many clicks it took."""
    site = f"http://127.0.0.1:{app.port}"
    call_done, ack_done = DONE[lang]

    def acknowledged() -> bool:
        return app.get(f"/alarms/{alarm_id}", auth=INSPECTOR).json()["state"] == "active_ack"

    page.goto(site + "/")
    wait_for_wall(page)
    clicks = Clicks(page)
    clicks.click(f".hz-feed-row[href='/console?alarm={alarm_id}']", timeout=10000)
    assert page.url.endswith(f"/console?alarm={alarm_id}")
    page.wait_for_selector(f".hz-detail-rule:text('#{alarm_id} ')")
    clicks.click("#console-contacts-button")
    page.wait_for_selector(".hz-contact")
    assert page.locator(".hz-contact").first.locator(".hz-contact-name").inner_text() == on_duty
    note = page.locator("#console-call-note")
    wait_for(lambda: note.input_value().startswith(reminder), 10, what="the call-note reminder")
    clicks.click("#console-call-submit")
    wait_for(lambda: result_text(page) == call_done, 10, what=f"{call_done!r}, not the error")
    clicks.click("#console-ack-comment")
    page.keyboard.type(comment)
    clicks.click("#console-ack-submit")
    wait_for(lambda: result_text(page) == ack_done, 10, what=f"{ack_done!r}, not the error")
    wait_for(acknowledged, 10, what="the acknowledgement in the alarm book")
    page.wait_for_selector(".hz-history-call")
    return clicks.count


def test_wall_to_a_call_and_an_acknowledgement_in_five_clicks_in_both_languages(
    app,  # noqa: F811
    gateway,  # noqa: F811
) -> None:
    # An acknowledged red alarm sits at the top of the console's list, as in the reported run.
    red = raise_limit(app, gateway, "NH3-1", 120.0)
    acknowledge_by_api(app, red, "already handled")
    special = raise_special_operation(app, gateway)
    level = raise_limit(app, gateway, "LT-1", 87.0)  # yellow: the Chinese run's alarm
    site = f"http://127.0.0.1:{app.port}"
    on_duty = duty_officer_now()
    with browser_page() as page:
        log_in(page, site, *INSPECTOR)

        # The link alone (before any click) selects the alarm and fills the forms.
        page.goto(f"{site}/console?alarm={special}")
        expect_linked_alarm_ready(page, special, REMINDER_SPECIAL_EN, on_duty)
        assert str(red) not in selected_row_ids(page)

        en = walk_wall_to_acknowledged_call(
            page, app, special, REMINDER_SPECIAL_EN, on_duty, "Called; work stopped"
        )
        page.screenshot(path="/tmp/hz-deeplink-en.png")
        assert en == 5

        page.goto(site + "/")
        wait_for_wall(page)
        page.click(".hz-lang")  # setting up the language is not part of the path
        page.wait_for_selector(".hz-nav-link:text('值守台')")
        zh = walk_wall_to_acknowledged_call(
            page, app, level, REMINDER_LIMIT_ZH, on_duty, "已电话通知，液位已恢复", "zh"
        )
        assert page.locator("#console-contacts-button").inner_text() == "联系人"
        page.screenshot(path="/tmp/hz-deeplink-zh.png")
        assert zh == 5
        assert page.outside_requests == []

    for alarm_id, comment, reminder in (
        (special, "Called; work stopped", REMINDER_SPECIAL_EN),
        (level, "已电话通知，液位已恢复", REMINDER_LIMIT_ZH),
    ):
        detail = app.get(f"/alarms/{alarm_id}", auth=INSPECTOR).json()
        assert detail["state"] == "active_ack" and detail["acked_by"] == INSPECTOR[0]
        assert [t["comment"] for t in detail["transitions"] if t["event"] == "acknowledged"] == [
            comment
        ]
        assert [c["contact"] for c in detail["calls"]] == [on_duty]
        assert detail["calls"][0]["note"].startswith(reminder)
    # Nothing went to the alarm that sat at the top of the list.
    assert app.get(f"/alarms/{red}", auth=INSPECTOR).json()["calls"] == []


def with_silent_sensors(registry, count: int, stale_after_s: int):
    """Add `count` pressure sensors to the test site that never report (lost communication)."""
    sensors = "".join(
        f"          - {{id: LC-{i:03d}, zone: Z1, kind: pressure, unit: MPa, "
        f"stale_after_s: {stale_after_s}}}\n"
        for i in range(count)
    )
    text = registry.read_text(encoding="utf-8")
    marker = "        cameras:\n"
    registry.write_text(text.replace(marker, sensors + marker), encoding="utf-8")
    return registry


@pytest.fixture
def flooded_app(tmp_path, mosquitto, browser_ready):  # noqa: F811
    """An app whose site has FLOOD silent sensors, which raise lost-communication alarms."""
    hz = start_app(tmp_path, mosquitto, with_silent_sensors(write_registry(tmp_path), FLOOD, 8))
    yield hz
    hz.stop()


def test_a_link_to_an_alarm_beyond_the_first_page_shows_selects_and_fills_it(
    flooded_app,
) -> None:
    app = flooded_app

    def silent_pressure() -> list[dict]:
        return [a for a in open_alarms(app) if a["source"] == "sensor:PT-1"]

    # PT-1 falls silent after 3 s, the FLOOD sensors after 8 s: its alarm is the oldest of
    # the yellow ones and so the last of the list, after more than 500 newer ones.
    wait_for(silent_pressure, 30, what="PT-1's lost-communication alarm")
    oldest = silent_pressure()[0]["id"]

    def flood() -> int:
        answer = app.get("/alarms", auth=INSPECTOR, state="open", limit=5000).json()
        return answer.get("total", len(answer["alarms"]))  # the old API stops at 500

    wait_for(lambda: flood() >= 500, 60, what="the flood of lost-communication alarms")
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, site, *INSPECTOR)
        page.goto(f"{site}/console?alarm={oldest}")
        reminder = "Monitoring data lost"
        expect_linked_alarm_ready(page, oldest, reminder, duty_officer_now())
        page.screenshot(path="/tmp/hz-deeplink-far.png")
        clicks = Clicks(page)
        clicks.click("#console-contacts-button")
        page.wait_for_selector(".hz-contact")
        clicks.click("#console-call-submit")
        page.wait_for_selector(".hz-result .hz-ok")
        assert clicks.count == 2
    calls = app.get(f"/alarms/{oldest}", auth=INSPECTOR).json()["calls"]
    assert [c["contact"] for c in calls] == [duty_officer_now()]
