"""The relational store's engine and schema, on SQLite (a file) and on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from monitoring.books.rejects import RejectLog
from monitoring.db import database as database_module
from monitoring.db.database import (
    SCHEMA_VERSION,
    Database,
    SchemaTooNew,
    normalise_url,
)
from monitoring.db.schema import schema_version_table
from tests.monitoring.books.factories import T0, make_reject


def test_url_normalisation_picks_psycopg_3() -> None:
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql://u@h:5/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(ValueError, match="sqlite:// or postgresql://"):
        Database("mysql://u@h/db")


def test_constructor_does_no_io(tmp_path) -> None:
    path = tmp_path / "never.db"
    database = Database(f"sqlite:///{path}")
    assert database.dialect == "sqlite"
    assert not path.exists()
    with pytest.raises(RuntimeError, match="start"):
        _ = database.engine


def test_schema_creation_is_idempotent(db, db_url) -> None:
    RejectLog(db).record_many([make_reject()])
    db.start()  # again, on the same object
    again = Database(db_url)
    again.start()  # and from another process's object
    try:
        assert RejectLog(again).total() == 1
        assert again.schema_version() == SCHEMA_VERSION
        with again.engine.connect() as conn:
            rows = conn.execute(sa.select(schema_version_table)).all()
        assert len(rows) == 1
        tables = set(sa.inspect(again.engine).get_table_names())
        assert {
            "schema_version",
            "rejected_message",
            "reject_count",
            "permit",
            "gateway_status",
            "unregistered_sensor",
            "ingest_worker",
        } <= tables
    finally:
        again.close()


def test_processes_starting_together_create_the_schema_once(db_url) -> None:
    databases = [Database(db_url) for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(databases))

    def start(database: Database) -> None:
        try:
            barrier.wait(60)
            database.start()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(d,)) for d in databases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        with databases[0].engine.connect() as conn:
            assert conn.execute(sa.select(schema_version_table.c.version)).all() == [
                (SCHEMA_VERSION,)
            ]
    finally:
        for database in databases:
            database.close()


def test_dialect_and_sqlite_pragmas(db) -> None:
    assert db.dialect in ("sqlite", "postgresql")
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_a_newer_schema_is_refused(db, db_url) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            schema_version_table.insert().values(version=SCHEMA_VERSION + 1, applied_ms=T0)
        )
    newer = Database(db_url)
    try:
        with pytest.raises(SchemaTooNew, match="newer"):
            newer.start()
    finally:
        newer.close()


def test_an_older_schema_is_migrated(db, db_url, monkeypatch) -> None:
    ran: list[int] = []
    monkeypatch.setattr(database_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(
        database_module,
        "MIGRATIONS",
        {SCHEMA_VERSION + 1: lambda conn: ran.append(SCHEMA_VERSION + 1)},
    )
    later = Database(db_url)
    later.start()
    later.start()  # the migration runs once
    try:
        assert ran == [SCHEMA_VERSION + 1]
        assert later.schema_version() == SCHEMA_VERSION + 1
    finally:
        later.close()
