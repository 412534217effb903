"""Permits reported by phone: the same checks as a gateway's report, and who recorded them.

An inspector who hears of a special operation by phone records its permit (the Permits page
or `POST /api/v1/permits`). It goes through the gateway path's validation, must name a
registered enterprise, site and zone, and lands in the permit book, so the rules treat it
like a reported one; `permit_recording` keeps who entered it and their note.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from monitoring.db.database import Database, clean_text
from monitoring.db.schema import (
    MAX_USERNAME_CHARS,
    permit_recording_table,
)
from monitoring.edge.protocol import DEFAULT_ROOT, parse_message
from monitoring.records import MessageRejected, Permit, is_valid_id

MAX_NOTE_CHARS = 1000

_NOT_PAYLOAD = frozenset({"enterprise", "site", "note"})


@dataclass(frozen=True)
class Recording:
    """Who recorded a permit reported by phone, when, and their note."""

    username: str
    recorded_ms: int
    reported_ms: int
    note: str


def permit_from_report(
    enterprise: object,
    site: object,
    report: Mapping[str, Any],
    now_ms: int,
    registry: Any = None,
) -> Permit:
    """Validate a permit reported by phone like a gateway's report; raise MessageRejected.

    `report` is the contract's permit payload (extra keys `enterprise`, `site`, `note` are
    ignored). With a registry, the enterprise, site and zone must be registered in it.
    """
    if not (is_valid_id(enterprise) and is_valid_id(site)):
        raise MessageRejected("bad_id", "enterprise and site must be valid ids")
    if registry is not None:
        if registry.enterprise(enterprise) is None:
            raise MessageRejected("bad_field", f"enterprise: no {enterprise!r} in the registry")
        if registry.site(enterprise, site) is None:
            raise MessageRejected("bad_field", f"site: no {site!r} in {enterprise}")
        zone = report.get("zone")
        if is_valid_id(zone) and registry.zone(enterprise, site, zone) is None:
            raise MessageRejected("bad_field", f"zone: no {zone!r} in {enterprise}/{site}")
    payload = {k: v for k, v in report.items() if k not in _NOT_PAYLOAD}
    try:
        body = json.dumps(payload, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise MessageRejected("bad_json", f"not a JSON object: {exc}") from None
    parsed = parse_message(f"{DEFAULT_ROOT}/{enterprise}/{site}/permit", body, now_ms)
    return parsed.records[0]


class PermitRecordings:
    """Who recorded which permit by phone (an inspector), with their note."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, permit: Permit, username: str, note: str, now_ms: int) -> None:
        """Record that `username` entered this permit report now."""
        if not isinstance(username, str) or not 0 < len(username) <= MAX_USERNAME_CHARS:
            raise ValueError(f"username must be 1-{MAX_USERNAME_CHARS} characters")
        row = {
            "enterprise": permit.enterprise,
            "site": permit.site,
            "permit": permit.permit,
            "username": username,
            "recorded_ms": now_ms,
            "reported_ms": permit.reported_ms,
            "note": clean_text(note or "", MAX_NOTE_CHARS),
        }
        with self.db.engine.begin() as conn:
            conn.execute(permit_recording_table.insert().values(row))

    def latest(self, keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], Recording]:
        """Return the latest recording of each (enterprise, site, permit) that has one."""
        wanted = set(keys)
        if not wanted:
            return {}
        t = permit_recording_table
        enterprises = sorted({e for e, _, _ in wanted})
        query = sa.select(t).where(t.c.enterprise.in_(enterprises)).order_by(t.c.id)
        out: dict[tuple[str, str, str], Recording] = {}
        with self.db.engine.connect() as conn:
            for r in conn.execute(query).mappings():
                key = (r["enterprise"], r["site"], r["permit"])
                if key in wanted:  # later rows (higher ids) replace earlier ones
                    out[key] = Recording(
                        r["username"], r["recorded_ms"], r["reported_ms"], r["note"]
                    )
        return out
