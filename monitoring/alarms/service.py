"""Run the rule engine inside the ingest and keep its verdicts in the alarm book.

Batches are evaluated in the intake writer thread right after they are durable and before
their messages are acknowledged, so a crash cannot lose the alarm a reading should raise.
A ticker thread drives the time-based rules (lost communication, dwell, permit expiry),
shelving expiry, the unacknowledged-red escalation marker and the permit refresh (permits
also arrive through the web API, in another process).

The engine only emits a signal on a change, so a signal the book could not take (database
down or hung) is never emitted again: it is kept, in order, in a bounded backlog and
written by the ticker once the book answers. With a journal (the ingest always has one) the
backlog is also on local disk, fsynced before the batch's messages are acknowledged, so a
restart of the ingest during the outage loses no verdict: `start()` writes the journaled
signals to the book before it restores the engine. Each signal carries its own time, so an
alarm raised during an outage gets the reading's time, and one raised and cleared during
it is kept as cleared-unacknowledged. While the backlog is full, or the journal cannot take
a verdict, the intake waits (its messages stay unacknowledged) rather than drop it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Protocol

import sqlalchemy as sa

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.model import AlarmChange
from monitoring.records import Permit, StoredBatch
from monitoring.registry.model import Registry
from monitoring.rules.engine import RuleEngine
from monitoring.signals import AlarmSignal
from monitoring.storage.journal import Entry, Journal

log = logging.getLogger(__name__)

TICK_S = 1.0
HOUSEKEEPING_S = 10.0
# Permits recorded through the web (another process) reach the rules within this time.
PERMIT_REFRESH_S = 1.0
# The rules need permits that ended recently too ("permit expired, people still in zone").
PERMIT_LOOKBACK_MS = 24 * 3600 * 1000
# Signals the book could not take yet; above this the intake waits for the book.
MAX_UNWRITTEN_SIGNALS = 10_000
# The book did not answer: keep the verdicts and try again. Other errors are the book
# refusing a signal itself (a bug), which `_write` isolates to that signal.
UNAVAILABLE = (sa.exc.DBAPIError, sa.exc.TimeoutError, OSError)


class PermitSource(Protocol):
    """Where the rules' permits come from: the permit book, shared with the web process."""

    def list(self, *, ending_after_ms: int | None = None) -> Sequence[Permit]:
        """Return the permits that end after `ending_after_ms` (or have not ended)."""
        ...


