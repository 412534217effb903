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
