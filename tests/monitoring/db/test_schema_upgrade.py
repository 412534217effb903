"""A database made by release 0.1 starts under this code, migrated to a fresh one's schema.

Release 0.1 declared its tables in five modules; this code declares them all in
`monitoring.db.schema`. Version 2 gives every user row a session key (issue 10). The fixtures in `fixtures/` are dumps of a database that release 0.1
created and wrote a few rows to (how they were made: `fixtures/README.md`). Each test loads a
dump into an empty SQLite file or PostgreSQL database and starts the new `Database` on it.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.calls import CallLog, ContactLookups
from monitoring.books.gateways import GatewayBook
from monitoring.books.permits import PermitBook, PermitRecordings
from monitoring.books.rejects import RejectLog
from monitoring.books.unregistered import UnregisteredSensors
from monitoring.books.users import AuditLog, UserBook
from monitoring.books.workers import WorkerBoard
from monitoring.db.database import SCHEMA_VERSION, Database, normalise_url
from monitoring.db.schema import metadata, schema_version_table
from monitoring.records import GatewayStatus
from monitoring.registry.model import Contact
from monitoring.signals import AlarmSignal
from tests.monitoring.books.factories import make_permit, make_reject

FIXTURES = Path(__file__).parent / "fixtures"
RELEASE_VERSION = 1  # the schema version release 0.1 wrote
SESSION_KEYS_VERSION = 2  # app_user.session_key
# What fixtures/make_release_fixture.py wrote.
T0 = 1_764_381_600_000
PASSWORD = "release-0.1-password"
LATER = T0 + 86_400_000

EmptyDatabase = Callable[[], str]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[EmptyDatabase]:
    """Make empty databases of one backend: SQLite files, or fresh PostgreSQL databases."""
    from tests.pg import create_database, drop_database

    made: list[str] = []
    admin_url = None if request.param == "sqlite" else request.getfixturevalue("postgres_admin_url")

    def make() -> str:
        name = f"hz_{uuid.uuid4().hex[:12]}"
        if admin_url is None:
            return f"sqlite:///{tmp_path / name}.db"
        create_database(admin_url, name)
        made.append(name)
        return admin_url.rsplit("/", 1)[0] + "/" + name

    yield make
    for name in made:
        drop_database(admin_url, name)


@pytest.fixture
def release_url(empty_database) -> str:
    """A database as release 0.1 left it: its schema and its rows, not yet started here."""
    url = empty_database()
    load_release_dump(url)
    return url


@pytest.fixture
def upgraded(release_url) -> Iterator[Database]:
    """The release 0.1 database, started by this code."""
    db = Database(release_url)
    db.start()
    yield db
    db.close()


def load_release_dump(url: str) -> None:
    """Load the release 0.1 dump of the URL's backend into that empty database."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        script = (FIXTURES / "release-0.1-sqlite.sql").read_text(encoding="utf-8")
        with sqlite3.connect(parsed.database or "") as conn:
            conn.executescript(script)
        return
    dump = (FIXTURES / "release-0.1-postgresql.sql").read_text(encoding="utf-8")
    # \restrict and \unrestrict are psql commands, not SQL.
    script = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(script.encode())


def schema_of(url: str) -> dict[str, object]:
    """Describe every table as SQLAlchemy reflects it, in a form two databases can compare."""
    engine = sa.create_engine(normalise_url(url))
    try:
        inspector = sa.inspect(engine)
        tables = {}
        for table in sorted(inspector.get_table_names()):
            tables[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                    for c in inspector.get_columns(table)
                ],
                "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                "unique": sorted(
                    (u["name"], tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(table)
                ),
                "foreign_keys": sorted(
                    (
                        tuple(f["constrained_columns"]),
                        f["referred_table"],
                        tuple(f["referred_columns"]),
                    )
                    for f in inspector.get_foreign_keys(table)
                ),
            }
        if engine.dialect.name == "postgresql":
            tables["(sequences)"] = sorted(inspector.get_sequence_names())
        else:  # AUTOINCREMENT (ids never reused) shows only in the table's SQL
            with engine.connect() as conn:
                tables["(sqlite_master)"] = sorted(
                    " ".join(sql.split())
                    for (sql,) in conn.exec_driver_sql(
                        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"
                    )
                )
        return tables
    finally:
        engine.dispose()


def test_the_fixture_has_every_table_of_this_schema(release_url) -> None:
    assert set(schema_of(release_url)) - {"(sequences)", "(sqlite_master)"} == set(metadata.tables)


def test_a_release_database_is_migrated_once_to_this_version(release_url) -> None:
    db = Database(release_url)
    db.start()
    migrated = schema_of(release_url)
    db.start()  # a second start (another process) changes nothing
    try:
        assert db.schema_version() == SESSION_KEYS_VERSION == SCHEMA_VERSION
        with db.engine.connect() as conn:
            versions = conn.execute(
                sa.select(schema_version_table.c.version).order_by(schema_version_table.c.version)
            ).all()
        assert versions == [(RELEASE_VERSION,), (SESSION_KEYS_VERSION,)]
    finally:
        db.close()
    assert schema_of(release_url) == migrated


