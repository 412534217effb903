"""Bulk alarm actions: `POST /api/v1/alarms/acknowledge` and `POST /api/v1/alarms/shelve`.

Documented in README "Contract additions". The body names the alarms by `ids` (at most
1,000) or by a `filter` of open alarms (the first 1,000 matching, oldest first, of those the
action applies to; `remaining` says how many more match, so a caller repeats until it is
0). Each alarm is changed as its single call would change it, with its own transition; the
answer lists every alarm's outcome. Same role as the single calls: inspector.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Blueprint, Response, g, jsonify, request

from monitoring.alarms import bulk
from monitoring.alarms.bulk import BULK_MAX, AlarmFilter, BulkOutcome
from monitoring.api.alarms import AlarmApiContext
from monitoring.api.core import AddRoutes, Require


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _targets(body: dict, states: frozenset[str], ctx: AlarmApiContext) -> tuple[list[int], int]:
    """Return the ids a request names and how many alarms it matched; ValueError if bad."""
    has_ids, has_filter = "ids" in body, "filter" in body
    if has_ids == has_filter:
        raise ValueError("give either ids (a list of alarm ids) or filter (an object)")
    if has_ids:
        ids = bulk.check_ids(body["ids"])
        return ids, len(ids)
    limit = body.get("limit", BULK_MAX)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= BULK_MAX:
        raise ValueError(f"limit must be a whole number from 1 to {BULK_MAX}")
    return ctx.alarms.matching_ids(AlarmFilter.from_json(body["filter"]), states, limit)


def _answer(outcomes: Sequence[BulkOutcome], matched: int, done_key: str) -> Response:
    counts = bulk.summary(outcomes)
    return jsonify(
        {
            done_key: counts[bulk.DONE],
            "refused": counts[bulk.REFUSED],
            "not_found": counts[bulk.NOT_FOUND],
            "matched": matched,
            "remaining": max(0, matched - len(outcomes)),
            "results": [o.as_json() for o in outcomes],
        }
    )


def bulk_routes(ctx: AlarmApiContext) -> AddRoutes:
    """Return a function adding the bulk routes to the /api/v1 blueprint."""

    def act(
        states: frozenset[str], done_key: str, run: Callable[[dict, list[int]], list[BulkOutcome]]
    ) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "body must be a JSON object")
        try:
            ids, matched = _targets(body, states, ctx)
            outcomes = run(body, ids)  # checks the comment or reason even for no ids
        except ValueError as exc:
            return _error(400, str(exc))
        return _answer(outcomes, matched, done_key)

    def add(bp: Blueprint, require: Require) -> None:
        @bp.post("/alarms/acknowledge")
        @require("inspector")
        def acknowledge_many() -> Response:
            return act(
                bulk.ACK_STATES,
                "acknowledged",
                lambda body, ids: ctx.alarms.acknowledge_many(
                    ids,
                    g.user.username,
                    body.get("comment"),  # type: ignore[arg-type]  # UNTRUSTED: the book checks it
                    body.get("disposition"),
                    now_ms=ctx.now_ms(),
                ),
            )

        @bp.post("/alarms/shelve")
        @require("inspector")
        def shelve_many() -> Response:
            return act(
                bulk.SHELVE_STATES,
                "shelved",
                lambda body, ids: ctx.alarms.shelve_many(
                    ids,
                    g.user.username,
                    body.get("minutes"),  # type: ignore[arg-type]  # UNTRUSTED: the book checks it
                    body.get("reason"),  # type: ignore[arg-type]
                    ctx.now_ms(),
                ),
            )

    return add
