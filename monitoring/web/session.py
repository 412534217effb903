"""Web sessions: Flask-Login on the app's server, /login and /logout, pages need a user.

/api/v1 keeps HTTP Basic (its own check), so this guard leaves it alone. The login form is
rendered by a function the app passes in, so this module never imports the page layer.

Cross-site requests cannot act with a user's cookie:
- the session and remember cookies are HttpOnly and SameSite=Lax (Secure when asked), so a
  browser does not send them with another site's POST;
- the /login and /logout forms carry a token signed with the app's key (itsdangerous, which
  Flask ships) and bound to the session, so a same-site page on another origin cannot post
  them either;
- Dash's callback endpoint takes only `application/json` bodies from this origin: an HTML
  form cannot send that content type, and `fetch` from another origin needs a CORS preflight
  this server never approves;
- a browser's `Sec-Fetch-Site` header naming another origin is refused outright.
Repeated failed sign-ins are slowed down per (user, address), per user and per address.

While the user book does not answer, the callbacks of pages already open are served with the
user as last loaded (`KnownUsers`), so a wall keeps refreshing and can say the database is
down; a page load or a sign-in then fails, and `monitoring.web.outage` answers it.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import flask
import flask_login
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response as HttpResponse  # flask.Response and redirects

from monitoring.books.users import UserBook
from monitoring.db.errors import database_unavailable, error_summary
from monitoring.users import User
from monitoring.web.forms import CSRF_FIELD

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "web-secret-key"
REMEMBER_DAYS = 30  # a kiosk wall display stays signed in this long
OPEN_PREFIXES = ("/api/", "/assets/", "/login", "/logout", "/_favicon.ico")
DASH_PREFIX = "/_dash"
CSRF_SESSION_KEY = "_csrf"
CSRF_SALT = "hazwatch-form"
CSRF_MAX_AGE_S = 4 * 3600  # a sign-in form left open longer is refused and shown again
# Failed sign-ins allowed in LOGIN_WINDOW_S before each further try must wait, per key.
LOGIN_FAILURES_PER_PAIR = 5  # one user name from one address
LOGIN_FAILURES_PER_USER = 30  # one user name from anywhere (slow distributed guessing)
LOGIN_FAILURES_PER_ADDRESS = 30  # one address, any user name
LOGIN_WINDOW_S = 15 * 60
LOGIN_BASE_DELAY_S = 2.0  # doubles with each failure over the allowance
LOGIN_MAX_DELAY_S = 5 * 60.0
LOGIN_MAX_KEYS = 20_000  # memory bound of the failure counters
USER_BOOK_RETRY_S = 5.0  # while the user book does not answer, ask it again this often
KNOWN_USERS_MAX = 1000  # users remembered for open pages while the user book is down
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",  # no clickjacking of the admin or console pages
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

RenderLogin = Callable[..., str]  # (error_key, csrf_token, **params) -> HTML


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


@dataclass
class LoginThrottle:
    """Count failed sign-ins per key; after the allowance, each try waits longer (in memory).

    Kept per process: with several web processes an attacker gets a few more tries, which
    the Argon2 hash and the delays still keep slow.
    """

    window_s: float = LOGIN_WINDOW_S
    base_delay_s: float = LOGIN_BASE_DELAY_S
    max_delay_s: float = LOGIN_MAX_DELAY_S
    max_keys: int = LOGIN_MAX_KEYS
    _failures: dict[tuple, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, keys: dict[tuple, int], now: float) -> float:
        """Return how many seconds to wait before trying again (0: go ahead)."""
        wait = 0.0
        with self._lock:
            for key, allowed in keys.items():
                times = self._recent(key, now)
                over = len(times) - allowed
                if over >= 0:
                    delay = min(self.max_delay_s, self.base_delay_s * 2**over)
                    wait = max(wait, times[-1] + delay - now)
        return max(0.0, wait)

    def failed(self, keys: dict[tuple, int], now: float) -> None:
        """Count one failed sign-in against every key."""
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._forget_old(now)
            for key in keys:
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times

    def succeeded(self, keys: dict[tuple, int]) -> None:
        """Forget the failures of a user who then signed in (not those of the address)."""
        with self._lock:
            for key in keys:
                if key[0] != "address":
                    self._failures.pop(key, None)

    def _recent(self, key: tuple, now: float) -> list[float]:
        return [t for t in self._failures.get(key, ()) if now - t < self.window_s]

    def _forget_old(self, now: float) -> None:
        for key in [k for k, v in self._failures.items() if not v or now - v[-1] >= self.window_s]:
            del self._failures[key]
        if len(self._failures) >= self.max_keys:  # still full: drop the oldest half
            by_age = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in by_age[: len(by_age) // 2]:
                del self._failures[key]


class KnownUsers:
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
        self._users: OrderedDict[str, User] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = clock
        self._retry_s = retry_s
        self._max_users = max_users
        self._down_until = 0.0

    def load(self, username: str, get: Callable[[str], User | None], fallback: bool) -> User | None:
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

    def _known(self, username: str) -> User | None:
        with self._lock:
            return self._users.get(username)


def throttle_keys(username: str, address: str | None) -> dict[tuple, int]:
    """Return the counters a sign-in attempt counts against, with their allowances."""
    name = username.strip().lower()[:64]
    addr = address or "?"
    return {
        ("pair", name, addr): LOGIN_FAILURES_PER_PAIR,
        ("user", name): LOGIN_FAILURES_PER_USER,
        ("address", addr): LOGIN_FAILURES_PER_ADDRESS,
    }


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


def csrf_token() -> str:
    """Return a signed form token bound to this browser's session (creating the session)."""
    raw = flask.session.get(CSRF_SESSION_KEY)
    if not raw:
        raw = flask.session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    return _serializer().dumps(raw)


