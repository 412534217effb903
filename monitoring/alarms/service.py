"""Run the rule engine inside the ingest and keep its verdicts in the alarm book.

Batches are evaluated in the intake writer thread right after they are durable and before
their messages are acknowledged, so a crash cannot lose the alarm a reading should raise.
A ticker thread drives the time-based rules (lost communication, dwell, permit expiry),
shelving expiry, the unacknowledged-red escalation marker and the permit refresh (permits
also arrive through the web API, in another process).

The engine only emits a signal on a change, so a signal the book could not take (database
down or hung) is never emitted again: it is kept, in order, in a bounded backlog and
written by the ticker once the book answers. Each signal carries its own time, so an
alarm raised during an outage gets the reading's time, and one raised and cleared during
it is kept as cleared-unacknowledged. While the backlog is full the intake waits (its
messages stay unacknowledged) rather than drop a verdict.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

import sqlalchemy as sa

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.model import AlarmChange
from monitoring.records import Permit, StoredBatch
from monitoring.registry.model import Registry
from monitoring.rules.engine import RuleEngine
from monitoring.signals import AlarmSignal

log = logging.getLogger(__name__)

TICK_S = 1.0
HOUSEKEEPING_S = 10.0
# Permits recorded through the web (another process) reach the rules within this time.
PERMIT_REFRESH_S = 1.0
# The rules need permits that ended recently too ("permit expired, people still in zone").
PERMIT_LOOKBACK_MS = 24 * 3600 * 1000
# Signals the book could not take yet; above this the intake waits for the book.
MAX_UNWRITTEN_SIGNALS = 10_000


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
        # Verdicts not in the book yet, oldest first; guarded by _backlog_changed's lock.
        self._unwritten: deque[AlarmSignal] = deque()
        self._backlog_changed = threading.Condition()
        self._write_lock = threading.Lock()  # one writer at a time keeps the book in order
        self._book_ok = True  # the last write succeeded: write inline, else leave it to ticks
        self.signals_refused = 0  # signals the book refused for good (a bug), logged

    def start(self) -> None:
        """Restore open alarms and permits into the engine, then start ticking."""
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
        if self.unwritten:
            # In memory only: a restart re-raises what is still active from new readings.
            log.error("stopping with %d alarm signals the book never took", self.unwritten)

    def on_batch(self, batch: StoredBatch) -> None:
        """Evaluate one durable batch (called from the intake writer thread)."""
        self._wait_for_room()
        now_ms = self._now_ms()
        with self._lock:
            signals = self.engine.on_batch(batch, now_ms)
            self._apply(signals, now_ms)

    @property
    def unwritten(self) -> int:
        """Return how many verdicts wait for the book."""
        with self._backlog_changed:
            return len(self._unwritten)

    def set_registry(self, registry: Registry) -> None:
        """Hand a reloaded registry to the engine, keeping state of what still exists."""
        with self._lock:
            self.engine.set_registry(registry)

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

    def _apply(self, signals: list[AlarmSignal], now_ms: int) -> None:
        self._keep(signals)
        if self._book_ok:  # else the ticker retries: a down book must not slow every batch
            self._flush(now_ms, wait=False)

    def _keep(self, signals: list[AlarmSignal]) -> None:
        if signals:
            with self._backlog_changed:
                self._unwritten.extend(signals)

    def _flush(self, now_ms: int, *, wait: bool = True) -> None:
        """Write the backlog to the book in order; keep what could not be written."""
        if not self._write_lock.acquire(blocking=wait):
            return  # the other thread is writing the backlog, this batch's signals included
        try:
            with self._backlog_changed:
                signals = list(self._unwritten)
            if not signals:
                return
            try:
                changes = self._write(signals, now_ms)
            except (sa.exc.DBAPIError, sa.exc.TimeoutError, OSError) as exc:
                if self._book_ok:
                    log.error(
                        "alarm book unavailable (%s): %d signals kept until it returns",
                        exc,
                        len(signals),
                        extra={"expected": True},
                    )
                self._book_ok = False
                return
            if not self._book_ok:
                log.info("alarm book is back: %d kept signals written", len(signals))
            self._book_ok = True
            self.signals_applied += len(signals)
            with self._backlog_changed:
                for _ in signals:
                    self._unwritten.popleft()
                self._backlog_changed.notify_all()
        finally:
            self._write_lock.release()
        self._report(changes)

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
