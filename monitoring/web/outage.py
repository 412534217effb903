"""What a page or callback answers when the database does not answer: never a raw 500.

A page load gets a styled 503 page saying the database is unreachable (it reloads itself
until the database answers); a Dash callback gets a JSON 503, and the page it belongs to
keeps what it shows while the header says the database is down. /api/v1 answers its own JSON
(monitoring.api.errors). The page comes from a function the app passes in, so this module
never imports the page layer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import flask

from monitoring.db.errors import UNAVAILABLE_ERRORS, error_summary

log = logging.getLogger(__name__)

RETRY_AFTER_S = 10  # the degraded page reloads itself this often
DASH_PREFIX = "/_dash"
CODE = "database_unavailable"

RenderOutagePage = Callable[[int], str]  # (seconds until it reloads) -> HTML


def install_outage_answers(server: flask.Flask, render_page: RenderOutagePage) -> None:
    """Answer a request failed by an unreachable database with a 503, page or JSON."""

    def database_down(exc: Exception) -> flask.Response:
        request = flask.request
        log.warning(
            "%s %s: the database does not answer (%s)",
            request.method,
            request.path,
            error_summary(exc),
        )
        if request.path.startswith(DASH_PREFIX):
            response = flask.jsonify(
                {"error": "the database is unreachable; try again shortly", "code": CODE}
            )
            response.status_code = 503
        else:
            response = flask.make_response(render_page(RETRY_AFTER_S), 503)
            response.headers["Content-Type"] = "text/html; charset=utf-8"
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        response.headers["Cache-Control"] = "no-store"
        return response

    for kind in UNAVAILABLE_ERRORS:
        server.register_error_handler(kind, database_down)
