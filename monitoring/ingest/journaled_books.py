"""Intake's relational writes, journaled on local disk while the database is down or hung.

The writer thread must never wait on PostgreSQL: MQTT acknowledgements go out in the order
the messages came, so one message that needs a relational write (a reject, a gateway status,
a permit, an unregistered sensor) would hold back every reading behind it. `JournaledBooks`
writes straight to the books while the database answers and nothing waits; otherwise it
appends the batch's records to a local `Journal` (fsynced, so the messages may be
acknowledged) and a drain thread applies them in order once the database answers again.
The drain thread also writes the worker heartbeat, which doubles as the database probe, so a
hung database is noticed without the writer thread paying for it.

An entry the books refuse for good (not a connection or timeout error) is moved to the
journal's quarantine with its reason, counted and named in health; the entries behind it go
on. Book writes are idempotent, so an entry applied twice (a crash between the database's
commit and the journal's cursor update) changes nothing.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from monitoring.books.intake import STORE_REJECTED_TOPIC, IntakeBooks
from monitoring.books.rejects import RejectedMessage
from monitoring.books.unregistered import Sighting
from monitoring.db.errors import UNAVAILABLE_ERRORS
from monitoring.records import GatewayStatus, Permit, Rejection
from monitoring.storage.journal import Entry, Journal

log = logging.getLogger(__name__)

RETRY_S = 2.0  # how often a down database is tried again
HEARTBEAT_S = 5.0
DRAIN_CHUNK = 50  # entries read from the journal at a time

# The database did not answer or refused the connection: try again later. Any other error
# means the books refused the entry itself (a bug or bad data): quarantine it.
UNAVAILABLE: tuple[type[Exception], ...] = (*UNAVAILABLE_ERRORS, OSError)

_PERMIT_FIELDS = tuple(f.name for f in fields(Permit))
_STATUS_FIELDS = tuple(f.name for f in fields(GatewayStatus))


class JournaledBooks:
    """The intake books behind a local journal: never blocks intake on the database."""

    def __init__(self, books: IntakeBooks, journal: Journal) -> None:
        self.books = books
        self.journal = journal
        self._order = threading.Lock()  # direct writes and appends keep one order
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._db_ok = True
        self._db_error = ""
        self._down_since_ms = 0
        self._beat: tuple[str, int, int, Mapping[str, object]] | None = None
        self._last_beat = 0.0
        self.applied = 0  # entries applied from the journal
        self.journaled = 0  # entries appended to the journal

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the drain thread (the journal must be started)."""
        self._stopping = False
        self._db_ok = self.journal.is_empty()
        self._thread = threading.Thread(target=self._run, name="books-journal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the drain thread; what is still journaled waits for the next start."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        if not self.journal.is_empty():
            log.warning(
                "%d intake entries stay journaled in %s until the next start",
                self.journal.pending(),
                self.journal.directory,
            )

    # -- what the pipeline calls ------------------------------------------------------------

    def record(
        self,
        rejects: Sequence[RejectedMessage],
        permits: Sequence[Permit],
        statuses: Sequence[GatewayStatus],
        unregistered: Sequence[Sighting],
    ) -> None:
        """Keep one batch's relational records: in the books, or durably in the journal.

        Raises JournalFull or OSError when neither can take them; the caller keeps the batch
        unacknowledged and retries.
        """
        if not (rejects or permits or statuses or unregistered):
            return
        with self._order:
            if self._db_ok and self.journal.is_empty():
                try:
                    self.books.record(rejects, permits, statuses, unregistered)
                    return
                except UNAVAILABLE as exc:
                    self._went_down(exc)
                except Exception as exc:  # refused: the drain tries once more, then quarantines
                    log.error("intake books refused a batch (%s); journaled", exc)
            self.journal.append(_encode(rejects, permits, statuses, unregistered))
            self.journaled += 1
        with self._wake:
            self._wake.notify_all()

    def store_rejected(self, reason: str, points: int) -> None:
        """Keep a note that the time-series store refused a batch for good."""
        detail = f"the store refused {points} points: {reason}"
        note = RejectedMessage.from_raw(
            STORE_REJECTED_TOPIC, b"", Rejection("store_rejected", detail), _now_ms()
        )
        self.record([note], [], [], [])

    def heartbeat(
        self, worker_id: str, started_ms: int, now_ms: int, state: Mapping[str, object]
    ) -> None:
        """Hand this worker's state to the drain thread, which publishes it for /health."""
        self._beat = (worker_id, started_ms, now_ms, state)

    def status(self) -> dict[str, object]:
        """Return the database and journal state for /health."""
        return {
            "database_available": self._db_ok,
            "database_error": self._db_error,
            "database_down_since_ms": self._down_since_ms,
            "journal_pending": self.journal.pending(),
            "journal_oldest_age_s": round(self.journal.oldest_age_s(), 1),
            "journal_quarantined": self.journal.quarantined,
        }

    # -- drain thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                if self.journal.is_empty() or not self._db_ok:
                    self._wake.wait(RETRY_S if not self._db_ok else 1.0)
                if self._stopping:
                    return
            try:
                if not self.journal.is_empty():
                    self._drain()
                self._publish_heartbeat()
            except Exception:  # the drain must outlive any surprise; it retries
                log.exception("intake journal drain failed; retrying")
                self._pause(RETRY_S)

    def _drain(self) -> None:
        while not self._stopping:
            entries = self.journal.peek(DRAIN_CHUNK)
            if not entries:
                with self._order:
                    if self.journal.is_empty():
                        self._came_back()
                        return
                continue
            for entry in entries:
                if not self._apply(entry):
                    self._pause(RETRY_S)
                    return

    def _apply(self, entry: Entry) -> bool:
        """Apply one entry; False when the database is unavailable (try again later)."""
        try:
            self.books.record(*_decode(entry.value))
        except UNAVAILABLE as exc:
            self._went_down(exc)
            return False
        except Exception as exc:
            self.journal.quarantine(entry, f"{type(exc).__name__}: {exc}")
            return True
        self.journal.advance(entry)
        self.applied += 1
        return True

    def _publish_heartbeat(self) -> None:
        beat = self._beat
        now = time.monotonic()
        if beat is None or now - self._last_beat < HEARTBEAT_S:
            return
        self._last_beat = now
        try:
            self.books.heartbeat(*beat)
        except UNAVAILABLE as exc:
            self._went_down(exc)
        except Exception as exc:
            log.warning("heartbeat not written: %s", exc)
        else:
            if not self._db_ok and self.journal.is_empty():
                with self._order:
                    if self.journal.is_empty():
                        self._came_back()

    def _went_down(self, exc: BaseException) -> None:
        self._db_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        if self._db_ok:
            self._down_since_ms = _now_ms()
            log.error(
                "database unavailable (%s): intake records are journaled in %s until it returns",
                self._db_error,
                self.journal.directory,
                extra={"expected": True},
            )
        self._db_ok = False

    def _came_back(self) -> None:
        if not self._db_ok:
            log.info("database is back: journaled intake records applied (%d)", self.applied)
        self._db_ok = True
        self._db_error = ""
        self._down_since_ms = 0

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._wake:
            while not self._stopping and (left := deadline - time.monotonic()) > 0:
                self._wake.wait(left)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _encode(
    rejects: Sequence[RejectedMessage],
    permits: Sequence[Permit],
    statuses: Sequence[GatewayStatus],
    unregistered: Sequence[Sighting],
) -> dict[str, Any]:
    return {
        "rejects": [
            [r.received_ms, r.topic, base64.b64encode(r.payload).decode(), r.code, r.reason, r.size]
            for r in rejects
        ],
        "permits": [[getattr(p, f) for f in _PERMIT_FIELDS] for p in permits],
        "statuses": [[getattr(s, f) for f in _STATUS_FIELDS] for s in statuses],
        "unregistered": [list(s) for s in unregistered],
    }


def _decode(
    value: Mapping[str, Any],
) -> tuple[list[RejectedMessage], list[Permit], list[GatewayStatus], list[Sighting]]:
    rejects = [
        RejectedMessage(
            received_ms=int(ms),
            topic=topic,
            payload=base64.b64decode(payload),
            code=code,
            reason=reason,
            size=int(size),
        )
        for ms, topic, payload, code, reason, size in value.get("rejects", ())
    ]
    permits = [Permit(*row) for row in value.get("permits", ())]
    statuses = [GatewayStatus(*row) for row in value.get("statuses", ())]
    unregistered = [(e, s, n, int(ts)) for e, s, n, ts in value.get("unregistered", ())]
    return rejects, permits, statuses, unregistered
