"""Time as the pages, books and API show it: ISO 8601 UTC text and local wall-clock time.

Times inside Hazwatch are epoch milliseconds (UTC). Local time always means the registry's
timezone, never the server's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

WALL_CLOCK_FORMAT = "%Y-%m-%d %H:%M:%S"

# What the books and the pipeline are given to read the time: seconds, like time.time.
Clock = Callable[[], float]


def iso_utc(ts_ms: int) -> str:
    """Format epoch milliseconds as an ISO 8601 UTC time, e.g. 2026-11-29T01:00:00.000Z."""
    moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_utc_or_none(ts_ms: int | None) -> str | None:
    """Format epoch milliseconds as `iso_utc` does, keeping None."""
    return None if ts_ms is None else iso_utc(ts_ms)


def iso_to_ms(text: str | None) -> int | None:
    """Return epoch ms of an ISO 8601 time (a naive one is taken as UTC); None for no text."""
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def local_time(ts_ms: float | None, tz: str, fmt: str = WALL_CLOCK_FORMAT) -> str:
    """Return epoch ms as local wall-clock text in the timezone ('' for None)."""
    if ts_ms is None:
        return ""
    return datetime.fromtimestamp(ts_ms / 1000, ZoneInfo(tz)).strftime(fmt)


def local_dt(ts_ms: float, tz: str) -> datetime:
    """Return epoch ms as a naive local datetime in the timezone (what Plotly draws)."""
    return datetime.fromtimestamp(ts_ms / 1000, ZoneInfo(tz)).replace(tzinfo=None)
