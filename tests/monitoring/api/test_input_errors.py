"""Unknown and invalid /api/v1 requests are JSON 404 and 400, never a page or a 500."""

from __future__ import annotations

import flask
import pytest
import sqlalchemy as sa

from monitoring.api.errors import install_json_errors, whole_number_arg


class OutOfRange(Exception):
    sqlstate = "22003"  # what psycopg's NumericValueOutOfRange carries


def _raise(exc: BaseException):
    def view(**_: object) -> str:
        raise exc

    return view


@pytest.fixture
def client():
    server = flask.Flask(__name__)
    bp = flask.Blueprint("api_v1", __name__, url_prefix="/api/v1")
    bp.add_url_rule("/alarms/<int:alarm_id>", "alarm", lambda alarm_id: {"id": alarm_id})
    bp.add_url_rule("/arg", "arg", lambda: {"n": whole_number_arg("n")})
    bp.add_url_rule("/sqlite", "sqlite", _raise(OverflowError("too large for SQLite INTEGER")))
    bp.add_url_rule("/pg", "pg", _raise(sa.exc.DataError("INSERT", {}, OutOfRange())))
    install_json_errors(bp)
    server.register_blueprint(bp)
    # Dash's catch-all: every other path is the page.
    server.add_url_rule("/", "index", lambda: "<html>page</html>")
    server.add_url_rule("/<path:path>", "catch_all", lambda path: "<html>page</html>")
    return server.test_client()


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/alarms/1/x", "/api/v1", "/api/v1/"])
def test_unknown_api_paths_are_json_404_despite_the_pages_catch_all(client, path) -> None:
    r = client.get(path)
    assert r.status_code == 404 and r.is_json and r.json["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_on_unknown_api_paths_are_404_not_the_pages_405(client, method) -> None:
    r = client.open("/api/v1/nope", method=method)
    assert r.status_code == 404 and r.is_json
    wrong = client.open("/api/v1/arg", method=method)  # a call that exists: its 405 stays
    assert wrong.status_code == 405 and wrong.is_json and "GET" in wrong.headers["Allow"]


def test_the_pages_keep_their_catch_all(client) -> None:
    assert client.get("/console").text == "<html>page</html>"
    assert client.get("/api/v1x").text == "<html>page</html>"


def test_ids_beyond_64_bits_name_nothing(client) -> None:
    assert client.get(f"/api/v1/alarms/{2**63 - 1}").json == {"id": 2**63 - 1}
    r = client.get(f"/api/v1/alarms/{2**63}")
    assert r.status_code == 404 and r.json == {"error": f"no alarm {2**63}"}


@pytest.mark.parametrize("text", ["abc", "1.5", "١٢", "1_000", " 7", str(2**63), "-" + str(2**64)])
def test_a_query_number_must_be_a_64_bit_whole_number(client, text) -> None:
    r = client.get("/api/v1/arg", query_string={"n": text})
    assert r.status_code == 400 and r.json == {"error": "n must be a whole number"}


def test_a_query_number_may_be_absent(client) -> None:
    assert client.get("/api/v1/arg").json == {"n": None}
    assert client.get("/api/v1/arg?n=-42").json == {"n": -42}


@pytest.mark.parametrize("path", ["/api/v1/sqlite", "/api/v1/pg"])
def test_a_number_the_database_cannot_hold_is_the_requests_mistake(client, path) -> None:
    r = client.get(path)
    assert r.status_code == 400 and r.is_json and "64-bit" in r.json["error"]
