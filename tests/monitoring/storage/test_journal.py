"""The local journal: ordered, durable, bounded, crash-safe, never blocked by one bad entry."""

from __future__ import annotations

import os

import pytest

from monitoring.storage.journal import (
    ENTRIES_FILE,
    QUARANTINE_DIR,
    Journal,
    JournalFull,
    JournalLocked,
)


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "j")
    j.start()
    yield j
    j.close()


def reopen(j: Journal) -> Journal:
    j.close()
    again = Journal(j.directory, max_bytes=j.max_bytes)
    again.start()
    return again


def test_entries_come_back_in_order_and_leave_once_advanced(journal):
    for i in range(5):
        journal.append({"n": i})
    entries = journal.peek(3)
    assert [e.value["n"] for e in entries] == [0, 1, 2]
    journal.advance(entries[1])
    assert journal.pending() == 3
    assert [e.value["n"] for e in journal.peek(10)] == [2, 3, 4]


def test_what_waits_survives_a_restart_and_applied_entries_do_not_come_back(journal):
    for i in range(4):
        journal.append([i, "x" * i])
    journal.advance(journal.peek(2)[1])
    again = reopen(journal)
    try:
        assert again.pending() == 2
        assert [e.value[0] for e in again.peek(10)] == [2, 3]
    finally:
        again.close()


def test_the_file_is_emptied_once_everything_is_applied(journal):
    for i in range(3):
        journal.append(i)
    journal.advance(journal.peek(10)[-1])
    assert journal.is_empty()
    assert (journal.directory / ENTRIES_FILE).stat().st_size == 0
    journal.append("next")  # appends go on after the truncation
    again = reopen(journal)
    try:
        assert [e.value for e in again.peek()] == ["next"]
    finally:
        again.close()


def test_a_torn_last_entry_is_dropped_and_the_ones_before_it_kept(journal):
    journal.append("whole")
    journal.append("torn")
    path = journal.directory / ENTRIES_FILE
    os.truncate(path, path.stat().st_size - 3)
    again = reopen(journal)
    try:
        assert [e.value for e in again.peek()] == ["whole"]
        again.append("after")
        assert [e.value for e in again.peek()] == ["whole", "after"]
    finally:
        again.close()


def test_a_damaged_cursor_means_applying_again_not_losing(journal):
    for i in range(3):
        journal.append(i)
    journal.advance(journal.peek(1)[0])
    (journal.directory / "cursor").write_text("7\n")  # not an entry boundary
    again = reopen(journal)
    try:
        assert [e.value for e in again.peek()] == [0, 1, 2]
    finally:
        again.close()


def test_a_refused_entry_is_quarantined_with_its_reason_and_the_rest_go_on(journal):
    journal.append({"bad": True})
    journal.append({"good": 1})
    first = journal.peek(1)[0]
    journal.quarantine(first, "IntegrityError: refused")
    assert [e.value for e in journal.peek()] == [{"good": 1}]
    assert journal.quarantined == 1
    reasons = list((journal.directory / QUARANTINE_DIR).glob("*.reason"))
    assert len(reasons) == 1 and "IntegrityError" in reasons[0].read_text()


def test_an_unreadable_entry_is_quarantined_when_read(journal):
    journal.append("fine")
    # A frame whose CRC is right but whose JSON is not an entry (written by a bug).
    import struct
    import zlib

    payload = b"[1, 2"
    frame = struct.pack("<4sII", b"HZJ1", len(payload), zlib.crc32(payload)) + payload
    with open(journal.directory / ENTRIES_FILE, "ab") as f:
        f.write(frame)
    journal.append("after")
    again = reopen(journal)
    try:
        again.advance(again.peek(1)[0])
        assert [e.value for e in again.peek()] == ["after"]
        assert again.quarantined == 1
    finally:
        again.close()


def test_the_bound_refuses_an_entry_and_keeps_the_others(tmp_path):
    j = Journal(tmp_path / "small", max_bytes=200)
    j.start()
    try:
        j.append("a" * 50)
        with pytest.raises(JournalFull):
            j.append("b" * 200)
        assert [e.value for e in j.peek()] == ["a" * 50]
        j.advance(j.peek()[0])
        j.append("b" * 100)  # room again once applied
        assert j.pending() == 1
    finally:
        j.close()


def test_one_owner_per_directory(journal):
    other = Journal(journal.directory)
    with pytest.raises(JournalLocked):
        other.start()


def test_files_are_private(journal):
    journal.append("phone numbers may be in here")
    assert (journal.directory / ENTRIES_FILE).stat().st_mode & 0o077 == 0


def test_the_age_of_the_oldest_waiting_entry(journal):
    assert journal.oldest_age_s() == 0.0
    entry = journal.append("x")
    assert journal.oldest_age_s(now_ms=entry.written_ms + 4_000) == pytest.approx(4.0)
    journal.advance(entry)
    assert journal.oldest_age_s(now_ms=entry.written_ms + 4_000) == 0.0
