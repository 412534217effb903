"""Web sessions: Flask-Login on the app's server, /login and /logout, pages need a user.

/api/v1 keeps HTTP Basic (its own check), so this guard leaves it alone. The login form is
rendered by a function the app passes in, so this module never imports the page layer.

Cross-site requests cannot act with a user's cookie:
- the session and remember cookies are HttpOnly and SameSite=Lax (Secure when asked), so a
  browser does not send them with another site's POST;
- the /login, /logout and /password forms carry a token signed with the app's key
  (`monitoring.web.guard`) and bound to the session, so a same-site page on another origin
  cannot post them either;
- Dash's callback endpoint takes only `application/json` bodies from this origin: an HTML
  form cannot send that content type, and `fetch` from another origin needs a CORS preflight
  this server never approves;
- a browser's `Sec-Fetch-Site` header naming another origin is refused outright.
Repeated failed sign-ins are slowed down per (user, address), per address, and per user for
addresses that failed for that user (`monitoring.books.signin`); each failure is logged with
the user name, the address and the counts, never the password.

Sessions can be ended: the session and remember cookies carry a token naming the user's session
key (`monitoring.web.tokens`), and signing out gives the user a new key, which ends every
session and remember cookie of that user on every browser. So do a new password, a new role,
disabling and deleting the user (`UserBook`). Signed-in users change their own password at
`/password` (`monitoring.web.account`). With `trusted_proxies` > 0, the client address and
scheme are taken from that many reverse proxies' X-Forwarded-For and X-Forwarded-Proto.

While the user book does not answer, the callbacks of pages already open are served with the
user as last loaded (`KnownUsers`), so a wall keeps refreshing and can say the database is
down; a page load or a sign-in then fails, and `monitoring.web.outage` answers it.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

import flask
import flask_login
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as HttpResponse  # flask.Response and redirects

from monitoring.books.signin import HashingBusy, SignInThrottle
from monitoring.books.users import Account, UserBook
from monitoring.db.errors import database_unavailable, error_summary
from monitoring.web.account import BUSY_RETRY_S, RenderPage, install_password_page
from monitoring.web.forms import CSRF_FIELD
from monitoring.web.guard import (
    cross_origin,
    csrf_token,
    csrf_valid,
    form_page,
    whole,
    with_retry_after,
)
from monitoring.web.tokens import REMEMBER_DAYS, SessionToken, SessionUser, start_session

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "web-secret-key"
OPEN_PREFIXES = ("/api/", "/assets/", "/login", "/logout", "/_favicon.ico")
DASH_PREFIX = "/_dash"
USER_BOOK_RETRY_S = 5.0  # while the user book does not answer, ask it again this often
KNOWN_USERS_MAX = 1000  # users remembered for open pages while the user book is down
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",  # no clickjacking of the admin or console pages
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

RenderLogin = Callable[..., str]  # (error_key, csrf_token, **params) -> HTML


V = TypeVar("V")  # what KnownUsers keeps: the user book's answer for a name


class KnownUsers(Generic[V]):
    """The users as last loaded, to serve open pages' callbacks while the user book is down.

    A user changed during the outage cannot be seen anyway; one changed before it was seen
    by the last load. Once the book failed, it is asked again only every `retry_s`, so a
    hung database does not hold every callback for its timeout.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        retry_s: float = USER_BOOK_RETRY_S,
        max_users: int = KNOWN_USERS_MAX,
    ) -> None:
        self._users: OrderedDict[str, V] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock
        self._retry_s = retry_s
        self._max_users = max_users
        self._down_until = 0.0

    def load(self, username: str, get: Callable[[str], V | None], fallback: bool) -> V | None:
        """Return `get(username)`; when the book does not answer, the known user if `fallback`.

        Raises the book's error when there is no fallback (a page load, an unknown user).
        """
        if fallback and self._clock() < self._down_until:
            known = self._known(username)
            if known is not None:
                return known
        try:
            user = get(username)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            with self._lock:
                was_up = self._down_until == 0.0
                self._down_until = self._clock() + self._retry_s
            known = self._known(username) if fallback else None
            if known is None:
                raise
            if was_up:
                log.warning(
                    "user book unreachable: open pages go on as their users (%s)",
                    error_summary(exc),
                )
            return known
        with self._lock:
            self._down_until = 0.0
            if user is None:
                self._users.pop(username, None)
            else:
                self._users[username] = user
                self._users.move_to_end(username)
                while len(self._users) > self._max_users:
                    self._users.popitem(last=False)
        return user

    def _known(self, username: str) -> V | None:
        with self._lock:
            return self._users.get(username)


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
    render_login: RenderLogin,
    *,
    secure_cookies: bool = False,
    throttle: SignInThrottle | None = None,
    trusted_proxies: int = 0,
    render_password: RenderPage | None = None,
    clock: Callable[[], float] = time.time,
) -> None:
    """Protect every page of `server` with a session login backed by the user book.

    `render_login(error_key, csrf_token, **params)` returns the sign-in page; with
    `error_key` "logout.confirm" it returns the sign-out confirmation form instead.
    `secure_cookies` marks the cookies Secure (set it when the app is served over HTTPS).
    `throttle` is shared with the API's Basic auth; `trusted_proxies` is how many reverse
    proxies' X-Forwarded-For/-Proto headers to believe (0: none, the peer is the client).
    `render_password` draws the password page at /password (none without it).
    """
    if trusted_proxies > 0:
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies
        )
    server.secret_key = secret_key
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_DURATION=timedelta(days=REMEMBER_DAYS),
    )
    throttle = throttle or SignInThrottle()
    known: KnownUsers[Account] = KnownUsers()
    manager = flask_login.LoginManager()
    manager.init_app(server)

    @manager.user_loader
    def load_user(token_text: str) -> SessionUser | None:
        token = SessionToken.parse(token_text)
        if token is None:  # not a token of this release: sign in again
            return None
        # Only the callbacks of an open page may go on as the user last loaded.
        open_page = flask.request.path.startswith(DASH_PREFIX)
        account = known.load(token.username, users.account, fallback=open_page)
        if account is None or not token.names(account, clock()):
            return None
        return SessionUser(account.user, token_text)

    @server.before_request
    def require_login() -> HttpResponse | None:
        request = flask.request
        path = request.path
        if path.startswith(DASH_PREFIX) and request.method == "POST":
            # Dash reads callbacks as JSON; refusing anything else here does not depend
            # on Dash's internals to keep HTML forms of other sites out.
            if not request.is_json:
                return flask.Response("JSON body required", status=415)
            if cross_origin(request):
                return flask.Response("cross-origin request refused", status=403)
        if path.startswith(OPEN_PREFIXES) or flask_login.current_user.is_authenticated:
            return None
        if path.startswith(DASH_PREFIX):  # callbacks and layout of an expired session
            return flask.Response("login required", status=401)
        return flask.redirect(flask.url_for("login", next=path))

    @server.after_request
    def security_headers(response: flask.Response) -> flask.Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def page(error_key: str | None, status: int = 200, **params: object) -> flask.Response:
        return form_page(render_login(error_key, csrf_token(), **params), status)

    @server.route("/login", methods=["GET", "POST"])
    def login() -> HttpResponse:
        request = flask.request
        if request.method == "GET":
            return page(None)
        if cross_origin(request) or not csrf_valid(request.form.get(CSRF_FIELD)):
            return page("login.expired", 400)
        username = request.form.get("username", "")
        address = request.remote_addr
        wait = throttle.retry_after(username, address, clock())
        if wait > 0:
            log.warning("sign-in for %r from %s held back %d s", username[:64], address, wait)
            return with_retry_after(page("login.throttled", 429, seconds=whole(wait)), wait)
        try:
            user = users.authenticate(username, request.form.get("password", ""))
        except HashingBusy:
            log.warning(
                "sign-in for %r from %s refused: password checks busy", username[:64], address
            )
            return with_retry_after(page("login.busy", 503), BUSY_RETRY_S)
        account = users.account(user.username) if user is not None else None
        if account is None:
            failures = throttle.failed(username, address, clock())
            log.warning(
                "failed sign-in for %r from %s (failures in the last %d min: %d for this user "
                "from this address, %d from this address, %d for this user)",
                username[:64],
                address,
                throttle.window_s // 60,
                failures.pair,
                failures.address,
                failures.user,
            )
            return page("login.failed", 401)
        throttle.succeeded(username, address)
        flask.session.clear()  # a fresh session (and form token) for the signed-in user
        start_session(account, bool(request.form.get("remember")), clock())
        try:
            users.record_login(account.user.username, int(clock() * 1000))
        except Exception:  # the sign-in itself worked; the admin page shows one time less
            log.warning("could not record the sign-in of %s", account.user.username, exc_info=True)
        return flask.redirect(_safe_next(request.args.get("next")))

    @server.route("/logout", methods=["GET", "POST"])
    def logout() -> HttpResponse:
        request = flask.request
        user = current_session_user()
        if user is None:
            return flask.redirect(flask.url_for("login"))
        if request.method == "GET":
            # A link (or another site) cannot sign anyone out: this asks to confirm by POST.
            return page("logout.confirm")
        if cross_origin(request) or not csrf_valid(request.form.get(CSRF_FIELD)):
            return page("logout.confirm", 400)
        try:
            users.end_sessions(user.id)  # every browser of this user, copied cookies too
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning(
                "signed %s out of this browser only: the user book does not answer (%s)",
                user.id,
                error_summary(exc),
            )
        flask.session.clear()  # first: logout_user then marks the remember cookie for removal
        flask_login.logout_user()
        return flask.redirect(flask.url_for("login"))

    if render_password is not None:
        install_password_page(server, users, throttle, render_password, clock)


def _safe_next(target: str | None) -> str:
    """Return a same-site path to go to after login (never another host)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:  # browsers read /\evil.example as //evil.example
        return "/"
    return target


def current_session_user() -> SessionUser | None:
    """Return the signed-in user of this request, or None."""
    user = flask_login.current_user
    return user if user is not None and user.is_authenticated else None
