"""What the page read models read from the books and the time-series store, as Protocols.

`wiring.web` builds the views from the real books (`AlarmBook`, `PermitBook`, `UserBook`, a
`RecordStore` ...). Naming them here by what the views call, typed with the db-free value
types, keeps `monitoring.views` importable without the database: layouts import the views
for their row types and must not reach SQLAlchemy, even indirectly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from monitoring.alarms.bulk import BulkOutcome
from monitoring.alarms.model import Alarm, AlarmPage, OpenCount, Position
from monitoring.edge.permit_report import Recording
from monitoring.records import GatewayStatus, Permit
from monitoring.registry.model import Contact
from monitoring.users import AuditEntry, User

# -- the time-series store ------------------------------------------------------------------


class LatestValue(Protocol):
    """A sensor's newest stored value (the store's `LatestReading`)."""

    @property
    def sensor(self) -> str: ...
    @property
    def zone(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def ts_ms(self) -> int: ...
    @property
    def value(self) -> float: ...
    @property
    def quality(self) -> str: ...


class LatestCount(Protocol):
    """A zone's newest stored people count (the store's `LatestPresence`)."""

    @property
    def zone(self) -> str: ...
    @property
    def ts_ms(self) -> int: ...
    @property
    def people(self) -> int: ...


class SeriesValue(Protocol):
    """One point of a stored series (the store's `SeriesPoint`)."""

    @property
    def ts_ms(self) -> int: ...
    @property
    def value(self) -> float: ...


class StoreReader(Protocol):
    """The reads of a `RecordStore` that the pages make."""

    def latest_readings(self, enterprise: str, site: str) -> Sequence[LatestValue]: ...

    def latest_presence(self, enterprise: str, site: str) -> Sequence[LatestCount]: ...

    def reading_series(
        self,
        enterprise: str,
        site: str,
        sensor: str,
        start_ms: int,
        end_ms: int,
        max_points: int = 2000,
    ) -> Sequence[SeriesValue]: ...

    def presence_series(
        self,
        enterprise: str,
        site: str,
        zone: str,
        start_ms: int,
        end_ms: int,
        max_points: int = 2000,
    ) -> Sequence[SeriesValue]: ...


# -- alarms, calls and contact look-ups -----------------------------------------------------


class AlarmReader(Protocol):
    """The reads of the alarm book."""

    def list(
        self,
        state: str = "open",
        enterprise: str | None = None,
        site: str | None = None,
        severity: str | None = None,
        since_ms: int | None = None,
        limit: int = 500,
    ) -> list[Alarm]: ...

    def get(self, alarm_id: int) -> Alarm | None: ...

    def detail(self, alarm_id: int, include_phones: bool = False) -> dict | None: ...

    def counts_by_severity(
        self, enterprise: str | None = None, site: str | None = None
    ) -> dict[str, int]: ...

    def page(
        self,
        state: str = "open",
        enterprise: str | None = None,
        site: str | None = None,
        severity: str | None = None,
        since_ms: int | None = None,
        limit: int = 500,
        after: Position | None = None,
    ) -> AlarmPage: ...

    def open_counts(self, enterprise: str | None = None) -> Sequence[OpenCount]: ...

    def open_ids(self, severity: str | None = None) -> Sequence[int]: ...


class AlarmActions(AlarmReader, Protocol):
    """The alarm book as the console uses it: reads, acknowledging and shelving."""

    def acknowledge(
        self,
        alarm_id: int,
        username: str,
        comment: str,
        disposition: str | None = None,
        *,
        now_ms: int,
    ) -> Alarm: ...

    def shelve(
        self, alarm_id: int, username: str, minutes: int, reason: str, now_ms: int
    ) -> Alarm: ...

    def acknowledge_many(
        self,
        alarm_ids: Sequence[int],
        username: str,
        comment: str,
        disposition: str | None = None,
        *,
        now_ms: int,
    ) -> list[BulkOutcome]: ...

    def shelve_many(
        self, alarm_ids: Sequence[int], username: str, minutes: int, reason: str, now_ms: int
    ) -> list[BulkOutcome]: ...


class CallRecorder(Protocol):
    """The call log: record a call to a registry contact."""

    def record(
        self,
        alarm_id: int,
        username: str,
        contact: Contact,
        outcome: str,
        note: str,
        now_ms: int,
    ) -> dict: ...


class LookupRecorder(Protocol):
    """The contact-lookup audit: record that someone saw an enterprise's phone numbers."""

    def record(self, username: str, enterprise: str, alarm_id: int | None, now_ms: int) -> None: ...


# -- permits and gateways -------------------------------------------------------------------


class PermitReader(Protocol):
    """The reads of the permit book."""

    def list(
        self,
        enterprise: str | None = None,
        site: str | None = None,
        zone: str | None = None,
        active_at_ms: int | None = None,
        status: str | None = None,
        ending_after_ms: int | None = None,
    ) -> list[Permit]: ...


class PermitWriter(PermitReader, Protocol):
    """The permit book as the permits page uses it: reads and storing a report."""

    def upsert_many(self, permits: Sequence[Permit]) -> None: ...


class RecordingLog(Protocol):
    """Who recorded which permit reported by phone, with their note."""

    def add(self, permit: Permit, username: str, note: str, now_ms: int) -> None: ...

    def latest(
        self, keys: Iterable[tuple[str, str, str]]
    ) -> Mapping[tuple[str, str, str], Recording]: ...


class GatewayReader(Protocol):
    """The gateways' latest states."""

    def get(self, enterprise: str, site: str) -> GatewayStatus | None: ...


# -- what the admin page reads and changes --------------------------------------------------


class UserDirectory(Protocol):
    """The user book as the admin page uses it."""

    def list(self) -> list[User]: ...

    def get(self, username: str) -> User | None: ...

    def last_logins(self) -> dict[str, int]: ...

    def create(self, username: str, password: str, role: str, now_ms: int) -> User: ...

    def set_role(self, username: str, role: str) -> User: ...

    def set_password(self, username: str, password: str) -> None: ...

    def set_active(self, username: str, active: bool) -> User: ...

    def delete(self, username: str) -> None: ...


class AuditTrail(Protocol):
    """The audit log of administrators' actions."""

    def record(
        self, actor: str, action: str, target: str, outcome: str, detail: str, now_ms: int
    ) -> None: ...

    def recent(self, limit: int = 100) -> list[AuditEntry]: ...


class RejectReader(Protocol):
    """The reject log: the newest rejected messages and the counts by reason code."""

    def recent(self, limit: int = 100) -> list[dict[str, object]]: ...

    def counts(self) -> dict[str, int]: ...

    def total(self) -> int: ...


class UnregisteredReader(Protocol):
    """The sensors seen but not registered."""

    def list(self, limit: int = 500) -> list[dict[str, object]]: ...
