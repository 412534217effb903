"""HTTP Basic on /api/v1: throttled and logged failures, bounded hashing, cheap polling.

Through the Flask test client with the real user book; `tests/test_api_auth_e2e.py` does the
same over real HTTP against `app.py serve`. Before (release code): no throttle (8.8-9.6
guesses a second were answered), nothing logged, one unbounded Argon2 hash per request.
"""

from __future__ import annotations

import logging
import threading

import flask
import pytest

from monitoring.api.core import ApiContext, create_api
from monitoring.books.signin import HashingGate, SignInThrottle
from monitoring.books.users import UserBook
from monitoring.db.database import Database
from tests.monitoring.books.test_users import CountingHasher

VIEWER = ("viewer", "viewer-pass-1")


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    database.start()
    yield database
    database.close()


def api_client(db, users: UserBook, throttle: SignInThrottle | None = None):
    ctx = ApiContext(
        users=users,
        rejects=None,  # type: ignore[arg-type]  (not reached by these calls)
        workers=None,  # type: ignore[arg-type]
        store=None,  # type: ignore[arg-type]
        db=db,
        store_kind="embedded",
        throttle=throttle or SignInThrottle(),
    )

    def add_routes(bp: flask.Blueprint, require) -> None:
        bp.add_url_rule(
            "/whoami", "whoami", require("viewer")(lambda: flask.jsonify(flask.g.user.username))
        )

    ctx.extra_routes.append(add_routes)
    server = flask.Flask(__name__)
    server.register_blueprint(create_api(ctx))
    return server.test_client()


@pytest.fixture
def users(db) -> UserBook:
    book = UserBook(db)
    book.create(*VIEWER, "viewer", 0)
    return book


def test_guessing_is_throttled_and_logged_without_the_password(db, users, caplog) -> None:
    client = api_client(db, users)
    with caplog.at_level(logging.WARNING, logger="monitoring.api.auth"):
        answers = [
            client.get("/api/v1/whoami", auth=("viewer", f"guess-{i:03d}-pw")).status_code
            for i in range(7)
        ]
    assert answers[:5] == [401] * 5 and answers[5:] == [429, 429]
    held = client.get("/api/v1/whoami", auth=VIEWER)  # even the right password waits
    assert held.status_code == 429 and held.json["code"] == "sign_in_throttled"
    assert int(held.headers["Retry-After"]) >= 1
    messages = [r.getMessage() for r in caplog.records]
    failed = [m for m in messages if m.startswith("failed API sign-in")]
    assert len(failed) == 5
    assert (
        "'viewer' from 127.0.0.1" in failed[-1]
        and "5 for this user from this address" in failed[-1]
    )
    assert any("held back" in m for m in messages)
    assert not any("guess-" in m or VIEWER[1] in m for m in messages)
    # Another address is not held back by these failures.
    other = client.get("/api/v1/whoami", auth=VIEWER, environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert other.status_code == 200 and other.json == "viewer"


def test_a_polling_client_costs_one_hash(db, users) -> None:
    hasher = users._hasher = CountingHasher(users._hasher)
    client = api_client(db, users)
    for _ in range(20):
        assert client.get("/api/v1/whoami", auth=VIEWER).status_code == 200
    assert hasher.verified == 1
    users.end_sessions("viewer")  # a sign-out elsewhere: checked again once
    assert client.get("/api/v1/whoami", auth=VIEWER).status_code == 200
    assert hasher.verified == 2


def test_no_credentials_cost_nothing_and_a_busy_gate_is_a_503(db) -> None:
    gate = HashingGate(slots=1, waiting=0, wait_s=0.1)
    users = UserBook(db, gate=gate)
    users.create(*VIEWER, "viewer", 0)
    client = api_client(db, users)
    anonymous = client.get("/api/v1/whoami")
    assert anonymous.status_code == 401 and "Basic" in anonymous.headers["WWW-Authenticate"]
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(5)
        busy = client.get("/api/v1/whoami", auth=("nobody", "any-password-1"))
        assert busy.status_code == 503 and busy.json["code"] == "sign_in_busy"
        assert busy.headers["Retry-After"] == "2"
    finally:
        release.set()
        holder.join(10)
    assert client.get("/api/v1/whoami", auth=VIEWER).status_code == 200
