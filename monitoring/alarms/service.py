"""Run the rule engine inside the ingest and keep its verdicts in the alarm book.

Batches are evaluated in the intake writer thread right after they are durable and before
their messages are acknowledged, so a crash cannot lose the alarm a reading should raise.
A ticker thread drives the time-based rules (lost communication, dwell, permit expiry),
shelving expiry, the unacknowledged-red escalation marker and the permit refresh (permits
also arrive through the web API, in another process).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

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

    def on_batch(self, batch: StoredBatch) -> None:
        """Evaluate one durable batch (called from the intake writer thread)."""
        now_ms = self._now_ms()
        with self._lock:
            signals = self.engine.on_batch(batch, now_ms)
            self._apply(signals, now_ms)

    def set_registry(self, registry: Registry) -> None:
        """Hand a reloaded registry to the engine, keeping state of what still exists."""
        with self._lock:
            self.engine.set_registry(registry)

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
            permits = self._recent_permits()  # read outside the lock: intake keeps going
        with self._lock:
            if permits is not None:
                self.engine.load_permits(permits)
            self._apply(self.engine.on_tick(now_ms), now_ms)
        if mono - self._last_housekeeping >= HOUSEKEEPING_S:
            self._last_housekeeping = mono
            changes = self.book.expire_shelving(now_ms)
            self.book.mark_escalations(now_ms)
            if changes and self.on_changes:
                self.on_changes(changes)

    def _apply(self, signals: list[AlarmSignal], now_ms: int) -> None:
        if not signals:
            return
        changes = self.book.apply(signals, now_ms)
        self.signals_applied += len(signals)
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
