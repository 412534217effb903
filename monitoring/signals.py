"""Alarm vocabulary shared by the rule engine (which decides) and the alarm book (which keeps).

Rules never write alarms themselves: they emit `AlarmSignal`s ("this source is in alarm for
this rule now, at this severity" / "it is not any more"), and the alarm book turns signals
into the ISA-18.2 lifecycle (contract section 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Highest first (contract section 5): red 一级, orange 二级, yellow 三级, blue 四级.
SEVERITIES: tuple[str, ...] = ("red", "orange", "yellow", "blue")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}  # lower = worse

STATES: tuple[str, ...] = ("active_unack", "active_ack", "cleared_unack", "closed", "shelved")
OPEN_STATES: frozenset[str] = frozenset({"active_unack", "active_ack", "cleared_unack", "shelved"})
DISPOSITIONS: tuple[str, ...] = (
    "false_alarm",
    "instrument_fault",
    "process_fluctuation",
    "real_event",
    "other",
)

# How an inspector's call ended (contract section 6, POST /alarms/{id}/calls).
CALL_OUTCOMES: tuple[str, ...] = ("reached", "no_answer", "wrong_number", "other")

# Rule names, stable: they are stored with alarms and shown in reports.
RULE_LIMIT = "limit"
RULE_LOST_COMM = "lost_comm"
RULE_PEOPLE = "people"
RULE_SPECIAL_OPERATION = "special_operation"
RULE_BAD_DATA = "bad_data"


def worse(a: str, b: str) -> str:
    """Return the more severe of two severities."""
    return a if SEVERITY_RANK[a] <= SEVERITY_RANK[b] else b


@dataclass(frozen=True, slots=True)
class AlarmSignal:
    """A rule's verdict on one source at one time.

    `source` names what is in alarm inside the site: `sensor:<id>`, `zone:<id>` or
    `gateway`. (enterprise, site, source, rule) identifies the one open alarm it maps to.
    `message` is English; `message_key` + `params` let the UI render it in other languages.
    """

    action: Literal["raise", "clear"]
    enterprise: str
    site: str
    source: str
    rule: str
    ts_ms: int
    severity: str = "yellow"
    zone: str | None = None
    value: float | None = None
    message: str = ""
    message_key: str = ""
    params: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.enterprise, self.site, self.source, self.rule)
