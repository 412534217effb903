"""JournaledBooks: the writer never waits on the database, and nothing journaled is lost.

The books here are scripted (they fail on demand) to check the ordering and quarantine
logic; the real PostgreSQL stopped and frozen is in tests/test_faults_database.py.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from monitoring.books.rejects import RejectedMessage
from monitoring.ingest import journaled_books
from monitoring.ingest.journaled_books import JournaledBooks
from monitoring.records import GatewayStatus, Permit, Rejection
from monitoring.storage.journal import Journal
from tests.services import wait_for


class ScriptedBooks:
    """Intake books that keep what they are given, and fail while `down` is set."""

    def __init__(self) -> None:
        self.down = False
        self.refuse: set[str] = set()  # permit ids refused for good
        self.kept: list[tuple] = []
        self.beats = 0
        self.lock = threading.Lock()

    def record(self, rejects, permits, statuses, unregistered) -> None:
        if self.down:
            raise sa.exc.OperationalError("INSERT", {}, Exception("connection refused"))
        if any(p.permit in self.refuse for p in permits):
            raise sa.exc.IntegrityError("INSERT", {}, Exception("violates a constraint"))
        with self.lock:
            self.kept.append((list(rejects), list(permits), list(statuses), list(unregistered)))

    def heartbeat(self, *args) -> None:
        if self.down:
            raise sa.exc.OperationalError("UPDATE", {}, Exception("connection refused"))
        self.beats += 1


def status(n: int) -> GatewayStatus:
    return GatewayStatus("e1", f"s{n}", "online", 1_000 + n)


@pytest.fixture
def parts(tmp_path, monkeypatch):
    monkeypatch.setattr(journaled_books, "RETRY_S", 0.05)
    monkeypatch.setattr(journaled_books, "HEARTBEAT_S", 0.05)
    journal = Journal(tmp_path / "journal")
    journal.start()
    books = ScriptedBooks()
    sink = JournaledBooks(books, journal)  # type: ignore[arg-type]
    sink.start()
    yield books, sink, journal
    sink.stop()
    journal.close()


def sites(books: ScriptedBooks) -> list[str]:
    return [s.site for _, _, statuses, _ in books.kept for s in statuses]


def test_writes_go_straight_to_the_books_while_the_database_answers(parts):
    books, sink, journal = parts
    sink.record([], [], [status(1)], [])
    assert sites(books) == ["s1"]
    assert journal.pending() == 0 and sink.journaled == 0


def test_records_journaled_during_an_outage_arrive_in_order_after_it(parts):
    books, sink, journal = parts
    sink.record([], [], [status(0)], [])
    books.down = True
    for n in range(1, 6):
        sink.record([], [], [status(n)], [])  # returns at once: journaled
    assert sink.status()["database_available"] is False
    assert journal.pending() == 5
    books.down = False
    wait_for(lambda: journal.pending() == 0, 10, what="the journal to drain")
    sink.record([], [], [status(6)], [])
    assert sites(books) == [f"s{n}" for n in range(7)]
    wait_for(lambda: sink.status()["database_available"], 5, what="the database marked back")


def test_every_record_kind_survives_the_journal_unchanged(parts):
    books, sink, journal = parts
    books.down = True
    reject = RejectedMessage.from_raw(
        "hazmon/e1/s1/telemetry", b"\xff\x00", Rejection("bad_json", "x"), 5
    )
    permit = Permit("e1", "s1", "P1", "hot_work", "Z1", 1, 2, "approved", 3, "special", "Li", 4)
    gateway = status(1)
    sighting = ("e1", "s1", "NEW-1", 9)
    sink.record([reject], [permit], [gateway], [sighting])
    books.down = False
    wait_for(lambda: books.kept, 10, what="the journaled batch applied")
    assert books.kept == [([reject], [permit], [gateway], [sighting])]


def test_an_entry_refused_for_good_is_quarantined_and_the_rest_go_on(parts):
    books, sink, journal = parts
    books.down = True
    bad = Permit("e1", "s1", "BAD", "hot_work", "Z1", 1, 2, "approved", 3)
    sink.record([], [], [status(1)], [])
    sink.record([], [bad], [], [])
    sink.record([], [], [status(2)], [])
    books.refuse = {"BAD"}
    books.down = False
    wait_for(lambda: journal.pending() == 0, 10, what="the journal to drain")
    assert sites(books) == ["s1", "s2"]
    assert sink.status()["journal_quarantined"] == 1


def test_journaled_records_outlive_a_restart(tmp_path):
    books = ScriptedBooks()
    books.down = True
    journal = Journal(tmp_path / "journal")
    journal.start()
    sink = JournaledBooks(books, journal)  # type: ignore[arg-type]
    sink.start()
    sink.record([], [], [status(1)], [])
    sink.stop()
    journal.close()
    books.down = False
    journal = Journal(tmp_path / "journal")
    journal.start()
    sink = JournaledBooks(books, journal)  # type: ignore[arg-type]
    try:
        sink.start()
        wait_for(lambda: sites(books) == ["s1"], 10, what="the record kept across the restart")
    finally:
        sink.stop()
        journal.close()


def test_a_heartbeat_failure_marks_the_database_down_without_the_writer(parts):
    books, sink, journal = parts
    books.down = True
    sink.heartbeat("w1", 0, 1, {"received": 1})
    wait_for(lambda: not sink.status()["database_available"], 5, what="the probe to fail")
    sink.record([], [], [status(1)], [])  # straight to the journal, no call to the books
    assert journal.pending() == 1
    books.down = False
    wait_for(lambda: sites(books) == ["s1"], 10, what="the record after the probe succeeds")
