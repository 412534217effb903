"""Sign-in hardening: form tokens, cookie flags, sign-in throttling, POST-only sign-out, and
Dash's callback endpoint refusing what another site could send."""

from __future__ import annotations

import re
import time

import dash
import flask
import itsdangerous.timed
import pytest
from dash import Input, Output, html

from layouts.login import login_page
from monitoring.books.signin import FAILURES_PER_PAIR, SignInThrottle
from monitoring.books.users import UserBook
from monitoring.db.database import Database
from monitoring.web.session import _safe_next, install_sessions, load_secret_key

PASSWORD = "viewer-pass-1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def users(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    book = UserBook(db)
    book.create("viewer", PASSWORD, "viewer", 0)
    yield book
    db.close()


def make_server(users, clock, secure=False) -> flask.Flask:
    server = flask.Flask(__name__)
    install_sessions(server, users, "k" * 32, login_page, secure_cookies=secure, clock=clock)
    server.add_url_rule("/", "page", lambda: "the wall")
    server.add_url_rule("/_dash-update-component", "dash", lambda: "data", methods=["POST"])
    return server


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client(users, clock):
    return make_server(users, clock).test_client()


def token(client, path: str = "/login") -> str:
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    return TOKEN.search(response.text).group(1)


def sign_in(client, password: str = PASSWORD, **headers):
    data = {"username": "viewer", "password": password, "csrf_token": token(client)}
    return client.post("/login?next=/", data=data, headers=headers)


def test_login_form_carries_a_token_and_signing_in_works(client, users, clock) -> None:
    response = sign_in(client)
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").text == "the wall"
    assert users.last_logins() == {"viewer": int(clock.now * 1000)}


def test_a_post_without_or_with_a_foreign_token_is_refused(client, users, clock) -> None:
    data = {"username": "viewer", "password": PASSWORD}
    response = client.post("/login", data=data)
    assert response.status_code == 400 and "expired" in response.text
    other = make_server(users, clock).test_client()
    foreign = token(other)  # valid signature, but bound to another browser's session
    client.get("/login")
    assert client.post("/login", data={**data, "csrf_token": foreign}).status_code == 400
    assert client.post("/login", data={**data, "csrf_token": "garbage"}).status_code == 400
    assert client.get("/").status_code == 302  # still not signed in


def test_an_old_token_is_refused(client, monkeypatch) -> None:
    value = token(client)
    later = time.time() + 10 * 3600  # itsdangerous reads the wall clock for a token's age
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    data = {"username": "viewer", "password": PASSWORD, "csrf_token": value}
    assert client.post("/login", data=data).status_code == 400


def test_a_cross_site_post_is_refused_even_with_a_token(client) -> None:
    assert sign_in(client, **{"Sec-Fetch-Site": "cross-site"}).status_code == 400
    assert sign_in(client, **{"Sec-Fetch-Site": "same-site"}).status_code == 400
    assert sign_in(client, **{"Sec-Fetch-Site": "same-origin"}).status_code == 302


def test_cookies_are_httponly_lax_and_secure_when_asked(users, clock) -> None:
    for secure in (False, True):
        c = make_server(users, clock, secure=secure).test_client()
        data = {
            "username": "viewer",
            "password": PASSWORD,
            "remember": "1",
            "csrf_token": token(c),
        }
        response = c.post("/login", data=data)
        cookies = response.headers.getlist("Set-Cookie")
        assert {cookie.split("=")[0] for cookie in cookies} == {"session", "remember_token"}
        for cookie in cookies:
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
            assert ("Secure" in cookie) is secure, cookie


def test_pages_send_anti_framing_headers(client) -> None:
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_failed_sign_ins_are_slowed_down_then_allowed_again(client, clock) -> None:
    for _ in range(FAILURES_PER_PAIR):
        assert sign_in(client, "wrong-password").status_code == 401
    blocked = sign_in(client)  # even the right password waits
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in blocked.text and client.get("/").status_code == 302
    clock.now += 3
    assert sign_in(client).status_code == 302


