"""Every failure under /api/v1 is JSON: 503 with a code when the database or store does not
answer, 500 for a bug, the HTTP error otherwise; the pages' own errors stay theirs."""

from __future__ import annotations

import logging

import flask
import pytest
import sqlalchemy as sa
from werkzeug.exceptions import BadRequest

from monitoring.api.errors import install_json_errors
from monitoring.storage.base import StoreUnavailable
from monitoring.web.outage import install_outage_answers

DOWN = sa.exc.OperationalError(
    "SELECT * FROM users WHERE username = %(u)s", {"u": "admin"}, ConnectionRefusedError()
)


def _raise(exc: BaseException):
    def view() -> str:
        raise exc

    return view


@pytest.fixture
def client():
    server = flask.Flask(__name__)
    install_outage_answers(server, lambda retry_s: f"<h1>Database unreachable {retry_s}</h1>")
    bp = flask.Blueprint("api_v1", __name__, url_prefix="/api/v1")
    bp.add_url_rule("/down", "down", _raise(DOWN))
    bp.add_url_rule("/hung", "hung", _raise(sa.exc.TimeoutError("QueuePool limit reached")))
    bp.add_url_rule("/store", "store", _raise(StoreUnavailable("InfluxDB query failed")))
    bp.add_url_rule("/bug", "bug", _raise(RuntimeError("a bug")))
    bp.add_url_rule("/bad", "bad", _raise(BadRequest("limit must be an integer")))
    bp.add_url_rule("/ok", "ok", lambda: flask.jsonify({"ok": True}))
    install_json_errors(bp)
    server.register_blueprint(bp)
    server.add_url_rule("/page", "page", _raise(DOWN))
    server.add_url_rule("/_dash-update-component", "dash", _raise(DOWN), methods=["POST"])
    return server.test_client()


@pytest.mark.parametrize("path", ["/api/v1/down", "/api/v1/hung"])
def test_a_database_that_does_not_answer_is_a_json_503(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 503 and response.is_json
    assert response.json["code"] == "database_unavailable"
    assert "database is unreachable" in response.json["error"]
    assert "SELECT" not in response.text and "admin" not in response.text  # no statement
    assert int(response.headers["Retry-After"]) > 0


def test_a_store_that_does_not_answer_is_a_json_503_of_its_own(client) -> None:
    response = client.get("/api/v1/store")
    assert response.status_code == 503 and response.json["code"] == "store_unavailable"


def test_a_bug_is_a_json_500_and_logged(client, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="monitoring.api.errors"):
        response = client.get("/api/v1/bug")
    assert response.status_code == 500 and response.json["code"] == "internal_error"
    assert "a bug" not in response.text
    (record,) = [r for r in caplog.records if r.name == "monitoring.api.errors"]
    assert record.exc_info and "GET /api/v1/bug" in record.getMessage()
    record.expected = True  # logged on purpose: not a swallowed error


def test_http_errors_under_the_api_are_json_and_the_pages_keep_theirs(client) -> None:
    bad = client.get("/api/v1/bad")
    assert (bad.status_code, bad.json) == (400, {"error": "limit must be an integer"})
    missing = client.get("/api/v1/no-such-call")
    assert missing.status_code == 404 and missing.is_json
    wrong = client.post("/api/v1/ok")
    assert wrong.status_code == 405 and wrong.is_json and "GET" in wrong.headers["Allow"]
    assert client.get("/api/v1/ok").json == {"ok": True}
    page = client.get("/no-such-page")
    assert page.status_code == 404 and not page.is_json


def test_pages_answer_the_degraded_page_and_callbacks_json_while_the_api_keeps_its_own(
    client,
) -> None:
    page = client.get("/page")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert page.text == "<h1>Database unreachable 10</h1>"
    assert page.headers["Retry-After"] == "10" and page.headers["Cache-Control"] == "no-store"
    callback = client.post("/_dash-update-component", json={})
    assert callback.status_code == 503 and callback.json["code"] == "database_unavailable"
    api = client.get("/api/v1/down")  # the app's handler for the class must not win here
    assert api.is_json and api.headers["Retry-After"] == "5"
