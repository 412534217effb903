"""Reading the fields of an administrator's YAML file, with problems that say where they are.

`monitoring.registry.loader` says what each entry holds; this module knows how a field is
read: its type, its place in the file for the error message, and the collecting of every
problem so that one run reports them all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitoring.records import ID_PATTERN, is_valid_id

MAX_ERRORS = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# C0/C1 controls, line separators and bidi overrides: they break log lines and CSV
# exports, or make a name display as something else than it is.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Files that zoneinfo may find but that mean something different on every machine.
_MACHINE_ZONES = frozenset({"localtime", "posixrules", "Factory"})


class Problems:
    """Collects problems so an administrator can fix the whole file in one go."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages: list[str] = []
        self.count = 0

    def add(self, where: str, name: str | None, message: str) -> None:
        """Record a problem at `where` (an entry path) in field `name`."""
        self.count += 1
        if len(self.messages) < MAX_ERRORS:
            parts = [self.source, where, f"field '{name}'" if name else "", message]
            self.messages.append(": ".join(part for part in parts if part))


class FieldReader:
    """One mapping of the file with its place in it, for reading fields and reporting problems."""

    def __init__(
        self,
        problems: Problems,
        where: str,
        label: str,
        raw: Mapping[object, object],
        allowed: tuple[str, ...],
        prefix: str = "",
    ) -> None:
        self.problems = problems
        self.prefix = prefix  # "location." for fields of a nested mapping
        self.where = where
        self.label = label  # e.g. "sensors[1]", to point at the first of two duplicates
        self.raw = raw
        for key in raw:
            if key not in allowed:
                self.error(str(key), f"unknown field (known: {', '.join(allowed)})")

    def error(self, name: str | None, message: str) -> None:
        """Record a problem with field `name` of this entry."""
        self.problems.add(self.where, f"{self.prefix}{name}" if name else None, message)

    def value(self, name: str, required: bool) -> object:
        """Return a field as given (None when absent), reporting it when required."""
        value = self.raw.get(name)
        if value is None and required:
            self.error(name, "required")
        return value

    def text(self, name: str, required: bool = True) -> str | None:
        """Return a non-empty text field without control characters, or None."""
        value = self.value(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(name, f"must be a text (put it in quotes), got {got(value)}")
        elif not value.strip():
            self.error(name, "must not be empty")
        elif _CONTROL_RE.search(value):
            self.error(name, f"must not contain control characters, got {got(value)}")
        else:
            return value
        return None

    def ident(self, name: str) -> str | None:
        """Return a required field that must be an identifier of the contract, or None."""
        value = self.value(name, True)
        if value is None:
            return None
        if isinstance(value, str) and is_valid_id(value):
            return value
        quote = " (put it in quotes)" if not isinstance(value, str) else ""
        self.error(name, f"must match ^{ID_PATTERN.pattern}${quote}, got {got(value)}")
        return None

    def number(self, name: str, default: float | None = None) -> float | None:
        """Return an optional finite number field (booleans refused), or `default`."""
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(name, f"must be a number, got {got(value)}")
        elif not math.isfinite(value):
            self.error(name, f"must be a finite number, got {got(value)}")
        else:
            return float(value)
        return default

    def integer(self, name: str, default: int | None = None) -> int | None:
        """Return an optional whole-number field, or `default`."""
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, f"must be a whole number, got {got(value)}")
            return default
        return value

    def children(
        self, name: str, allowed: tuple[str, ...], required: bool = False
    ) -> list[FieldReader]:
        """Return a reader for each mapping of a list field, named like `sensors[1] (LT-101)`."""
        value = self.value(name, required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(name, f"must be a list, got {got(value)}")
            return []
        entries = []
        for index, item in enumerate(value):
            label = f"{name}[{index}]"
            if not isinstance(item, Mapping):
                self.error(label, f"must be a mapping of {', '.join(allowed)}, got {got(item)}")
                continue
            tag = item.get("id", item.get("name"))
            shown = f"{label} ({_shown(tag)})" if tag is not None else label
            where = f"{self.where} > {shown}" if self.where else shown
            entries.append(FieldReader(self.problems, where, label, item, allowed))
        return entries


def read_timezone(top: FieldReader) -> tuple[str, tzinfo]:
    """Return the registry's IANA time zone name and tzinfo (UTC when unusable)."""
    name = top.text("timezone")
    if name is None:
        return "UTC", UTC
    try:
        if name in _MACHINE_ZONES:
            raise ZoneInfoNotFoundError(name)
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        top.error("timezone", f"must be an IANA time zone such as Asia/Shanghai, got {got(name)}")
        return name, UTC  # naive times below still get checked, against UTC


def read_instant(entry: FieldReader, name: str, tz: tzinfo) -> int | None:
    """Return a required date-time field as epoch ms; a time without offset is in `tz`."""
    value = entry.value(name, True)
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    if moment is None:
        if value is not None:
            entry.error(name, f"must be a time such as 2026-02-01T00:00:00+08:00, got {got(value)}")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)  # a time without offset is a registry-local time
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def check_unique(entries: list[FieldReader], name: str, what: str) -> None:
    """Report every entry whose field `name` repeats the value of an earlier entry."""
    first: dict[str, str] = {}
    for entry in entries:
        value = entry.raw.get(name)
        if not isinstance(value, str):
            continue  # a missing or malformed id is reported where it is read
        if value in first:
            entry.error(name, f"duplicate {what} {value!r}, also used by {first[value]}")
        else:
            first[value] = entry.label


def _shown(value: object) -> str:
    if isinstance(value, str) and len(value) <= 64 and not _CONTROL_RE.search(value):
        return value
    return got(value)


def got(value: object) -> str:
    """Return a value as an error message shows it: its repr, shortened."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
