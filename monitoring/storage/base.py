"""The time-series store interface shared by the InfluxDB and embedded implementations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from monitoring.records import PresenceCount, Reading


class StoreUnavailable(Exception):
    """The store could not take or answer a request now; retrying later may succeed."""


class StoreRejected(Exception):
    """The store refused a request for good (4xx); retrying the same request will not help."""


class PointsRefused(StoreRejected):
    """Some points were refused for good, each with its reason; every other point is stored."""

    def __init__(self, refused: Sequence[tuple[Reading | PresenceCount, str]]) -> None:
        self.refused = list(refused)
        first = self.refused[0][1] if self.refused else ""
        super().__init__(f"{len(self.refused)} point(s) refused, the rest stored: {first}")


@dataclass(frozen=True, slots=True)
class LatestReading:
    """The newest stored value of one sensor."""

    sensor: str
    zone: str
    kind: str
    ts_ms: int
    value: float
    quality: str


@dataclass(frozen=True, slots=True)
class LatestPresence:
    """The newest stored people count of one zone (summed over its cameras at that time)."""

    zone: str
    ts_ms: int
    people: int


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One point of a (possibly downsampled) series."""

    ts_ms: int
    value: float


class RecordStore(Protocol):
    """Where readings and people counts live; both implementations answer the same reads."""

    def start(self) -> None:
        """Connect and create the database or schema if missing."""

    def close(self) -> None:
        """Release connections."""

    def ping(self) -> bool:
        """Tell whether the store answers now."""

    def write(self, readings: Sequence[Reading], presence: Sequence[PresenceCount]) -> None:
        """Store a batch durably; raise StoreUnavailable when it may succeed later.

        A point refused for good costs only itself: the others are stored and PointsRefused
        names the refused ones with their reasons.
        """

    def latest_readings(self, enterprise: str, site: str) -> list[LatestReading]:
        """Return the newest value of every sensor of a site."""

    def latest_presence(self, enterprise: str, site: str) -> list[LatestPresence]:
        """Return the newest people count of every zone of a site."""

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

    def count_readings(self, enterprise: str | None = None, site: str | None = None) -> int:
        """Count stored reading points (for health, tests and benchmarks)."""

    def prune(self, older_than_ms: int) -> int:
        """Drop points older than a time (retention); return how many, or -1 if unknown."""