class AlarmService:
    """Feed batches and clock ticks to the rule engine; apply its signals to the alarm book."""

    def __init__(
        self,
        engine: RuleEngine,
        book: AlarmBook,
        permits: PermitSource,
        *,
        clock: Callable[[], float] = time.time,
        on_changes: Callable[[list[AlarmChange]], None] | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.engine = engine
        self.book = book
        self.permits = permits
        self.clock = clock
        self.on_changes = on_changes
        self.signals_applied = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_housekeeping = 0.0
        self._last_permit_refresh = 0.0
        self.journal = journal  # started by the caller
        # Verdicts not in the book yet, oldest first, each with the journal entry it ends
        # (the last signal of each entry carries it); guarded by _backlog_changed's lock.
        # A third field says the signal is in memory only (the journal could not take it).
        self._unwritten: deque[tuple[AlarmSignal, Entry | None, bool]] = deque()
        self._volatile = 0  # kept signals the journal could not take: intake must wait
        self._backlog_changed = threading.Condition()
        self._write_lock = threading.Lock()  # one writer at a time keeps the book in order
        self._book_ok = True  # the last write succeeded: write inline, else leave it to ticks
        self.signals_refused = 0  # signals the book refused for good (a bug), logged

    def start(self) -> None:
        """Write what the journal kept, restore open alarms and permits, then start ticking."""
        self._load_journal()
        self._flush(self._now_ms())
        if self.unwritten:
            raise RuntimeError(f"the alarm book cannot take {self.unwritten} journaled signals")
        open_keys = self.book.open_keys()
        self.engine.restore_active(open_keys.keys(), open_keys)
        self.engine.load_permits(self._recent_permits())
        self._last_permit_refresh = time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alarm-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the ticker."""
        self._stop.set()
        if self._thread:
            self._thread.join(10)
            self._thread = None
        self._flush(self._now_ms())
        if self.unwritten and self.journal is not None and not self._volatile:
            log.warning(
                "%d alarm signals stay journaled in %s until the next start",
                self.unwritten,
                self.journal.directory,
            )
        elif self.unwritten:
            # In memory only: a restart re-raises what is still active from new readings.
            log.error("stopping with %d alarm signals the book never took", self.unwritten)

    def on_batch(self, batch: StoredBatch) -> None:
        """Evaluate one durable batch (called from the intake writer thread)."""
        self._wait_for_room()
        now_ms = self._now_ms()
        with self._lock:
            signals = self.engine.on_batch(batch, now_ms)
            changes = self._apply(signals, now_ms)
        self._report(changes)
        self._wait_until_kept()

    @property
    def unwritten(self) -> int:
        """Return how many verdicts wait for the book."""
        with self._backlog_changed:
            return len(self._unwritten)

    def set_registry(self, registry: Registry) -> None:
        """Hand a reloaded registry to the engine, keeping state of what still exists."""
        with self._lock:
            self.engine.set_registry(registry)

    def status(self) -> dict[str, object]:
        """Return the backlog's state for /health."""
        return {
            "alarm_book_available": self._book_ok,
            "alarm_signals_waiting": self.unwritten,
            "alarm_signals_journal_quarantined": self.journal.quarantined if self.journal else 0,
        }

    def _wait_until_kept(self) -> None:
        """Wait while a verdict is neither in the book nor on disk (both down): no ack."""
        with self._backlog_changed:
            if self._volatile:
                log.error(
                    "%d alarm signals are neither in the book nor journaled: intake waits",
                    self._volatile,
                )
            while self._volatile and not self._stop.is_set():
                self._backlog_changed.wait(TICK_S)

    def _load_journal(self) -> None:
        if self.journal is None or self.journal.is_empty():
            return
        loaded = 0
        with self._backlog_changed:
            for entry in self.journal.peek(max_entries=1_000_000):
                try:
                    signals = [_signal_from_json(row) for row in entry.value]
                except (TypeError, ValueError, KeyError) as exc:
                    self.journal.quarantine(entry, f"unreadable alarm signals: {exc}")
                    continue
                if not signals:
                    self.journal.advance(entry)
                    continue
                self._unwritten.extend((signal, None, False) for signal in signals[:-1])
                self._unwritten.append((signals[-1], entry, False))
                loaded += len(signals)
        log.warning("%d alarm signals journaled by the previous run: writing them first", loaded)

    def _wait_for_room(self) -> None:
        with self._backlog_changed:
            if len(self._unwritten) >= MAX_UNWRITTEN_SIGNALS:
                log.error("%d alarm signals wait for the book: intake waits", MAX_UNWRITTEN_SIGNALS)
            while len(self._unwritten) >= MAX_UNWRITTEN_SIGNALS and not self._stop.is_set():
                self._backlog_changed.wait(TICK_S)

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the ticker
                log.exception("alarm tick failed")

    def tick(self) -> None:
        """Run time-based rules and alarm housekeeping once."""
        now_ms = self._now_ms()
        mono = time.monotonic()
        permits = None
        if mono - self._last_permit_refresh >= PERMIT_REFRESH_S:
            self._last_permit_refresh = mono
            try:
                permits = self._recent_permits()  # read outside the lock: intake keeps going
            except Exception as exc:  # database down: the rules keep the permits they have
                log.warning("cannot refresh permits (%s)", exc)
        with self._lock:
            if permits is not None:
                self.engine.load_permits(permits)
            self._keep(self.engine.on_tick(now_ms))
        self._flush(now_ms)
        if mono - self._last_housekeeping >= HOUSEKEEPING_S:
            self._last_housekeeping = mono
            changes = self.book.expire_shelving(now_ms)
            self.book.mark_escalations(now_ms)
            if changes and self.on_changes:
                self.on_changes(changes)

    def _apply(self, signals: list[AlarmSignal], now_ms: int) -> list[AlarmChange]:
        """Write a batch's signals straight to the book when nothing waits; else keep them."""
        if not signals:
            return []
        # Not while the book is down (the ticker retries: a down book must not slow every
        # batch), nor while the ticker writes the backlog (these would overtake it).
        if self._book_ok and self._write_lock.acquire(blocking=False):
            try:
                with self._backlog_changed:
                    nothing_waits = not self._unwritten
                if nothing_waits:
                    try:
                        changes = self._write(signals, now_ms)
                    except UNAVAILABLE as exc:
                        self._book_down(exc, len(signals))
                    else:
                        self.signals_applied += len(signals)
                        return changes
            finally:
                self._write_lock.release()
        self._keep(signals)
        return []

    def _keep(self, signals: list[AlarmSignal]) -> None:
        """Add signals to the backlog, and to the journal so they outlive this process."""
        if not signals:
            return
        with self._backlog_changed:
            entry = None
            volatile = False
            if self.journal is not None:
                try:
                    entry = self.journal.append([asdict(s) for s in signals])
                except Exception as exc:  # full or failing disk: keep them, the intake waits
                    log.error("alarm journal cannot take %d signals: %s", len(signals), exc)
                    volatile = True
                    self._volatile += len(signals)
            self._unwritten.extend((signal, None, volatile) for signal in signals[:-1])
            self._unwritten.append((signals[-1], entry, volatile))

    def _flush(self, now_ms: int, *, wait: bool = True) -> None:
        """Write the backlog to the book in order; keep what could not be written."""
        if not self._write_lock.acquire(blocking=wait):
            return  # the other thread is writing the backlog, this batch's signals included
        try:
            with self._backlog_changed:
                kept = list(self._unwritten)
            if not kept:
                return
            signals = [signal for signal, _, _ in kept]
            try:
                changes = self._write(signals, now_ms)
            except UNAVAILABLE as exc:
                self._book_down(exc, len(signals))
                return
            if not self._book_ok:
                log.info("alarm book is back: %d kept signals written", len(signals))
            self._book_ok = True
            self.signals_applied += len(signals)
            last_entry = next((entry for _, entry, _ in reversed(kept) if entry), None)
            if last_entry is not None and self.journal is not None:
                try:
                    self.journal.advance(last_entry)
                except OSError as exc:  # in the book already; at worst re-applied at start
                    log.error("alarm journal cursor not updated: %s", exc)
            with self._backlog_changed:
                for _ in kept:
                    self._unwritten.popleft()
                self._volatile -= sum(1 for _, _, volatile in kept if volatile)
                self._backlog_changed.notify_all()
        finally:
            self._write_lock.release()
        self._report(changes)

    def _book_down(self, exc: BaseException, kept: int) -> None:
        if self._book_ok:
            log.error(
                "alarm book unavailable (%s): %d signals kept until it returns",
                exc,
                kept,
                extra={"expected": True},
            )
        self._book_ok = False

    def _write(self, signals: list[AlarmSignal], now_ms: int) -> list[AlarmChange]:
        try:
            return self.book.apply(signals, now_ms)
        except ValueError:
            pass  # a malformed signal (a bug): keep the others, drop only that one
        changes: list[AlarmChange] = []
        for signal in signals:
            try:
                changes.extend(self.book.apply([signal], now_ms))
            except ValueError:
                self.signals_refused += 1
                log.exception("alarm book refused signal %r", signal)
        return changes

    def _report(self, changes: list[AlarmChange]) -> None:
        for change in changes:
            log.info(
                "alarm %s: %s %s/%s %s %s",
                change.event,
                change.alarm.severity,
                change.alarm.enterprise,
                change.alarm.site,
                change.alarm.source,
                change.alarm.message,
            )
        if changes and self.on_changes:
            self.on_changes(changes)

    def _recent_permits(self) -> Sequence[Permit]:
        return self.permits.list(ending_after_ms=self._now_ms() - PERMIT_LOOKBACK_MS)

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)


def _signal_from_json(row: dict) -> AlarmSignal:
    """Return the signal a journal entry kept (the fields of `AlarmSignal`, as a dict)."""
    if not isinstance(row, dict):
        raise TypeError(f"an alarm signal is a JSON object, not {type(row).__name__}")
    return AlarmSignal(**row)
