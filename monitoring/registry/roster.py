"""Duty roster: who of an enterprise's contacts is on a scheduled shift, and whom to call first.

Shift times are wall-clock times in the registry's timezone (contract section 4), so a
shift keeps its local hours across a daylight-saving change. A shift crossing midnight
belongs to the weekday it starts on: `Fri 20:00-08:00` covers Saturday 03:00.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # only for annotations: the registry imports this module
    from monitoring.registry.model import Contact, Enterprise

MINUTES_PER_DAY = 24 * 60
WEEKDAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_WEEKDAYS: frozenset[int] = frozenset(range(7))

# Contact roles of the contract (section 4), with their Chinese titles.
ROLES: dict[str, str] = {
    "principal": "主要负责人",
    "leader_in_charge": "分管负责人",
    "safety_manager": "安全管理人员",
    "hazard_owner": "重大危险源包保责任人",
    "duty_officer": "值班人员",
}
DUTY_OFFICER = "duty_officer"
# Whom an inspector calls after the on-duty officers: the people who can act on a
# major-hazard alarm come before those who only need to know.
CALL_ORDER: tuple[str, ...] = ("leader_in_charge", "hazard_owner", "safety_manager", "principal")

_SHIFT_RE = re.compile(
    r"\s*(?:(?P<days>[A-Za-z][A-Za-z ,-]*?)\s+)?"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*"
)
_SHIFT_EXAMPLE = "'08:00-20:00', 'Mon-Fri 08:00-17:00' or 'Sat,Sun 20:00-08:00'"


@dataclass(frozen=True, slots=True)
class Shift:
    """A recurring shift from `start_minute` to `end_minute` of the local day.

    `end_minute <= start_minute` means the shift crosses midnight; equal means a whole
    day. `weekdays` (Monday = 0) are the days a shift starts on; None means every day.
    """

    weekdays: frozenset[int] | None
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < MINUTES_PER_DAY:
            raise ValueError(f"start_minute must be in 0..1439, got {self.start_minute}")
        if not 0 <= self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(f"end_minute must be in 0..1440, got {self.end_minute}")
        if self.weekdays is not None and (not self.weekdays or not self.weekdays <= ALL_WEEKDAYS):
            raise ValueError(f"weekdays must be a non-empty set of 0..6, got {self.weekdays}")

    @property
    def length_minutes(self) -> int:
        """Return how long the shift lasts, in minutes (1440 for a whole day)."""
        length = (self.end_minute - self.start_minute) % MINUTES_PER_DAY
        return length or MINUTES_PER_DAY

    def covers(self, local: datetime) -> bool:
        """Tell whether the shift covers a local wall-clock time (registry timezone)."""
        minute = local.hour * 60 + local.minute
        offset = minute - self.start_minute
        if offset >= 0:
            starts_on = local.weekday()
        else:
            # Before today's start: only yesterday's shift can still be running.
            offset += MINUTES_PER_DAY
            starts_on = (local.weekday() - 1) % 7
        if offset >= self.length_minutes:
            return False
        return self.weekdays is None or starts_on in self.weekdays

    def __str__(self) -> str:
        times = f"{_hhmm(self.start_minute)}-{_hhmm(self.end_minute)}"
        if self.weekdays is None:
            return times
        return f"{_weekday_text(self.weekdays)} {times}"


def parse_shift(text: str) -> Shift:
    """Parse a shift such as `08:00-20:00` or `Mon-Fri 08:00-17:00`; raise ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"a shift must be a text such as {_SHIFT_EXAMPLE}, got {text!r}")
    match = _SHIFT_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"shift {text!r} is not of the form {_SHIFT_EXAMPLE}")
    start = _minute_of_day(match["start"], text, allow_24=False)
    end = _minute_of_day(match["end"], text, allow_24=True)
    days = match["days"]
    weekdays = None if days is None else _weekdays(days, text)
    return Shift(weekdays, start, end)


def on_duty_at(contact: Contact, ts_ms: int, tz: str) -> bool:
    """Tell whether one of the contact's scheduled shifts covers `ts_ms` (no shifts: False)."""
    if not contact.shifts:
        return False
    local = _local(ts_ms, tz)
    return any(shift.covers(local) for shift in contact.shifts)


def contacts_in_call_order(
    enterprise: Enterprise, ts_ms: int, tz: str
) -> list[tuple[Contact, bool]]:
    """Return (contact, on_duty) pairs in the order an inspector should call them."""
    local = _local(ts_ms, tz)
    ranked: list[tuple[int, int, Contact, bool]] = []
    for position, contact in enumerate(enterprise.contacts):
        on_duty = any(shift.covers(local) for shift in contact.shifts)
        ranked.append((_rank(contact.role, on_duty), position, contact, on_duty))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [(contact, on_duty) for _, _, contact, on_duty in ranked]


def role_title(role: str, lang: str = "en") -> str:
    """Return a contact role as people read it (`lang='zh'`: the Chinese title)."""
    if lang.startswith("zh") and role in ROLES:
        return ROLES[role]
    return role.replace("_", " ")


def _rank(role: str, on_duty: bool) -> int:
    if role == DUTY_OFFICER:
        return 0 if on_duty else len(CALL_ORDER) + 2
    try:
        return 1 + CALL_ORDER.index(role)
    except ValueError:  # not reachable from a validated registry; keep such contacts callable
        return len(CALL_ORDER) + 1


def _local(ts_ms: int, tz: str) -> datetime:
    return datetime.fromtimestamp(ts_ms // 1000, ZoneInfo(tz))


def _minute_of_day(hhmm: str, text: str, *, allow_24: bool) -> int:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    if allow_24 and hours == 24 and minutes == 0:
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        limit = "00:00..24:00" if allow_24 else "00:00..23:59"
        raise ValueError(f"shift {text!r}: time {hhmm!r} is not in {limit}")
    return hours * 60 + minutes


def _weekdays(days: str, text: str) -> frozenset[int]:
    chosen: set[int] = set()
    for part in days.split(","):
        bounds = [_weekday(name, text) for name in part.split("-")]
        if len(bounds) == 1:
            chosen.add(bounds[0])
        elif len(bounds) == 2:
            first, last = bounds
            # A range may wrap around the week end: Fri-Mon is Fri, Sat, Sun, Mon.
            chosen.update((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            raise ValueError(f"shift {text!r}: weekday range {part.strip()!r} is not like Mon-Fri")
    return frozenset(chosen)


def _weekday(name: str, text: str) -> int:
    key = name.strip().capitalize()
    if key not in WEEKDAY_NAMES:
        raise ValueError(
            f"shift {text!r}: unknown weekday {name.strip()!r} (use {', '.join(WEEKDAY_NAMES)})"
        )
    return WEEKDAY_NAMES.index(key)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _weekday_text(weekdays: frozenset[int]) -> str:
    runs: list[list[int]] = []
    for day in sorted(weekdays):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        names = [WEEKDAY_NAMES[d] for d in run]
        parts.append(f"{names[0]}-{names[-1]}" if len(run) > 2 else ",".join(names))
    return ",".join(parts)
