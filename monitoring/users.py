"""Users and roles: viewer < inspector < admin, the password policy and what the pages show.

The book that stores them (Argon2id hashes, last sign-ins, the audit log) is
`monitoring.books.users`; this module needs no database, so pages and layouts may use it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

ROLES = ("viewer", "inspector", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD_LENGTH = 12  # administrators too: `password12` was accepted for one (issue 10)
MAX_PASSWORD_LENGTH = 1024
# Openwall's list of common passwords (3,546 entries, public domain), shipped: never downloaded.
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")
MIN_COMMON_WORD = 4  # shorter list entries ("a", "123") would refuse half of all passwords
_NOT_LETTERS = re.compile(r"^[^a-z]*|[^a-z]*$")


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
    if is_common_password(password):
        raise UserError("password is too common: it is a well-known password or one plus digits")
    return password


def is_common_password(password: str) -> bool:
    """Tell whether a password is a common one, with digits or symbols around it, or repeated.

    Ignoring case: a listed password ("password1"), one with digits or symbols before or after
    it ("Password2024!", "1234567890123"), or a listed word said twice or more ("qwertyqwerty").
    """
    common = common_passwords()
    text = password.lower()
    if text in common or _repeat_unit(text) in common:
        return True
    core = _NOT_LETTERS.sub("", text)
    if len(core) >= MIN_COMMON_WORD and (core in common or _repeat_unit(core) in common):
        return True
    for cut in range(MIN_COMMON_WORD, len(text)):
        head, tail = text[:cut], text[cut:]
        if (head in common and not _has_letters(tail)) or (
            len(tail) >= MIN_COMMON_WORD and tail in common and not _has_letters(head)
        ):
            return True
    return False


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the shipped common passwords, lower case (read once, on first use)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.lower() for line in lines if line and not line.startswith("#!comment"))


def _has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)


def _repeat_unit(text: str) -> str:
    # The shortest piece that, repeated, makes `text` ("abcabc" -> "abc").
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


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