def test_a_migrated_database_has_the_schema_of_a_fresh_one(release_url, empty_database) -> None:
    before = schema_of(release_url)
    fresh_url = empty_database()
    for url in (fresh_url, release_url):
        db = Database(url)
        db.start()
        db.close()
    fresh = schema_of(fresh_url)
    assert schema_of(release_url) == fresh
    # What version 2 changed: app_user's new column, nothing else.
    assert fresh["app_user"]["columns"][-1][:3] == ("session_key", "VARCHAR(64)", False)
    fresh_without = {**fresh, "app_user": {**fresh["app_user"]}}
    fresh_without["app_user"]["columns"] = fresh["app_user"]["columns"][:-1]
    if "(sqlite_master)" in before:
        fresh_without.pop("(sqlite_master)")
        before.pop("(sqlite_master)")
    assert fresh_without == before


def test_the_release_rows_are_read_by_the_new_books(upgraded) -> None:
    db = upgraded
    [reject] = RejectLog(db).recent()
    assert (reject["topic"], reject["payload"], reject["code"], reject["size"]) == (
        "hazmon/ent/main/telemetry",
        "{not json",
        "bad_json",
        9,
    )
    assert RejectLog(db).counts() == {"bad_json": 1}
    permit = PermitBook(db).get("ent", "main", "DH-1")
    assert permit == make_permit(reported_ms=T0 - 1000)
    assert PermitBook(db).covering("ent", "main", "Z1", T0 + 1) == [permit]
    assert GatewayBook(db).all() == [GatewayStatus("ent", "main", "online", T0)]
    [sensor] = UnregisteredSensors(db).list()
    assert (sensor["sensor"], sensor["count"]) == ("X-1", 1)
    [worker] = WorkerBoard(db).all()
    assert worker["state"] == {"received": 3, "broker_connected": True}
    recording = PermitRecordings(db).latest([("ent", "main", "DH-1")])["ent", "main", "DH-1"]
    assert (recording.username, recording.note) == ("li.ming", "phoned in")

    users = UserBook(db)
    assert [(u.username, u.role) for u in users.list()] == [
        ("admin", "admin"),
        ("li.ming", "inspector"),
    ]
    assert users.authenticate("li.ming", PASSWORD) is not None  # the Argon2 hash still checks
    keys = {name: users.account(name).session_key for name in ("admin", "li.ming")}
    assert len(set(keys.values())) == 2 and all(len(k) == 32 for k in keys.values())
    assert users.last_logins() == {"li.ming": T0 + 2}
    assert [(e.action, e.target) for e in AuditLog(db).recent()] == [("create", "li.ming")]

    alarm = AlarmBook(db).get(1)
    assert alarm is not None
    assert (alarm.source, alarm.severity, alarm.state, alarm.acked_by) == (
        "sensor:LT-101",
        "red",
        "active_ack",
        "li.ming",
    )
    assert alarm.params == {"sensor": "LT-101", "value": 9.5, "limit": 9}
    detail = AlarmBook(db).detail(1)
    assert detail is not None
    assert [t["event"] for t in detail["transitions"]] == ["raised", "acknowledged"]
    [call] = CallLog(db).for_alarm(1)
    assert (call["contact"], call["outcome"], call["note"]) == (
        "Zhang Wei",
        "reached",
        "on his way",
    )
    [lookup] = ContactLookups(db).recent()
    assert (lookup["username"], lookup["alarm_id"]) == ("li.ming", 1)


def test_new_rows_are_written_after_the_release_rows(upgraded) -> None:
    db = upgraded
    log = RejectLog(db)
    log.record_many([make_reject(1)])
    assert [r["id"] for r in log.recent()] == [2, 1]  # ids carry on after the release's
    assert log.counts() == {"bad_json": 2}
    PermitBook(db).upsert_many([make_permit(status="closed", reported_ms=LATER)])
    assert PermitBook(db).get("ent", "main", "DH-1").status == "closed"
    PermitRecordings(db).add(make_permit(reported_ms=LATER), "wang.fang", "again", LATER)
    latest = PermitRecordings(db).latest([("ent", "main", "DH-1")])
    assert latest["ent", "main", "DH-1"].username == "wang.fang"
    GatewayBook(db).update_many([GatewayStatus("ent", "main", "offline", LATER)])
    assert GatewayBook(db).get("ent", "main").state == "offline"
    UnregisteredSensors(db).seen_many([("ent", "main", "X-1", LATER)])
    assert UnregisteredSensors(db).list()[0]["count"] == 2
    WorkerBoard(db).heartbeat("ingest-b", LATER, LATER, {"received": 1})
    assert [w["worker_id"] for w in WorkerBoard(db).all()] == ["ingest-a", "ingest-b"]

    UserBook(db).create("zhao.lei", "another-password", "viewer", LATER)
    UserBook(db).end_sessions("li.ming")
    assert UserBook(db).get("zhao.lei") is not None
    AuditLog(db).record("admin", "create", "zhao.lei", "ok", "viewer", LATER)
    assert [e.id for e in AuditLog(db).recent()] == [2, 1]

    alarms = AlarmBook(db)
    changes = alarms.apply(
        [AlarmSignal("raise", "ent", "main", "zone:Z1", "people", LATER, severity="orange")],
        LATER,
    )
    new_id = changes[0].alarm.id
    assert new_id == 2
    assert alarms.open_keys().keys() == {
        ("ent", "main", "sensor:LT-101", "limit"),
        ("ent", "main", "zone:Z1", "people"),
    }
    contact = Contact("Zhang Wei", "duty_officer", "+86 355 1234 5678")
    assert CallLog(db).record(new_id, "li.ming", contact, "no_answer", "", LATER)["id"] == 2
    ContactLookups(db).record("li.ming", "ent", new_id, LATER)
    assert [r["id"] for r in ContactLookups(db).recent()] == [2, 1]
