"""What keeps password checks from being a weapon: a failure throttle, a bound on hashing, a cache.

The web's sign-in form (`monitoring.web`) and the API's HTTP Basic (`monitoring.api`) share
these, so they sit below both. Everything here is in memory and per process: with several web
processes an attacker gets a few more tries, which the delays still keep slow.

- `SignInThrottle` counts failures per (user, address), per address and per user. A user name
  that others guess at is only slowed for addresses that have failed for it themselves: a
  user signing in from an address with no failures is never held back (issue 10: 30 failures
  from 30 addresses used to lock the right password out everywhere).
- `HashingGate` lets at most a few Argon2id hashes (64 MiB each) run at once and a few more
  wait; any further request, and one that waits too long, is refused at once (`HashingBusy`)
  instead of queueing without bound. Refusing at once matters with a production server's
  bounded worker threads: requests waiting for a hash must not hold every thread, or a
  signed-in viewer's request waits behind them.
- `VerifiedCredentials` remembers, for a few minutes, user name and password pairs that were
  right, under a keyed hash, so a client polling the API pays one hash, not one per call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# Failed sign-ins allowed in SIGN_IN_WINDOW_S before each further try must wait, per key.
FAILURES_PER_PAIR = 5  # one user name from one address
FAILURES_PER_ADDRESS = 30  # one address, any user name
FAILURES_PER_USER = 30  # one user name from anywhere; applies only to addresses that failed for it
SIGN_IN_WINDOW_S = 15 * 60
BASE_DELAY_S = 2.0  # doubles with each failure over the allowance
MAX_DELAY_S = 5 * 60.0
MAX_KEYS = 20_000  # memory bound of the failure counters

HASH_CONCURRENCY = 2  # Argon2id hashes at once per process (64 MiB each)
HASH_WAITING = 4  # requests that may wait for a hashing slot; more are refused at once
HASH_WAIT_S = 5.0  # longest wait for a hashing slot before the request is refused
VERIFIED_TTL_S = 300.0  # a verified password is trusted again without hashing this long
VERIFIED_MAX = 1024  # entries of the verified-credentials cache

Key = tuple[str, ...]


class HashingBusy(RuntimeError):
    """Every password-hashing slot stayed taken for the whole wait: try again shortly."""


@dataclass(frozen=True)
class Failures:
    """Recent failed sign-ins counting against one attempt, for the log."""

    pair: int  # this user name from this address
    address: int  # this address, any user name
    user: int  # this user name, any address


@dataclass
class SignInThrottle:
    """Count failed sign-ins; after an allowance, each further try waits twice as long."""

    per_pair: int = FAILURES_PER_PAIR
    per_address: int = FAILURES_PER_ADDRESS
    per_user: int = FAILURES_PER_USER
    window_s: float = SIGN_IN_WINDOW_S
    base_delay_s: float = BASE_DELAY_S
    max_delay_s: float = MAX_DELAY_S
    max_keys: int = MAX_KEYS
    _failures: dict[Key, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, username: str, address: str | None, now: float) -> float:
        """Return how many seconds this user name from this address must wait (0: go ahead)."""
        pair, addr, user = _keys(username, address)
        with self._lock:
            pair_times = self._recent(pair, now)
            wait = max(
                self._wait(pair_times, self.per_pair, now),
                self._wait(self._recent(addr, now), self.per_address, now),
            )
            if pair_times:  # only an address that failed for this user feels the user's limit
                wait = max(wait, self._wait(self._recent(user, now), self.per_user, now))
        return max(0.0, wait)

    def failed(self, username: str, address: str | None, now: float) -> Failures:
        """Count one failed sign-in and return the recent failures it counts against."""
        keys = _keys(username, address)
        counts = []
        with self._lock:
            if len(self._failures) + len(keys) > self.max_keys:
                self._forget_old(now, room=len(keys))
            for key in keys:
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times
                counts.append(len(times))
        return Failures(*counts)

    def succeeded(self, username: str, address: str | None) -> None:
        """Forget the failures of a user who then signed in (not those of the address)."""
        pair, _addr, user = _keys(username, address)
        with self._lock:
            self._failures.pop(pair, None)
            self._failures.pop(user, None)

    def _wait(self, times: list[float], allowed: int, now: float) -> float:
        over = len(times) - allowed
        if over < 0:
            return 0.0
        return times[-1] + min(self.max_delay_s, self.base_delay_s * 2**over) - now

    def _recent(self, key: Key, now: float) -> list[float]:
        return [t for t in self._failures.get(key, ()) if now - t < self.window_s]

    def _forget_old(self, now: float, room: int) -> None:
        for key in [k for k, v in self._failures.items() if not v or now - v[-1] >= self.window_s]:
            del self._failures[key]
        if len(self._failures) + room > self.max_keys:  # still full: drop the oldest half
            by_age = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in by_age[: len(by_age) // 2]:
                del self._failures[key]


def _keys(username: str, address: str | None) -> tuple[Key, Key, Key]:
    name = username.strip().lower()[:64]
    addr = address or "?"
    return ("pair", name, addr), ("address", addr), ("user", name)


class HashingGate:
    """Let `slots` password hashes run at once and `waiting` more wait; refuse the rest."""

    def __init__(
        self,
        slots: int = HASH_CONCURRENCY,
        waiting: int = HASH_WAITING,
        wait_s: float = HASH_WAIT_S,
    ) -> None:
        self._admitted = threading.BoundedSemaphore(slots + waiting)
        self._slots = threading.BoundedSemaphore(slots)
        self.wait_s = wait_s

    @contextmanager
    def slot(self, queue: bool = True) -> Iterator[None]:
        """Hold one hashing slot for the block; raise HashingBusy if none frees in time.

        `queue=False` does not count against the waiting places (for a signed-in user's new
        password, which an anonymous flood must not be able to refuse at once).
        """
        if not queue:
            with self._running():
                yield
            return
        if not self._admitted.acquire(blocking=False):
            raise HashingBusy("too many password checks are waiting")
        try:
            with self._running():
                yield
        finally:
            self._admitted.release()

    @contextmanager
    def _running(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait_s):
            raise HashingBusy("every password-hashing slot stayed busy")
        try:
            yield
        finally:
            self._slots.release()


class VerifiedCredentials:
    """Recently verified (user name, password) pairs, under a keyed hash, for a few minutes.

    Each entry names the user's session key of the moment it was verified: a password
    change or a revocation gives the user a new key, and the entry no longer matches.
    The passwords themselves are never kept, and the hash key lives only in this process.
    """

    def __init__(
        self,
        ttl_s: float = VERIFIED_TTL_S,
        max_entries: int = VERIFIED_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock

    def _digest(self, username: str, password: str) -> bytes:
        text = f"{username}\0{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, text, hashlib.sha256).digest()

    def holds(self, username: str, password: str, session_key: str) -> bool:
        """Tell whether this pair was verified lately for the user's current session key."""
        digest = self._digest(username, password)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return False
            key, expires = entry
            if self._clock() >= expires or not hmac.compare_digest(key, session_key):
                del self._entries[digest]
                return False
            return True

    def remember(self, username: str, password: str, session_key: str) -> None:
        """Remember a pair that was just verified."""
        digest = self._digest(username, password)
        with self._lock:
            self._entries[digest] = (session_key, self._clock() + self.ttl_s)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
