"""Log once, count always: a repeated log message is written once, then summarised each window.

A write that retries in a tight loop used to print hundreds of identical ERROR lines a
second. `RepeatLimiter` sits between the root logger and its handlers: the first record of a
kind (logger, level and message template, `record.msg`, so "retrying (%s)" with changing
arguments is one kind) goes out at once; repeats within `window_s` are only counted, and
when the window ends one line says "<the last one> (repeated N times in the last 60 s)".
Every record is counted, written or not, and `snapshot()` gives the counts to /health.
DEBUG records pass untouched and uncounted. Imports nothing of Hazwatch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

WINDOW_S = 60.0  # repeats of one kind within this are summarised in one line
MAX_KINDS = 1000  # distinct kinds remembered; the least recently seen is forgotten first
TOP = 10  # kinds listed in a snapshot
FLUSH_EVERY_S = 5.0  # how often the timer writes summaries of windows that ended
MESSAGE_MAX = 300  # characters of a message kept in a snapshot

Kind = tuple[str, int, str]  # logger name, level, message template (record.msg)


@dataclass(slots=True)
class _Repeats:
    """What is known about one kind of record."""

    logger: str
    level: int
    count: int = 0  # every record of this kind since start, written or not
    last_ms: int = 0
    text: str = ""  # the message of the last record written or summarised
    open: bool = False  # a window runs: records are counted, not written
    window_start: float = 0.0  # monotonic; meaningful while `open`
    suppressed: int = 0  # records held back in the current window
    # The last record held back: the summary's model. Only the formatted text outlives the
    # window, so no record's arguments (an exception and its frames) are kept for long.
    last: logging.LogRecord | None = None


class RepeatLimiter(logging.Handler):
    """Pass records on to `targets`, each kind once per window; count every record."""

    def __init__(
        self,
        targets: Sequence[logging.Handler],
        *,
        window_s: float = WINDOW_S,
        max_kinds: int = MAX_KINDS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        if window_s <= 0 or max_kinds < 1:
            raise ValueError("window_s must be positive and max_kinds at least 1")
        self.targets = list(targets)
        self.window_s = window_s
        self.max_kinds = max_kinds
        self.clock = clock
        self.wall_clock = wall_clock
        self._lock = threading.Lock()
        self._kinds: OrderedDict[Kind, _Repeats] = OrderedDict()  # least recently seen first
        self._windows: OrderedDict[Kind, None] = OrderedDict()  # open windows, oldest first
        self._next_due = float("inf")  # when the oldest open window ends
        self._by_level: dict[int, int] = {}
        self._suppressed = 0
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    # -- the hot path -------------------------------------------------------------------------

    def handle(self, record: logging.LogRecord) -> bool:
        """Write the record unless it repeats one of its kind in a window; count it."""
        if not self.filter(record):
            return False
        if record.levelno <= logging.DEBUG:
            self._forward(record)
            return True
        msg = record.msg
        # Usually a str; anything else (an exception, a dict) keys by its text, as it prints.
        kind: Kind = (record.name, record.levelno, msg if isinstance(msg, str) else str(msg))
        with self._lock:
            now = self.clock()  # read under the lock, so windows open in time order
            due = self._due_summaries(now) if now >= self._next_due else []
            self._by_level[record.levelno] = self._by_level.get(record.levelno, 0) + 1
            r = self._kinds.get(kind)
            if r is None:
                r = self._remember(kind, record, now, due)
            else:
                self._kinds.move_to_end(kind)
            r.count += 1
            r.last_ms = int(record.created * 1000)
            write = not r.open
            if write:  # first of its kind, or none in the last window: write it, open one
                r.open, r.window_start, r.suppressed, r.last = True, now, 0, None
                r.text = _message(record)
                self._open_window(kind, now)
            else:
                r.suppressed += 1
                r.last = record
                self._suppressed += 1
        for summary in due:
            self._forward(summary)
        if write:
            self._forward(record)
        return write

    def emit(self, record: logging.LogRecord) -> None:
        """Handle a record (the limiter does its own locking)."""
        self.handle(record)

    def _remember(
        self, kind: Kind, record: logging.LogRecord, now: float, due: list[logging.LogRecord]
    ) -> _Repeats:
        """Start counting a new kind, forgetting the least recently seen one at the cap."""
        if len(self._kinds) >= self.max_kinds:
            old_kind, old = self._kinds.popitem(last=False)
            if old.open:
                self._windows.pop(old_kind, None)
                if old.suppressed:  # forgotten, but what it held back is still said
                    due.append(self._summary(old, now))
        r = _Repeats(record.name, record.levelno)
        self._kinds[kind] = r
        return r

    def _open_window(self, kind: Kind, now: float) -> None:
        self._windows[kind] = None
        self._windows.move_to_end(kind)
        if len(self._windows) == 1:
            self._next_due = now + self.window_s
        else:
            first = next(iter(self._windows))
            self._next_due = self._kinds[first].window_start + self.window_s

    # -- windows that end ---------------------------------------------------------------------

    def _due_summaries(self, now: float, force: bool = False) -> list[logging.LogRecord]:
        """Close the windows that ended (all with `force`); return their summaries."""
        summaries: list[logging.LogRecord] = []
        reopened: list[Kind] = []
        while self._windows:
            kind = next(iter(self._windows))
            r = self._kinds[kind]
            if not force and now < r.window_start + self.window_s:
                break
            del self._windows[kind]
            if r.suppressed:
                summaries.append(self._summary(r, now))
                if not force:  # still repeating: the next summary comes a window later
                    r.window_start, r.suppressed, r.last = now, 0, None
                    reopened.append(kind)
                    continue
            r.open, r.suppressed, r.last = False, 0, None
        for kind in reopened:
            self._windows[kind] = None
        self._next_due = (
            self._kinds[next(iter(self._windows))].window_start + self.window_s
            if self._windows
            else float("inf")
        )
        return summaries

    def _summary(self, r: _Repeats, now: float) -> logging.LogRecord:
        """Return the line that stands for the records of a kind held back in a window."""
        last = r.last
        assert last is not None
        summary = logging.makeLogRecord(last.__dict__)
        r.text = text = _message(last)
        seconds = max(now - r.window_start, 0.0)
        summary.msg = f"{text} (repeated {r.suppressed} times in the last {seconds:.0f} s)"
        summary.args = None
        summary.exc_info, summary.exc_text, summary.stack_info = None, None, None
        summary.created = self.wall_clock()
        summary.msecs = (summary.created % 1) * 1000
        summary.repeat_summary = True
        return summary

    def _forward(self, record: logging.LogRecord) -> None:
        for target in self.targets:
            if record.levelno >= target.level:
                target.handle(record)

    def flush(self) -> None:
        """Write the summaries of windows that ended, then flush the targets."""
        now = self.clock()
        with self._lock:
            due = self._due_summaries(now) if now >= self._next_due else []
        for summary in due:
            self._forward(summary)
        for target in self.targets:
            target.flush()

    def close(self) -> None:
        """Stop the timer and write every pending summary (the targets stay open)."""
        self._stop.set()
        with self._lock:
            due = self._due_summaries(self.clock(), force=True)
        for summary in due:
            self._forward(summary)
        for target in self.targets:
            target.flush()
        super().close()

    def start_timer(self, every_s: float = FLUSH_EVERY_S) -> None:
        """Flush in a daemon thread, so a summary comes even when nothing else is logged."""
        if self._timer is not None:
            return

        def run() -> None:
            while not self._stop.wait(every_s):
                try:
                    self.flush()
                except Exception:  # never let the log timer die
                    pass

        self._timer = threading.Thread(target=run, name="log-repeats", daemon=True)
        self._timer.start()

    # -- counts for /health -------------------------------------------------------------------

    def snapshot(self, top: int = TOP) -> dict[str, object]:
        """Return the counts: errors, warnings, records held back, the most repeated kinds."""
        with self._lock:
            by_level = dict(self._by_level)
            suppressed = self._suppressed
            rows = [r for r in self._kinds.values() if r.level >= logging.WARNING]
            rows = sorted(rows, key=lambda r: (-r.count, -r.last_ms))[:top]
            listed = [(r.logger, r.level, r.last or r.text, r.count, r.last_ms) for r in rows]
        return {
            "errors": sum(n for level, n in by_level.items() if level >= logging.ERROR),
            "warnings": sum(
                n for level, n in by_level.items() if logging.WARNING <= level < logging.ERROR
            ),
            "suppressed": suppressed,
            "window_s": self.window_s,
            "top": [
                {
                    "logger": logger,
                    "level": logging.getLevelName(level),
                    "message": (last if isinstance(last, str) else _message(last))[:MESSAGE_MAX],
                    "count": count,
                    "last_ms": last_ms,
                }
                for logger, level, last, count, last_ms in listed
            ],
        }


def _message(record: logging.LogRecord) -> str:
    """Return a record's message; a bad format string gives its template, never an error."""
    try:
        return record.getMessage()
    except Exception:
        return str(record.msg)


