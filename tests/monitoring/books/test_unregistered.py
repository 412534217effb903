"""Sensors seen but not registered, aggregated per sensor (SQLite and PostgreSQL)."""

from __future__ import annotations

from monitoring.books.unregistered import UnregisteredSensors
from tests.monitoring.books.factories import T0


def test_unregistered_sensors_aggregate(db) -> None:
    book = UnregisteredSensors(db)
    book.seen_many(
        [
            ("ent", "main", "X-1", T0 + 5),
            ("ent", "main", "X-1", T0),
            ("ent", "main", "X-2", T0 + 1),
            ("ent", "main", "X-1", T0 + 3),
        ]
    )
    book.seen_many([("ent", "main", "X-1", T0 - 10), ("ent", "main", "X-2", T0 + 20)])
    assert book.list() == [
        {
            "enterprise": "ent",
            "site": "main",
            "sensor": "X-2",
            "first_seen_ms": T0 + 1,
            "last_seen_ms": T0 + 20,
            "count": 2,
        },
        {
            "enterprise": "ent",
            "site": "main",
            "sensor": "X-1",
            "first_seen_ms": T0 - 10,
            "last_seen_ms": T0 + 5,
            "count": 4,
        },
    ]
    assert [s["sensor"] for s in book.list(limit=1)] == ["X-2"]
    book.forget("ent", "main", "X-2")
    assert [s["sensor"] for s in book.list()] == ["X-1"]
