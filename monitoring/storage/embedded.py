"""The embedded time-series store: SQLite answering the same reads as InfluxDB (contract 3).

For the demo and small single-machine setups. A point is identified, as in InfluxDB, by
measurement + tags + time, so re-writing a point replaces it and is never counted twice.

Durability: WAL with `synchronous=FULL`, so the WAL is fsynced at every commit and a `write()`
that returned survives a power cut, not only a process crash (NORMAL's promise); the ingest
acknowledges MQTT messages after it returns. One commit per batch makes that one fsync per
batch: 100,000 readings in batches of 5,000 went in at 40,000-50,000 rows/s with FULL and with
NORMAL alike, so NORMAL buys nothing worth the weaker promise.

Threads: one write connection behind a lock (the ingest writer thread, prune), and a small pool
of read connections lent to one thread at a time (web callbacks; Flask may start a thread per
request, so per-thread connections would pile up). WAL lets reads run during a write; each
read sees one consistent snapshot.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from monitoring.records import PresenceCount, Reading
from monitoring.settings import MIN_RETENTION_DAYS
from monitoring.storage.base import (
    LatestPresence,
    LatestReading,
    SeriesPoint,
    StoreRejected,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000  # wait this long for another process's lock before giving up
WRITER_CACHE_KIB = 65_536  # page cache of the write connection: inserts land all over the keys
READ_POOL_SIZE = 8  # idle read connections kept open; more are opened on demand
PRUNE_CHUNK_ROWS = 10_000  # rows deleted per transaction, so ingest writes interleave
MS_PER_DAY = 86_400_000

SCHEMA = (
    # Primary keys follow InfluxDB's identity: measurement (table), tags in contract order,
    # time. WITHOUT ROWID clusters rows by that key.
    """CREATE TABLE IF NOT EXISTS reading (
        enterprise TEXT NOT NULL, site TEXT NOT NULL, zone TEXT NOT NULL,
        sensor TEXT NOT NULL, kind TEXT NOT NULL, ts_ms INTEGER NOT NULL,
        value REAL NOT NULL, quality TEXT NOT NULL,
        PRIMARY KEY (enterprise, site, zone, sensor, kind, ts_ms)) WITHOUT ROWID""",
    # Latest value per sensor of a site, series of one sensor in a window, retention.
    """CREATE INDEX IF NOT EXISTS reading_by_sensor_time
        ON reading (enterprise, site, sensor, ts_ms)""",
    """CREATE TABLE IF NOT EXISTS presence (
        enterprise TEXT NOT NULL, site TEXT NOT NULL, zone TEXT NOT NULL,
        camera TEXT NOT NULL, ts_ms INTEGER NOT NULL,
        people INTEGER NOT NULL, confidence REAL,
        PRIMARY KEY (enterprise, site, zone, camera, ts_ms)) WITHOUT ROWID""",
    # Series of one zone in a window (all cameras), retention.
    """CREATE INDEX IF NOT EXISTS presence_by_zone_time
        ON presence (enterprise, site, zone, ts_ms)""",
)

UPSERT_READING = """INSERT INTO reading
    (enterprise, site, zone, sensor, kind, ts_ms, value, quality) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT DO UPDATE SET value = excluded.value, quality = excluded.quality"""
UPSERT_PRESENCE = """INSERT INTO presence
    (enterprise, site, zone, camera, ts_ms, people, confidence) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT DO UPDATE SET people = excluded.people, confidence = excluded.confidence"""

# Distinct values are found by skip-scan (one index seek each), not by scanning a site's rows.
NEXT_SENSOR = "SELECT MIN(sensor) FROM reading WHERE enterprise = ? AND site = ? AND sensor > ?"
LATEST_OF_SENSOR = """SELECT zone, kind, ts_ms, value, quality FROM reading
    WHERE enterprise = ? AND site = ? AND sensor = ?
    ORDER BY ts_ms DESC, zone DESC, kind DESC LIMIT 1"""
NEXT_ZONE = "SELECT MIN(zone) FROM presence WHERE enterprise = ? AND site = ? AND zone > ?"
NEXT_CAMERA = """SELECT MIN(camera) FROM presence
    WHERE enterprise = ? AND site = ? AND zone = ? AND camera > ?"""
LATEST_OF_CAMERA = """SELECT ts_ms, people FROM presence
    WHERE enterprise = ? AND site = ? AND zone = ? AND camera = ? ORDER BY ts_ms DESC LIMIT 1"""

# Series are read bucket by bucket through the primary key, each bucket one range seek with
# its values in the key's rows. Through the (enterprise, site, sensor, ts_ms) index every row
# cost a second look-up and the grouping a sort: 7 days of a 1 Hz sensor took ~3 s, this way
# ~0.4 s. The key needs the sensor's zones and kinds, found first by skip-scan (a few seeks).
NEXT_READING_ZONE = "SELECT MIN(zone) FROM reading WHERE enterprise = ? AND site = ? AND zone > ?"
NEXT_SENSOR_KIND = """SELECT MIN(kind) FROM reading
    WHERE enterprise = ? AND site = ? AND zone = ? AND sensor = ? AND kind > ?"""
# Buckets start at start_ms (so there are at most max_points of them); empty ones are left out.
READING_SERIES = """WITH RECURSIVE bucket(i) AS (
        SELECT 0 UNION ALL SELECT i + 1 FROM bucket WHERE i + 1 < ?8)
    SELECT i, (SELECT AVG(value) FROM reading
        WHERE enterprise = ?1 AND site = ?2 AND zone IN (SELECT value FROM json_each(?3))
        AND sensor = ?4 AND kind IN (SELECT value FROM json_each(?5))
        AND ts_ms >= ?6 + i * ?9 AND ts_ms < MIN(?6 + (i + 1) * ?9, ?7)) AS v
    FROM bucket"""
# With more buckets than this a read groups the key's rows in one pass instead: a bucket
# per seek would cost more than the rows themselves (e.g. raw points of a long window).
MAX_SEEK_BUCKETS = 5000
READING_SERIES_SCAN = """SELECT (ts_ms - ?6) / ?9 AS i, AVG(value) FROM reading
    WHERE enterprise = ?1 AND site = ?2 AND zone IN (SELECT value FROM json_each(?3))
    AND sensor = ?4 AND kind IN (SELECT value FROM json_each(?5))
    AND ts_ms >= ?6 AND ts_ms < ?7
    GROUP BY i"""
# A zone's count is the sum over its cameras, as in latest_presence: per bucket, each
# camera's maximum, summed (an upper bound of the zone's peak, the safe side for max_people).
# This reads one camera's maxima; the sum is taken over the zone's cameras in Python.
CAMERA_SERIES = """WITH RECURSIVE bucket(i) AS (
        SELECT 0 UNION ALL SELECT i + 1 FROM bucket WHERE i + 1 < ?7)
    SELECT i, (SELECT MAX(people) FROM presence
        WHERE enterprise = ?1 AND site = ?2 AND zone = ?3 AND camera = ?4
        AND ts_ms >= ?5 + i * ?8 AND ts_ms < MIN(?5 + (i + 1) * ?8, ?6)) AS v
    FROM bucket"""
CAMERA_SERIES_SCAN = """SELECT (ts_ms - ?5) / ?8 AS i, MAX(people) FROM presence
    WHERE enterprise = ?1 AND site = ?2 AND zone = ?3 AND camera = ?4
    AND ts_ms >= ?5 AND ts_ms < ?6
    GROUP BY i"""

COUNT_ALL = "SELECT COUNT(*) FROM reading"
COUNT_ENTERPRISE = "SELECT COUNT(*) FROM reading WHERE enterprise = ?"
COUNT_SITE = "SELECT COUNT(*) FROM reading WHERE enterprise = ? AND site = ?"
COUNT_SITE_ANY_ENTERPRISE = "SELECT COUNT(*) FROM reading WHERE site = ?"

NEXT_READING_SERIES = """SELECT enterprise, site, sensor FROM reading
    WHERE (enterprise, site, sensor) > (?, ?, ?) ORDER BY enterprise, site, sensor LIMIT 1"""
# Delete at most about PRUNE_CHUNK_ROWS of a sensor's oldest rows, all older than the cutoff.
PRUNE_READING_CHUNK = """DELETE FROM reading
    WHERE enterprise = ?1 AND site = ?2 AND sensor = ?3 AND ts_ms < ?4 AND ts_ms <= COALESCE(
        (SELECT ts_ms FROM reading WHERE enterprise = ?1 AND site = ?2 AND sensor = ?3
         ORDER BY ts_ms LIMIT 1 OFFSET ?5), ?4)"""
NEXT_PRESENCE_SERIES = """SELECT enterprise, site, zone FROM presence
    WHERE (enterprise, site, zone) > (?, ?, ?) ORDER BY enterprise, site, zone LIMIT 1"""
PRUNE_PRESENCE_CHUNK = """DELETE FROM presence
    WHERE enterprise = ?1 AND site = ?2 AND zone = ?3 AND ts_ms < ?4 AND ts_ms <= COALESCE(
        (SELECT ts_ms FROM presence WHERE enterprise = ?1 AND site = ?2 AND zone = ?3
         ORDER BY ts_ms LIMIT 1 OFFSET ?5), ?4)"""


class EmbeddedStore:
    """RecordStore on a local SQLite file (WAL, synchronous=FULL)."""

    def __init__(self, path: str | Path, retention_days: int = 90) -> None:
        if retention_days < MIN_RETENTION_DAYS:
            raise ValueError(
                f"retention_days={retention_days} is below the regulatory minimum of "
                f"{MIN_RETENTION_DAYS} days for major-hazard monitoring records"
            )
        self.path = Path(path)
        self.retention_days = retention_days
        self._write_lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._idle: list[sqlite3.Connection] = []

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the database file, creating it and its schema if missing."""
        self.close()  # a second start() must not leak the first one's connections
        conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.OperationalError(f"cannot switch {self.path} to WAL (got {mode})")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
            with _transaction(conn):
                for statement in SCHEMA:
                    conn.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            if conn is not None:
                conn.close()
            raise StoreUnavailable(f"cannot open embedded store {self.path}: {exc}") from exc
        with self._write_lock:
            self._writer = conn

    def close(self) -> None:
        """Close every connection; connections lent to readers close when returned."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def ping(self) -> bool:
        """Tell whether the store answers now."""
        try:
            with self._reader() as conn:
                conn.execute("SELECT 1 FROM reading LIMIT 1").fetchall()
            return True
        except StoreUnavailable:
            return False

    # -- writes -----------------------------------------------------------------------------

    def write(self, readings: Sequence[Reading], presence: Sequence[PresenceCount]) -> None:
        """Store a batch in one durable transaction; re-written points replace themselves."""
        if not readings and not presence:
            return
        reading_rows = [
            (r.enterprise, r.site, r.zone, r.sensor, r.kind, r.ts_ms, float(r.value), r.quality)
            for r in readings
        ]
        presence_rows = [
            (p.enterprise, p.site, p.zone, p.camera, p.ts_ms, p.people, p.confidence)
            for p in presence
        ]
        with self._write_lock:
            conn = self._require_writer()
            try:
                with _transaction(conn, immediate=True):
                    conn.executemany(UPSERT_READING, reading_rows)
                    conn.executemany(UPSERT_PRESENCE, presence_rows)
            except sqlite3.IntegrityError as exc:  # e.g. a NaN value: retrying will not help
                raise StoreRejected(f"embedded store refused the batch: {exc}") from exc
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"embedded store write failed: {exc}") from exc

    def prune(self, older_than_ms: int) -> int:
        """Drop points older than a time, a chunk per transaction; return how many."""
        deleted = self._prune_table(NEXT_READING_SERIES, PRUNE_READING_CHUNK, older_than_ms)
        deleted += self._prune_table(NEXT_PRESENCE_SERIES, PRUNE_PRESENCE_CHUNK, older_than_ms)
        return deleted

    def prune_expired(self, now_ms: int) -> int:
        """Drop points older than the retention period; return how many."""
        return self.prune(now_ms - self.retention_days * MS_PER_DAY)

    def _prune_table(self, next_series: str, delete_chunk: str, older_than_ms: int) -> int:
        deleted = 0
        key = self._next_series(next_series, ("", "", ""))
        while key is not None:
            while (n := self._delete_chunk(delete_chunk, key, older_than_ms)) > 0:
                deleted += n
            key = self._next_series(next_series, key)
        return deleted

    def _next_series(self, query: str, after: tuple[str, str, str]) -> tuple[str, str, str] | None:
        with self._write_lock:
            conn = self._require_writer()
            try:
                return conn.execute(query, after).fetchone()
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"embedded store prune failed: {exc}") from exc

    def _delete_chunk(self, query: str, key: tuple[str, str, str], older_than_ms: int) -> int:
        # The write lock is taken per chunk, never for a whole prune, so ingest writes go on.
        with self._write_lock:
            conn = self._require_writer()
            try:
                with _transaction(conn, immediate=True):
                    return conn.execute(query, (*key, older_than_ms, PRUNE_CHUNK_ROWS - 1)).rowcount
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"embedded store prune failed: {exc}") from exc

    # -- reads ------------------------------------------------------------------------------

    def latest_readings(self, enterprise: str, site: str) -> list[LatestReading]:
        """Return the newest value of every sensor of a site."""
        out: list[LatestReading] = []
        with self._reader() as conn, _read_snapshot(conn):
            sensor = ""
            while True:
                sensor = conn.execute(NEXT_SENSOR, (enterprise, site, sensor)).fetchone()[0]
                if sensor is None:
                    return out
                zone, kind, ts_ms, value, quality = conn.execute(
                    LATEST_OF_SENSOR, (enterprise, site, sensor)
                ).fetchone()
                out.append(LatestReading(sensor, zone, kind, ts_ms, value, quality))

    def latest_presence(self, enterprise: str, site: str) -> list[LatestPresence]:
        """Return every zone's people count: the sum of each camera's newest count."""
        out: list[LatestPresence] = []
        with self._reader() as conn, _read_snapshot(conn):
            zone = ""
            while True:
                zone = conn.execute(NEXT_ZONE, (enterprise, site, zone)).fetchone()[0]
                if zone is None:
                    return out
                newest, people, camera = 0, 0, ""
                while True:
                    camera = conn.execute(NEXT_CAMERA, (enterprise, site, zone, camera)).fetchone()[
                        0
                    ]
                    if camera is None:
                        break
                    ts_ms, count = conn.execute(
                        LATEST_OF_CAMERA, (enterprise, site, zone, camera)
                    ).fetchone()
                    newest, people = max(newest, ts_ms), people + count
                out.append(LatestPresence(zone, newest, people))

    def reading_series(
        self,
        enterprise: str,
        site: str,
        sensor: str,
        start_ms: int,
        end_ms: int,
        max_points: int = 2000,
    ) -> list[SeriesPoint]:
        """Return a sensor's values in [start, end), averaged into at most `max_points`."""
        span = _series_span(start_ms, end_ms, max_points)
        if span is None:
            return []
        start_ms, end_ms, bucket_ms, buckets = span
        with self._reader() as conn, _read_snapshot(conn):
            zones, kinds = _sensor_keys(conn, enterprise, site, sensor)
            if not zones:
                return []
            rows = conn.execute(
                READING_SERIES if buckets <= MAX_SEEK_BUCKETS else READING_SERIES_SCAN,
                (
                    enterprise,
                    site,
                    json.dumps(zones),
                    sensor,
                    json.dumps(kinds),
                    start_ms,
                    end_ms,
                    buckets,
                    bucket_ms,
                ),
            ).fetchall()
        return [SeriesPoint(start_ms + i * bucket_ms, float(v)) for i, v in rows if v is not None]

    def presence_series(
        self,
        enterprise: str,
        site: str,
        zone: str,
        start_ms: int,
        end_ms: int,
        max_points: int = 2000,
    ) -> list[SeriesPoint]:
        """Return a zone's people count in [start, end), max per bucket, at most `max_points`."""
        span = _series_span(start_ms, end_ms, max_points)
        if span is None:
            return []
        start_ms, end_ms, bucket_ms, buckets = span
        totals: dict[int, int] = {}
        with self._reader() as conn, _read_snapshot(conn):
            camera = ""
            while (
                camera := conn.execute(NEXT_CAMERA, (enterprise, site, zone, camera)).fetchone()[0]
            ) is not None:
                args = (enterprise, site, zone, camera, start_ms, end_ms, buckets, bucket_ms)
                query = CAMERA_SERIES if buckets <= MAX_SEEK_BUCKETS else CAMERA_SERIES_SCAN
                for i, peak in conn.execute(query, args):
                    if peak is not None:
                        totals[i] = totals.get(i, 0) + peak
        return [SeriesPoint(start_ms + i * bucket_ms, float(totals[i])) for i in sorted(totals)]

    def count_readings(self, enterprise: str | None = None, site: str | None = None) -> int:
        """Count stored reading points, optionally of one enterprise or site."""
        args: tuple[str | None, ...]
        if enterprise is None and site is None:
            query, args = COUNT_ALL, ()
        elif site is None:
            query, args = COUNT_ENTERPRISE, (enterprise,)
        elif enterprise is None:
            query, args = COUNT_SITE_ANY_ENTERPRISE, (site,)
        else:
            query, args = COUNT_SITE, (enterprise, site)
        with self._reader() as conn:
            return conn.execute(query, args).fetchone()[0]

    # -- connections ------------------------------------------------------------------------

    def _require_writer(self) -> sqlite3.Connection:
        if self._writer is None:
            raise StoreUnavailable("embedded store is not started")
        return self._writer

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """Lend a read connection to this thread; turn SQLite errors into StoreUnavailable."""
        if self._writer is None:
            raise StoreUnavailable("embedded store is not started")
        with self._pool_lock:
            conn = self._idle.pop() if self._idle else None
        try:
            if conn is None:
                conn = self._connect_reader()
            yield conn
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"embedded store read failed: {exc}") from exc
        finally:
            if conn is not None:
                self._give_back(conn)

    def _connect_reader(self) -> sqlite3.Connection:
        # Read-only: a web callback can never write, whatever goes wrong above it.
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def _give_back(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.rollback()
        with self._pool_lock:
            if self._writer is not None and len(self._idle) < READ_POOL_SIZE:
                self._idle.append(conn)
                return
        conn.close()


def bucket_width_ms(start_ms: int, end_ms: int, max_points: int) -> int:
    """Return the bucket width that splits [start, end) into at most `max_points` buckets."""
    return max(1, -(-(end_ms - start_ms) // max_points))


def _series_span(start_ms: int, end_ms: int, max_points: int) -> tuple[int, int, int, int] | None:
    """Return (start, end, bucket width, bucket count) of a series read, None if empty.

    Integers whatever the caller passed: SQLite divides floats exactly, so a float start
    once made every point its own bucket and the series unbounded.
    """
    start_ms, end_ms, max_points = int(start_ms), int(end_ms), int(max_points)
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    if end_ms <= start_ms:
        return None
    bucket_ms = bucket_width_ms(start_ms, end_ms, max_points)
    return start_ms, end_ms, bucket_ms, -(-(end_ms - start_ms) // bucket_ms)


def _sensor_keys(
    conn: sqlite3.Connection, enterprise: str, site: str, sensor: str
) -> tuple[list[str], list[str]]:
    """Return the zones and kinds a sensor's rows were stored under (usually one of each)."""
    zones: list[str] = []
    kinds: set[str] = set()
    zone = ""
    while (
        zone := conn.execute(NEXT_READING_ZONE, (enterprise, site, zone)).fetchone()[0]
    ) is not None:
        kind = ""
        while (
            kind := conn.execute(
                NEXT_SENSOR_KIND, (enterprise, site, zone, sensor, kind)
            ).fetchone()[0]
        ) is not None:
            kinds.add(kind)
            if not zones or zones[-1] != zone:
                zones.append(zone)
    return zones, sorted(kinds)


@contextmanager
def _transaction(conn: sqlite3.Connection, immediate: bool = False) -> Iterator[None]:
    # IMMEDIATE takes the write lock up front, so a busy database fails at BEGIN (after
    # busy_timeout) rather than half-way through a batch.
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    conn.execute("COMMIT")


@contextmanager
def _read_snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    # Several statements in one read transaction see one WAL snapshot, so a batch being
    # written meanwhile shows up for all sensors or for none.
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.rollback()
