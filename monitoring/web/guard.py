"""What the sign-in, sign-out and password forms share: form tokens, the cross-site check and
the answers that tell a client to wait.

A form carries a token signed with the app's key (itsdangerous, which Flask ships) and bound to
the browser's session, so a page of another origin cannot post it; a browser's
`Sec-Fetch-Site` naming another origin is refused outright.
"""

from __future__ import annotations

import hmac
import math
import secrets

import flask
from itsdangerous import BadData, URLSafeTimedSerializer

CSRF_SESSION_KEY = "_csrf"
CSRF_SALT = "hazwatch-form"
CSRF_MAX_AGE_S = 4 * 3600  # a form left open longer is refused and shown again


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


def form_page(html: str, status: int = 200) -> flask.Response:
    """Return a form page that no cache keeps (it carries a form token)."""
    response = flask.make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def with_retry_after(response: flask.Response, seconds: float) -> flask.Response:
    """Return the response telling the client when to try again."""
    response.headers["Retry-After"] = str(whole(seconds))
    return response


def whole(seconds: float) -> int:
    """Return a wait in whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(seconds))
