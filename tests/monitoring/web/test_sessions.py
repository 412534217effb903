"""Sessions that can be ended, a throttle nobody can turn against a user, trusted proxies and
the password page, through the Flask test client with the real user book (issue 10).

Before (release code): a copied session or remember cookie kept working after sign-out, a
password reset and a delete and re-create of the name (which then signed in as the new
administrator); the remember cookie was `viewer|HMAC(key, viewer)` on every sign-in, with no
expiry; 30 failures from 30 addresses gave the right password from a fresh address 429;
there was no /password page.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

import flask
import pytest
from flask_login.utils import encode_cookie

from layouts.login import login_page, password_page
from monitoring.books.signin import HashingGate
from monitoring.books.users import UserBook
from monitoring.db.database import Database
from monitoring.web.session import install_sessions

PASSWORD = "viewer-pass-1"
NEW_PASSWORD = "river stone lamp 7"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
DAY_S = 24 * 3600


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def users(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    book = UserBook(db)
    book.create("viewer", PASSWORD, "viewer", 0)
    book.create("admin", "admin-secret-1", "admin", 0)
    yield book
    db.close()


def make_server(users, clock, **options) -> flask.Flask:
    server = flask.Flask(__name__)
    install_sessions(
        server, users, "k" * 32, login_page, clock=clock, render_password=password_page, **options
    )
    server.add_url_rule("/", "page", lambda: "the wall")
    return server


@pytest.fixture
def server(users, clock) -> flask.Flask:
    return make_server(users, clock)


def token(client, path: str = "/login", **kwargs) -> str:
    return TOKEN.search(client.get(path, **kwargs).text).group(1)


def sign_in(client, username="viewer", password=PASSWORD, remember=False, address="127.0.0.1"):
    env = {"REMOTE_ADDR": address}
    data = {
        "username": username,
        "password": password,
        "csrf_token": token(client, environ_base=env),
    }
    if remember:
        data["remember"] = "1"
    return client.post("/login", data=data, environ_base=env)


def signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200 and response.text == "the wall"


def copy_of(server: flask.Flask, client, only: str | None = None):
    """Another browser holding copies of `client`'s cookies (or only the one named)."""
    other = server.test_client()
    for cookie in client._cookies.values():
        if only is None or cookie.key == only:
            other.set_cookie(cookie.key, cookie.value)
    return other


def remember_cookie(client) -> str:
    return client.get_cookie("remember_token").value


def test_copied_cookies_stop_working_after_sign_out(server) -> None:
    browser = server.test_client()
    assert sign_in(browser, remember=True).status_code == 302
    both, remember_only = copy_of(server, browser), copy_of(server, browser, "remember_token")
    assert signed_in(both) and signed_in(remember_only)
    assert (
        browser.post("/logout", data={"csrf_token": token(browser, "/logout")}).status_code == 302
    )
    assert not signed_in(browser)
    assert not signed_in(both) and not signed_in(remember_only)


ENDING_CHANGES: dict[str, Callable[[UserBook], object]] = {
    "password reset": lambda users: users.set_password("viewer", "another-pass-2"),
    "role change": lambda users: users.set_role("viewer", "inspector"),
    "disable": lambda users: users.set_active("viewer", False),
    "disable and enable": lambda users: (
        users.set_active("viewer", False),
        users.set_active("viewer", True),
    ),
    "delete": lambda users: users.delete("viewer"),
}


@pytest.mark.parametrize("change", ENDING_CHANGES, ids=list(ENDING_CHANGES))
def test_an_administrators_change_ends_every_session_of_the_user(server, users, change) -> None:
    browser = server.test_client()
    sign_in(browser, remember=True)
    copies = [copy_of(server, browser), copy_of(server, browser, "remember_token")]
    other = server.test_client()
    sign_in(other)  # another browser, signed in on its own
    ENDING_CHANGES[change](users)
    assert not any(signed_in(c) for c in (browser, other, *copies))


def test_a_deleted_and_recreated_name_never_revives_old_cookies(server, users) -> None:
    browser = server.test_client()
    sign_in(browser, remember=True)
    copies = [copy_of(server, browser), copy_of(server, browser, "remember_token")]
    users.delete("viewer")
    users.create("viewer", "another-pass-2", "admin", 1)  # the same name, now an administrator
    assert not any(signed_in(c) for c in (browser, *copies))


def test_the_remember_cookie_differs_per_sign_in_and_expires(server, clock) -> None:
    first, second = server.test_client(), server.test_client()
    sign_in(first, remember=True)
    sign_in(second, remember=True)
    assert remember_cookie(first) != remember_cookie(second)
    cookie = first.get_cookie("remember_token")
    assert cookie.expires is not None and cookie.http_only
    held = copy_of(server, first, "remember_token")
    clock.now += 30 * DAY_S - 60
    assert signed_in(held)
    clock.now += 120  # past 30 days: the token itself has expired, whatever the browser keeps
    assert not signed_in(copy_of(server, first, "remember_token"))
    assert not signed_in(first)


def test_a_session_without_remember_me_lasts_a_day(server, clock) -> None:
    browser = server.test_client()
    sign_in(browser)
    assert browser.get_cookie("remember_token") is None
    clock.now += DAY_S - 60
    assert signed_in(browser)
    clock.now += 120
    assert not signed_in(browser)


def test_a_remember_cookie_of_the_release_code_is_refused(server) -> None:
    with server.test_request_context():
        old = encode_cookie("viewer")  # `username|HMAC(key, username)`, as the release wrote it
    browser = server.test_client()
    browser.set_cookie("remember_token", old)
    assert not signed_in(browser)


