"""The gateway book: the latest state of every gateway (SQLite and PostgreSQL)."""

from __future__ import annotations

from monitoring.books.gateways import GatewayBook
from monitoring.records import GatewayStatus
from tests.monitoring.books.factories import T0


def test_gateway_older_status_is_ignored(db) -> None:
    book = GatewayBook(db)
    book.update_many([GatewayStatus("ent", "main", "online", T0)])
    book.update_many([GatewayStatus("ent", "main", "offline", T0 - 1)])
    assert book.get("ent", "main") == GatewayStatus("ent", "main", "online", T0)
    book.update_many([GatewayStatus("ent", "main", "offline", T0 + 5)])
    assert book.get("ent", "main").state == "offline"
    book.update_many(
        [
            GatewayStatus("ent", "north", "online", T0 + 9),
            GatewayStatus("ent", "north", "offline", T0 + 7),
        ]
    )
    assert book.all() == [
        GatewayStatus("ent", "main", "offline", T0 + 5),
        GatewayStatus("ent", "north", "online", T0 + 9),
    ]
    assert book.get("ent", "south") is None
