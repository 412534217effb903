"""Read models at province scale: every count and colour is the database's, in a flood.

Issue 11: with 6,000 open alarms the wall read 5,000 and drew 30 enterprises holding 8
unacknowledged alarms each as calm, its Unacknowledged KPI was short by hundreds, the
directory listed those enterprises as "none" and the console listed 500 while its heading
said "500 open". The province of `tests.province_scale` puts exactly such enterprises (the
`tail`) beyond the first 5,000.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from layouts import console as console_layout
from layouts import console_list
from monitoring.alarms.book import AlarmBook
from monitoring.alarms.calls import CallLog, ContactLookups
from monitoring.books.permits import PermitBook
from monitoring.db.database import Database
from monitoring.signals import SEVERITIES
from monitoring.storage.embedded import EmbeddedStore
from monitoring.views.console import ConsoleView
from monitoring.views.directory import DirectoryView
from monitoring.views.wall import WallView
from tests.factories import Clock
from tests.province_scale import Counts, Seeded, build_province, database_counts, merge


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def province(request, tmp_path_factory) -> Iterator[Seeded]:
    """The province seeded on SQLite, then on a fresh PostgreSQL database."""
    directory = tmp_path_factory.mktemp("province")
    if request.param == "sqlite":
        yield build_province(directory)
        return
    from tests.pg import create_database, drop_database

    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"hz_{uuid.uuid4().hex[:12]}"
    create_database(admin_url, name)
    try:
        yield build_province(directory, admin_url.rsplit("/", 1)[0] + "/" + name)
    finally:
        drop_database(admin_url, name)


@pytest.fixture(scope="module")
def parts(province, tmp_path_factory):
    db = Database(province.db_url)
    db.start()
    store = EmbeddedStore(tmp_path_factory.mktemp("store") / "readings.sqlite")
    store.start()
    yield AlarmBook(db), store, database_counts(province.db_url)
    store.close()
    db.close()


def summary(c: Counts) -> tuple[int, int, str | None]:
    return c.open, c.unacknowledged, c.worst


def by_severity(c: Counts) -> tuple[tuple[str, int], ...]:
    return tuple((s, c.by_severity[s]) for s in SEVERITIES if c.by_severity[s])


def test_the_seeded_province_is_the_plan(province, parts) -> None:
    _book, _store, db = parts
    assert len(province.registry.enterprises) == 500
    total = province.total
    assert total.open >= 6000 and total.by_severity["blue"] == 240
    assert {e: c for e, c in province.expected.items() if c.open} == db


def test_wall_counts_and_colours_every_enterprise_as_the_database_does(province, parts) -> None:
    book, store, db = parts
    snap = WallView(book, store, lambda: province.registry, clock=Clock(province.now_ms)).snapshot()
    total = merge(db.values())
    assert snap.open_by_severity == total.by_severity
    assert snap.unacknowledged == total.unacknowledged == 5475  # the old wall: 4,989-ish
    assert snap.special_operations == total.special_operations == 15
    assert len(snap.red_ids) == total.by_severity["red"]
    assert len(snap.enterprises) == 500
    for tile in snap.enterprises:
        c = db.get(tile.id, Counts())
        assert (tile.worst, tile.open_alarms, tile.unacknowledged) == (
            c.worst,
            c.open,
            c.unacknowledged,
        ), tile.id
        assert tile.by_severity == by_severity(c), tile.id
    tail = [t for t in snap.enterprises if t.id in province.groups["tail"]]
    assert len(tail) == 30 and all(t.worst == "blue" and t.unacknowledged == 8 for t in tail)
    mixed = next(t for t in snap.enterprises if t.id in province.groups["red_and_yellows"])
    assert mixed.by_severity == (("red", 1), ("yellow", 12))
    assert len(snap.feed) == 30 and snap.feed[0].severity == "red"


def test_directory_counts_every_enterprise_as_the_database_does(province, parts) -> None:
    book, _store, db = parts
    view = DirectoryView(book, ContactLookups(book.db), lambda: province.registry)
    rows = view.rows("en")
    assert len(rows) == 500
    wrong = [
        (row.id, row.open_alarms, db.get(row.id, Counts()).open)
        for row in rows
        if (row.open_alarms, row.unacknowledged, row.worst) != summary(db.get(row.id, Counts()))
    ]
    assert wrong == []  # before: the 30 tail enterprises listed with 0 open alarms
    for row in rows:
        assert row.by_severity == by_severity(db.get(row.id, Counts())), row.id
    tail = province.groups["tail"][0]
    detail = view.detail(tail, "zh")
    assert detail is not None and detail.row.open_alarms == 8
    assert sum(site.open_alarms for site in detail.sites) == 8


def test_console_lists_every_open_alarm_and_says_how_many(province, parts) -> None:
    book, store, db = parts
    view = ConsoleView(
        book,
        CallLog(book.db),
        ContactLookups(book.db),
        PermitBook(book.db),
        store,
        lambda: province.registry,
        clock=Clock(province.now_ms),
    )
    total = merge(db.values()).open
    table = view.table("en", lambda rows: console_layout.grid_rows(rows, "en"))
    assert len(table) == total and len({r["id"] for r in table}) == total
    first = console_list.table_page(table, None, None, None)
    assert console_list.heading(first, "en") == f"Showing 1–100 of {total:,} open"
    tail = province.registry.enterprise(province.groups["tail"][-1])
    assert tail is not None
    model = {"enterprise": {"filterType": "text", "type": "equals", "filter": tail.name}}
    found = console_list.table_page(table, model, None, 0)
    assert [r["severity"] for r in found.rows] == ["blue"] * 8
    assert console_list.heading(found, "en") == f"8 of {total:,} open match the filters"
