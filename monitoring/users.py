"""Users and roles: viewer < inspector < admin; passwords hashed with Argon2id."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from monitoring.database import Database, metadata

ROLES = ("viewer", "inspector", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD_LENGTH = 8

users_table = sa.Table(
    "app_user",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)


class UserError(ValueError):
    """A user cannot be created or changed as asked."""


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

    def as_dict(self) -> dict:
        return {
            "username": self.username,
            "role": self.role,
            "active": self.active,
            "created_ms": self.created_ms,
        }


class UserBook:
    """Create, check and list users in the relational store."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._hasher = PasswordHasher()
        # A real hash to verify against for unknown names, so timing does not reveal them.
        self._dummy_hash = self._hasher.hash(secrets.token_hex(8))

    def create(self, username: str, password: str, role: str, now_ms: int) -> User:
        """Create a user; raise UserError with a reason if the input is not acceptable."""
        if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
            raise UserError(
                "username must be 1-64 letters, digits or . _ @ - and start with a letter or digit"
            )
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
        if len(password) > 1024:
            raise UserError("password is too long")
        with self.db.engine.begin() as conn:
            exists = conn.execute(
                sa.select(users_table.c.username).where(users_table.c.username == username)
            ).first()
            if exists:
                raise UserError(f"user {username!r} already exists")
            conn.execute(
                users_table.insert().values(
                    username=username,
                    password_hash=self._hasher.hash(password),
                    role=role,
                    created_ms=now_ms,
                    active=True,
                )
            )
        return User(username, role, now_ms)

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
        with self.db.engine.begin() as conn:
            conn.execute(
                users_table.update()
                .where(users_table.c.username == username)
                .values(password_hash=self._hasher.hash(password))
            )

    def authenticate(self, username: str, password: str) -> User | None:
        """Return the user when the password is right, else None."""
        with self.db.engine.connect() as conn:
            row = (
                conn.execute(sa.select(users_table).where(users_table.c.username == username))
                .mappings()
                .first()
            )
        stored = row["password_hash"] if row else self._dummy_hash
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row["active"]:
            return None
        return User(row["username"], row["role"], row["created_ms"], row["active"])

    def get(self, username: str) -> User | None:
        """Return a user by name."""
        with self.db.engine.connect() as conn:
            row = (
                conn.execute(sa.select(users_table).where(users_table.c.username == username))
                .mappings()
                .first()
            )
        return User(row["username"], row["role"], row["created_ms"], row["active"]) if row else None

    def list(self) -> list[User]:
        """Return every user, by name."""
        with self.db.engine.connect() as conn:
            rows = (
                conn.execute(sa.select(users_table).order_by(users_table.c.username))
                .mappings()
                .all()
            )
        return [User(r["username"], r["role"], r["created_ms"], r["active"]) for r in rows]

    def ensure_admin(self, password: str | None, now_ms: int) -> str | None:
        """Create user 'admin' on first start; return a generated password if none was given."""
        if self.get("admin") is not None:
            return None
        generated = None
        if not password:
            generated = password = secrets.token_urlsafe(12)
        self.create("admin", password, "admin", now_ms)
        return generated
