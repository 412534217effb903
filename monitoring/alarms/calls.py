"""The call log and the contact-lookup audit log.

An inspector calls an enterprise's duty officer from an alarm and records the outcome
(contract section 6, `POST /calls`); every look-up of an enterprise's phone numbers is
recorded too, so who saw whose numbers, and when, can be answered later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import sqlalchemy as sa

from monitoring.alarms.book import writing
from monitoring.alarms.checks import check_text, check_username
from monitoring.alarms.model import AlarmNotFound, call_json
from monitoring.clock import iso_utc
from monitoring.db.database import Database, clean_text
from monitoring.db.schema import alarm_table, call_record_table, contact_lookup_table
from monitoring.signals import CALL_OUTCOMES

MAX_NOTE_CHARS = 2000
MAX_CONTACT_NAME_CHARS = 200
MAX_CONTACT_FIELD_CHARS = 64  # role and phone
MAX_RECENT = 1000


class ContactCard(Protocol):
    """Whom an inspector called: a registry `Contact`, or anything with its three fields."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def phone(self) -> str: ...


# An API client may hand over a plain mapping instead.
Callee = ContactCard | Mapping[str, object]


class CallLog:
    """Calls made about alarms, with who called whom and what came of it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        alarm_id: int,
        username: str,
        contact: Callee,
        outcome: str,
        note: str,
        now_ms: int,
    ) -> dict:
        """Record a call about an alarm to a contact (name, role, phone); return the record."""
        username = check_username(username)
        if outcome not in CALL_OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(CALL_OUTCOMES)}")
        note = check_text(note or "", "note", MAX_NOTE_CHARS, required=False)
        name = check_text(_field(contact, "name"), "contact name", MAX_CONTACT_NAME_CHARS)
        row = {
            "alarm_id": alarm_id,
            "ts_ms": now_ms,
            "username": username,
            "contact_name": name,
            "contact_role": clean_text(_field(contact, "role"), MAX_CONTACT_FIELD_CHARS),
            "phone": clean_text(_field(contact, "phone"), MAX_CONTACT_FIELD_CHARS),
            "outcome": outcome,
            "note": note,
        }
        with writing(self.db) as conn:
            _require_alarm(conn, alarm_id)
            row["id"] = conn.execute(
                call_record_table.insert().values(row).returning(call_record_table.c.id)
            ).scalar_one()
        return call_json(row, include_phone=True)

    def for_alarm(self, alarm_id: int, include_phones: bool = False) -> list[dict]:
        """Return an alarm's calls, oldest first (phone numbers only if allowed)."""
        t = call_record_table
        query = sa.select(t).where(t.c.alarm_id == alarm_id).order_by(t.c.id)
        with self.db.engine.connect() as conn:
            return [call_json(r, include_phones) for r in conn.execute(query).mappings()]


class ContactLookups:
    """An audit log of who looked up an enterprise's phone numbers, and when."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, username: str, enterprise: str, alarm_id: int | None, now_ms: int) -> None:
        """Record that a user looked up an enterprise's contacts (from an alarm or not)."""
        username = check_username(username)
        if not isinstance(enterprise, str) or not 0 < len(enterprise) <= 64:
            raise ValueError("enterprise must be 1-64 characters")
        row = {
            "ts_ms": now_ms,
            "username": username,
            "enterprise": enterprise,
            "alarm_id": alarm_id,
        }
        with writing(self.db) as conn:
            if alarm_id is not None:
                _require_alarm(conn, alarm_id)
            conn.execute(contact_lookup_table.insert().values(row))

    def recent(self, limit: int = 100, enterprise: str | None = None) -> list[dict]:
        """Return the newest look-ups first (at most 1000)."""
        t = contact_lookup_table
        query = sa.select(t).order_by(t.c.id.desc()).limit(max(1, min(int(limit), MAX_RECENT)))
        if enterprise is not None:
            query = query.where(t.c.enterprise == enterprise)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            {
                "id": r["id"],
                "at": iso_utc(r["ts_ms"]),
                "ts_ms": r["ts_ms"],
                "username": r["username"],
                "enterprise": r["enterprise"],
                "alarm_id": r["alarm_id"],
            }
            for r in rows
        ]


def _field(contact: Callee, name: str) -> str:
    # The registry's contacts are objects; an API client may hand over a plain mapping.
    value = contact.get(name) if isinstance(contact, Mapping) else getattr(contact, name, None)
    return "" if value is None else str(value)


def _require_alarm(conn: sa.Connection, alarm_id: int) -> None:
    found = conn.scalar(sa.select(alarm_table.c.id).where(alarm_table.c.id == alarm_id))
    if found is None:
        raise AlarmNotFound(f"no alarm {alarm_id}")
