"""One thread and one epoll selector driving many paho clients: no select(), no 1,024 cap.

paho's own network loop (`loop_start`) gives every client a thread, a socket pair and a
select() call, and select() fails once a descriptor number passes 1,023: a province's 625
gateways needed about 1,900 descriptors and 285 of them never connected. Here paho is driven
through its external-loop hooks (`on_socket_open` ... `loop_read`, `loop_write`,
`loop_misc`) from one thread with `selectors.DefaultSelector` (epoll on Linux), which has no
such limit, and each client needs one descriptor. Every paho call and every callback runs in
that thread, so nothing needs a lock; other threads hand work over with `call`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)
T = TypeVar("T")

MISC_EVERY_S = 1.0  # keepalive bookkeeping (paho's loop_misc) of every client
MAX_WAIT_S = 1.0
PACED_PER_PASS = 50  # paced jobs (connection attempts) per pass, so I/O goes on between them
PACED_BUDGET_S = 0.05
CALL_TIMEOUT_S = 10.0
STOP_JOIN_S = 2.0
_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE


class Timer:
    """A callback due at a monotonic time; `cancel()` keeps it from running."""

    __slots__ = ("when", "fn", "cancelled")

    def __init__(self, when: float, fn: Callable[[], object]) -> None:
        self.when, self.fn, self.cancelled = when, fn, False

    def cancel(self) -> None:
        """Keep the callback from running."""
        self.cancelled = True


class GatewayLoop:
    """The network thread of many MQTT clients, with timers and calls from other threads."""

    def __init__(self, name: str = "gateways") -> None:
        self.name = name
        self._selector: selectors.BaseSelector | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self._calls: deque[Callable[[], object]] = deque()  # append/popleft are thread-safe
        self._paced: deque[Callable[[], object]] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._clients: set[mqtt.Client] = set()

    @property
    def running(self) -> bool:
        """Tell whether the loop's thread runs."""
        return self._running

    def in_loop(self) -> bool:
        """Tell whether the caller is the loop's thread."""
        return threading.current_thread() is self._thread

    def start(self) -> None:
        """Open the selector and start the loop's thread."""
        if self._running:
            return
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, _READ, None)
        self._running = True
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_JOIN_S) -> None:
        """End the loop; sockets still open are closed without a goodbye."""
        if not self._running:
            return
        if self.in_loop():
            self._running = False
            return
        self.call_soon(self._halt)
        if self._thread is not None:
            self._thread.join(timeout)

    def call(self, fn: Callable[[], T], timeout: float = CALL_TIMEOUT_S) -> T:
        """Run `fn` in the loop's thread and return its result (or raise its exception)."""
        if self.in_loop():
            return fn()
        if not self._running:
            raise RuntimeError(f"{self.name}: the network loop is not running")
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the caller, which raises it
                future.set_exception(exc)

        self.call_soon(run)
        return future.result(timeout)

    def call_soon(self, fn: Callable[[], object]) -> None:
        """Run `fn` in the loop's thread as soon as it can (from any thread)."""
        self._calls.append(fn)
        self._wake()

    def call_later(self, delay_s: float, fn: Callable[[], object]) -> Timer:
        """Run `fn` in the loop's thread after `delay_s` (call from the loop's thread)."""
        timer = Timer(time.monotonic() + max(0.0, delay_s), fn)
        heapq.heappush(self._timers, (timer.when, next(self._order), timer))
        return timer

    def call_paced(self, fn: Callable[[], object]) -> None:
        """Queue slow work (a blocking TCP connect) to run a few at a time between I/O."""
        self._paced.append(fn)

    def attach(self, client: mqtt.Client) -> None:
        """Drive `client` from this loop: its socket joins the selector when it opens."""
        client.on_socket_open = self._on_open
        client.on_socket_close = self._on_close
        client.on_socket_register_write = self._on_want_write
        client.on_socket_unregister_write = self._on_written
        self._clients.add(client)

    def abort(self, client: mqtt.Client) -> None:
        """Forget `client` and close its socket without DISCONNECT (its Last Will fires)."""
        self._clients.discard(client)
        for name in (
            "on_socket_open",
            "on_socket_close",
            "on_socket_register_write",
            "on_socket_unregister_write",
        ):
            setattr(client, name, None)
        sock = client.socket()
        if sock is not None:
            self._forget(sock)
            try:
                sock.close()
            except OSError:
                pass  # already closed: nothing left to release

    def _wake(self) -> None:
        if self._wake_w is not None:
            try:
                self._wake_w.send(b"\0")
            except (BlockingIOError, OSError):
                pass  # a wake-up is already pending, or the loop has ended

    def _halt(self) -> None:
        self._running = False

    def _run(self) -> None:
        assert self._selector is not None
        next_misc = time.monotonic() + MISC_EVERY_S
        try:
            while self._running:
                events = self._selector.select(self._timeout(next_misc))
                for key, mask in events:
                    self._serve(key.data, mask)
                self._run_calls()
                self._run_timers()
                self._run_paced()
                if time.monotonic() >= next_misc:
                    for client in list(self._clients):
                        if client.socket() is not None:
                            self._guard(client.loop_misc)
                    next_misc = time.monotonic() + MISC_EVERY_S
        finally:
            self._close()

    def _serve(self, client: mqtt.Client | None, mask: int) -> None:
        if client is None:
            assert self._wake_r is not None
            try:
                self._wake_r.recv(4096)
            except BlockingIOError:
                pass  # drained by an earlier pass
            return
        if mask & _READ:
            self._guard(client.loop_read)
        if mask & _WRITE and client.socket() is not None:
            self._guard(client.loop_write)

    def _timeout(self, next_misc: float) -> float:
        if self._calls or self._paced:
            return 0.0
        until = min(next_misc, self._timers[0][0] if self._timers else next_misc)
        return min(MAX_WAIT_S, max(0.0, until - time.monotonic()))

    def _run_calls(self) -> None:
        for _ in range(len(self._calls)):
            self._guard(self._calls.popleft())

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                self._guard(timer.fn)

    def _run_paced(self) -> None:
        started = time.monotonic()
        for _ in range(min(PACED_PER_PASS, len(self._paced))):
            self._guard(self._paced.popleft())
            if time.monotonic() - started > PACED_BUDGET_S:
                break

    def _guard(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception:
            # One client's failure must not stop the others.
            log.exception("%s: error in the network loop", self.name)

    def _close(self) -> None:
        for client in list(self._clients):
            self.abort(client)
        if self._selector is not None:
            self._selector.close()
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._selector = self._wake_r = self._wake_w = None
        self._running = False
        self._calls.clear()
        self._paced.clear()
        self._timers.clear()

    def _forget(self, sock: Any) -> None:
        if self._selector is not None:
            try:
                self._selector.unregister(sock)
            except (KeyError, ValueError):
                pass  # never registered, or already closed

    # paho's external-loop hooks: all called from this loop's thread.
    def _on_open(self, client: mqtt.Client, userdata: object, sock: Any) -> None:
        if self._selector is not None:
            self._selector.register(sock, _READ, client)

    def _on_close(self, client: mqtt.Client, userdata: object, sock: Any) -> None:
        self._forget(sock)

    def _on_want_write(self, client: mqtt.Client, userdata: object, sock: Any) -> None:
        if self._selector is not None:
            try:
                self._selector.modify(sock, _READ | _WRITE, client)
            except (KeyError, ValueError):
                pass  # closed meanwhile

    def _on_written(self, client: mqtt.Client, userdata: object, sock: Any) -> None:
        if self._selector is not None:
            try:
                self._selector.modify(sock, _READ, client)
            except (KeyError, ValueError):
                pass  # closed meanwhile
