"""The intake pipeline: parsed messages -> batches -> durable write -> acknowledgement.

The MQTT side (`monitoring.ingest.session`) hands every message to `IntakePipeline.offer()` from its
network thread; one writer thread drains batches and acknowledges a message only after its
records are durably stored (the store, or the on-disk spool while the store is down) and its
rejection, if any, is kept in the reject log. A message whose batch cannot be made durable is
not acknowledged, so the broker keeps it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Protocol

from monitoring.books.rejects import RejectedMessage
from monitoring.books.unregistered import Sighting
from monitoring.clock import Clock
from monitoring.edge.parse import parse_message
from monitoring.ingest.repeats import RepeatDetector
from monitoring.ingest.spool_retry import SpoolRetry, replay_some
from monitoring.records import (
    UNKNOWN,
    GatewayStatus,
    MessageRejected,
    Permit,
    PresenceCount,
    Reading,
    Rejection,
    StoredBatch,
)
from monitoring.storage.base import PointsRefused, RecordStore, StoreRejected, StoreUnavailable
from monitoring.storage.spool.log import Spool

log = logging.getLogger(__name__)

# Timing constants are module-level so tests can shrink them.
REPLAY_RETRY_S = 2.0  # how often to probe a store that was down
REPLAY_MAX_POINTS_PER_CYCLE = 50_000  # keep new data flowing while the spool drains
SIDE_STORE_RETRY_S = 1.0  # relational store (rejects, permits, status) retry pause
MAX_PENDING_POINTS = 200_000  # backpressure: the network thread waits above this
HEARTBEAT_S = 5.0
PRUNE_INTERVAL_S = 3600.0
WRITER_RESTART_INITIAL_S = 0.5  # pause before restarting a crashed writer; doubles up to max
WRITER_RESTART_MAX_S = 30.0
DAY_MS = 86_400_000

Token = tuple[int, int]  # an MQTT message's (packet id, QoS): what its acknowledgement needs
Ack = Callable[[list[Token]], None]


class IntakeBooksSink(Protocol):
    """Where a batch's relational records go: `IntakeBooks`, or `JournaledBooks` around it."""

    def record(
        self,
        rejects: Sequence[RejectedMessage],
        permits: Sequence[Permit],
        statuses: Sequence[GatewayStatus],
        unregistered: Sequence[Sighting],
    ) -> None: ...

    def store_rejected(self, reason: str, points: int) -> None: ...

    def heartbeat(
        self, worker_id: str, started_ms: int, now_ms: int, state: Mapping[str, object]
    ) -> None: ...

    def status(self) -> dict[str, object]: ...


@dataclass
class IntakeCounters:
    """Counters shown in /health; written by the pipeline only."""

    received: int = 0  # messages
    stored: int = 0  # points written to the store (including replayed ones)
    rejected: int = 0  # whole messages rejected
    rejected_readings: int = 0  # single readings dropped from otherwise valid messages
    spooled: int = 0  # points sent to the spool
    store_errors: int = 0
    writer_crashes: int = 0
    by_code: dict[str, int] = field(default_factory=dict)


@dataclass
class _Batch:
    tokens: list[Token] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    presence: list[PresenceCount] = field(default_factory=list)
    permits: list[Permit] = field(default_factory=list)
    statuses: list[GatewayStatus] = field(default_factory=list)
    rejects: list[RejectedMessage] = field(default_factory=list)
    unregistered: dict[tuple[str, str, str], int] = field(default_factory=dict)
    first_ms: float = 0.0

    @property
    def points(self) -> int:
        return len(self.readings) + len(self.presence)


