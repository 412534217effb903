"""Users and roles: viewer < inspector < admin, the password policy and what the pages show.

The book that stores them (Argon2id hashes, last sign-ins, the audit log) is
`monitoring.books.users`; this module needs no database, so pages and layouts may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROLES = ("viewer", "inspector", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


class UserError(ValueError):
    """A user cannot be created or changed as asked."""


class UserNotFound(UserError):
    """No user has that name."""


class LastAdminError(UserError):
    """The change would leave no active administrator."""


@dataclass(frozen=True)
class User:
    """An account; never carries its password or hash out of this module."""

    username: str
    role: str
    created_ms: int
    active: bool = True

    def can(self, role: str) -> bool:
        """Tell whether this user holds `role` or a higher one."""
        return self.active and ROLE_RANK[self.role] >= ROLE_RANK[role]

    def as_dict(self) -> dict[str, str | int | bool]:
        """Return the user as the API shows it (no password)."""
        return {
            "username": self.username,
            "role": self.role,
            "active": self.active,
            "created_ms": self.created_ms,
        }


def check_password(password: object, username: str) -> str:
    """Return the password if the policy accepts it, else raise UserError saying why."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError("password is too long")
    if username and password.lower() == username.lower():
        raise UserError("password must not be the user name")
    if len(set(password)) < 4:
        raise UserError("password must use at least 4 different characters")
    return password


@dataclass(frozen=True)
class AuditEntry:
    """One administrative action: who did what to what, when, and how it ended."""

    id: int
    at_ms: int
    actor: str
    action: str
    target: str
    outcome: str
    detail: str