_installed: RepeatLimiter | None = None


def limit_repeats(
    logger: logging.Logger | None = None,
    *,
    window_s: float = WINDOW_S,
    max_kinds: int = MAX_KINDS,
    timer: bool = True,
) -> RepeatLimiter:
    """Route a logger's (the root's) handlers through one RepeatLimiter; return it.

    Call it after `logging.basicConfig`. Calling it again returns the limiter already there.
    """
    global _installed
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if isinstance(handler, RepeatLimiter):
            return handler
    targets = list(logger.handlers)
    limiter = RepeatLimiter(targets, window_s=window_s, max_kinds=max_kinds)
    for handler in targets:
        logger.removeHandler(handler)
    logger.addHandler(limiter)
    if timer:
        limiter.start_timer()
    if logger is logging.getLogger():
        _installed = limiter
    return limiter


def installed() -> RepeatLimiter | None:
    """Return the limiter on the root logger of this process, if one was installed."""
    return _installed


def own_snapshot() -> dict[str, object] | None:
    """Return the counts of this process's log, or None when no limiter is installed."""
    return _installed.snapshot() if _installed is not None else None


def merge_snapshots(snapshots: Iterable[object], top: int = TOP) -> dict[str, object]:
    """Add up the snapshots of several processes (anything not a snapshot is skipped)."""
    totals = {"errors": 0, "warnings": 0, "suppressed": 0}
    rows: dict[tuple[object, object, object], dict] = {}
    for snap in snapshots:
        if not isinstance(snap, dict):
            continue
        for key in totals:
            totals[key] += int(snap.get(key, 0) or 0)
        for row in snap.get("top") or ():
            if not isinstance(row, dict):
                continue
            k = (row.get("logger"), row.get("level"), row.get("message"))
            if k in rows:
                rows[k]["count"] += int(row.get("count", 0) or 0)
                rows[k]["last_ms"] = max(rows[k]["last_ms"], int(row.get("last_ms", 0) or 0))
            else:
                rows[k] = {
                    "logger": row.get("logger"),
                    "level": row.get("level"),
                    "message": row.get("message"),
                    "count": int(row.get("count", 0) or 0),
                    "last_ms": int(row.get("last_ms", 0) or 0),
                }
    top_rows = sorted(rows.values(), key=lambda r: (-r["count"], -r["last_ms"]))[:top]
    return {**totals, "top": top_rows}
