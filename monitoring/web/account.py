"""The signed-in user's own password: `/password`, a plain form like the sign-in page.

It asks for the current password (a wrong one counts as a failed sign-in, so the form cannot
be used to guess it), then the new one twice, which the policy of `monitoring.users` checks.
The new password gives the user a new session key, which ends every other session and
remember cookie of that user; this browser is signed in again with the new key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import flask
import flask_login
from werkzeug.wrappers import Response as HttpResponse

from monitoring.books.signin import HashingBusy, SignInThrottle
from monitoring.books.users import UserBook
from monitoring.users import MIN_PASSWORD_LENGTH, UserError, check_password
from monitoring.web.forms import CSRF_FIELD
from monitoring.web.guard import (
    cross_origin,
    csrf_token,
    csrf_valid,
    form_page,
    whole,
    with_retry_after,
)
from monitoring.web.tokens import start_session

log = logging.getLogger(__name__)

PASSWORD_PATH = "/password"
BUSY_RETRY_S = 2  # Retry-After when every password-hashing slot is taken
REMEMBER_COOKIE = "remember_token"  # Flask-Login's default name, which the app keeps

# (message_key, csrf_token, **params) -> HTML; message keys: password.*, login.expired,
# login.throttled, login.busy, or None for the empty form.
RenderPage = Callable[..., str]


def install_password_page(
    server: flask.Flask,
    users: UserBook,
    throttle: SignInThrottle,
    render: RenderPage,
    clock: Callable[[], float],
) -> None:
    """Add /password (GET the form, POST a change) to a server whose pages need a sign-in."""

    def page(key: str | None, status: int = 200, **params: object) -> flask.Response:
        html = render(
            key,
            csrf_token(),
            username=flask_login.current_user.id,
            min_length=MIN_PASSWORD_LENGTH,
            **params,
        )
        return form_page(html, status)

    @server.route(PASSWORD_PATH, methods=["GET", "POST"])
    def change_password() -> HttpResponse:
        request = flask.request
        user = flask_login.current_user
        if request.method == "GET":
            return page(None)
        if cross_origin(request) or not csrf_valid(request.form.get(CSRF_FIELD)):
            return page("login.expired", 400)
        username, address = user.id, request.remote_addr
        wait = throttle.retry_after(username, address, clock())
        if wait > 0:
            return with_retry_after(page("login.throttled", 429, seconds=whole(wait)), wait)
        current = request.form.get("current_password", "")
        new = request.form.get("new_password", "")
        try:
            checked = users.authenticate(username, current)
        except HashingBusy:
            return with_retry_after(page("login.busy", 503), BUSY_RETRY_S)
        if checked is None:
            failures = throttle.failed(username, address, clock())
            log.warning(
                "wrong current password on the password page for %r from %s "
                "(failures in the last %d min: %d for this user from this address)",
                username,
                address,
                throttle.window_s // 60,
                failures.pair,
            )
            return page("password.wrong", 401)
        if new != request.form.get("new_password_again", ""):
            return page("password.mismatch", 400)
        if new == current:
            return page("password.same", 400)
        try:
            check_password(new, username)
            users.set_password(username, new)  # a new session key: every session ends
        except HashingBusy:
            return with_retry_after(page("login.busy", 503), BUSY_RETRY_S)
        except UserError as exc:
            log.info("password change of %r refused by the policy: %s", username, exc)
            return page("password.policy", 400)
        account = users.account(username)
        flask.session.clear()
        if account is not None:  # this browser goes on, with the new key
            start_session(account, REMEMBER_COOKIE in request.cookies, clock())
        log.info(
            "%s changed their password from %s; their other sessions are ended",
            username,
            address,
        )
        return page("password.done")
