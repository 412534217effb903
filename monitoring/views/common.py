"""What every page's read model shares: the time, the timezone, names, contacts and who may act."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from monitoring.registry.model import Enterprise, Registry, Site, Zone
from monitoring.registry.roster import contacts_in_call_order, role_title

DEFAULT_TZ = "UTC"  # without a registry; pages show times in the registry's timezone


class Actor(Protocol):
    """A signed-in user as the pages see one (the web session's user)."""

    @property
    def id(self) -> str: ...

    def can(self, role: str) -> bool: ...


class PageView:
    """Base of the pages' read models (dataclasses with `registry` and `clock` fields)."""

    registry: Callable[[], Registry | None]
    clock: Callable[[], float]

    def now_ms(self) -> int:
        """Return the current time in epoch milliseconds."""
        return int(self.clock() * 1000)

    def tz(self) -> str:
        """Return the registry's timezone (UTC without a registry)."""
        registry = self.registry()
        return registry.timezone if registry is not None else DEFAULT_TZ


@dataclass(frozen=True)
class ContactRow:
    """One contact to call, in call order."""

    name: str
    role: str
    role_title: str
    phone: str
    on_duty: bool
    shifts: tuple[str, ...]


def can_act(user: Actor | None) -> bool:
    """Tell whether a signed-in user may see phones and act on alarms (inspector or admin)."""
    return bool(user is not None and user.can("inspector"))


def display_name(obj: Enterprise | Site | Zone | None, fallback: str, lang: str) -> str:
    """Return a registry object's name in the language, or the fallback id."""
    if obj is None:
        return fallback
    zh = getattr(obj, "name_zh", None)
    return zh if lang == "zh" and zh else obj.name


def contact_rows(enterprise: Enterprise | None, ts_ms: int, tz: str, lang: str) -> list[ContactRow]:
    """Return the enterprise's contacts in call order: duty officers on shift now first."""
    if enterprise is None:
        return []
    return [
        ContactRow(
            name=c.name,
            role=c.role,
            role_title=role_title(c.role, lang),
            phone=c.phone,
            on_duty=on_duty,
            shifts=tuple(str(s) for s in c.shifts),
        )
        for c, on_duty in contacts_in_call_order(enterprise, ts_ms, tz)
    ]
