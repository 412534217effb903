"""Retrying a batch the spool cannot take (its bound reached, its disk full) until it is durable.

Issue 9, case 5. While InfluxDB is down, batches go to the on-disk spool. When the spool
refuses one (`SpoolFull` at `--spool-max-mb`, or `OSError` such as ENOSPC from a full disk),
the batch stays unacknowledged, so the broker keeps its messages and the ones behind it
(back-pressure). The episode must end by itself, so every retry first replays the spool to
the store if it answers (which empties the spool and frees its disk), then tries the batch
again: into the freed spool, or, once the spool is empty and the store answers, straight
into the store.

Order is kept: the pipeline writes a batch to the store directly only when the spool is
empty, so new data never reaches the store ahead of spooled data. Writing it first would
store the same points in the end (writes are idempotent, and the rules see batches in
commit order whatever the store's order), but it would leave holes in the stored history
while the spool drains and break the README's "replayed oldest first"; since each retry
drains the spool first anyway, keeping the order costs nothing.

The pause between retries is a real pause, until a deadline, waking early only for stop:
every incoming message notifies the pipeline's condition, and a pause that each one cut
short retried, and logged, hundreds of times a second. When a replay moved points, the
batch is tried again at once. The failure is logged at the start of the episode and on each
retry under one message template (the root `RepeatLimiter` writes it once and a summary a
minute, and counts every retry in /health), and a summary line closes the episode.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from monitoring.clock import Clock
from monitoring.records import PresenceCount, Reading
from monitoring.storage.spool.log import Spool, SpoolFull, Write

log = logging.getLogger(__name__)

RETRY_S = 1.0  # pause before trying a refused batch again when no replay moved anything

T = TypeVar("T")


@dataclass
class _Episode:
    """A time during which batches could not be made durable."""

    started: float  # monotonic
    started_ms: int
    points: int  # of the batch that waits
    error: str
    full: bool  # the spool's bound, or its disk, is full (not another error)
    retries: int = 0


class SpoolRetry:
    """Retry a batch the spool refuses until it is durable, replaying the spool in between."""

    def __init__(
        self, cond: threading.Condition, stopping: Callable[[], bool], clock: Clock = time.time
    ) -> None:
        self._cond = cond  # the pipeline's: stop() notifies it
        self._stopping = stopping
        self._clock = clock
        self._episode: _Episode | None = None

    def run(self, write: Callable[[], T], points: int, replay: Callable[[], int]) -> T | None:
        """Call `write` until it succeeds and return its result; None if the pipeline stops.

        `replay` writes spooled points to the store if it answers and returns how many.
        """
        while True:
            try:
                result = write()
            except Exception as exc:  # spool full or disk error: keep the batch, retry
                self._failed(exc, points)
                moved = replay()
                if self._stopping() or (moved == 0 and self._pause(RETRY_S)):
                    return None
                continue
            if self._episode is not None:
                self._ended()
            return result

    def status(self) -> dict[str, object]:
        """Return the state /health shows: whether intake waits on a full spool, and why."""
        e = self._episode
        return {
            "spool_full": bool(e and e.full),
            "spool_error": e.error if e else "",
            "spool_blocked_since_ms": e.started_ms if e else 0,
            "spool_blocked_retries": e.retries if e else 0,
        }

    def _failed(self, exc: Exception, points: int) -> None:
        error = f"{type(exc).__name__}: {exc}"[:300]
        full = isinstance(exc, SpoolFull) or (
            isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
        )
        e = self._episode
        if e is None:
            e = self._episode = _Episode(
                time.monotonic(), int(self._clock() * 1000), points, error, full
            )
        else:
            e.retries += 1
            e.points, e.error, e.full = points, error, full
        log.error(
            "cannot make %d points durable (%s); retrying every %.0f s after replaying the "
            "spool, new messages are not acknowledged meanwhile",
            points,
            error,
            RETRY_S,
            extra={"expected": True},  # named in /health while it lasts
        )

    def _ended(self) -> None:
        e = self._episode
        assert e is not None
        self._episode = None
        log.warning(
            "%d points durable again after %d retries in %.0f s (last error: %s)",
            e.points,
            e.retries,
            time.monotonic() - e.started,
            e.error,
        )

    def _pause(self, seconds: float) -> bool:
        """Wait `seconds` whatever notifies the condition, unless stopping; say if stopping."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while not self._stopping():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True


class _ReplayPause(Exception):
    """Stop a replay after a bounded amount so new batches keep flowing."""


def replay_some(spool: Spool, write: Write, max_points: int, batch_points: int) -> tuple[int, bool]:
    """Replay about `max_points` spooled points, `batch_points` a write; say how many, and if more.

    Return the points `write` took and whether replay stopped at the bound with more to go.
    An exception of `write` stops replay and propagates; its batch stays spooled.
    """
    replayed = 0

    def bounded(readings: list[Reading], presence: list[PresenceCount]) -> None:
        nonlocal replayed
        if replayed >= max_points:
            raise _ReplayPause  # before writing, so the spool keeps exactly the rest
        write(readings, presence)
        replayed += len(readings) + len(presence)

    try:
        spool.replay(bounded, max_points=batch_points)
    except _ReplayPause:
        return replayed, True
    return replayed, False