class IntakePipeline:
    """Batch parsed records, write them durably, then acknowledge their messages."""

    def __init__(
        self,
        *,
        store: RecordStore,
        spool: Spool | None,
        books: IntakeBooksSink,
        sensor_locations: Callable[[str, str], Mapping[str, tuple[str, str]]],
        ack: Ack,
        root: str = "hazmon",
        batch_max_points: int = 5000,
        batch_max_messages: int = 1000,
        batch_max_wait_ms: int = 100,
        retention_days: int = 90,
        worker_id: str = "hazwatch-ingest",
        clock: Clock = time.time,
    ) -> None:
        self.store = store
        self.spool = spool
        self.books = books  # rejects, permits, gateways, unregistered sensors, workers
        self.sensor_locations = sensor_locations
        self.ack = ack
        self.root = root
        self.batch_max_points = batch_max_points
        self.batch_max_messages = batch_max_messages
        self.batch_max_wait_s = batch_max_wait_ms / 1000.0
        self.retention_days = retention_days
        # The edge refuses readings the store would refuse as beyond retention (`too_old`).
        self._max_age_ms = retention_days * DAY_MS
        self.worker_id = worker_id
        self.clock = clock
        self.counters = IntakeCounters()
        self.repeats = RepeatDetector()  # a later, different value for a (sensor, ts): refused
        self.listeners: list[Callable[[StoredBatch], None]] = []
        self.status_extra: Callable[[], dict[str, object]] = dict
        # More parts of this worker's /health state (the alarm service's backlog).
        self.status_parts: list[Callable[[], Mapping[str, object]]] = []
        self._cond = threading.Condition()
        self._batch = _Batch()
        self._in_flight_points = 0
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._store_down = False
        self._last_replay_try = 0.0
        self._last_heartbeat = 0.0
        self._last_prune = 0.0
        self._started_ms = 0
        self._unfinished: _Batch | None = None  # the batch a crashed writer was committing
        self._restart_pause = WRITER_RESTART_INITIAL_S
        self._writer_error = ""
        self._writer_error_ms = 0
        self._last_commit_ms = 0
        self._late_rejects: list[RejectedMessage] = []  # refused in replay, not yet in the log
        self._spool_retry = SpoolRetry(self._cond, lambda: self._stopping, clock)  # full spool

    # -- network thread -------------------------------------------------------------------

    def offer(
        self, topic: str, payload: bytes, token: Token, received_ms: int | None = None
    ) -> None:
        """Take one MQTT message; it is acknowledged through `ack([token, ...])` once durable."""
        now_ms = int(self.clock() * 1000) if received_ms is None else received_ms
        try:
            parsed = parse_message(
                topic,
                payload,
                now_ms,
                root=self.root,
                locations=self.sensor_locations,
                max_age_ms=self._max_age_ms,
            )
        except MessageRejected as exc:
            reject = RejectedMessage.from_raw(topic, payload, exc.rejection, now_ms)
            log.warning("rejected message on %r: %s", topic[:200], exc)
            with self._cond:
                self._batch_for_append().rejects.append(reject)
                self._batch.tokens.append(token)
                c = self.counters
                c.received += 1
                c.rejected += 1
                c.by_code[exc.code] = c.by_code.get(exc.code, 0) + 1
                self._cond.notify()
            return

        parsed = self.repeats.screen(parsed)  # conflicting repeats join partial_rejections
        # `kind` says which record type `records` holds; the type checker cannot follow that,
        # and a cast per message would be a call on the hot path, hence the ignores below.
        kind = parsed.kind
        records = parsed.records
        unregistered: list[tuple[str, str, str]] = []
        if kind == "telemetry" and UNKNOWN in map(_kind_of, records):
            # zone and kind were filled from the registry; "unknown" means not registered
            unregistered = [
                (r.enterprise, r.site, r.sensor)  # type: ignore[union-attr]
                for r in records
                if r.kind == UNKNOWN  # type: ignore[union-attr]
            ]
        partial = None
        if parsed.partial_rejections:
            partial = _partial_reject(topic, payload, parsed.partial_rejections, now_ms)
        points = len(records) if kind == "telemetry" or kind == "presence" else 0
        with self._cond:
            while (
                self._in_flight_points + points > MAX_PENDING_POINTS
                and not self._stopping
                and self._in_flight_points > 0
            ):
                self._cond.wait(0.5)  # backpressure: bounded memory
            b = self._batch
            tokens = b.tokens
            if not tokens:
                b.first_ms = time.monotonic()
            tokens.append(token)
            if kind == "telemetry":
                b.readings += records  # type: ignore[arg-type]
            elif kind == "presence":
                b.presence += records  # type: ignore[arg-type]
            elif kind == "permit":
                b.permits += records  # type: ignore[arg-type]
            else:
                b.statuses += records  # type: ignore[arg-type]
            for key in unregistered:
                b.unregistered[key] = max(b.unregistered.get(key, 0), now_ms)
            self._in_flight_points += points
            c = self.counters
            c.received += 1
            if partial is not None:
                b.rejects.append(partial)
                c.rejected_readings += len(parsed.partial_rejections)
                for r in parsed.partial_rejections:
                    c.by_code[r.code] = c.by_code.get(r.code, 0) + 1
            if (
                len(tokens) == 1
                or len(b.readings) + len(b.presence) >= self.batch_max_points
                or len(tokens) >= self.batch_max_messages
            ):
                # The first message starts the batch's age clock in the writer, which may
                # be idle-waiting; a full batch is written at once.
                self._cond.notify()

    def _batch_for_append(self) -> _Batch:
        if not self._batch.tokens:
            self._batch.first_ms = time.monotonic()
        return self._batch

    # -- writer thread --------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread."""
        self._started_ms = int(self.clock() * 1000)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
        self._thread.start()

    def stop(self, drain: bool = True) -> None:
        """Stop the writer; with `drain`, write and acknowledge what is pending first."""
        with self._cond:
            self._stopping = True
            self._drain_on_stop = drain
            self._cond.notify_all()
        if self._thread:
            self._thread.join(60)
            self._thread = None

    @property
    def pending_points(self) -> int:
        """Points received but not yet durably written (memory plus spool)."""
        spooled = self.spool.pending_points() if self.spool is not None else 0
        return self._in_flight_points + spooled

    @property
    def store_down(self) -> bool:
        return self._store_down

    @property
    def writer_alive(self) -> bool:
        """Tell whether the writer thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        """Run the writer; a crash is logged, counted, shown in health and restarted."""
        while True:
            try:
                self._write_batches()
                return
            except Exception as exc:
                self.counters.writer_crashes += 1
                self._writer_error = f"{type(exc).__name__}: {exc}"[:500]
                self._writer_error_ms = int(self.clock() * 1000)
                log.exception(
                    "intake writer crashed (%d so far); restarting in %.1fs",
                    self.counters.writer_crashes,
                    self._restart_pause,
                    extra={"expected": True},  # counted and named in /health
                )
                if self._wait_or_stop(self._restart_pause) and not self._unfinished:
                    return
                self._restart_pause = min(self._restart_pause * 2, WRITER_RESTART_MAX_S)

    def _write_batches(self) -> None:
        while True:
            # A batch a crash interrupted comes first: its messages are still unacknowledged.
            batch = self._unfinished or self._take_batch()
            if batch is None:
                return
            self._unfinished = batch
            if batch.tokens:
                self._commit(batch)
            self._unfinished = None
            self._restart_pause = WRITER_RESTART_INITIAL_S
            self._housekeeping()

    def _take_batch(self) -> _Batch | None:
        with self._cond:
            while True:
                b = self._batch
                if self._stopping:
                    if not getattr(self, "_drain_on_stop", True) or not b.tokens:
                        return None
                    break
                if b.tokens:
                    full = (
                        b.points >= self.batch_max_points
                        or len(b.tokens) >= self.batch_max_messages
                    )
                    age = time.monotonic() - b.first_ms
                    if full or age >= self.batch_max_wait_s:
                        break
                    self._cond.wait(self.batch_max_wait_s - age)
                else:
                    self._cond.wait(min(1.0, REPLAY_RETRY_S))
                    if not self._batch.tokens:
                        return _Batch()  # idle tick: let housekeeping run
            self._batch = _Batch()
            return b

    def _commit(self, batch: _Batch) -> None:
        """Make a batch durable, retrying until it is; then acknowledge its messages."""
        t_start = time.monotonic()
        # Spool bound or disk full: retried with replays in between, see spool_retry.py.
        refused = self._spool_retry.run(
            lambda: self._write_points(batch.readings, batch.presence),
            batch.points,
            lambda: self._try_replay(self.spool, force=True),
        )
        if refused is None:
            return  # stopping: the batch stays unacknowledged
        late, self._late_rejects = self._late_rejects, []
        rejects = late + batch.rejects + refused
        while True:
            try:
                self.books.record(
                    rejects,
                    batch.permits,
                    batch.statuses,
                    [(e, s, n, ts) for (e, s, n), ts in batch.unregistered.items()],
                )
                break
            except Exception as exc:  # relational store down: keep the batch unacked
                log.error(
                    "cannot write intake records to the database (%s); retrying",
                    exc,
                    extra={"expected": True},
                )
                if self._wait_or_stop(SIDE_STORE_RETRY_S):
                    return
        t_books = time.monotonic()
        # Rules see the batch before its messages are acknowledged: a crash in between
        # redelivers them, so no alarm a reading should raise is lost.
        stored = StoredBatch(batch.readings, batch.presence, batch.permits, batch.statuses)
        for listener in self.listeners:
            try:
                listener(stored)
            except Exception:  # one failing listener must not stop intake
                log.exception("intake listener %r failed", listener)
        self.ack(batch.tokens)
        self._last_commit_ms = int(self.clock() * 1000)
        with self._cond:
            self._in_flight_points -= batch.points
            self._cond.notify_all()
        if log.isEnabledFor(logging.DEBUG):
            done = time.monotonic()
            log.debug(
                "batch of %d messages, %d points: waited %.0f ms, stored %.0f ms, rules %.0f ms",
                len(batch.tokens),
                batch.points,
                (t_start - batch.first_ms) * 1000,
                (t_books - t_start) * 1000,
                (done - t_books) * 1000,
            )

    def _wait_or_stop(self, seconds: float) -> bool:
        """Pause `seconds` (arriving messages do not cut it short); True when stopping."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while not self._stopping and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            return self._stopping

    def _write_points(
        self, readings: list[Reading], presence: list[PresenceCount]
    ) -> list[RejectedMessage]:
        """Store or spool a batch; return the reject-log entries of points refused for good."""
        if not readings and not presence:
            return []
        spool = self.spool
        if spool is not None and (self._store_down or not spool.is_empty()):
            # Keep order: while anything waits in the spool, new data queues behind it.
            spool.append(readings, presence)
            self.counters.spooled += len(readings) + len(presence)
            self._try_replay(spool)
            return []
        try:
            self.store.write(readings, presence)
            self.counters.stored += len(readings) + len(presence)
        except StoreUnavailable as exc:
            self.counters.store_errors += 1
            if spool is None:
                raise
            log.warning("store unavailable (%s): spooling to disk", exc)
            self._store_down = True
            self._last_replay_try = time.monotonic()
            spool.append(readings, presence)
            self.counters.spooled += len(readings) + len(presence)
        except StoreRejected as exc:
            return self._refused(exc, len(readings) + len(presence))
        return []

    def _refused(self, exc: StoreRejected, points: int) -> list[RejectedMessage]:
        """Count points the store refused for good; return their reject-log entries.

        The others of the batch are stored (PointsRefused), or, when the store cannot say
        which points it refused, the whole batch is counted as refused with the reason.
        """
        c = self.counters
        c.store_errors += 1
        if not isinstance(exc, PointsRefused):
            log.error(
                "store rejected a batch of %d points: %s", points, exc, extra={"expected": True}
            )
            self.books.store_rejected(str(exc), points)
            c.rejected_readings += points
            c.by_code["store_rejected"] = c.by_code.get("store_rejected", 0) + points
            return []
        c.stored += points - len(exc.refused)
        c.rejected_readings += len(exc.refused)
        now_ms = int(self.clock() * 1000)
        rejects = []
        for point, reason in exc.refused:
            reject = _store_reject(self.root, point, reason, now_ms)
            c.by_code[reject.code] = c.by_code.get(reject.code, 0) + 1
            rejects.append(reject)
        log.warning("store refused %d of %d points: %s", len(exc.refused), points, exc)
        return rejects

    def _try_replay(self, spool: Spool | None, force: bool = False) -> int:
        """Write spooled points to the store if it answers; return how many it took."""
        now = time.monotonic()
        if spool is None or (
            self._store_down and not force and now - self._last_replay_try < REPLAY_RETRY_S
        ):
            return 0
        self._last_replay_try = now
        if not self.store.ping():
            self._store_down = True
            return 0

        def write(readings: list[Reading], presence: list[PresenceCount]) -> None:
            try:
                self.store.write(readings, presence)
            except StoreRejected as exc:
                # Refused for good: moved to the reject log, never left to block the spool.
                self._late_rejects += self._refused(exc, len(readings) + len(presence))
                return
            self.counters.stored += len(readings) + len(presence)

        limit = REPLAY_MAX_POINTS_PER_CYCLE
        try:
            replayed, more = replay_some(spool, write, limit, self.batch_max_points)
        except StoreUnavailable as exc:
            self._store_down = True
            waiting = spool.pending_points()
            log.warning("store still unavailable (%s); %d points wait in the spool", exc, waiting)
            return 0
        except OSError as exc:  # the spool's disk: never crash the writer, try again later
            log.error("spool replay failed (%s)", exc, extra={"expected": True})
            return 0
        self._store_down = not more and not spool.is_empty()
        if not more and not self._store_down:
            log.info("store is back: spool drained")
        return replayed

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if self.spool is not None and not self.spool.is_empty():
            self._try_replay(self.spool)
        if self._late_rejects:
            late, self._late_rejects = self._late_rejects, []
            try:
                self.books.record(late, [], [], [])
            except Exception as exc:  # the database may be down; keep them for later
                log.warning("refused points not yet in the reject log: %s", exc)
                self._late_rejects = late + self._late_rejects
        if now - self._last_heartbeat >= HEARTBEAT_S:
            self._last_heartbeat = now
            try:
                self.books.heartbeat(
                    self.worker_id, self._started_ms, int(self.clock() * 1000), self.status()
                )
            except Exception as exc:  # the database may be down; intake carries on
                log.warning("heartbeat not written: %s", exc)
        if now - self._last_prune >= PRUNE_INTERVAL_S:
            self._last_prune = now
            cutoff = int((self.clock() - self.retention_days * 86400) * 1000)
            try:
                self.store.prune(cutoff)
            except Exception as exc:
                log.warning("retention prune failed: %s", exc)

    def status(self) -> dict[str, object]:
        """Return this worker's counters and state for /health."""
        c = self.counters
        state = {
            "received": c.received,
            "stored": c.stored,
            "rejected": c.rejected,
            "rejected_readings": c.rejected_readings,
            "pending": self.pending_points,
            "spooled": c.spooled,
            # Points of spool frames that could not be read, moved to spool/quarantine/.
            "quarantined_points": self.spool.quarantined_points if self.spool else 0,
            "spool_cursor_error": self.spool.cursor_error if self.spool else "",  # disk full
            "store_errors": c.store_errors,
            "store_available": not self._store_down,
            "rejected_by_code": dict(c.by_code),
            "writer_alive": self.writer_alive,
            "writer_crashes": c.writer_crashes,
            "writer_error": self._writer_error,
            "writer_error_ms": self._writer_error_ms,
            "last_commit_ms": self._last_commit_ms,
            "oldest_unacked_age_s": self._oldest_unacked_age_s(),
        }
        state.update(self._spool_retry.status())  # spool_full, spool_error: intake waits
        state.update(self.books.status())
        for part in self.status_parts:
            state.update(part())
        state.update(self.status_extra())
        return state

    def _oldest_unacked_age_s(self) -> float:
        """Return how long the oldest message not yet acknowledged has waited (0 if none)."""
        oldest = self._unfinished or (self._batch if self._batch.tokens else None)
        return round(time.monotonic() - oldest.first_ms, 1) if oldest is not None else 0.0


