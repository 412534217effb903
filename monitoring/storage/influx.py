"""The InfluxDB store: line protocol to `/write`, InfluxQL with bound parameters to `/query`.

Only the v1 HTTP API is used (`/ping`, `/write`, `/query`), which InfluxDB 1.x, 2.4+ (DBRP
mappings) and 3.x all answer. User text never reaches InfluxQL: values travel as bound
parameters (`$name`, WHERE clauses only), identifiers are contract ids double-quoted, and
durations are formatted from integers computed here.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import requests

from monitoring.records import ID_PATTERN, PresenceCount, Reading
from monitoring.storage.base import (
    LatestPresence,
    LatestReading,
    PointsRefused,
    SeriesPoint,
    StoreRejected,
    StoreUnavailable,
)
from monitoring.storage.lineprotocol import encode_presence, encode_readings

log = logging.getLogger(__name__)

# Timing and size constants are module-level so tests can shrink them.
WRITE_BATCH_POINTS = 5000  # points per POST: near InfluxDB's sweet spot (see NOTES.md)
WRITE_RETRY_INITIAL_S = 0.1  # first pause after a failed write; doubles up to the max
WRITE_RETRY_MAX_S = 2.0
WRITE_RETRY_DEADLINE_S = 10.0  # give up on a batch after this long without progress
PING_TIMEOUT_S = 2.0

# Retention policy names come back from the server; quote only names that look ordinary.
_RP_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_NS_PER_MS = 1_000_000

_LATEST_READINGS_Q = (
    'SELECT "value", "quality" FROM "reading" WHERE "enterprise" = $enterprise'
    ' AND "site" = $site GROUP BY "sensor", "zone", "kind" ORDER BY time DESC LIMIT 1'
)
_LATEST_PRESENCE_Q = (
    'SELECT last("people") AS "people" FROM "presence" WHERE "enterprise" = $enterprise'
    ' AND "site" = $site GROUP BY "zone", "camera"'
)
# {bucket} is filled by _series_query() from integers; everything else is bound.
_READING_SERIES_Q = (
    'SELECT mean("value") FROM "reading" WHERE "enterprise" = $enterprise AND "site" = $site'
    ' AND "sensor" = $sensor AND time >= $start AND time < $end'
    " GROUP BY {bucket} fill(none)"
)
# Per camera the max of each bucket, then summed over the zone's cameras: the same
# "sum over cameras" that latest_presence answers, and a plain max when there is one camera.
_PRESENCE_SERIES_Q = (
    'SELECT sum("m") FROM (SELECT max("people") AS "m" FROM "presence"'
    ' WHERE "enterprise" = $enterprise AND "site" = $site AND "zone" = $zone'
    ' AND time >= $start AND time < $end GROUP BY {bucket}, "camera" fill(none))'
    " WHERE time >= $start AND time < $end GROUP BY {bucket} fill(none)"
)
_COUNT_READINGS_Q = {
    (False, False): 'SELECT count("value") FROM "reading"',
    (True, False): 'SELECT count("value") FROM "reading" WHERE "enterprise" = $enterprise',
    (False, True): 'SELECT count("value") FROM "reading" WHERE "site" = $site',
    (True, True): (
        'SELECT count("value") FROM "reading" WHERE "enterprise" = $enterprise AND "site" = $site'
    ),
}


class PointRefused(PointsRefused, ValueError):
    """Points refused for good (unsafe text, beyond retention, type conflict); the rest stored."""


Refused = list[tuple[Reading | PresenceCount, str]]  # each refused point and why


class InfluxStore:
    """A RecordStore on an InfluxDB server reached through its v1 HTTP API."""

    def __init__(
        self,
        url: str,
        db: str = "hazmon",
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        retention_days: int | None = None,
    ) -> None:
        if not ID_PATTERN.fullmatch(db):
            raise ValueError(f"database name {db!r} must match {ID_PATTERN.pattern}")
        if retention_days is not None and retention_days < 1:
            raise ValueError(f"retention_days must be at least 1, not {retention_days}")
        self.url = url.rstrip("/")
        self.db = db
        self.timeout_s = timeout_s
        self.retention_days = retention_days
        # A Session does no I/O until used; it keeps connections alive between batches.
        self._session = requests.Session()
        self._session.auth = (username, password or "") if username else None
        # Credentials and proxies come from settings only; without this, requests reads
        # ~/.netrc and proxy variables on every write (measured: a few % of intake CPU).
        self._session.trust_env = False
        self._write_lock = threading.Lock()  # one write() at a time per store
        self._closed = threading.Event()  # wakes a write that waits to retry
        self._poster: ThreadPoolExecutor | None = None  # made by the first large write

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Check the server answers, create the database and set its retention."""
        self._closed.clear()
        deadline = time.monotonic() + WRITE_RETRY_DEADLINE_S
        # A server started alongside us (compose, systemd) may need a moment to listen.
        while not self.ping():
            if time.monotonic() + WRITE_RETRY_INITIAL_S > deadline:
                raise StoreUnavailable(f"InfluxDB at {self.url} does not answer /ping")
            if self._closed.wait(WRITE_RETRY_INITIAL_S):
                raise StoreUnavailable("store closed while starting")
        self._create_database()
        if self.retention_days is not None:
            self._set_retention(self.retention_days)

    def close(self) -> None:
        """Release connections and stop any write waiting to retry."""
        self._closed.set()
        if self._poster is not None:
            self._poster.shutdown(wait=True)
            self._poster = None
        self._session.close()  # drops pooled connections; a later start() opens new ones

    def ping(self) -> bool:
        """Tell whether the server answers now."""
        try:
            r = self._session.get(f"{self.url}/ping", timeout=PING_TIMEOUT_S)
        except requests.RequestException:
            return False
        return r.status_code == 204

    # -- writes ----------------------------------------------------------------------------

    def write(self, readings: Sequence[Reading], presence: Sequence[PresenceCount]) -> None:
        """Store a batch; raise StoreUnavailable when it may succeed later.

        A point refused for good (older than the retention policy, a field type conflict,
        unsafe text) costs only itself: every other point is stored, then PointsRefused
        names each refused point with its reason.
        """
        with self._write_lock:
            if len(readings) + len(presence) <= WRITE_BATCH_POINTS:
                refused = self._write_chunk(readings, presence)
            else:
                refused = self._write_overlapped(readings, presence)
        if refused:
            raise PointRefused(refused)

    def _write_chunk(
        self, readings: Sequence[Reading], presence: Sequence[PresenceCount]
    ) -> Refused:
        """POST one chunk; on a refusal, find the refused points and store the others."""
        lines, refused = _encode_all(readings, presence)
        if lines:
            try:
                self._post_write("\n".join(lines).encode())
            except StoreRejected as exc:
                refused += self._isolate(readings, presence, str(exc))
        return refused

    def _write_overlapped(
        self, readings: Sequence[Reading], presence: Sequence[PresenceCount]
    ) -> Refused:
        """POST a large batch in chunks, encoding the next chunk while InfluxDB takes one.

        Encoding is Python work and the write is InfluxDB's (on another core): overlapping
        them nearly halves the time of a large batch. One POST is in flight at a time;
        InfluxDB 1.6 answers 500 under concurrent writes (NOTES.md). A refused chunk never
        ends the batch: InfluxDB 1.6 stores the other points of a "partial write", and the
        later chunks are sent all the same.
        """
        if self._poster is None:
            self._poster = ThreadPoolExecutor(1, thread_name_prefix="influx-write")
        refused: Refused = []
        in_flight: Future | None = None
        in_flight_chunk: tuple[Sequence[Reading], Sequence[PresenceCount]] = ((), ())
        try:
            for chunk in _chunks(readings, presence, WRITE_BATCH_POINTS):
                lines, bad = _encode_all(*chunk)
                refused += bad
                if not lines:
                    continue
                body = "\n".join(lines).encode()
                if in_flight is not None:
                    refused += self._outcome(in_flight, in_flight_chunk)
                in_flight, in_flight_chunk = self._poster.submit(self._post_write, body), chunk
            if in_flight is not None:
                refused += self._outcome(in_flight, in_flight_chunk)
        finally:
            if in_flight is not None and not in_flight.done():
                # Leaving early (StoreUnavailable): never return while a POST of it runs.
                wait_quietly(in_flight)
        return refused

    def _outcome(
        self, posted: Future, chunk: tuple[Sequence[Reading], Sequence[PresenceCount]]
    ) -> Refused:
        """Wait for a chunk's POST; return its refused points (StoreUnavailable ends the batch)."""
        try:
            posted.result()
        except StoreRejected as exc:
            return self._isolate(chunk[0], chunk[1], str(exc))
        return []

    def _isolate(
        self, readings: Sequence[Reading], presence: Sequence[PresenceCount], reason: str
    ) -> Refused:
        """Find the points of a refused POST by halving it; every other point gets stored.

        Rare path. Writing a point twice stores it once, so re-sending the halves that
        InfluxDB had partly written already is harmless.
        """
        points: list[Reading | PresenceCount] = [*readings, *presence]
        if len(points) == 1:
            return [(points[0], reason)]
        refused: Refused = []
        middle = len(points) // 2
        for part in (points[:middle], points[middle:]):
            part_readings = [p for p in part if isinstance(p, Reading)]
            part_presence = [p for p in part if isinstance(p, PresenceCount)]
            lines, bad = _encode_all(part_readings, part_presence)
            refused += bad
            if not lines:
                continue
            try:
                self._post_write("\n".join(lines).encode())
            except StoreRejected as exc:
                refused += self._isolate(part_readings, part_presence, str(exc))
        return refused

    def _post_write(self, body: bytes) -> None:
        created_database = False
        delay = WRITE_RETRY_INITIAL_S
        deadline = time.monotonic() + WRITE_RETRY_DEADLINE_S
        while True:
            remaining = deadline - time.monotonic()
            try:
                r = self._session.post(
                    f"{self.url}/write",
                    params={"db": self.db, "precision": "ms"},
                    data=body,
                    headers={"Content-Type": "text/plain; charset=utf-8"},
                    timeout=max(0.5, min(self.timeout_s, remaining)),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if r.status_code == 204:
                    return
                text = _error_text(r)
                if r.status_code == 404 and "database not found" in text and not created_database:
                    # Someone dropped the database, or the server came back empty.
                    created_database = True
                    self._create_database()
                    continue
                if r.status_code in (401, 403):
                    # Wrong credentials refuse every point alike: a fault to fix, not data
                    # to drop, so the batch waits (spooled) until the settings are right.
                    raise StoreUnavailable(f"InfluxDB refused our credentials ({r.status_code})")
                if r.status_code < 500 and r.status_code != 429:
                    raise StoreRejected(f"InfluxDB refused the write ({r.status_code}): {text}")
                problem = f"HTTP {r.status_code}: {text}"
            pause = min(delay, WRITE_RETRY_MAX_S) * random.uniform(0.5, 1.0)
            if time.monotonic() + pause > deadline:
                raise StoreUnavailable(
                    f"InfluxDB write failed for {WRITE_RETRY_DEADLINE_S:g}s: {problem}"
                )
            log.info("InfluxDB write failed (%s); retrying in %.2fs", problem, pause)
            if self._closed.wait(pause):
                raise StoreUnavailable(f"store closed while retrying a write: {problem}")
            delay *= 2

    # -- reads -----------------------------------------------------------------------------

    def query(self, q: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one InfluxQL statement and return its series; `q` must be a constant string.

        Every value that came from outside goes in `params` (`$name` in a WHERE clause);
        never format user text into `q`.
        """
        data = {"db": self.db, "q": q, "epoch": "ms"}
        if params:
            data["params"] = json.dumps(params)
        try:
            r = self._session.post(f"{self.url}/query", data=data, timeout=self.timeout_s)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise StoreUnavailable(f"InfluxDB query failed: {exc}") from exc
        if r.status_code >= 500:
            raise StoreUnavailable(f"InfluxDB query failed ({r.status_code}): {_error_text(r)}")
        if r.status_code != 200:
            raise StoreRejected(f"InfluxDB refused the query ({r.status_code}): {_error_text(r)}")
        try:
            result = r.json()["results"][0]
        except (ValueError, KeyError, IndexError) as exc:
            raise StoreUnavailable(f"not an InfluxDB answer: {r.text[:200]!r}") from exc
        if "error" in result:
            raise StoreRejected(f"InfluxDB query error: {result['error']}")
        return result.get("series", [])

    def latest_readings(self, enterprise: str, site: str) -> list[LatestReading]:
        """Return the newest value of every sensor of a site, sorted by sensor."""
        newest: dict[str, LatestReading] = {}
        for s in self.query(_LATEST_READINGS_Q, {"enterprise": enterprise, "site": site}):
            tags = s["tags"]
            ts, value, quality = s["values"][0]  # columns: time, value, quality
            if value is None:
                continue
            latest = LatestReading(
                sensor=tags["sensor"],
                zone=tags["zone"],
                kind=tags["kind"],
                ts_ms=ts,
                value=float(value),
                # quality is written only when not good, so a missing one means good.
                quality=quality or "good",
            )
            # A sensor moved to another zone in the registry has one series per zone.
            known = newest.get(latest.sensor)
            if known is None or _recency(latest) > _recency(known):
                newest[latest.sensor] = latest
        return [newest[k] for k in sorted(newest)]

    def latest_presence(self, enterprise: str, site: str) -> list[LatestPresence]:
        """Return the newest people count of every zone of a site, sorted by zone.

        A zone watched by several cameras gets the sum of each camera's newest count, at the
        time of the newest of them.
        """
        zones: dict[str, tuple[int, int]] = {}
        for s in self.query(_LATEST_PRESENCE_Q, {"enterprise": enterprise, "site": site}):
            ts, people = s["values"][0]
            zone = s["tags"]["zone"]
            newest_ts, total = zones.get(zone, (ts, 0))
            zones[zone] = (max(newest_ts, ts), total + int(people))
        return [
            LatestPresence(zone=z, ts_ms=zones[z][0], people=zones[z][1]) for z in sorted(zones)
        ]

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
        q, span = _series_query(_READING_SERIES_Q, start_ms, end_ms, max_points)
        if q is None:
            return []
        params = {"enterprise": enterprise, "site": site, "sensor": sensor, **span}
        return _points(self.query(q, params))

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
        q, span = _series_query(_PRESENCE_SERIES_Q, start_ms, end_ms, max_points)
        if q is None:
            return []
        params = {"enterprise": enterprise, "site": site, "zone": zone, **span}
        return _points(self.query(q, params))

    def count_readings(self, enterprise: str | None = None, site: str | None = None) -> int:
        """Count stored reading points, optionally of one enterprise and/or site."""
        q = _COUNT_READINGS_Q[(enterprise is not None, site is not None)]
        params = {k: v for k, v in (("enterprise", enterprise), ("site", site)) if v is not None}
        series = self.query(q, params)
        return int(series[0]["values"][0][1]) if series else 0

    def prune(self, older_than_ms: int) -> int:
        """Leave retention to InfluxDB's retention policy; return -1 (count unknown)."""
        return -1

    # -- helpers ---------------------------------------------------------------------------

    def _admin(self, statement: str) -> list[dict[str, Any]]:
        """Run an administrative statement, retrying while the server is briefly unreachable."""
        deadline = time.monotonic() + WRITE_RETRY_DEADLINE_S
        while True:
            try:
                return self.query(statement)
            except StoreUnavailable:
                if time.monotonic() + WRITE_RETRY_INITIAL_S > deadline:
                    raise
                if self._closed.wait(WRITE_RETRY_INITIAL_S):
                    raise

    def _create_database(self) -> None:
        # IF NOT EXISTS is implied in 1.x; quoting makes keywords such as `limit` valid names.
        self._admin(f'CREATE DATABASE "{self.db}"')

    def _set_retention(self, days: int) -> None:
        # Alter the default policy rather than add one: the contract says "default retention
        # policy", and Grafana or other readers that name no policy must see the same data.
        policies = self._admin(f'SHOW RETENTION POLICIES ON "{self.db}"')
        for row in policies[0]["values"] if policies else []:
            record = dict(zip(policies[0]["columns"], row, strict=True))
            if not record.get("default"):
                continue
            name = record["name"]
            if not _RP_NAME.fullmatch(name):
                raise StoreRejected(f"default retention policy has an unusual name: {name!r}")
            self._admin(
                f'ALTER RETENTION POLICY "{name}" ON "{self.db}" DURATION {int(days):d}d'
                f" SHARD DURATION {_shard_duration(days)}"
            )
            return
        raise StoreRejected(f"database {self.db!r} has no default retention policy")


def _chunks(
    readings: Sequence[Reading], presence: Sequence[PresenceCount], size: int
) -> list[tuple[Sequence[Reading], Sequence[PresenceCount]]]:
    """Split a batch into parts of at most `size` points, readings first."""
    parts: list[tuple[Sequence[Reading], Sequence[PresenceCount]]] = []
    for i in range(0, len(readings), size):
        parts.append((readings[i : i + size], ()))
    for i in range(0, len(presence), size):
        parts.append(((), presence[i : i + size]))
    return parts


def wait_quietly(future: Future) -> None:
    """Wait for a future whose outcome no longer matters (the caller already failed)."""
    try:
        future.result()
    except Exception:  # the batch is retried or spooled whole; this error adds nothing
        log.debug("a write overlapping a failed one also ended: %s", future.exception())


def _encode_all(
    readings: Sequence[Reading], presence: Sequence[PresenceCount]
) -> tuple[list[str], Refused]:
    """Return (lines, refused): every point that encodes safely, and the others with why."""
    try:
        return encode_readings(readings) + encode_presence(presence), []
    except ValueError:
        pass
    # Rare path: find the refused points one by one so that the others are still stored.
    lines: list[str] = []
    refused: Refused = []
    for reading in readings:
        try:
            lines.extend(encode_readings([reading]))
        except ValueError as exc:
            refused.append((reading, str(exc)))
    for count in presence:
        try:
            lines.extend(encode_presence([count]))
        except ValueError as exc:
            refused.append((count, str(exc)))
    return lines, refused


def _recency(r: LatestReading) -> tuple[int, str, str]:
    """Rank a sensor's series: newest point first, ties to the greatest (zone, kind)."""
    # The same tie-break as the embedded store, so both answer alike.
    return (r.ts_ms, r.zone, r.kind)


def _shard_duration(retention_days: int) -> str:
    """Return the shard group duration InfluxDB itself picks for a policy of this length."""
    if retention_days < 2:
        return "1h"
    return "1d" if retention_days <= 180 else "7d"


def _series_query(
    template: str, start_ms: int, end_ms: int, max_points: int
) -> tuple[str | None, dict[str, int]]:
    """Return the query with its bucket clause, and the bound time span (ns) for [start, end)."""
    start_ms, end_ms, max_points = int(start_ms), int(end_ms), int(max_points)
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    if end_ms <= start_ms:
        return None, {}
    # Buckets of a whole number of ms, aligned on start_ms (the offset), so that [start, end)
    # holds at most max_points of them. Both numbers are ints computed here, never user text.
    interval = max(1, -(-(end_ms - start_ms) // max_points))  # integer ceil, no float error
    bucket = f"time({interval:d}ms, {start_ms % interval:d}ms)"
    span = {"start": start_ms * _NS_PER_MS, "end": end_ms * _NS_PER_MS}
    return template.format(bucket=bucket), span


def _points(series: list[dict[str, Any]]) -> list[SeriesPoint]:
    """Return the (time, value) rows of a one-series answer as series points."""
    if not series:
        return []
    return [SeriesPoint(ts_ms=ts, value=float(v)) for ts, v in series[0]["values"] if v is not None]


def _error_text(r: requests.Response) -> str:
    """Return InfluxDB's own error message of a failed request (its JSON `error`)."""
    try:
        body = r.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "error" in body:
        return str(body["error"]).strip()
    return r.text.strip()[:500]
