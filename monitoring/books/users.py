"""The user book: accounts with Argon2id hashes, last sign-ins and the admin audit log.

The book refuses any change that would leave no active administrator, inside the same
transaction as the change. Each user row has a random session key: every web session and
remember cookie names it, and a new one ends them all. A new password, a new role, disabling
and `end_sessions` (sign-out) give a new key; a deleted and re-created name gets a new one too,
so no cookie of the old account works for the new one. Passwords are hashed under a bound
(`monitoring.books.signin.HashingGate`), and pairs verified lately are not hashed again.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from typing import TypedDict

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from monitoring.books.signin import HashingGate, VerifiedCredentials
from monitoring.db.database import Database, clean_text, upsert
from monitoring.db.schema import admin_audit_table, user_login_table, users_table
from monitoring.users import (
    ROLES,
    USERNAME_PATTERN,
    AuditEntry,
    LastAdminError,
    User,
    UserError,
    UserNotFound,
    check_password,
)

log = logging.getLogger(__name__)

MAX_AUDIT_ROWS = 10_000
AUDIT_PRUNE_EVERY = 100
MAX_AUDIT_TEXT = 2000
SESSION_KEY_BYTES = 24  # 32 characters of URL-safe text


def _user(row: sa.RowMapping) -> User:
    return User(row["username"], row["role"], row["created_ms"], row["active"])


def new_session_key() -> str:
    """Return a fresh random session key for a user row."""
    return secrets.token_urlsafe(SESSION_KEY_BYTES)


@dataclasses.dataclass(frozen=True)
class Account:
    """A user with its current session key, which every session of that user must name."""

    user: User
    session_key: str = dataclasses.field(repr=False)


class UserBook:
    """Create, check, change and list users in the relational store."""

    def __init__(
        self,
        db: Database,
        gate: HashingGate | None = None,
        verified: VerifiedCredentials | None = None,
    ) -> None:
        self.db = db
        self._hasher = PasswordHasher()
        self._gate = gate or HashingGate()
        self._verified = verified or VerifiedCredentials()
        # A real hash to verify against for unknown names, so timing does not reveal them.
        self._dummy_hash = self._hasher.hash(secrets.token_hex(8))

    def _hash(self, password: str) -> str:
        # A new password comes from a signed-in user or the start-up: it waits for a slot
        # without taking one of the places an anonymous flood can fill.
        with self._gate.slot(queue=False):
            return self._hasher.hash(password)

    def create(self, username: str, password: str, role: str, now_ms: int) -> User:
        """Create a user; raise UserError with a reason if the input is not acceptable."""
        if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
            raise UserError(
                "username must be 1-64 letters, digits or . _ @ - and start with a letter or digit"
            )
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        check_password(password, username)
        password_hash = self._hash(password)
        with self.db.engine.begin() as conn:
            exists = conn.execute(
                sa.select(users_table.c.username).where(users_table.c.username == username)
            ).first()
            if exists:
                raise UserError(f"user {username!r} already exists")
            conn.execute(
                users_table.insert().values(
                    username=username,
                    password_hash=password_hash,
                    role=role,
                    created_ms=now_ms,
                    active=True,
                    session_key=new_session_key(),
                )
            )
        return User(username, role, now_ms)

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password, ending every session; raise UserNotFound or UserError."""
        check_password(password, username)
        password_hash = self._hash(password)
        with self.db.engine.begin() as conn:
            result = conn.execute(
                users_table.update()
                .where(users_table.c.username == username)
                .values(password_hash=password_hash, session_key=new_session_key())
            )
            if result.rowcount == 0:
                raise UserNotFound(f"no user {username!r}")

    def end_sessions(self, username: str) -> None:
        """End every web session and remember cookie of a user (no error if there is none)."""
        with self.db.engine.begin() as conn:
            conn.execute(
                users_table.update()
                .where(users_table.c.username == username)
                .values(session_key=new_session_key())
            )

    def set_role(self, username: str, role: str) -> User:
        """Change a user's role, ending their sessions; never demote the last administrator."""
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        return self._change(username, {"role": role})

    def set_active(self, username: str, active: bool) -> User:
        """Enable or disable a user, ending their sessions; never the last administrator."""
        return self._change(username, {"active": bool(active)})

    def delete(self, username: str) -> None:
        """Delete a user; never the last active administrator."""
        with self.db.engine.begin() as conn:
            self._locked_user(conn, username, leaves_admin=False)
            conn.execute(users_table.delete().where(users_table.c.username == username))
            conn.execute(user_login_table.delete().where(user_login_table.c.username == username))

    def _change(self, username: str, values: _UserChange) -> User:
        with self.db.engine.begin() as conn:
            row = self._locked_user(conn, username, leaves_admin=_still_admin(values))
            conn.execute(
                users_table.update()
                .where(users_table.c.username == username)
                .values(**values, session_key=new_session_key())
            )
        return dataclasses.replace(_user(row), **values)

    def _locked_user(self, conn: sa.Connection, username: str, leaves_admin: bool) -> sa.RowMapping:
        """Return the user's row, raising if the change would leave no active administrator.

        On PostgreSQL every administrator row is locked first, in name order, so two
        administrators demoting each other at once cannot both succeed (the second one
        re-reads the rows after the first commits). On SQLite the transaction takes the
        write lock before reading (pysqlite would otherwise read outside any transaction).
        Must be the first statement of the transaction.
        """
        if self.db.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        t = users_table
        admins_query = (
            sa.select(t.c.username, t.c.active).where(t.c.role == "admin").order_by(t.c.username)
        )
        if self.db.dialect == "postgresql":
            admins_query = admins_query.with_for_update()
        admins = conn.execute(admins_query).all()
        row = conn.execute(sa.select(t).where(t.c.username == username)).mappings().first()
        if row is None:
            raise UserNotFound(f"no user {username!r}")
        if row["role"] == "admin" and row["active"] and not leaves_admin:
            others = [name for name, active in admins if active and name != username]
            if not others:
                raise LastAdminError("the last active administrator cannot lose that role")
        return row

    def authenticate(self, username: str, password: str) -> User | None:
        """Return the user when the password is right, else None.

        Raises HashingBusy when no hashing slot frees in time. An unknown name costs the
        same hash as a known one, against a dummy, so timing does not tell them apart.
        """
        row = self._row(username)
        if row is not None and self._verified.holds(username, password, row["session_key"]):
            return _user(row) if row["active"] else None
        stored = row["password_hash"] if row else self._dummy_hash
        try:
            with self._gate.slot():
                self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row["active"]:
            return None
        self._verified.remember(username, password, row["session_key"])
        return _user(row)

    def get(self, username: str) -> User | None:
        """Return a user by name."""
        row = self._row(username)
        return _user(row) if row else None

    def account(self, username: str) -> Account | None:
        """Return a user by name with its current session key."""
        row = self._row(username)
        return Account(_user(row), row["session_key"]) if row else None

    def _row(self, username: str) -> sa.RowMapping | None:
        with self.db.engine.connect() as conn:
            return (
                conn.execute(sa.select(users_table).where(users_table.c.username == username))
                .mappings()
                .first()
            )

    def list(self) -> list[User]:
        """Return every user, by name."""
        with self.db.engine.connect() as conn:
            rows = (
                conn.execute(sa.select(users_table).order_by(users_table.c.username))
                .mappings()
                .all()
            )
        return [_user(r) for r in rows]

    def record_login(self, username: str, now_ms: int) -> None:
        """Remember when a user last signed in."""
        stmt = upsert(self.db, user_login_table).values(username=username, last_login_ms=now_ms)
        stmt = stmt.on_conflict_do_update(
            index_elements=["username"], set_={"last_login_ms": stmt.excluded.last_login_ms}
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt)

    def last_logins(self) -> dict[str, int]:
        """Return {username: last sign-in time in epoch ms} of users who ever signed in."""
        t = user_login_table
        with self.db.engine.connect() as conn:
            return {
                name: int(ms)
                for name, ms in conn.execute(sa.select(t.c.username, t.c.last_login_ms))
            }

    def ensure_admin(self, password: str | None, now_ms: int) -> str | None:
        """Create user 'admin' on first start; return a generated password if none was given."""
        if self.get("admin") is not None:
            return None
        generated = None
        if not password:
            generated = password = secrets.token_urlsafe(12)
        self.create("admin", password, "admin", now_ms)
        return generated


