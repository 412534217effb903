"""The HTTP API under /api/v1 (contract section 6): JSON, HTTP Basic, roles enforced."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, Response, g, jsonify, request

from monitoring.api.auth import basic_user
from monitoring.api.errors import install_json_errors
from monitoring.books.rejects import RejectLog
from monitoring.books.signin import SignInThrottle
from monitoring.books.users import AuditLog, UserBook
from monitoring.books.workers import WorkerBoard
from monitoring.db.database import Database
from monitoring.logs import merge_snapshots, own_snapshot
from monitoring.registry.model import Registry
from monitoring.storage.base import RecordStore
from monitoring.users import User, UserError

HEARTBEAT_FRESH_S = 30.0  # an ingest worker silent longer than this is reported stale
WRITER_CRASH_RECENT_S = 300.0  # a writer crash is named in `problems` this long after it
STUCK_AFTER_S = 60.0  # a message unacknowledged this long means the ingest is stuck

View = Callable[..., Response]  # a route's function
Require = Callable[[str], Callable[[View], View]]  # `require("admin")` guards a route
AddRoutes = Callable[[Blueprint, Require], None]  # adds more routes to the blueprint


@dataclass
class ApiContext:
    """What the API reads from; built once by the runtime."""

    users: UserBook
    rejects: RejectLog
    workers: WorkerBoard
    store: RecordStore
    db: Database
    store_kind: str
    local_status: Callable[[], dict] | None = None  # the in-process ingest, if any
    registry: Callable[[], Registry | None] = lambda: None
    clock: Callable[[], float] = time.time
    extra_routes: list[AddRoutes] = field(default_factory=list)
    # Shared with the sign-in form, so guesses through the API and the form count together.
    throttle: SignInThrottle = field(default_factory=SignInThrottle)


def _error(status: int, message: str, **headers: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    for key, value in headers.items():
        response.headers[key] = value
    return response


def create_api(ctx: ApiContext) -> Blueprint:
    """Build the /api/v1 blueprint over a context."""
    bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

    def require(role: str) -> Callable[[View], View]:
        def decorator(view: View) -> View:
            @functools.wraps(view)
            def wrapped(*args: object, **kwargs: object) -> Response:
                user = basic_user(ctx.users, ctx.throttle, ctx.clock)  # or 401, 429, 503
                if not isinstance(user, User):
                    return user
                if not user.can(role):
                    return _error(403, f"this call needs the role '{role}'")
                g.user = user
                return view(*args, **kwargs)

            return wrapped

        return decorator

    @bp.get("/health")
    def health() -> Response:
        return jsonify(health_report(ctx))

    @bp.get("/rejected")
    @require("admin")
    def rejected() -> Response:
        try:
            limit = int(request.args.get("limit", 100))
        except ValueError:
            return _error(400, "limit must be an integer")
        limit = max(1, min(limit, 1000))
        return jsonify(
            {
                "rejected": ctx.rejects.recent(limit),
                "counts": ctx.rejects.counts(),
                "total": ctx.rejects.total(),
            }
        )

    @bp.post("/users")
    @require("admin")
    def create_user() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "body must be a JSON object")
        now_ms = int(ctx.clock() * 1000)
        audit = AuditLog(ctx.db)
        target = str(body.get("username") or "")[:64]
        try:
            # UNTRUSTED values (type: ignore): the book checks each, refusing with UserError.
            user = ctx.users.create(
                body.get("username"),  # type: ignore[arg-type]
                body.get("password"),  # type: ignore[arg-type]
                body.get("role"),  # type: ignore[arg-type]
                now_ms,
            )
        except UserError as exc:
            audit.record(g.user.username, "create_user", target, "refused", str(exc), now_ms)
            return _error(409 if "exists" in str(exc) else 400, str(exc))
        audit.record(
            g.user.username, "create_user", user.username, "ok", f"role {user.role}", now_ms
        )
        response = jsonify(user.as_dict())
        response.status_code = 201
        return response

    for add_routes in ctx.extra_routes:
        add_routes(bp, require)
    install_json_errors(bp)  # a database that does not answer is a JSON 503, never HTML
    return bp


def health_report(ctx: ApiContext) -> dict:
    """Collect broker, store, database and ingest state into the /health answer."""
    now_ms = int(ctx.clock() * 1000)
    problems: list[str] = []

    try:
        store_ok = bool(ctx.store.ping())
    except Exception:
        store_ok = False
    if not store_ok:
        problems.append("store unreachable")

    db_ok = True
    workers: list[dict] = []
    try:
        workers = ctx.workers.all()
    except Exception:
        db_ok = False
        problems.append("database unreachable")

    local = ctx.local_status() if ctx.local_status else None
    fresh = [w for w in workers if now_ms - w["heartbeat_ms"] <= HEARTBEAT_FRESH_S * 1000]
    states = [w["state"] for w in fresh]
    if local is not None:
        local_id = local.get("worker_id")
        states = [w["state"] for w in fresh if w["worker_id"] != local_id] + [local]
    counters = {
        k: sum(int(s.get(k, 0)) for s in states)
        for k in ("received", "stored", "rejected", "rejected_readings", "pending")
    }
    broker_connected = bool(states) and all(s.get("broker_connected") for s in states)
    if not states:
        problems.append("no ingest worker reporting")
    elif not broker_connected:
        problems.append("broker disconnected")
    if any(not s.get("store_available", True) for s in states):
        problems.append("ingest is spooling to disk: store unavailable")
    problems += _writer_problems(states, now_ms)

    return {
        "status": "ok" if not problems else "degraded",
        "problems": problems,
        "time_ms": now_ms,
        "broker": {
            "connected": broker_connected,
            "errors": [s["broker_error"] for s in states if s.get("broker_error")],
        },
        "store": {"kind": ctx.store_kind, "reachable": store_ok},
        "database": {"reachable": db_ok, "dialect": getattr(ctx.db, "dialect", None)},
        "ingest": {
            **counters,
            "writer_crashes": sum(int(s.get("writer_crashes", 0)) for s in states),
            "oldest_unacked_age_s": max(
                (float(s.get("oldest_unacked_age_s", 0.0)) for s in states), default=0.0
            ),
        },
        # Log counts of every reporting ingest worker, and of this process when it is not one.
        "log": merge_snapshots(
            [s.get("log") for s in states] + ([own_snapshot()] if local is None else [])
        ),
        "workers": [
            {
                "worker_id": w["worker_id"],
                "heartbeat_ms": w["heartbeat_ms"],
                "fresh": w in fresh,
                **{
                    k: w["state"].get(k)
                    for k in (
                        "received",
                        "stored",
                        "rejected",
                        "pending",
                        "broker_connected",
                        "store_available",
                    )
                },
            }
            for w in workers
        ],
    }


def _writer_problems(states: list[dict], now_ms: int) -> list[str]:
    """Name a dead, crashing or stuck intake writer in any worker's state."""
    problems: list[str] = []
    for s in states:
        who = s.get("worker_id", "ingest")
        if s.get("writer_alive") is False:
            problems.append(f"{who}: intake writer is not running")
        crashed_ms = int(s.get("writer_error_ms", 0) or 0)
        if crashed_ms and now_ms - crashed_ms <= WRITER_CRASH_RECENT_S * 1000:
            problems.append(
                f"{who}: intake writer crashed {s.get('writer_crashes', 0)} time(s), "
                f"last: {s.get('writer_error', '')}"
            )
        quarantined = int(s.get("quarantined_points", 0) or 0)
        if quarantined:
            problems.append(
                f"{who}: {quarantined} spooled points could not be read and were moved to "
                "spool/quarantine/ (see the log)"
            )
        problems += _spool_problems(who, s)
        problems += _journal_problems(who, s)
        age = float(s.get("oldest_unacked_age_s", 0.0) or 0.0)
        if age > STUCK_AFTER_S:
            problems.append(
                f"{who}: a message has waited {age:.0f} s unacknowledged "
                f"({s.get('pending', 0)} points pending)"
            )
    return problems