def test_logout_needs_a_post_with_the_token(client) -> None:
    sign_in(client)
    confirm = client.get("/logout")  # a link or another site: only a confirmation page
    assert confirm.status_code == 200 and 'action="/logout"' in confirm.text
    assert client.get("/").text == "the wall"
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/").text == "the wall"
    response = client.post("/logout", data={"csrf_token": token(client, "/logout")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_logout_clears_the_remember_cookie(client) -> None:
    data = {
        "username": "viewer",
        "password": PASSWORD,
        "remember": "1",
        "csrf_token": token(client),
    }
    client.post("/login", data=data)
    response = client.post("/logout", data={"csrf_token": token(client, "/logout")})
    cleared = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert cleared and ("Expires=Thu, 01 Jan 1970" in cleared[0] or "Max-Age=0" in cleared[0])
    assert client.get("/").status_code == 302


def test_dash_endpoint_takes_only_same_origin_json(client) -> None:
    sign_in(client)
    # What an HTML form on another site can send: refused before Dash sees it.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = client.post(
            "/_dash-update-component", data="{}", headers={"Content-Type": content_type}
        )
        assert response.status_code == 415, content_type
    cross = client.post(
        "/_dash-update-component", json={}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    assert client.post("/_dash-update-component", json={}).text == "data"


def test_dash_itself_refuses_a_non_json_callback_body() -> None:
    """Without our guard, Dash (Flask's request.get_json) answers 415 to a form-like body."""
    app = dash.Dash(__name__)
    app.layout = html.Div([html.Button(id="b"), html.Div(id="out")])

    @app.callback(Output("out", "children"), Input("b", "n_clicks"))
    def clicked(n):  # pragma: no cover - must never run
        raise AssertionError("a non-JSON body reached the callback")

    body = (
        '{"output":"out.children","outputs":{"id":"out","property":"children"},'
        '"inputs":[{"id":"b","property":"n_clicks","value":1}],"changedPropIds":["b.n_clicks"]}'
    )
    c = app.server.test_client()
    response = c.post("/_dash-update-component", data=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_throttle_doubles_the_wait_and_caps_it() -> None:
    throttle = SignInThrottle(per_pair=2, base_delay_s=2, max_delay_s=10)
    t = 100.0
    for _ in range(2):
        assert throttle.retry_after("u", "ip", t) == 0
        throttle.failed("u", "ip", t)
    assert throttle.retry_after("u", "ip", t) == 2
    throttle.failed("u", "ip", t)
    assert throttle.retry_after("u", "ip", t) == 4
    for _ in range(5):
        throttle.failed("u", "ip", t)
    assert throttle.retry_after("u", "ip", t) == 10
    assert throttle.retry_after("u", "ip", t + 10) == 0
    assert throttle.retry_after("u", "ip", t + 15 * 60) == 0  # the window forgot them


def test_throttle_success_forgets_the_user_but_not_the_address() -> None:
    throttle = SignInThrottle()
    failures = throttle.failed("Viewer ", "10.0.0.1", 0)
    assert (failures.pair, failures.address, failures.user) == (1, 1, 1)
    assert ("pair", "viewer", "10.0.0.1") in throttle._failures
    throttle.succeeded("viewer", "10.0.0.1")
    assert set(throttle._failures) == {("address", "10.0.0.1")}


def test_throttle_memory_is_bounded() -> None:
    throttle = SignInThrottle(max_keys=100)
    for i in range(1000):
        throttle.failed("u", str(i), float(i))
    assert len(throttle._failures) <= 100


@pytest.mark.parametrize("target", ["/\\evil.example", "\\\\evil.example", "//evil.example"])
def test_next_never_leaves_the_site(target) -> None:
    assert _safe_next(target) == "/"
    assert _safe_next("/admin?tab=users") == "/admin?tab=users"


def test_pages_redirect_to_login_until_signed_in(users, clock) -> None:
    server = make_server(users, clock)
    server.add_url_rule("/api/v1/health", "health", lambda: "api")
    c = server.test_client()
    response = c.get("/")
    assert response.status_code == 302 and "/login?next=/" in response.location
    assert c.post("/_dash-update-component", json={}).status_code == 401
    assert c.get("/api/v1/health").text == "api"  # the API checks its own credentials
    assert c.get("/logout").status_code == 302  # nobody to sign out: back to the form


def test_secret_key_is_generated_once_and_kept_private(tmp_path) -> None:
    first = load_secret_key(None, tmp_path)
    assert load_secret_key(None, tmp_path) == first and len(first) >= 32
    assert (tmp_path / "web-secret-key").stat().st_mode & 0o077 == 0
    assert load_secret_key("configured-secret-key", tmp_path) == "configured-secret-key"
