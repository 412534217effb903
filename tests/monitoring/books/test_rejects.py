"""The reject log: newest rejected messages kept, every rejection counted (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

from monitoring.books import rejects
from monitoring.books.rejects import RejectedMessage, RejectLog
from monitoring.records import Rejection
from tests.monitoring.books.factories import BATCH_BOUND_S, T0, make_reject


def test_reject_log_keeps_newest_first_and_counts(db) -> None:
    log = RejectLog(db)
    log.record_many([make_reject(0), make_reject(1, code="bad_topic")])
    log.record_many([make_reject(2)])
    recent = log.recent()
    assert [r["topic"] for r in recent] == [
        "hazmon/ent/site/telemetry2",
        "hazmon/ent/site/telemetry1",
        "hazmon/ent/site/telemetry0",
    ]
    first = recent[-1]
    assert first["received_ms"] == T0
    assert first["received_at"] == "2025-11-29T02:00:00.000Z"
    assert first["payload"] == "{not json"
    assert first["payload_truncated"] is False
    assert first["size"] == len(b"{not json")
    assert (first["code"], first["reason"]) == ("bad_json", "reason 0")
    assert log.counts() == {"bad_json": 2, "bad_topic": 1}
    assert log.total() == 3
    assert [r["topic"] for r in log.recent(limit=1)] == ["hazmon/ent/site/telemetry2"]


def test_reject_log_limit_is_clamped(db) -> None:
    log = RejectLog(db)
    log.record_many([make_reject(n) for n in range(3)])
    assert len(log.recent(limit=0)) == 1
    assert len(log.recent(limit=-5)) == 1
    assert len(log.recent(limit=10**9)) == 3


def test_reject_log_truncates_what_it_keeps(db) -> None:
    payload = b"\xff" + b"x" * 300_000  # not UTF-8, and far above 4 KiB
    topic = "hazmon/" + "t" * 5000 + "\x00"
    rejection = Rejection("too_large", "r" * 5000 + "\x00")
    message = RejectedMessage.from_raw(topic, payload, rejection, T0)
    assert len(message.payload) == 4096
    assert message.size == len(payload)
    log = RejectLog(db)
    log.record_many([message])
    [row] = log.recent()
    assert len(row["topic"]) == 1024
    assert row["topic"].startswith("hazmon/ttt")
    assert len(row["reason"]) == 1000
    assert row["payload"] == "\ufffd" + "x" * 4095
    assert row["payload_truncated"] is True
    assert row["size"] == 300_001


def test_reject_log_stores_text_postgresql_would_refuse(db) -> None:
    # A NUL or a lone surrogate in a topic must not make the batch fail forever.
    message = RejectedMessage.from_raw(
        "hazmon/a\x00b/\udcff", b"\x00", Rejection("bad_id", "x"), T0
    )
    direct = RejectedMessage(T0, "t" * 2000 + "\x00", b"p" * 9000, "c" * 40, "\x00why", 9000)
    log = RejectLog(db)
    log.record_many([message, direct])
    newest, oldest = log.recent()
    assert oldest["topic"] == "hazmon/a\ufffdb/?"
    assert oldest["payload"] == "\x00"
    assert len(newest["topic"]) == 1024
    assert newest["payload_truncated"] is True
    assert newest["reason"] == "\ufffdwhy"
    assert log.counts() == {"bad_id": 1, "c" * 32: 1}


def test_reject_log_prunes_beyond_max_rows_but_keeps_counting(db, monkeypatch) -> None:
    monkeypatch.setattr(rejects, "PRUNE_EVERY", 10)
    log = RejectLog(db, max_rows=25)
    for batch in range(6):
        log.record_many([make_reject(batch * 10 + n) for n in range(10)])
    recent = log.recent(limit=1000)
    assert len(recent) == 25
    assert recent[0]["received_ms"] == T0 + 59
    assert recent[-1]["received_ms"] == T0 + 35
    assert log.total() == 60
    assert log.counts() == {"bad_json": 60}


def test_reject_log_prunes_only_every_prune_every_inserts(db, monkeypatch) -> None:
    monkeypatch.setattr(rejects, "PRUNE_EVERY", 100)
    log = RejectLog(db, max_rows=5)
    log.record_many([make_reject(n) for n in range(10)])  # the first batch prunes
    assert len(log.recent(limit=1000)) == 5
    log.record_many([make_reject(n) for n in range(10, 20)])  # 10 < 100 since: no prune
    assert len(log.recent(limit=1000)) == 15
    log.record_many([make_reject(n) for n in range(20, 110)])  # 100 since: prune
    assert [r["received_ms"] for r in log.recent(limit=1000)] == [
        T0 + n for n in range(109, 104, -1)
    ]
    assert log.total() == 110


def test_reject_log_batch_of_1000_is_fast(db) -> None:
    log = RejectLog(db)
    items = [
        make_reject(n, code=("bad_json", "bad_id", "bad_topic")[n % 3], payload=b"x" * 2000)
        for n in range(1000)
    ]
    log.record_many(items[:1])  # warm the pool
    began = time.perf_counter()
    log.record_many(items)
    elapsed = time.perf_counter() - began
    print(f"\n{db.dialect}: record_many(1000) took {elapsed * 1000:.1f} ms")
    assert elapsed < BATCH_BOUND_S
    assert log.total() == 1001
    assert log.counts() == {"bad_id": 333, "bad_json": 335, "bad_topic": 333}
