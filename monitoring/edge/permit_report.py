"""Permits reported by phone: the same checks as a gateway's report, and who recorded them.

An inspector who hears of a special operation by phone records its permit (the Permits page
or `POST /api/v1/permits`). `permit_from_report` puts it through the gateway path's parser
and checks that it names a registered enterprise, site and zone, so the rules can treat it
like a reported one. A `Recording` says who entered it and their note; the database side
(`monitoring.books.permits.PermitRecordings`) keeps them. This module stays free of the
database because the page read models, which layouts import, use it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from monitoring.edge.parse import parse_message
from monitoring.edge.topics import DEFAULT_ROOT
from monitoring.records import MessageRejected, Permit, is_valid_id

_NOT_PAYLOAD = frozenset({"enterprise", "site", "note"})


@dataclass(frozen=True)
class Recording:
    """Who recorded a permit reported by phone, when, and their note."""

    username: str
    recorded_ms: int
    reported_ms: int
    note: str


class KnownPlaces(Protocol):
    """The registry look-ups a phoned-in permit is checked against (a `Registry` has them)."""

    def enterprise(self, enterprise: str) -> object | None: ...

    def site(self, enterprise: str, site: str) -> object | None: ...

    def zone(self, enterprise: str, site: str, zone: str) -> object | None: ...


def permit_from_report(
    enterprise: object,
    site: object,
    report: Mapping[str, object],
    now_ms: int,
    registry: KnownPlaces | None = None,
) -> Permit:
    """Validate a permit reported by phone like a gateway's report; raise MessageRejected.

    `report` is the contract's permit payload (extra keys `enterprise`, `site`, `note` are
    ignored). With a registry, the enterprise, site and zone must be registered in it.
    """
    if not (is_valid_id(enterprise) and is_valid_id(site)):
        raise MessageRejected("bad_id", "enterprise and site must be valid ids")
    ent, where = str(enterprise), str(site)  # valid ids are texts already
    if registry is not None:
        if registry.enterprise(ent) is None:
            raise MessageRejected("bad_field", f"enterprise: no {ent!r} in the registry")
        if registry.site(ent, where) is None:
            raise MessageRejected("bad_field", f"site: no {where!r} in {ent}")
        zone = report.get("zone")
        if is_valid_id(zone) and registry.zone(ent, where, str(zone)) is None:
            raise MessageRejected("bad_field", f"zone: no {zone!r} in {ent}/{where}")
    payload = {k: v for k, v in report.items() if k not in _NOT_PAYLOAD}
    try:
        body = json.dumps(payload, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise MessageRejected("bad_json", f"not a JSON object: {exc}") from None
    parsed = parse_message(f"{DEFAULT_ROOT}/{ent}/{where}/permit", body, now_ms)
    permit = parsed.records[0]
    if not isinstance(permit, Permit):  # a permit topic parses to one Permit or raises
        raise TypeError(f"the permit parser returned a {type(permit).__name__}")
    return permit
