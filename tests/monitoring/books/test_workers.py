"""The worker board: one heartbeat row per ingest worker (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from monitoring.books.workers import WorkerBoard
from tests.monitoring.books.factories import T0


def test_worker_board_upserts_each_worker(db) -> None:
    board = WorkerBoard(db)
    board.heartbeat("ingest-a", T0, T0 + 5000, {"received": 3, "broker_connected": True})
    board.heartbeat("ingest-b", T0 + 1, T0 + 5001, {"received": 0, "broker_connected": False})
    board.heartbeat(
        "ingest-a",
        T0,
        T0 + 10_000,
        {"received": 9, "broker_connected": True, "rejected_by_code": {"bad_json": 2}},
    )
    assert board.all() == [
        {
            "worker_id": "ingest-a",
            "started_ms": T0,
            "heartbeat_ms": T0 + 10_000,
            "state": {"received": 9, "broker_connected": True, "rejected_by_code": {"bad_json": 2}},
        },
        {
            "worker_id": "ingest-b",
            "started_ms": T0 + 1,
            "heartbeat_ms": T0 + 5001,
            "state": {"received": 0, "broker_connected": False},
        },
    ]
    board.remove("ingest-b")
    assert [w["worker_id"] for w in board.all()] == ["ingest-a"]
    with pytest.raises(ValueError, match="worker_id"):
        board.heartbeat("w" * 65, T0, T0, {})