def _spool_problems(who: str, s: dict) -> list[str]:
    """Name a spool that refuses batches (its bound or disk full) or cannot save its cursor."""
    error = s.get("spool_error") or ""
    if s.get("spool_full"):
        return [
            f"{who}: spool full ({error}): {s.get('pending', 0)} points wait, new messages are "
            "not acknowledged until the store answers and the spool drains"
        ]
    if error:
        return [f"{who}: points cannot be made durable ({error}); new messages wait unacknowledged"]
    if s.get("spool_cursor_error"):
        return [
            f"{who}: spool disk full ({s['spool_cursor_error']}): replay goes on, "
            "its progress is saved when the disk has room"
        ]
    return []


def _journal_problems(who: str, s: dict) -> list[str]:
    """Name records that wait on local disk for the relational store, or were refused."""
    problems: list[str] = []
    if s.get("database_available") is False:
        problems.append(
            f"{who}: database unreachable ({s.get('database_error') or 'no answer'}): "
            f"{s.get('journal_pending', 0)} intake entries journaled on disk, oldest "
            f"{float(s.get('journal_oldest_age_s', 0.0) or 0.0):.0f} s, applied when it returns"
        )
    waiting = int(s.get("alarm_signals_waiting", 0) or 0)
    if waiting:
        problems.append(
            f"{who}: {waiting} alarm verdicts wait for the alarm book "
            "(journaled on disk, written in order when it answers)"
        )
    for key, what in (
        ("journal_quarantined", "intake entries"),
        ("alarm_signals_journal_quarantined", "alarm journal entries"),
    ):
        count = int(s.get(key, 0) or 0)
        if count:
            problems.append(
                f"{who}: {count} {what} were refused by the database and moved to "
                "journal/*/quarantine/ (see the log)"
            )
    return problems
