"""Relational-store fixtures shared by the book tests: every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from monitoring.db.database import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hazwatch.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    database.start()
    yield database
    database.close()


@pytest.fixture
def second_db(db_url, db):
    """Another process's view of the same database (a second ingest worker, the web)."""
    other = Database(db_url)
    other.start()
    yield other
    other.close()