def test_failures_from_thirty_addresses_do_not_lock_out_a_clean_address(server, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="monitoring.web.session"):
        for i in range(30):
            attacker = server.test_client()
            response = sign_in(attacker, password=f"guess-{i:04d}-x", address=f"10.9.0.{i + 1}")
            assert response.status_code == 401
    user = server.test_client()
    assert sign_in(user, address="192.0.2.10").status_code == 302  # before: 429
    assert signed_in(user)
    last = [r.getMessage() for r in caplog.records if "failed sign-in" in r.getMessage()][-1]
    assert "'viewer' from 10.9.0.30" in last and "30 for this user" in last
    assert not any("guess-" in r.getMessage() for r in caplog.records)  # never a password


def test_one_address_is_held_back_after_its_failures(server) -> None:
    browser = server.test_client()
    for _ in range(5):
        assert sign_in(browser, password="wrong-password-1").status_code == 401
    held = sign_in(browser)
    assert held.status_code == 429 and int(held.headers["Retry-After"]) >= 1


def test_forwarded_addresses_are_believed_only_from_a_configured_proxy(users, clock) -> None:
    def guess_then_sign_in(server: flask.Flask) -> int:
        for i in range(6):
            client = server.test_client()
            forwarded = {"X-Forwarded-For": f"203.0.113.{i + 1}"}
            data = {"username": "viewer", "password": "wrong-password-1"}
            data["csrf_token"] = token(client, headers=forwarded)
            client.post("/login", data=data, headers=forwarded)
        client = server.test_client()
        forwarded = {"X-Forwarded-For": "198.51.100.9"}
        data = {"username": "viewer", "password": PASSWORD}
        data["csrf_token"] = token(client, headers=forwarded)
        return client.post("/login", data=data, headers=forwarded).status_code

    # No proxy configured: the header is anyone's to send, so all came from the peer.
    assert guess_then_sign_in(make_server(users, clock)) == 429
    # One trusted proxy: each client is its own address, and the clean one signs in.
    assert guess_then_sign_in(make_server(users, clock, trusted_proxies=1)) == 302


def test_sign_in_answers_503_while_every_hashing_slot_is_taken(tmp_path, clock) -> None:
    db = Database(f"sqlite:///{tmp_path / 'busy.db'}")
    db.start()
    gate = HashingGate(slots=1, waiting=0, wait_s=0.1)
    users = UserBook(db, gate=gate)
    users.create("viewer", PASSWORD, "viewer", 0)
    server = make_server(users, clock)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(5)
        response = sign_in(server.test_client())
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        assert "try again in a few seconds" in response.text and "请几秒后再试" in response.text
        release.set()
        holder.join(10)
        assert sign_in(server.test_client()).status_code == 302  # the slot is free again
    finally:
        release.set()
        holder.join(10)
        db.close()


def change_password(client, current: str, new: str, again: str | None = None, **env):
    data = {
        "current_password": current,
        "new_password": new,
        "new_password_again": new if again is None else again,
        "csrf_token": token(client, "/password"),
    }
    return client.post("/password", data=data, **env)


def test_the_password_page_needs_a_sign_in(server) -> None:
    response = server.test_client().get("/password")
    assert response.status_code == 302 and "/login?next=/password" in response.location


def test_changing_ones_password_ends_every_other_session(server, users) -> None:
    mine, laptop = server.test_client(), server.test_client()
    sign_in(mine, remember=True)
    sign_in(laptop, remember=True)
    copied = copy_of(server, mine, "remember_token")
    form = mine.get("/password")
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert "Change your password" in form.text and "修改密码" in form.text
    assert "Signed in as viewer" in form.text
    done = change_password(mine, PASSWORD, NEW_PASSWORD)
    assert done.status_code == 200 and "Password changed" in done.text and "密码已修改" in done.text
    assert signed_in(mine)  # this browser goes on
    assert remember_cookie(mine) != copied.get_cookie("remember_token").value  # re-issued
    assert signed_in(copy_of(server, mine, "remember_token"))
    assert not signed_in(laptop) and not signed_in(copied)
    assert users.authenticate("viewer", NEW_PASSWORD) is not None
    assert users.authenticate("viewer", PASSWORD) is None


@pytest.mark.parametrize(
    ("current", "new", "again", "status", "text"),
    [
        ("wrong-password-1", NEW_PASSWORD, None, 401, "The current password is wrong"),
        (PASSWORD, NEW_PASSWORD, "river stone lamp 8", 400, "The two new passwords differ"),
        (PASSWORD, PASSWORD, None, 400, "The new password is the current one"),
        (PASSWORD, "Password2024!", None, 400, "not a common password"),
        (PASSWORD, "short-one-1", None, 400, "at least 12 characters"),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    server, users, current, new, again, status, text
) -> None:
    browser = server.test_client()
    sign_in(browser)
    response = change_password(browser, current, new, again)
    assert response.status_code == status and text in response.text
    assert users.authenticate("viewer", PASSWORD) is not None and signed_in(browser)


def test_the_password_form_cannot_be_used_to_guess_or_be_forged(server) -> None:
    browser = server.test_client()
    sign_in(browser)
    forged = browser.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert forged.status_code == 400
    for _ in range(5):
        assert change_password(browser, "wrong-password-1", NEW_PASSWORD).status_code == 401
    held = change_password(browser, PASSWORD, NEW_PASSWORD)
    assert held.status_code == 429 and "Retry-After" in held.headers
