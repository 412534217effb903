"""A small durable journal: JSON entries kept in order on local disk until a peer takes them.

The ingest writes to two peers besides the time-series store: the relational store (rejects,
permits, gateway status, unregistered sensors) and the alarm book. When either is down or
hung, what it should have received is appended here, fsynced, so the MQTT messages can be
acknowledged and readings keep flowing; a drain applies the entries, oldest first, once the
peer answers again.

Layout of the journal directory:
- `entries`: frames, each a header (magic, payload length, CRC32 of the payload) and one
  entry as UTF-8 JSON. Appends go to the end only; a crash during one leaves a torn tail
  that `start()` finds (magic, length or CRC wrong) and truncates.
- `cursor`: the byte offset of the first entry not yet applied, replaced atomically and
  fsynced, so an entry is applied again after a crash only if the crash fell between the
  peer's commit and the cursor's update.
- `quarantine/`: entries the peer refused for good, each with its reason, so one bad entry
  can never block the ones behind it.
- `lock`: held with flock by the one Journal that owns the directory.

When every entry has been applied the file is truncated, so an idle journal takes no space.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAGIC = b"HZJ1"
HEADER = struct.Struct("<4sII")  # magic, payload length, crc32 of the payload
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # a longer length field is damage, not data
ENTRIES_FILE = "entries"
CURSOR_FILE = "cursor"
QUARANTINE_DIR = "quarantine"
LOCK_FILE = "lock"


class JournalFull(Exception):
    """The journal would grow past its bound; the caller keeps the entry and retries later."""


class JournalLocked(Exception):
    """Another process already owns the journal directory."""


@dataclass(frozen=True)
class Entry:
    """One journaled entry and where the next one starts (pass it to `advance`)."""

    value: Any
    end: int
    written_ms: int


class Journal:
    """A bounded, crash-safe, ordered queue of JSON entries on disk."""

    def __init__(self, directory: str | Path, max_bytes: int = 256 * 1024 * 1024) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._size = 0  # bytes of complete frames
        self._cursor = 0  # offset of the first entry not applied
        self._pending = 0  # entries between the cursor and the end
        self._oldest_ms = 0  # when the oldest pending entry was written (0: none or unknown)
        self.quarantined = 0  # entries moved aside since start

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Create the directory, take ownership, and recover what a previous run left."""
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._take_ownership()
            path = self.directory / ENTRIES_FILE
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            self._fd = fd
            size, count = _scan(fd, 0)
            file_size = os.fstat(fd).st_size
            if size < file_size:
                log.warning(
                    "journal %s: dropped %d bytes after its last complete entry "
                    "(an append cut short by a crash)",
                    path,
                    file_size - size,
                )
                os.ftruncate(fd, size)
                os.fsync(fd)
            self._size = size
            cursor = self._read_cursor()
            if cursor > size:
                cursor = size  # the file was emptied after everything was applied
            boundary, before = _scan(fd, 0, stop=cursor)
            if boundary != cursor:
                # Not a frame boundary: the cursor is damaged. Applying again loses nothing.
                log.warning("journal cursor %d in %s is not an entry boundary", cursor, path)
                cursor, before = 0, 0
            self._cursor = cursor
            self._pending = count - before
            self._oldest_ms = int(time.time() * 1000) if self._pending else 0
            if self._pending:
                log.warning("journal %s: %d entries wait to be applied", path, self._pending)

    def close(self) -> None:
        """Close the files and give up ownership of the directory."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    # -- queries ----------------------------------------------------------------------------

    def pending(self) -> int:
        """Return how many entries wait to be applied."""
        return self._pending

    def is_empty(self) -> bool:
        """Tell whether nothing waits."""
        return self._pending == 0

    def bytes_used(self) -> int:
        """Return the bytes of entries on disk (applied ones included until truncation)."""
        return self._size

    def oldest_age_s(self, now_ms: int | None = None) -> float:
        """Return how long the oldest waiting entry has waited (0 when none waits)."""
        if not self._pending or not self._oldest_ms:
            return 0.0
        now = int(time.time() * 1000) if now_ms is None else now_ms
        return max(0.0, (now - self._oldest_ms) / 1000)

    # -- append and drain -------------------------------------------------------------------

    def append(self, value: Any) -> Entry:
        """Write one entry durably (fsynced) after everything already journaled."""
        now_ms = int(time.time() * 1000)
        payload = json.dumps({"t": now_ms, "v": value}, separators=(",", ":")).encode()
        frame = HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload
        with self._lock:
            fd = self._need_fd()
            if self._size + len(frame) > self.max_bytes:
                raise JournalFull(
                    f"journal {self.directory} holds {self._size} bytes; an entry of "
                    f"{len(frame)} more would pass its bound of {self.max_bytes}"
                )
            try:
                _write_all(fd, frame)
                os.fsync(fd)
            except OSError:
                try:  # a half-written frame must not sit in front of the next one
                    os.ftruncate(fd, self._size)
                except OSError:
                    pass  # start() truncates the torn tail
                raise
            self._size += len(frame)
            if not self._pending:
                self._oldest_ms = now_ms
            self._pending += 1
            return Entry(value, self._size, now_ms)

    def peek(self, max_entries: int = 100) -> list[Entry]:
        """Return up to `max_entries` waiting entries, oldest first, without removing them."""
        with self._lock:
            fd = self._need_fd()
            entries: list[Entry] = []
            offset = self._cursor
            while offset < self._size and len(entries) < max_entries:
                frame = _read(fd, offset, self._size)
                if frame is None:
                    break  # verified at start or written by us: only the disk can damage it
                payload, end = frame
                try:
                    body = json.loads(payload)
                    entries.append(Entry(body["v"], end, int(body["t"])))
                except (ValueError, KeyError, TypeError) as exc:
                    if entries:
                        break  # hand over what was read; the bad one comes first next time
                    self._quarantine_locked(payload, end, f"unreadable: {exc}")
                    offset = self._cursor
                    continue
                offset = end
            return entries

    def advance(self, entry: Entry) -> None:
        """Mark `entry` and every entry before it as applied."""
        with self._lock:
            self._advance_locked(entry.end, entry.written_ms)

    def quarantine(self, entry: Entry, reason: str) -> None:
        """Move `entry` (the oldest waiting one) aside with its reason, and step past it."""
        payload = json.dumps({"t": entry.written_ms, "v": entry.value}).encode()
        with self._lock:
            self._quarantine_locked(payload, entry.end, reason)

    # -- internals --------------------------------------------------------------------------

    def _need_fd(self) -> int:
        if self._fd is None:
            raise RuntimeError("journal is not started")
        return self._fd

    def _advance_locked(self, end: int, written_ms: int) -> None:
        fd = self._need_fd()
        _, applied = _scan(fd, self._cursor, stop=end)
        self._cursor = end
        self._pending = max(0, self._pending - applied)
        if self._pending == 0 and self._cursor >= self._size:
            # Everything applied: empty the file first, then the cursor. A crash between
            # the two leaves a cursor past the end, which start() reads as "all applied".
            os.ftruncate(fd, 0)
            os.fsync(fd)
            self._size = self._cursor = 0
            self._oldest_ms = 0
        elif self._pending:
            nxt = _read(fd, self._cursor, self._size)
            self._oldest_ms = _written_ms(nxt[0]) if nxt else written_ms
        self._write_cursor()

    def _quarantine_locked(self, payload: bytes, end: int, reason: str) -> None:
        folder = self.directory / QUARANTINE_DIR
        folder.mkdir(exist_ok=True, mode=0o700)
        name = f"{int(time.time() * 1000)}-{self._cursor:012d}"
        (folder / f"{name}.json").write_bytes(payload)
        (folder / f"{name}.reason").write_text(reason[:2000] + "\n")
        self.quarantined += 1
        log.error(
            "journal %s: an entry was refused for good (%s); moved to %s",
            self.directory,
            reason[:500],
            folder / f"{name}.json",
        )
        self._advance_locked(end, 0)

    def _take_ownership(self) -> None:
        if self._lock_fd is not None:
            return
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise JournalLocked(f"journal {self.directory} is in use by another process") from exc
        self._lock_fd = fd

    def _read_cursor(self) -> int:
        try:
            return max(0, int((self.directory / CURSOR_FILE).read_text().strip() or 0))
        except FileNotFoundError:
            return 0
        except ValueError:
            log.warning(
                "journal cursor in %s is unreadable; applying from the start", self.directory
            )
            return 0

    def _write_cursor(self) -> None:
        tmp = self.directory / (CURSOR_FILE + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(fd, f"{self._cursor}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.directory / CURSOR_FILE)


def _read(fd: int, offset: int, limit: int) -> tuple[bytes, int] | None:
    """Return the payload of the intact frame at `offset` and where the next starts."""
    if offset + HEADER.size > limit:
        return None
    header = os.pread(fd, HEADER.size, offset)
    if len(header) < HEADER.size:
        return None
    magic, length, crc = HEADER.unpack(header)
    end = offset + HEADER.size + length
    if magic != MAGIC or length > MAX_ENTRY_BYTES or end > limit:
        return None
    payload = os.pread(fd, length, offset + HEADER.size)
    if len(payload) < length or zlib.crc32(payload) != crc:
        return None
    return payload, end


def _scan(fd: int, offset: int, *, stop: int | None = None) -> tuple[int, int]:
    """Return where the intact frames from `offset` end and how many there are."""
    limit = os.fstat(fd).st_size if stop is None else stop
    count = 0
    while (frame := _read(fd, offset, limit)) is not None:
        offset, count = frame[1], count + 1
    return offset, count


def _written_ms(payload: bytes) -> int:
    try:
        return int(json.loads(payload)["t"])
    except (ValueError, KeyError, TypeError):
        return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
