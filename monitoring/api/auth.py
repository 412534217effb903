"""HTTP Basic for /api/v1 that cannot be used as a weapon (issue 10, findings 2 and 3).

- Failures are throttled per (user, address), per address and per user with the sign-in
  form's `SignInThrottle` (one shared instance), before any hashing: a held-back request
  gets 429 with Retry-After and costs no Argon2.
- Every failure is logged with the user name, the address and the counts; never the password.
- Hashing runs under the user book's bound (`HashingGate`): when no slot frees in time the
  answer is 503 with Retry-After, and memory stays bounded however many requests arrive.
- Pairs verified lately are not hashed again (`VerifiedCredentials`), so a polling client
  pays one hash every few minutes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from flask import Response, jsonify, request

from monitoring.books.signin import HashingBusy, SignInThrottle
from monitoring.books.users import UserBook
from monitoring.users import User

log = logging.getLogger(__name__)

BUSY_RETRY_S = 2  # Retry-After when every password-hashing slot is taken
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Hazwatch"'}


def basic_user(
    users: UserBook, throttle: SignInThrottle, clock: Callable[[], float]
) -> User | Response:
    """Return the user this request's Basic credentials name, or the answer refusing it."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        return _answer(401, "authentication required", "unauthenticated", **CHALLENGE)
    username, address = auth.username, request.remote_addr
    wait = throttle.retry_after(username, address, clock())
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        log.warning(
            "API sign-in for %r from %s held back %d s after repeated failures",
            username[:64],
            address,
            seconds,
        )
        return _answer(
            429,
            f"too many failed sign-ins: try again in {seconds} s",
            "sign_in_throttled",
            **{"Retry-After": str(seconds)},
        )
    try:
        user = users.authenticate(username, auth.password or "")
    except HashingBusy:
        log.warning(
            "API sign-in for %r from %s refused: password checks busy", username[:64], address
        )
        return _answer(
            503,
            "too many sign-ins are being checked: try again shortly",
            "sign_in_busy",
            **{"Retry-After": str(BUSY_RETRY_S)},
        )
    if user is None:
        failures = throttle.failed(username, address, clock())
        log.warning(
            "failed API sign-in for %r from %s (failures in the last %d min: %d for this user "
            "from this address, %d from this address, %d for this user)",
            username[:64],
            address,
            throttle.window_s // 60,
            failures.pair,
            failures.address,
            failures.user,
        )
        return _answer(401, "authentication required", "unauthenticated", **CHALLENGE)
    throttle.succeeded(username, address)
    return user


def _answer(status: int, message: str, code: str, **headers: str) -> Response:
    response = jsonify({"error": message, "code": code})
    response.status_code = status
    response.headers.update(headers)
    return response
