"""The sign-in defences shared by the form and the API: throttle, hashing bound, verified cache."""

from __future__ import annotations

import threading
import time

import pytest

from monitoring.books.signin import (
    FAILURES_PER_USER,
    HashingBusy,
    HashingGate,
    SignInThrottle,
    VerifiedCredentials,
)


def test_failures_from_many_addresses_never_hold_back_a_clean_address() -> None:
    """Issue 10, finding 5: 30 failures from 30 addresses used to lock the user out everywhere."""
    throttle = SignInThrottle()
    t = 1000.0
    for i in range(3 * FAILURES_PER_USER):
        throttle.failed("viewer", f"10.0.{i // 250}.{i % 250}", t)
    assert throttle.retry_after("viewer", "192.0.2.7", t) == 0  # never failed: goes ahead
    # An address that failed for this user feels the user-wide limit: slowed, not locked.
    throttle.failed("viewer", "192.0.2.66", t)
    wait = throttle.retry_after("viewer", "192.0.2.66", t)
    assert 0 < wait <= throttle.max_delay_s
    assert throttle.retry_after("viewer", "192.0.2.66", t + wait) == 0


def test_one_address_guessing_many_names_is_held_back() -> None:
    throttle = SignInThrottle(per_address=3)
    for name in ("a", "b", "c"):
        throttle.failed(name, "10.0.0.9", 50.0)
    assert throttle.retry_after("someone-else", "10.0.0.9", 50.0) == 2.0
    assert throttle.retry_after("someone-else", "10.0.0.10", 50.0) == 0


def test_failures_are_counted_per_pair_address_and_user() -> None:
    throttle = SignInThrottle()
    throttle.failed("viewer", "10.0.0.1", 0)
    throttle.failed("viewer", "10.0.0.2", 1)
    counts = throttle.failed("VIEWER", "10.0.0.1", 2)
    assert (counts.pair, counts.address, counts.user) == (2, 2, 3)


def test_the_gate_runs_at_most_its_slots_and_refuses_the_overflow_at_once() -> None:
    gate = HashingGate(slots=2, waiting=2, wait_s=5.0)
    running, peak, refused = [0], [0], []
    lock = threading.Lock()
    release = threading.Event()

    def check() -> None:
        try:
            with gate.slot():
                with lock:
                    running[0] += 1
                    peak[0] = max(peak[0], running[0])
                release.wait(5)
                with lock:
                    running[0] -= 1
        except HashingBusy:
            refused.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=check) for _ in range(10)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while len(refused) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(refused) == 6  # 2 running + 2 waiting admitted, the other 6 refused...
    assert max(refused) - started < 1.0  # ...at once, not after the wait
    release.set()
    for thread in threads:
        thread.join(10)
    assert peak[0] == 2


def test_a_waiter_gives_up_after_the_wait() -> None:
    gate = HashingGate(slots=1, waiting=1, wait_s=0.2)
    with gate.slot():
        started = time.monotonic()
        with pytest.raises(HashingBusy):
            with gate.slot():
                pass
        assert 0.15 < time.monotonic() - started < 2
    with gate.slot():  # every slot was given back
        pass


def test_verified_credentials_expire_and_follow_the_session_key() -> None:
    now = [0.0]
    cache = VerifiedCredentials(ttl_s=300, max_entries=2, clock=lambda: now[0])
    cache.remember("viewer", "pass-word-123", "key-1")
    assert cache.holds("viewer", "pass-word-123", "key-1")
    assert not cache.holds("viewer", "pass-word-124", "key-1")
    assert not cache.holds("viewer", "pass-word-123", "key-2")  # a new key: forgotten
    assert not cache.holds("viewer", "pass-word-123", "key-1")
    cache.remember("viewer", "pass-word-123", "key-1")
    now[0] = 301
    assert not cache.holds("viewer", "pass-word-123", "key-1")  # expired
    for i in range(5):
        cache.remember(f"u{i}", "pw", "k")
    assert len(cache) == 2
    assert "pass-word" not in repr(cache._entries)  # keyed hashes, never the password


def test_a_new_password_waits_for_a_slot_even_when_the_waiting_places_are_full() -> None:
    gate = HashingGate(slots=1, waiting=0, wait_s=5.0)
    taken = threading.Event()

    def hold_briefly() -> None:
        with gate.slot():
            taken.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    taken.wait(5)
    with pytest.raises(HashingBusy):  # an anonymous check: refused at once
        with gate.slot():
            pass
    started = time.monotonic()
    with gate.slot(queue=False):  # a signed-in user's new password: waits its turn
        assert time.monotonic() - started > 0.1
    holder.join(5)
