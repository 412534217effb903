"""Sessions and passwords in a real browser against `app.py serve` (issue 10, finding 4 and
build item 6): copied cookies stop working after sign-out, after an administrator's password
reset and after a delete and re-create of the name; the header's password page changes the
password and signs every other browser out.

Before (release code): the copied cookies went on working in all three cases (after the
re-create, as the new administrator), and there was no password page.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.browser import browser_page, log_in
from tests.e2e_support import HazwatchProcess, write_registry
from tests.test_wall_browser import browser_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.services

ADMIN = ("admin", "admin-secret-1")
VIEWER = ("watch", "viewer-pass-1")
RESET = "reset-by-admin-7"
CHANGED = "river stone lamp 7"


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
    app.add_user(*VIEWER, "viewer")
    yield app
    app.stop()


def site(app: HazwatchProcess) -> str:
    return f"http://127.0.0.1:{app.port}"


def other_browser(page: Any, cookies: list[dict] | None = None) -> Any:
    """A page in a fresh browser context (another browser), holding `cookies` if given."""
    context = page.context.browser.new_context(viewport=page.viewport_size)
    if cookies:
        context.add_cookies(cookies)
    return context.new_page()


def signed_in_as(page: Any, app: HazwatchProcess) -> str | None:
    """Open the wall; return the header's user name, or None when sent to the sign-in form."""
    page.goto(site(app) + "/")
    page.wait_for_selector(".hz-header .hz-user-name, input[name=username]")
    if page.locator("input[name=username]").count():
        return None
    return page.inner_text(".hz-header .hz-user-name")


def copies(page: Any) -> list[list[dict]]:
    """This browser's cookies as an attacker would copy them: all, and the remember cookie alone."""
    cookies = page.context.cookies()
    assert {c["name"] for c in cookies} >= {"session", "remember_token"}
    return [cookies, [c for c in cookies if c["name"] == "remember_token"]]


def assert_copies_work(page: Any, app: HazwatchProcess, copied: list[list[dict]], who: str | None):
    for cookies in copied:
        assert signed_in_as(other_browser(page, cookies), app) == who


def admin_acts_on_watch(admin: Any, app: HazwatchProcess, act) -> None:
    admin.goto(site(app) + "/admin")
    row = admin.locator(".hz-admin-users-list .ag-row[row-id='watch']")
    row.wait_for()
    row.click()
    admin.wait_for_selector(".hz-admin-user-head:has-text('User watch')")
    act(admin)


def reset_password(admin: Any) -> None:
    admin.fill("#admin-reset-password", RESET)
    admin.click("#admin-set-password")
    admin.wait_for_selector(".hz-result .hz-ok:text('Password of watch reset')")


def delete_user(admin: Any) -> None:
    admin.click("#admin-delete-confirm label")
    admin.click("#admin-delete")
    admin.wait_for_selector(".hz-result .hz-ok:text('watch deleted')")


def test_copied_cookies_stop_working_after_sign_out_reset_and_re_creation(app) -> None:
    with browser_page() as page:
        # 1. Sign-out ends the copies too.
        log_in(page, site(app), *VIEWER, remember=True)
        copied = copies(page)
        assert_copies_work(page, app, copied, "watch")
        page.click(".hz-header form[action='/logout'] button[type=submit]")
        page.wait_for_selector("input[name=username]")
        assert_copies_work(page, app, copied, None)

        # 2. An administrator's password reset ends them.
        log_in(page, site(app), *VIEWER, remember=True)
        copied = copies(page)
        first_remember = next(c for c in copied[1] if c["name"] == "remember_token")["value"]
        admin = other_browser(page)
        log_in(admin, site(app), *ADMIN)
        admin_acts_on_watch(admin, app, reset_password)
        assert signed_in_as(page, app) is None
        assert_copies_work(page, app, copied, None)

        # 3. A deleted name re-created as an administrator never takes the old cookies.
        log_in(page, site(app), "watch", RESET, remember=True)
        copied = copies(page)
        assert copied[1][0]["value"] != first_remember  # every sign-in's cookie differs
        admin_acts_on_watch(admin, app, delete_user)
        created = requests.post(
            f"{app.base}/users",
            auth=ADMIN,
            json={"username": "watch", "password": "new-admin-pass-9", "role": "admin"},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        assert signed_in_as(page, app) is None
        assert_copies_work(page, app, copied, None)  # before: signed in as the new admin
        assert page.outside_requests == []


def test_the_password_page_changes_it_and_signs_every_other_browser_out(app) -> None:
    with browser_page() as page:
        log_in(page, site(app), *VIEWER, remember=True)
        laptop = other_browser(page)
        log_in(laptop, site(app), *VIEWER)
        page.click(".hz-header .hz-user-name")  # the name opens the password page
        page.wait_for_selector("input[name=current_password]")
        text = page.inner_text("main")
        assert "Change your password" in text and "修改密码" in text
        assert "At least 12 characters" in text and "至少12个字符" in text

        # A common password is refused, and nothing changes.
        page.fill("input[name=current_password]", VIEWER[1])
        page.fill("input[name=new_password]", "Password2024!")
        page.fill("input[name=new_password_again]", "Password2024!")
        page.click("button[type=submit]")
        page.wait_for_selector(".hz-login-error")
        assert "not a common password" in page.inner_text(".hz-login-error")

        page.fill("input[name=current_password]", VIEWER[1])
        page.fill("input[name=new_password]", CHANGED)
        page.fill("input[name=new_password_again]", CHANGED)
        page.click("button[type=submit]")
        page.wait_for_selector(".hz-login-done")
        assert "Every other browser signed in as you is signed out" in page.inner_text("main")
        page.click(".hz-password-back")
        page.wait_for_selector(".hz-header .hz-user-name")  # this browser goes on
        assert signed_in_as(laptop, app) is None  # the other one is signed out
        assert page.outside_requests == []

    assert app.get("/alarms", auth=("watch", CHANGED)).status_code == 200
    assert app.get("/alarms", auth=VIEWER).status_code == 401