_kind_of = attrgetter("kind")


def _partial_reject(
    topic: str, payload: bytes, rejections: Sequence[Rejection], now_ms: int
) -> RejectedMessage:
    """Return the rejected-message record of the readings dropped from a kept message."""
    detail = "; ".join(f"{r.detail}" for r in rejections[:10])
    more = len(rejections) - 10
    if more > 0:
        detail += f"; and {more} more"
    first = rejections[0]
    return RejectedMessage.from_raw(
        topic, payload, type(first)(first.code, f"some readings dropped: {detail}"), now_ms
    )


def _store_reject(
    root: str, point: Reading | PresenceCount, reason: str, now_ms: int
) -> RejectedMessage:
    """Return the reject-log entry of one point the store refused for good."""
    code = "too_old" if "beyond retention" in reason else "store_rejected"
    if isinstance(point, Reading):
        topic = f"{root}/{point.enterprise}/{point.site}/telemetry"
        body = {"sensor": point.sensor, "ts": point.ts_ms, "value": point.value}
        who = f"sensor {point.sensor}"
    else:
        topic = f"{root}/{point.enterprise}/{point.site}/presence"
        body = {"camera": point.camera, "ts": point.ts_ms, "people": point.people}
        who = f"camera {point.camera}"
    detail = f"{who} at {point.ts_ms} (gateway {point.enterprise}/{point.site}): store refused it: {reason}"
    return RejectedMessage.from_raw(
        topic, json.dumps(body).encode(), Rejection(code, detail), now_ms
    )