class _UserChange(TypedDict, total=False):
    """The columns of a user that `UserBook._change` may set."""

    role: str
    active: bool


def _still_admin(values: _UserChange) -> bool:
    # Does the user remain an active administrator after this change?
    return values.get("role", "admin") == "admin" and values.get("active", True)


class AuditLog:
    """Keep the newest administrative actions (and refused attempts) for the admin page."""

    def __init__(self, db: Database, max_rows: int = MAX_AUDIT_ROWS) -> None:
        self.db = db
        self.max_rows = max_rows
        self._since_prune = AUDIT_PRUNE_EVERY  # prune with the first record of a process

    def record(
        self, actor: str, action: str, target: str, outcome: str, detail: str, now_ms: int
    ) -> None:
        """Store one action and write it to the log."""
        row = {
            "at_ms": now_ms,
            "actor": clean_text(actor or "-", 64),
            "action": clean_text(action, 32),
            "target": clean_text(target or "", 256),
            "outcome": clean_text(outcome, 16),
            "detail": clean_text(detail or "", MAX_AUDIT_TEXT),
        }
        level = logging.INFO if outcome == "ok" else logging.WARNING
        log.log(level, "admin action %s by %s on %r: %s %s", action, actor, target, outcome, detail)
        t = admin_audit_table
        self._since_prune += 1
        with self.db.engine.begin() as conn:
            conn.execute(t.insert().values(**row))
            if self._since_prune >= AUDIT_PRUNE_EVERY:
                self._since_prune = 0
                oldest_kept = (
                    sa.select(t.c.id).order_by(t.c.id.desc()).offset(self.max_rows).limit(1)
                ).scalar_subquery()
                conn.execute(t.delete().where(t.c.id <= oldest_kept))

    def recent(self, limit: int = 100) -> list[AuditEntry]:
        """Return the newest entries first."""
        t = admin_audit_table
        query = sa.select(t).order_by(t.c.id.desc()).limit(max(1, min(int(limit), 1000)))
        with self.db.engine.connect() as conn:
            return [AuditEntry(**r) for r in conn.execute(query).mappings()]