def csrf_valid(token: object) -> bool:
    """Tell whether a submitted form token is ours, recent, and of this session."""
    raw = flask.session.get(CSRF_SESSION_KEY)
    if not raw or not isinstance(token, str) or not token:
        return False
    try:
        value = _serializer().loads(token, max_age=CSRF_MAX_AGE_S)
    except BadData:
        return False
    return isinstance(value, str) and hmac.compare_digest(value, raw)


def _serializer() -> URLSafeTimedSerializer:
    key = flask.current_app.secret_key
    if key is None:  # install_sessions sets it: a form token needs it
        raise RuntimeError("the app has no secret key (install_sessions sets it)")
    return URLSafeTimedSerializer(key, salt=CSRF_SALT)


def cross_origin(request: flask.Request) -> bool:
    """Tell whether the browser says this request was sent by a page of another origin.

    Only the browser-computed `Sec-Fetch-Site` is used: comparing `Origin` with `Host` would
    refuse every request behind a proxy that rewrites the host name.
    """
    return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")


def install_sessions(
    server: flask.Flask,
    users: UserBook,
    secret_key: str,
    render_login: RenderLogin,
    *,
    secure_cookies: bool = False,
    throttle: LoginThrottle | None = None,
    clock: Callable[[], float] = time.time,
) -> None:
    """Protect every page of `server` with a session login backed by the user book.

    `render_login(error_key, csrf_token, **params)` returns the sign-in page; with
    `error_key` "logout.confirm" it returns the sign-out confirmation form instead.
    `secure_cookies` marks the cookies Secure (set it when the app is served over HTTPS).
    """
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
    throttle = throttle or LoginThrottle()
    known = KnownUsers()
    manager = flask_login.LoginManager()
    manager.init_app(server)

    @manager.user_loader
    def load_user(username: str) -> SessionUser | None:
        # Only the callbacks of an open page may go on as the user last loaded.
        open_page = flask.request.path.startswith(DASH_PREFIX)
        user = known.load(username, users.get, fallback=open_page)
        return SessionUser(user) if user is not None and user.active else None

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
        response = flask.make_response(render_login(error_key, csrf_token(), **params), status)
        response.headers["Cache-Control"] = "no-store"  # it carries a form token
        return response

    @server.route("/login", methods=["GET", "POST"])
    def login() -> HttpResponse:
        request = flask.request
        if request.method == "GET":
            return page(None)
        if cross_origin(request) or not csrf_valid(request.form.get(CSRF_FIELD)):
            return page("login.expired", 400)
        username = request.form.get("username", "")
        keys = throttle_keys(username, request.remote_addr)
        wait = throttle.retry_after(keys, clock())
        if wait > 0:
            response = page("login.throttled", 429, seconds=int(wait) + 1)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        user = users.authenticate(username, request.form.get("password", ""))
        if user is None:
            throttle.failed(keys, clock())
            log.warning("failed sign-in for %r from %s", username[:64], request.remote_addr)
            return page("login.failed", 401)
        throttle.succeeded(keys)
        flask.session.clear()  # a fresh session (and form token) for the signed-in user
        flask_login.login_user(SessionUser(user), remember=bool(request.form.get("remember")))
        try:
            users.record_login(user.username, int(clock() * 1000))
        except Exception:  # the sign-in itself worked; the admin page shows one time less
            log.warning("could not record the sign-in of %s", user.username, exc_info=True)
        return flask.redirect(_safe_next(request.args.get("next")))

    @server.route("/logout", methods=["GET", "POST"])
    def logout() -> HttpResponse:
        request = flask.request
        if not flask_login.current_user.is_authenticated:
            return flask.redirect(flask.url_for("login"))
        if request.method == "GET":
            # A link (or another site) cannot sign anyone out: this asks to confirm by POST.
            return page("logout.confirm")
        if cross_origin(request) or not csrf_valid(request.form.get(CSRF_FIELD)):
            return page("logout.confirm", 400)
        flask.session.clear()  # first: logout_user then marks the remember cookie for removal
        flask_login.logout_user()
        return flask.redirect(flask.url_for("login"))


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
