"""Log once, count always: the repeat limiter between the root logger and its handlers."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from monitoring.logs import RepeatLimiter, limit_repeats, merge_snapshots


class FakeClock:
    """Monotonic time that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Collect(logging.Handler):
    """A handler that keeps what reached it."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]


@pytest.fixture
def parts():
    """A logger of its own (not propagating) behind a limiter with a fake clock."""
    clock = FakeClock()
    out = Collect()
    limiter = RepeatLimiter([out], window_s=60.0, max_kinds=1000, clock=clock)
    logger = logging.getLogger(f"test.logs.{id(clock)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(limiter)
    yield logger, limiter, out, clock
    logger.removeHandler(limiter)


def test_the_first_is_written_and_repeats_are_held_back_and_counted(parts):
    logger, limiter, out, clock = parts
    for i in range(480):
        logger.error("cannot write (%s); retrying", f"attempt {i}")
    assert out.messages() == ["cannot write (attempt 0); retrying"]
    snap = limiter.snapshot()
    assert snap["errors"] == 480 and snap["suppressed"] == 479 and snap["warnings"] == 0
    [row] = snap["top"]
    assert row["count"] == 480 and row["level"] == "ERROR" and row["logger"] == logger.name
    assert row["message"] == "cannot write (attempt 479); retrying"


def test_a_summary_ends_the_window_and_a_new_window_follows(parts):
    logger, limiter, out, clock = parts
    for _ in range(5):
        logger.error("store down (%s)", "refused")
    clock.now += 59.9
    logger.error("store down (%s)", "timeout")
    assert len(out.records) == 1  # still in the window
    clock.now += 0.1
    logger.warning("something else")  # any record checks the windows that ended
    assert out.messages()[1:] == [
        "store down (timeout) (repeated 5 times in the last 60 s)",
        "something else",
    ]
    summary = out.records[1]
    assert summary.levelno == logging.ERROR and summary.name == logger.name
    # Still repeating: the next minute is summarised too, never a second "first" line.
    clock.now += 10
    logger.error("store down (%s)", "refused")
    clock.now += 50
    limiter.flush()  # the timer's periodic call
    assert out.messages()[-1] == "store down (refused) (repeated 1 times in the last 60 s)"
    # A quiet window closes silently; the next occurrence is written again.
    clock.now += 60
    limiter.flush()
    assert len(out.records) == 4  # first, two summaries, "something else"
    logger.error("store down (%s)", "back again")
    assert out.messages()[-1] == "store down (back again)"
    assert limiter.snapshot()["top"][0]["count"] == 8


def test_no_summary_when_nothing_was_held_back(parts):
    logger, limiter, out, clock = parts
    logger.error("once")
    clock.now += 61
    limiter.flush()
    assert out.messages() == ["once"]


def test_kinds_are_independent_by_template_level_and_logger(parts):
    logger, limiter, out, clock = parts
    other = logging.getLogger(logger.name + ".child")
    for _ in range(3):
        logger.error("a %s", 1)
        logger.error("b %s", 1)
        logger.warning("a %s", 1)
        other.error("a %s", 1)  # propagates to the same limiter
    assert sorted(out.messages()) == ["a 1", "a 1", "a 1", "b 1"]
    snap = limiter.snapshot()
    assert snap["errors"] == 9 and snap["warnings"] == 3 and snap["suppressed"] == 8
    assert sorted(r["count"] for r in snap["top"]) == [3, 3, 3, 3]


def test_debug_is_never_limited_nor_counted(parts):
    logger, limiter, out, clock = parts
    for _ in range(100):
        logger.debug("batch of %d", 5)
    assert len(out.records) == 100
    snap = limiter.snapshot()
    assert snap["suppressed"] == 0 and snap["top"] == []


def test_info_repeats_are_limited_but_only_warnings_and_up_are_listed(parts):
    logger, limiter, out, clock = parts
    for _ in range(10):
        logger.info("connected")
    assert out.messages() == ["connected"]
    snap = limiter.snapshot()
    assert snap["suppressed"] == 9 and snap["top"] == []


def test_expected_errors_keep_their_mark_and_summaries_carry_no_traceback(parts):
    logger, limiter, out, clock = parts
    for _ in range(3):
        try:
            raise OSError("disk full")
        except OSError:
            logger.exception("cannot spool", extra={"expected": True})
    clock.now += 60
    limiter.flush()
    first, summary = out.records
    assert first.exc_info and first.expected  # type: ignore[attr-defined]
    assert summary.expected and summary.exc_info is None  # type: ignore[attr-defined]
    assert summary.getMessage() == "cannot spool (repeated 2 times in the last 60 s)"


def test_the_number_of_kinds_is_capped_forgetting_the_least_recently_seen():
    clock, out = FakeClock(), Collect()
    limiter = RepeatLimiter([out], max_kinds=3, clock=clock)
    logger = logging.getLogger("test.logs.cap")
    logger.propagate = False
    logger.addHandler(limiter)
    try:
        logger.error("kept")
        logger.error("kept")  # held back: its summary must survive being forgotten
        for i in range(10):
            logger.error(f"unique {i}")  # pre-formatted text: a new kind each time
            logger.error("busy")  # seen again and again: never forgotten
        assert len(limiter._kinds) == 3
        assert "kept (repeated 1 times in the last 0 s)" in out.messages()
        assert limiter.snapshot()["errors"] == 22  # totals outlive forgotten kinds
        assert out.messages().count("busy") == 1
    finally:
        logger.removeHandler(limiter)


def test_a_handler_level_still_applies():
    out = Collect(level=logging.WARNING)
    limiter = RepeatLimiter([out])
    record = logging.makeLogRecord({"name": "x", "levelno": logging.INFO, "msg": "hello"})
    limiter.handle(record)
    assert out.records == [] and limiter.snapshot()["suppressed"] == 0


def test_threads_count_every_record_and_write_each_kind_once():
    out = Collect()
    limiter = RepeatLimiter([out], max_kinds=50)
    logger = logging.getLogger("test.logs.threads")
    logger.propagate = False
    logger.addHandler(limiter)
    threads_n, per_thread = 8, 2000

    def work(n: int) -> None:
        for i in range(per_thread):
            logger.error("retrying %s", i)
            logger.warning(f"thread {n} kind {i % 80}")  # more kinds than the cap

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        snap = limiter.snapshot()
        assert snap["errors"] == threads_n * per_thread
        assert snap["warnings"] == threads_n * per_thread
        written = [r for r in out.records if not getattr(r, "repeat_summary", False)]
        assert sum(r.getMessage().startswith("retrying ") for r in written) == 1
        assert len(written) + snap["suppressed"] == 2 * threads_n * per_thread
        assert len(limiter._kinds) <= 50
    finally:
        logger.removeHandler(limiter)


def test_limit_repeats_wraps_the_handlers_once_and_close_writes_what_is_pending():
    logger = logging.getLogger("test.logs.install")
    logger.propagate = False
    out = Collect()
    logger.addHandler(out)
    try:
        limiter = limit_repeats(logger, timer=False)
        assert limit_repeats(logger, timer=False) is limiter
        assert logger.handlers == [limiter] and limiter.targets == [out]
        for _ in range(4):
            logger.error("again")
        limiter.close()
        assert out.messages()[0] == "again"
        assert out.messages()[1].startswith("again (repeated 3 times in the last ")
    finally:
        logger.handlers.clear()


def test_snapshots_of_several_processes_add_up():
    a = {
        "errors": 5,
        "warnings": 1,
        "suppressed": 4,
        "top": [{"logger": "x", "level": "ERROR", "message": "m", "count": 5, "last_ms": 10}],
    }
    b = {
        "errors": 2,
        "warnings": 0,
        "suppressed": 1,
        "top": [
            {"logger": "x", "level": "ERROR", "message": "m", "count": 2, "last_ms": 20},
            {"logger": "y", "level": "WARNING", "message": "n", "count": 1, "last_ms": 5},
        ],
    }
    merged = merge_snapshots([a, None, b])
    assert (merged["errors"], merged["warnings"], merged["suppressed"]) == (7, 1, 5)
    assert merged["top"][0] == {
        "logger": "x",
        "level": "ERROR",
        "message": "m",
        "count": 7,
        "last_ms": 20,
    }
    assert len(merged["top"]) == 2
    assert merge_snapshots([]) == {"errors": 0, "warnings": 0, "suppressed": 0, "top": []}


def test_health_adds_up_the_workers_log_counts_and_the_web_process_own(monkeypatch):
    from types import SimpleNamespace

    import monitoring.logs
    from monitoring.api.core import ApiContext, health_report

    own = RepeatLimiter([Collect()])
    own.handle(logging.makeLogRecord({"name": "web", "levelno": logging.ERROR, "msg": "x"}))
    monkeypatch.setattr(monitoring.logs, "_installed", own)
    now_ms = int(time.time() * 1000)
    worker_log = {
        "errors": 480,
        "warnings": 2,
        "suppressed": 479,
        "top": [
            {"logger": "i", "level": "ERROR", "message": "retrying", "count": 480, "last_ms": 1}
        ],
    }
    workers = [
        {"worker_id": f"w{n}", "heartbeat_ms": now_ms, "state": {"log": worker_log}}
        for n in range(2)
    ]

    class Store:
        def ping(self) -> bool:
            return True

    ctx = ApiContext(
        users=None,  # type: ignore[arg-type]
        rejects=None,  # type: ignore[arg-type]
        workers=SimpleNamespace(all=lambda: workers),  # type: ignore[arg-type]
        store=Store(),  # type: ignore[arg-type]
        db=None,  # type: ignore[arg-type]
        store_kind="influxdb",
    )
    log = health_report(ctx)["log"]
    assert (log["errors"], log["warnings"], log["suppressed"]) == (961, 4, 958)
    assert log["top"][0]["count"] == 960 and log["top"][1]["logger"] == "web"
    # A process that runs the ingest itself reports once, through its own state.
    ctx.local_status = lambda: {"worker_id": "w0", "log": own.snapshot()}
    assert health_report(ctx)["log"]["errors"] == 481
