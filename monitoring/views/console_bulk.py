"""The console's bulk actions (acknowledge or shelve many alarms at once) and a linked alarm.

"All matching the filter" is counted on every open alarm (`ConsoleView.table`), not on the
page the browser holds. The actions go through the alarm book's `acknowledge_many` and
`shelve_many`, which record each alarm's transition and report each alarm's outcome. Roles
are the callers' to check, as for the single actions (`monitoring.views.common.can_act`).
A linked alarm beyond the list's page is read alone (`open_row`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitoring.alarms import bulk
from monitoring.alarms.bulk import BULK_MAX, BulkOutcome
from monitoring.views.console import AlarmRow, ConsoleView, alarm_rows

# The states each action takes, for "all matching": the book refuses the others anyway.
ACTION_STATES: dict[str, frozenset[str]] = {"ack": bulk.ACK_STATES, "shelve": bulk.SHELVE_STATES}


@dataclass(frozen=True)
class BulkReport:
    """What a bulk action did: how many were done, and each refused or missing alarm."""

    action: str
    done: int
    failed: tuple[BulkOutcome, ...]

    @classmethod
    def of(cls, action: str, outcomes: Sequence[BulkOutcome]) -> BulkReport:
        """Summarise the book's per-alarm outcomes."""
        return cls(action, sum(o.ok for o in outcomes), tuple(o for o in outcomes if not o.ok))


def open_row(view: ConsoleView, alarm_id: int, lang: str) -> AlarmRow | None:
    """Return one open alarm as a console row (a linked alarm beyond the list's page)."""
    alarm = view.alarms.get(alarm_id)
    if alarm is None or not alarm.is_open:
        return None
    return alarm_rows(view.registry(), [alarm], view.now_ms(), lang)[0]


def acknowledge(
    view: ConsoleView,
    alarm_ids: Sequence[int],
    username: str,
    comment: str,
    disposition: str | None,
) -> BulkReport:
    """Acknowledge the alarms as `username`, now; ValueError for a bad comment or too many."""
    _check_count(alarm_ids)
    outcomes = view.alarms.acknowledge_many(
        alarm_ids, username, comment, disposition or None, now_ms=view.now_ms()
    )
    return BulkReport.of("ack", outcomes)


def shelve(
    view: ConsoleView, alarm_ids: Sequence[int], username: str, minutes: int, reason: str
) -> BulkReport:
    """Shelve the alarms for `minutes` as `username`, now; ValueError for bad input."""
    _check_count(alarm_ids)
    outcomes = view.alarms.shelve_many(alarm_ids, username, minutes, reason, view.now_ms())
    return BulkReport.of("shelve", outcomes)


def _check_count(alarm_ids: Sequence[int]) -> None:
    if len(alarm_ids) > BULK_MAX:
        raise ValueError(f"at most {BULK_MAX} alarms at once")
