"""What a session names: a token that the user's session key, a sign-in id and an expiry make.

`username/session_key/login_id/expires` is the Flask-Login user id, so it is what both the
session cookie (signed by Flask) and the remember cookie (HMAC-signed by Flask-Login with the
app's key) carry. A token is good only while it has not expired and names the user's current
session key: giving the user a new key (`UserBook.end_sessions`, a new password or role,
disabling) ends every session and remember cookie at once, and a deleted and re-created name
has another key. The random sign-in id makes every sign-in's cookie different.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import flask_login

from monitoring.books.users import Account
from monitoring.users import USERNAME_PATTERN, User

SESSION_HOURS = 24  # a sign-in without "keep me signed in" lasts this long at most
REMEMBER_DAYS = 30  # "keep me signed in", for a kiosk wall display
LOGIN_ID_BYTES = 12


@dataclass(frozen=True)
class SessionToken:
    """The parts of a session token."""

    username: str
    session_key: str
    login_id: str
    expires_s: int

    def text(self) -> str:
        """Return the token as cookies carry it."""
        return f"{self.username}/{self.session_key}/{self.login_id}/{self.expires_s}"

    @classmethod
    def parse(cls, text: object) -> SessionToken | None:
        """Return the token's parts, or None for anything else (a release 0.1 cookie)."""
        if not isinstance(text, str):
            return None
        parts = text.split("/")
        if len(parts) != 4 or not USERNAME_PATTERN.fullmatch(parts[0]) or not parts[3].isdigit():
            return None
        return cls(parts[0], parts[1], parts[2], int(parts[3]))

    def names(self, account: Account, now: float) -> bool:
        """Tell whether this token is still good for the account as it is now."""
        return (
            now < self.expires_s
            and account.user.active
            and hmac.compare_digest(self.session_key.encode(), account.session_key.encode())
        )


def new_token(account: Account, remember: bool, now: float) -> SessionToken:
    """Return a token for a new sign-in of `account`."""
    lifetime = timedelta(days=REMEMBER_DAYS) if remember else timedelta(hours=SESSION_HOURS)
    return SessionToken(
        account.user.username,
        account.session_key,
        secrets.token_urlsafe(LOGIN_ID_BYTES),
        int(now + lifetime.total_seconds()),
    )


class SessionUser(flask_login.UserMixin):
    """A signed-in user as Flask-Login sees it; `id` is the user name, `get_id()` the token."""

    def __init__(self, user: User, token: str | None = None) -> None:
        self.user = user
        self.id = user.username
        self.token = token

    def get_id(self) -> str:
        """Return what the session and remember cookies carry: the session token."""
        return self.token or self.user.username

    @property
    def role(self) -> str:
        return self.user.role

    def can(self, role: str) -> bool:
        """Tell whether this user holds `role` or a higher one."""
        return self.user.can(role)

    @property
    def is_active(self) -> bool:
        return self.user.active


def start_session(account: Account, remember: bool, now: float) -> None:
    """Sign `account` in on this browser with a new token (and remember cookie if asked)."""
    token = new_token(account, remember, now)
    flask_login.login_user(
        SessionUser(account.user, token.text()),
        remember=remember,
        duration=timedelta(days=REMEMBER_DAYS) if remember else None,
    )
