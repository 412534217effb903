"""JSON answers for every failure under /api/v1, never Flask's HTML error pages.

A database that does not answer (stopped, hung: its calls time out within about 10 s) or a
time-series store that does not is 503 with a `code` and `Retry-After`, so a client can tell
"try again shortly" from its own mistakes (4xx) and from our bugs (500, logged).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from monitoring.db.errors import UNAVAILABLE_ERRORS, database_unavailable, error_summary
from monitoring.storage.base import StoreUnavailable

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5  # what a 503 tells the client to wait before trying again
DATABASE_UNAVAILABLE = "database_unavailable"
STORE_UNAVAILABLE = "store_unavailable"
INTERNAL_ERROR = "internal_error"


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


def install_json_errors(bp: Blueprint) -> None:
    """Make every error of the blueprint's routes, and every HTTP error under its prefix, JSON."""
    prefix = bp.url_prefix or "/"

    def route_failed(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return _http_error(exc)
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

    # Unknown paths and methods under the prefix never reach a route of the blueprint.
    @bp.app_errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | HTTPException:
        if (exc.code or 500) < 400 or not request.path.startswith(prefix):
            return exc  # redirects, and the pages' own errors, as Flask answers them
        return _http_error(exc)


def _http_error(exc: HTTPException) -> Response:
    response = json_error(exc.code or 500, exc.description or exc.name)
    for name, value in exc.get_headers():  # Allow (405), WWW-Authenticate (401) ...
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
