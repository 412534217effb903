"""Tell a relational store that does not answer (stopped, hung, unreachable) from other errors.

Callers that can wait or show a degraded state (the web pages, the API) treat these as "try
again later"; any other error is a bug or a refused statement and stays an error.
"""

from __future__ import annotations

import sqlalchemy as sa

# What SQLAlchemy raises when the database does not answer: connection refused or lost, a
# statement or answer timeout (psycopg's OperationalError, wrapped), no free pooled connection.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
    sa.exc.DisconnectionError,
)


def database_unavailable(exc: BaseException) -> bool:
    """Tell whether `exc` means the database did not answer (so a retry may succeed).

    A bare OSError counts too: a socket error below the driver that was not wrapped.
    """
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (*UNAVAILABLE_ERRORS, OSError))


def error_summary(exc: BaseException, max_chars: int = 300) -> str:
    """Return the first line of an error, without the statement SQLAlchemy appends to it."""
    lines = str(exc).strip().splitlines()
    return lines[0][:max_chars] if lines else type(exc).__name__


NUMERIC_OUT_OF_RANGE = "22003"  # SQLSTATE: a number too large for its column


def number_out_of_range(exc: BaseException) -> bool:
    """Tell whether `exc` means a value given to a statement exceeds the database's integers.

    SQLite's driver raises OverflowError for an integer beyond 64 bits; PostgreSQL answers
    SQLSTATE 22003. Hazwatch's own values never come near, so the value came from a request.
    """
    if isinstance(exc, OverflowError):
        return True
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else None
    return getattr(orig, "sqlstate", None) == NUMERIC_OUT_OF_RANGE
