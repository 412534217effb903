"""Records the book tests store: rejected messages and permits, around one fixed time."""

from __future__ import annotations

from monitoring.books.rejects import RejectedMessage
from monitoring.records import Permit, Rejection

T0 = 1_764_381_600_000  # 2025-11-29T02:00:00Z
BATCH_BOUND_S = 3.0  # generous: measured well under 0.1 s on both backends


def make_reject(
    n: int = 0, code: str = "bad_json", payload: bytes = b"{not json"
) -> RejectedMessage:
    """Return the n-th rejected message of a test, received at T0 + n."""
    return RejectedMessage.from_raw(
        f"hazmon/ent/site/telemetry{n}", payload, Rejection(code, f"reason {n}"), T0 + n
    )


def make_permit(permit: str = "DH-1", **changes) -> Permit:
    """Return an approved hot-work permit of ent/main zone Z1, for an hour from T0."""
    fields = dict(
        enterprise="ent",
        site="main",
        permit=permit,
        type="hot_work",
        zone="Z1",
        start_ms=T0,
        end_ms=T0 + 3_600_000,
        status="approved",
        reported_ms=T0 - 1000,
        level="1",
        supervisor="Wang Qiang",
        workers=4,
    )
    fields.update(changes)
    return Permit(**fields)
