"""The gateways' network thread: calls from other threads, timers, paced work, stopping."""

from __future__ import annotations

import threading

import pytest

from simulators.netloop import GatewayLoop
from tests.services import wait_for


@pytest.fixture
def loop():
    running = GatewayLoop("test-loop")
    running.start()
    yield running
    running.stop()


def test_calls_run_in_the_loop_thread_and_return_or_raise(loop):
    assert loop.call(lambda: threading.current_thread().name) == "test-loop"
    assert not loop.in_loop()
    assert loop.call(loop.in_loop)
    with pytest.raises(ZeroDivisionError):
        loop.call(lambda: 1 / 0)
    assert loop.call(lambda: 42) == 42, "a failed call does not stop the loop"


def test_timers_run_in_order_and_cancelled_ones_never(loop):
    ran: list[str] = []

    def schedule() -> None:
        loop.call_later(0.2, lambda: ran.append("late"))
        loop.call_later(0.05, lambda: ran.append("early"))
        loop.call_later(0.1, lambda: ran.append("cancelled")).cancel()
        for n in range(120):
            loop.call_paced(lambda n=n: ran.append(f"paced {n}"))

    loop.call(schedule)
    wait_for(lambda: "late" in ran, timeout=5, what="the late timer")
    paced = [r for r in ran if r.startswith("paced")]
    assert paced == [f"paced {n}" for n in range(120)]
    assert [r for r in ran if not r.startswith("paced")] == ["early", "late"]


def test_stop_ends_the_thread_and_later_calls_are_refused():
    loop = GatewayLoop("short-lived")
    loop.start()
    thread = loop._thread
    loop.stop()
    assert thread is not None and not thread.is_alive()
    assert not loop.running
    with pytest.raises(RuntimeError, match="not running"):
        loop.call(lambda: None)
