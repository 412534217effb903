"""JSON answers for every failure under /api/v1, never Flask's HTML error pages.

A database that does not answer (stopped, hung: its calls time out within about 10 s) or a
time-series store that does not is 503 with a `code` and `Retry-After`, so a client can tell
"try again shortly" from its own mistakes (4xx) and from our bugs (500, logged). An unknown
path under the prefix is a 404 (not the pages' catch-all), a whole number beyond 64 bits in a
path names nothing (404) and anywhere else is the request's mistake (400).
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from monitoring.db.errors import (
    UNAVAILABLE_ERRORS,
    database_unavailable,
    error_summary,
    number_out_of_range,
)
from monitoring.storage.base import StoreUnavailable

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5  # what a 503 tells the client to wait before trying again
DATABASE_UNAVAILABLE = "database_unavailable"
STORE_UNAVAILABLE = "store_unavailable"
INTERNAL_ERROR = "internal_error"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # the database's integers
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,20}")


def json_error(status: int, message: str, code: str | None = None, **headers: str) -> Response:
    """Return the API's error answer: {"error": message[, "code": code]} with `status`."""
    body: dict[str, str] = {"error": message}
    if code is not None:
        body["code"] = code
    response = jsonify(body)
    response.status_code = status
    for key, value in headers.items():
        response.headers[key] = value
    return response


def unavailable(message: str, code: str) -> Response:
    """Return a 503 telling the client to try again after RETRY_AFTER_S."""
    return json_error(503, message, code, **{"Retry-After": str(RETRY_AFTER_S)})


def whole_number_arg(name: str) -> int | None:
    """Return the query argument `name` as a 64-bit whole number, None if absent; else a 400."""
    text = request.args.get(name, "")
    if not text:
        return None
    if not WHOLE_NUMBER.fullmatch(text) or not INT64_MIN <= int(text) <= INT64_MAX:
        abort(400, f"{name} must be a whole number")
    return int(text)


def install_json_errors(bp: Blueprint) -> None:
    """Make every error of the blueprint's routes, and every HTTP error under its prefix, JSON."""
    prefix = bp.url_prefix or "/"

    def route_failed(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        if number_out_of_range(exc):
            return json_error(400, "a number in the request is beyond 64-bit whole numbers")
        if database_unavailable(exc):
            log.warning(
                "%s %s: the database does not answer (%s)",
                request.method,
                request.path,
                error_summary(exc),
            )
            return unavailable(
                "the database is unreachable; try again shortly", DATABASE_UNAVAILABLE
            )
        if isinstance(exc, StoreUnavailable):
            log.warning("%s %s: %s", request.method, request.path, error_summary(exc))
            return unavailable(
                "the time-series store is unreachable; try again shortly", STORE_UNAVAILABLE
            )
        log.error("%s %s failed", request.method, request.path, exc_info=exc)
        return json_error(500, "internal error (the server log has the details)", INTERNAL_ERROR)

    # Flask picks a handler by the error's class first, then blueprint before app: naming the
    # database's classes here keeps the app's handlers for them (HTML pages) off the API.
    for kind in (*UNAVAILABLE_ERRORS, Exception):
        bp.register_error_handler(kind, route_failed)

    @bp.url_value_preprocessor
    def ids_in_range(endpoint: str | None, values: dict | None) -> None:
        # Werkzeug's `int` converter takes any number of digits; no row has such an id.
        for name, value in (values or {}).items():
            if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
                abort(404, f"no {name.removesuffix('_id')} {value}")

    @bp.before_app_request
    def unknown_call() -> Response | None:
        # The pages' catch-all route answers every other path with the Dash page (200), and
        # other methods with 405 "GET only": neither is an answer for the API's prefix.
        path = request.path
        if not (path == prefix or path.startswith(prefix.rstrip("/") + "/")):
            return None
        endpoints = _endpoints(path)
        if endpoints and not any(e.startswith(bp.name + ".") for e in endpoints):
            return json_error(404, f"no API call {path}")
        return None

    # Unknown paths and methods under the prefix never reach a route of the blueprint.
    @bp.app_errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | HTTPException:
        if (exc.code or 500) < 400 or not request.path.startswith(prefix):
            return exc  # redirects, and the pages' own errors, as Flask answers them
        return _http_error(exc)


def _endpoints(path: str) -> list[str]:
    """Return the endpoints of the rules that match this request's path, by any method."""
    if request.url_rule is not None:
        return [request.url_rule.endpoint]
    exc = request.routing_exception
    if not isinstance(exc, MethodNotAllowed):
        return []  # no rule matched at all: Flask answers 404 (JSON under the prefix)
    adapter = current_app.url_map.bind_to_environ(request.environ)
    found = []
    for method in exc.valid_methods or ():
        try:
            rule, _ = adapter.match(path, method=method, return_rule=True)
        except HTTPException:
            continue
        found.append(str(rule.endpoint))
    return found


def _http_error(exc: HTTPException) -> Response:
    response = json_error(exc.code or 500, exc.description or exc.name)
    for name, value in exc.get_headers():  # Allow (405), WWW-Authenticate (401) ...
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
