"""Session login on the web server: pages need a user, /api stays on HTTP Basic."""

from __future__ import annotations

import flask
import pytest

from monitoring.database import Database
from monitoring.users import UserBook
from monitoring.web_session import install_sessions, load_secret_key


@pytest.fixture
def client(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    users = UserBook(db)
    users.create("viewer", "viewer-demo", "viewer", 0)
    server = flask.Flask(__name__)
    install_sessions(server, users, "k" * 32, lambda error: f"login form {error or ''}")
    server.add_url_rule("/", "page", lambda: "the wall")
    server.add_url_rule("/_dash-update-component", "dash", lambda: "data", methods=["POST"])
    server.add_url_rule("/api/v1/health", "health", lambda: "api")
    yield server.test_client()
    db.close()


def test_pages_redirect_to_login_until_signed_in(client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/login?next=/" in response.location
    assert client.post("/_dash-update-component").status_code == 401
    assert client.get("/api/v1/health").text == "api"  # the API checks its own credentials


def test_wrong_password_is_refused(client) -> None:
    response = client.post("/login", data={"username": "viewer", "password": "nope-nope"})
    assert response.status_code == 401 and "login.failed" in response.text
    assert client.get("/").status_code == 302


def test_login_opens_pages_and_logout_closes_them(client) -> None:
    response = client.post("/login?next=/", data={"username": "viewer", "password": "viewer-demo"})
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").text == "the wall"
    client.get("/logout")
    assert client.get("/").status_code == 302


def test_next_never_leaves_the_site(client) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            f"/login?next={target}", data={"username": "viewer", "password": "viewer-demo"}
        )
        assert response.location == "/", target


def test_secret_key_is_generated_once_and_kept_private(tmp_path) -> None:
    first = load_secret_key(None, tmp_path)
    assert load_secret_key(None, tmp_path) == first and len(first) >= 32
    assert (tmp_path / "web-secret-key").stat().st_mode & 0o077 == 0
    assert load_secret_key("configured-secret-key", tmp_path) == "configured-secret-key"
