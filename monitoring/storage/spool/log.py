"""The spool's segment log: where readings wait, in order, while InfluxDB is down.

Layout of the spool directory:
- `NNNNNNNNNNNN.seg` segment files, oldest first, each a run of frames (see `frames.py`:
  one appended batch each, checksummed).
- `cursor`: how far replay got (`segment offset points-into-frame`). It is replaced
  atomically but not fsynced: losing an update only means replaying a batch again, and
  replay is safe to repeat because store writes are idempotent (a point is identified by
  measurement, tags and time, so writing it twice stores it once). For the same reason a
  cursor that cannot be saved (a full disk: ENOSPC on its temp file) never stops replay: the
  cursor is kept in memory, replay goes on (deleting drained segments frees the disk), and
  it is saved again at the next step (`cursor_error` says why it is not saved meanwhile).
- `lock`: held with flock by the one Spool that owns the directory.

`append()` fsyncs before returning, so the caller may acknowledge MQTT messages. Segments are
written only at their end; a crash during an append leaves a torn last frame, which `start()`
finds (magic, length or CRC wrong) and truncates. Replay reads one batch at a time and deletes
a segment once it is fully written to the store, so memory stays flat whatever the backlog.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitoring.records import PresenceCount, Reading
from monitoring.storage.spool.frames import Frame, decode_payload, encode_frame, read_frame

log = logging.getLogger(__name__)

SEGMENT_BYTES = 16 * 1024 * 1024  # a segment rolls over past this size
MIN_SEGMENTS = 4  # a small spool still has several segments, so draining frees space early
SEGMENT_SUFFIX = ".seg"
CURSOR_FILE = "cursor"
QUARANTINE_DIR = "quarantine"  # unreadable frames, each with a `.reason` file
LOCK_FILE = "lock"

Write = Callable[[list[Reading], list[PresenceCount]], None]


class SpoolFull(Exception):
    """The spool would grow past its bound; the caller must keep the batch and retry later."""


class SpoolLocked(Exception):
    """Another process already owns the spool directory."""


@dataclass
class _Segment:
    size: int = 0  # bytes of complete, verified frames
    points: int = 0


@dataclass(frozen=True)
class _Cursor:
    seq: int  # segment to replay next
    offset: int  # frame to replay next within it
    skip: int = 0  # points of that frame already written (frames larger than max_points)


class Spool:
    """A bounded, crash-safe, ordered queue of batches on disk."""

    def __init__(self, directory: str | Path, max_bytes: int = 1 << 30) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # state and files
        self._replay_lock = threading.Lock()  # one replay at a time; appends go on meanwhile
        self._segments: dict[int, _Segment] = {}  # by sequence number, oldest first
        self._cursor = _Cursor(1, 0)
        self._consumed = 0  # points of the cursor's segment already written to the store
        self._next_seq = 1
        self._active_seq: int | None = None  # the segment appends go to
        self._active_fd: int | None = None
        self._lock_fd: int | None = None
        self.quarantined_points = 0  # points of unreadable frames moved aside
        self.cursor_error = ""  # why the saved cursor lags the one in memory; "" if it does not

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Create the directory, take ownership, and recover segments left by a previous run."""
        with self._lock:
            self._close_active()
            self.directory.mkdir(parents=True, exist_ok=True)
            self._take_ownership()
            cursor = self._read_cursor()
            seqs = sorted(
                int(p.name.removesuffix(SEGMENT_SUFFIX))
                for p in self.directory.glob("*" + SEGMENT_SUFFIX)
                if p.name.removesuffix(SEGMENT_SUFFIX).isdigit()
            )
            self._segments = {}
            for seq in seqs:
                if seq < cursor.seq:
                    # Replayed already; the crash came before its deletion reached the disk.
                    self._path(seq).unlink()
                    continue
                segment = self._recover_segment(seq)
                if segment.size == 0:
                    self._path(seq).unlink()
                else:
                    self._segments[seq] = segment
            # Never reuse the saved cursor's segment number: a cursor that could not be saved
            # may name a deleted segment at an offset, which must not apply to a new one.
            self._next_seq = max([1, cursor.seq + 1, *(s + 1 for s in seqs)])
            self._cursor, self._consumed = self._resume_at(cursor)
            self._active_seq = self._active_fd = None  # appends start a fresh segment

    def close(self) -> None:
        """Close files and give up ownership of the directory."""
        with self._lock:
            self._close_active()
            if self.cursor_error and self._lock_fd is not None:
                self._write_cursor()  # one more try; a stale cursor only repeats some replay
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # releases the flock
                self._lock_fd = None

    # -- queries ----------------------------------------------------------------------------

    def pending_points(self) -> int:
        """Return how many points wait to be replayed."""
        with self._lock:
            return sum(s.points for s in self._segments.values()) - self._consumed

    def bytes_used(self) -> int:
        """Return the bytes the segments take on disk."""
        with self._lock:
            return sum(s.size for s in self._segments.values())

    def is_empty(self) -> bool:
        """Tell whether nothing waits to be replayed."""
        return self.pending_points() == 0

    # -- append -----------------------------------------------------------------------------

    def append(self, readings: Sequence[Reading], presence: Sequence[PresenceCount]) -> None:
        """Write one batch durably (fsynced) after everything already spooled."""
        points = len(readings) + len(presence)
        if points == 0:
            return
        frame = encode_frame(readings, presence)
        with self._lock:
            if self._lock_fd is None:
                raise RuntimeError("spool is not started")
            used = sum(s.size for s in self._segments.values())
            if used + len(frame) > self.max_bytes:
                raise SpoolFull(
                    f"spool {self.directory} holds {used} bytes; a batch of {len(frame)} "
                    f"more would pass its bound of {self.max_bytes}"
                )
            seq, fd = self._active_seq, self._active_fd
            if (
                seq is None
                or fd is None
                or (
                    self._segments[seq].size > 0
                    and self._segments[seq].size + len(frame) > self._segment_limit()
                )
            ):
                seq, fd = self._roll()
            segment = self._segments[seq]
            try:
                _write_all(fd, frame)
                os.fsync(fd)
            except OSError:
                self._undo_append(fd, segment.size)
                raise
            segment.size += len(frame)
            segment.points += points

    def _roll(self) -> tuple[int, int]:
        """Start a new segment for appends; return its sequence number and file descriptor."""
        self._close_active()
        seq = self._next_seq
        fd = os.open(self._path(seq), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._active_fd = fd
        # The new file's name must survive a power cut as well as the frames in it.
        _fsync_directory(self.directory)
        self._next_seq, self._active_seq = seq + 1, seq
        if not self._segments:
            self._cursor, self._consumed = _Cursor(seq, 0), 0
        self._segments[seq] = _Segment()
        return seq, fd

    def _undo_append(self, fd: int, good_size: int) -> None:
        # A half-written frame must not sit in front of the next one.
        try:
            os.ftruncate(fd, good_size)
        except OSError:
            # Appends move to a new segment; replay stops at good_size, start() truncates.
            self._close_active()

    def _segment_limit(self) -> int:
        return max(1, min(SEGMENT_BYTES, self.max_bytes // MIN_SEGMENTS))

    def _close_active(self) -> None:
        if self._active_fd is not None:
            os.close(self._active_fd)
        self._active_fd = self._active_seq = None

    # -- replay -----------------------------------------------------------------------------

    def replay(self, write: Write, max_points: int = 5000) -> int:
        """Write spooled batches oldest first, at most `max_points` each; return points written.

        If `write` raises, replay stops and re-raises; the batch it was given stays spooled
        and comes first next time. A batch may reach the store twice (after a crash between
        the write and the cursor update), which is harmless because store writes are
        idempotent.
        """
        if max_points < 1:
            raise ValueError("max_points must be at least 1")
        written = 0
        with self._replay_lock:
            if self.cursor_error:
                with self._lock:
                    self._write_cursor()  # the disk may have room again
            while True:
                with self._lock:
                    batch = self._next_batch(max_points)
                if batch is None:
                    return written
                readings, presence, end = batch
                write(readings, presence)  # outside the lock: appends go on meanwhile
                with self._lock:
                    self._advance(end, len(readings) + len(presence))
                written += len(readings) + len(presence)

    def _next_batch(
        self, max_points: int
    ) -> tuple[list[Reading], list[PresenceCount], _Cursor] | None:
        while True:
            cursor = self._cursor
            segment = self._segments.get(cursor.seq)
            if segment is None:
                return None
            if cursor.offset < segment.size:
                break
            if cursor.seq == self._active_seq:
                return None  # caught up with the appends
            self._finish_segment(cursor.seq)  # left over from a previous run, all written
        readings: list[Reading] = []
        presence: list[PresenceCount] = []
        end = cursor
        with open(self._path(cursor.seq), "rb") as f:
            offset, skip = cursor.offset, cursor.skip
            while offset < segment.size and len(readings) + len(presence) < max_points:
                frame = read_frame(f, offset, segment.size)
                if frame is None:
                    self._drop_damaged(cursor.seq, offset, len(readings) + len(presence))
                    break
                take = min(max_points - len(readings) - len(presence), frame.points - skip)
                try:
                    reading_rows, presence_rows = decode_payload(frame.payload)
                    # A frame's points are its readings, then its presence counts.
                    taken_readings = reading_rows[skip : skip + take]
                    first_presence = max(0, skip - len(reading_rows))
                    taken_presence = presence_rows[
                        first_presence : first_presence + take - len(taken_readings)
                    ]
                    new_readings = [Reading(*row) for row in taken_readings]
                    new_presence = [PresenceCount(*row) for row in taken_presence]
                except Exception as exc:  # intact (CRC) but unreadable: never block replay
                    if readings or presence:
                        break  # hand over what was read; the bad frame comes first next time
                    self._quarantine(frame, cursor.seq, skip, exc)
                    return self._next_batch(max_points)
                readings.extend(new_readings)
                presence.extend(new_presence)
                if skip + take < frame.points:
                    end = _Cursor(cursor.seq, offset, skip + take)
                    break
                offset, skip = frame.end, 0
                end = _Cursor(cursor.seq, offset)
        if not readings and not presence:
            return self._next_batch(max_points)  # the damaged segment is gone: go on
        return readings, presence, end

    def _advance(self, end: _Cursor, points: int) -> None:
        segment = self._segments.get(end.seq)
        if segment is None:  # dropped as damaged meanwhile
            return
        self._consumed += points
        if end.offset < segment.size:
            self._cursor = end
            self._write_cursor()
        else:
            self._finish_segment(end.seq)

    def _finish_segment(self, seq: int) -> None:
        later = [s for s in self._segments if s > seq]
        # Move the cursor first: a crash between the two steps then only leaves a segment
        # that start() knows to be replayed already.
        self._cursor, self._consumed = _Cursor(later[0] if later else self._next_seq, 0), 0
        self._write_cursor()
        if seq == self._active_seq:
            self._close_active()
        del self._segments[seq]
        self._path(seq).unlink(missing_ok=True)
        if self.cursor_error:
            self._write_cursor()  # the deletion just freed room on the disk

    def _quarantine(self, frame: Frame, seq: int, skip: int, exc: Exception) -> None:
        """Move an unreadable frame aside with its reason, and step the cursor past it."""
        folder = self.directory / QUARANTINE_DIR
        folder.mkdir(exist_ok=True)
        name = f"{seq:012d}-{frame.offset:012d}"
        reason = f"{type(exc).__name__}: {exc}"[:1000]
        (folder / f"{name}.frame").write_bytes(frame.payload)
        (folder / f"{name}.reason").write_text(
            f"{frame.points - skip} points of spool segment {seq} at byte {frame.offset} "
            f"could not be decoded: {reason}\n"
        )
        self.quarantined_points += frame.points - skip
        log.error(
            "spool frame at %s byte %d is unreadable (%s): %d points moved to %s",
            self._path(seq),
            frame.offset,
            reason,
            frame.points - skip,
            folder,
        )
        self._advance(_Cursor(seq, frame.end), frame.points - skip)

    def _drop_damaged(self, seq: int, offset: int, still_written: int) -> None:
        # Verified at start() or written by us: only the disk can have damaged it since.
        lost = self._segments[seq].points - self._consumed - still_written
        log.error(
            "spool segment %s damaged at byte %d: %d points in it are lost",
            self._path(seq),
            offset,
            lost,
        )
        self._finish_segment(seq)

    # -- recovery ---------------------------------------------------------------------------

    def _take_ownership(self) -> None:
        if self._lock_fd is not None:
            return
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise SpoolLocked(f"spool {self.directory} is in use by another process") from exc
        self._lock_fd = fd

    def _recover_segment(self, seq: int) -> _Segment:
        """Measure a segment's complete frames; truncate a torn or damaged tail."""
        path = self._path(seq)
        segment = _Segment()
        with open(path, "r+b") as f:
            file_size = os.fstat(f.fileno()).st_size
            while (frame := read_frame(f, segment.size, file_size)) is not None:
                segment.size, segment.points = frame.end, segment.points + frame.points
            if segment.size < file_size:
                log.warning(
                    "spool segment %s: dropped %d bytes after its last complete frame "
                    "(an append cut short by a crash)",
                    path,
                    file_size - segment.size,
                )
                f.truncate(segment.size)
                os.fsync(f.fileno())
        return segment

    def _resume_at(self, cursor: _Cursor) -> tuple[_Cursor, int]:
        """Return where replay resumes and how many points of that segment are done."""
        if not self._segments:
            return _Cursor(self._next_seq, 0), 0
        oldest = next(iter(self._segments))
        if cursor.seq != oldest:
            return _Cursor(oldest, 0), 0
        consumed = 0
        with open(self._path(oldest), "rb") as f:
            offset = 0
            while offset < cursor.offset:
                frame = read_frame(f, offset, self._segments[oldest].size)
                if frame is None:
                    break
                consumed, offset = consumed + frame.points, frame.end
            if offset == cursor.offset:
                frame = read_frame(f, offset, self._segments[oldest].size)
                if frame is None or cursor.skip < frame.points:
                    return cursor, consumed + (cursor.skip if frame else 0)
        # Not a frame boundary: the cursor file is damaged; replaying again is safe.
        log.warning("spool cursor %s does not match the segments; replaying from the start", cursor)
        return _Cursor(oldest, 0), 0

    def _read_cursor(self) -> _Cursor:
        try:
            seq, offset, skip = (int(x) for x in (self.directory / CURSOR_FILE).read_text().split())
        except FileNotFoundError:
            return _Cursor(0, 0)
        except ValueError:
            log.warning(
                "spool cursor in %s is unreadable; replaying from the start", self.directory
            )
            return _Cursor(0, 0)
        return _Cursor(seq, offset, skip)

    def _write_cursor(self) -> None:
        """Save the cursor; on a disk error (ENOSPC) keep it in memory and say why."""
        tmp = self.directory / (CURSOR_FILE + ".tmp")
        c = self._cursor
        try:
            tmp.write_text(f"{c.seq} {c.offset} {c.skip}\n")
            os.replace(tmp, self.directory / CURSOR_FILE)
        except OSError as exc:
            # The saved cursor lags, which after a restart replays some points again: harmless.
            if not self.cursor_error:
                log.warning(
                    "spool cursor not saved (%s); kept in memory, replay goes on and saves it "
                    "when the disk has room",
                    exc,
                )
            self.cursor_error = f"cursor not saved: {exc}"[:300]
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            return
        if self.cursor_error:
            log.info("spool cursor saved again")
            self.cursor_error = ""

    def _path(self, seq: int) -> Path:
        return self.directory / f"{seq:012d}{SEGMENT_SUFFIX}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
