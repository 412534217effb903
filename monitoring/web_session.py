"""Web sessions: Flask-Login on the app's server, /login and /logout, pages need a user.

/api/v1 keeps HTTP Basic (its own check), so this guard leaves it alone. The login form is
rendered by a function the app passes in, so this module never imports the page layer.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import flask
import flask_login

from monitoring.users import User, UserBook

SECRET_KEY_FILE = "web-secret-key"
REMEMBER_DAYS = 30  # a kiosk wall display stays signed in this long
OPEN_PREFIXES = ("/api/", "/assets/", "/login", "/logout", "/_favicon.ico")


class SessionUser(flask_login.UserMixin):
    """A signed-in user as Flask-Login sees it."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = user.username

    @property
    def role(self) -> str:
        return self.user.role

    def can(self, role: str) -> bool:
        """Tell whether this user holds `role` or a higher one."""
        return self.user.can(role)

    @property
    def is_active(self) -> bool:
        return self.user.active


def load_secret_key(configured: str | None, data_dir: Path) -> str:
    """Return the configured key, else the one kept in data_dir (created on first start)."""
    if configured:
        return configured
    path = data_dir / SECRET_KEY_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key)
    return key


def install_sessions(
    server: flask.Flask,
    users: UserBook,
    secret_key: str,
    render_login: Callable[[str | None], str],
) -> None:
    """Protect every page of `server` with a session login backed by the user book."""
    server.secret_key = secret_key
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=timedelta(days=REMEMBER_DAYS),
    )
    manager = flask_login.LoginManager()
    manager.init_app(server)

    @manager.user_loader
    def load_user(username: str) -> SessionUser | None:
        user = users.get(username)
        return SessionUser(user) if user is not None and user.active else None

    @server.before_request
    def require_login() -> flask.Response | None:
        path = flask.request.path
        if path.startswith(OPEN_PREFIXES) or flask_login.current_user.is_authenticated:
            return None
        if path.startswith("/_dash"):  # callbacks and layout of an expired session
            return flask.Response("login required", status=401)
        return flask.redirect(flask.url_for("login", next=path))

    @server.route("/login", methods=["GET", "POST"])
    def login() -> flask.Response | str:
        if flask.request.method == "GET":
            return render_login(None)
        form = flask.request.form
        user = users.authenticate(form.get("username", ""), form.get("password", ""))
        if user is None:
            return flask.make_response(render_login("login.failed"), 401)
        flask_login.login_user(SessionUser(user), remember=bool(form.get("remember")))
        return flask.redirect(_safe_next(flask.request.args.get("next")))

    @server.route("/logout")
    def logout() -> flask.Response:
        flask_login.logout_user()
        return flask.redirect(flask.url_for("login"))


def _safe_next(target: str | None) -> str:
    """Return a same-site path to go to after login (never another host)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def current_session_user() -> SessionUser | None:
    """Return the signed-in user of this request, or None."""
    user = flask_login.current_user
    return user if user is not None and user.is_authenticated else None
