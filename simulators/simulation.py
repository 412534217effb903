"""Run every site of a province on a schedule, scenarios layered in, in one network thread.

The gateways' connections, the ticks that publish every site's frame and the connection
report all run in one GatewayLoop thread (simulators.netloop): 625 gateways cost one thread
and 625 descriptors. Once every gateway has tried to connect, one line says how many could
not and which limit kept them out; it is said again only when that changes.

Stopping says goodbye the way a gateway switched off by its operator would: every connected
gateway publishes `offline` (retained) and then DISCONNECT, all at once, so monitors see
every site offline and the broker has no Last Will to send; a connection that has not
closed within STOP_FLUSH_TIMEOUT_S is cut, and then the broker's Last Will says `offline`
for it. Either way the whole province stops within about 3 s.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

from simulators.gateway import STOP_FLUSH_TIMEOUT_S, SiteGateway
from simulators.limits import connection_report, raise_open_file_limit
from simulators.netloop import GatewayLoop, Timer
from simulators.scenarios import Scenario
from simulators.site import SiteFrame, SiteModel, build_site_models

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 5.0
CONNECT_WAIT_S = 10.0  # the first tick and the first report wait this long at most
CHECK_EVERY_S = 0.1  # while waiting for the gateways to connect
REPORT_EVERY_S = 30.0  # then the connection report is looked at again this often
TICK_SLICE = 25  # sites published per pass of the network loop


class Simulation:
    """All sites of a province publishing every `interval_s`, time from `clock` (seconds)."""

    def __init__(
        self,
        province: dict,
        *,
        host: str,
        port: int,
        root: str = "hazmon",
        interval_s: float = DEFAULT_INTERVAL_S,
        scenarios: Iterable[Scenario] = (),
        clock: Callable[[], float] = time.time,
        seed: int = 7,
        protocol: str = "3.1.1",
        username: str | None = None,
        password: str | None = None,
        client_id_prefix: str = "gw",
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.province = province
        self.host, self.port = host, port
        self.interval_s = interval_s
        self.clock = clock
        self.scenarios: list[Scenario] = list(scenarios)
        self.models: list[SiteModel] = build_site_models(
            province, seed=seed, t_ms=int(clock() * 1000)
        )
        self.loop = GatewayLoop("simulation")
        self.gateways: dict[tuple[str, str], SiteGateway] = {
            m.key: SiteGateway(
                m.enterprise_id,
                m.site_id,
                m.cameras,
                host=host,
                port=port,
                root=root,
                protocol=protocol,
                username=username,
                password=password,
                client_id=f"{client_id_prefix}-{m.enterprise_id}-{m.site_id}",
                clock=clock,
                loop=self.loop,
            )
            for m in self.models
        }
        self.ticks = 0
        self.messages = 0
        self.connection_problem: str | None = None  # the last report while some were kept out
        self._started = False
        self._ticking = False
        self._stopping = threading.Event()
        self._started_at = 0.0
        self._reported: Counter[str] | None = None  # None until the first report
        self._next_tick_at = 0.0
        self._ticker: Timer | None = None
        self._checker: Timer | None = None

    @property
    def unconnected(self) -> int:
        """Return how many gateways are not connected now."""
        return sum(1 for g in self.gateways.values() if not g.connected)

    def add_scenario(self, scenario: Scenario) -> None:
        """Layer one more scenario over the simulation."""
        self.scenarios.append(scenario)

    def frames(self, t_ms: int) -> list[SiteFrame]:
        """Return every site's frame at `t_ms`, scenarios applied in the order added."""
        return [self._frame(model, t_ms) for model in self.models]

    def connect(self, timeout: float = CONNECT_WAIT_S) -> bool:
        """Start every gateway's connection and wait until all are connected; return whether."""
        self._ensure_started()
        deadline = time.monotonic() + timeout
        while self.unconnected:
            # Polled rather than waited on, so that stop() is never held up by a dead broker.
            if time.monotonic() >= deadline or self._stopping.wait(0.05):
                return False
        return True

    def tick(self, t_ms: int | None = None) -> int:
        """Publish every site's frame at `t_ms` (default: now); return the messages sent."""
        if self.loop.running and not self.loop.in_loop():
            return self.loop.call(lambda: self.tick(t_ms))
        if t_ms is None:
            t_ms = int(self.clock() * 1000)
        sent = self._publish(self.models, t_ms)
        self.ticks += 1
        self.messages += sent
        return sent

    def start(self) -> None:
        """Connect the gateways and publish every `interval_s` from the network thread."""
        self._ensure_started()
        if not self._ticking:
            self._ticking = True
            self.loop.call(self._await_first_tick)

    def stop(self) -> None:
        """Stop publishing; every gateway says offline and disconnects, all at once."""
        self._stopping.set()
        if not self._started:
            return
        deadline = time.monotonic() + STOP_FLUSH_TIMEOUT_S
        try:
            self.loop.call(self._begin_stop, timeout=STOP_FLUSH_TIMEOUT_S)
            while time.monotonic() < deadline:
                if all(g.closed for g in self.gateways.values()):
                    break
                time.sleep(0.01)
            self.loop.call(self._cut_off, timeout=STOP_FLUSH_TIMEOUT_S)
        except (TimeoutError, RuntimeError):  # the network thread is stuck or gone
            log.warning("simulation: the network thread did not answer; connections cut")
        finally:
            self.loop.stop()
            self._started = self._ticking = False

    def _ensure_started(self) -> None:
        if self._started:
            return
        self._started = True
        self._stopping.clear()
        raise_open_file_limit(len(self.gateways))  # one connection, one file, per gateway
        self.loop.start()
        self._started_at = time.monotonic()
        self._reported = None
        self.loop.call(self._begin_all)

    # The rest runs in the loop's thread.
    def _begin_all(self) -> None:
        for gateway in self.gateways.values():
            gateway.begin()
        self._checker = self.loop.call_later(CHECK_EVERY_S, self._check_connections)

    def _check_connections(self) -> None:
        missing = [g for g in self.gateways.values() if not g.connected]
        if self._reported is None:
            # Report once every gateway has been answered or has failed, or after a while.
            tried = all(g.attempts and g.state == "waiting" for g in missing)
            if missing and not tried and self._elapsed() < CONNECT_WAIT_S:
                self._checker = self.loop.call_later(CHECK_EVERY_S, self._check_connections)
                return
        self._report(missing)
        self._checker = self.loop.call_later(REPORT_EVERY_S, self._check_connections)

    def _report(self, missing: list[SiteGateway]) -> None:
        problems = Counter(_why(g) for g in missing)
        if problems == self._reported:
            return
        first = self._reported is None
        self._reported = problems
        total = len(self.gateways)
        if missing:
            self.connection_problem = connection_report(problems, total, self.host, self.port)
            log.error("simulation: %s", self.connection_problem)
        elif first:
            log.info("simulation: %d gateways connected in %.1f s", total, self._elapsed())
        else:
            log.info("simulation: all %d gateways connected again", total)

    def _await_first_tick(self) -> None:
        if self.unconnected and self._reported is None and self._elapsed() < CONNECT_WAIT_S:
            self._ticker = self.loop.call_later(CHECK_EVERY_S, self._await_first_tick)
            return
        self._next_tick_at = time.monotonic()
        self._tick_on_schedule()

    def _tick_on_schedule(self, t_ms: int | None = None, start: int = 0, sent: int = 0) -> None:
        # A tick goes TICK_SLICE sites at a time, each slice a pass of the loop, so that a
        # province's tick never holds up the connections' I/O or a stop.
        if self._stopping.is_set():
            return
        if t_ms is None:
            t_ms = int(self.clock() * 1000)
        end = start + TICK_SLICE
        try:
            sent += self._publish(self.models[start:end], t_ms)
        except Exception:
            # One bad slice must not end the simulation; the next tick may be fine.
            log.exception("simulation tick failed")
        if end < len(self.models):
            self.loop.call_soon(lambda: self._tick_on_schedule(t_ms, end, sent))
            return
        self.ticks += 1
        self.messages += sent
        now = time.monotonic()
        self._next_tick_at = max(self._next_tick_at + self.interval_s, now)
        self._ticker = self.loop.call_later(self._next_tick_at - now, self._tick_on_schedule)

    def _publish(self, models: list[SiteModel], t_ms: int) -> int:
        sent = 0
        for model in models:
            sent += self.gateways[model.key].publish_frame(self._frame(model, t_ms))
        return sent

    def _frame(self, model: SiteModel, t_ms: int) -> SiteFrame:
        frame = model.frame(t_ms)
        for scenario in self.scenarios:
            frame = scenario.apply(frame)
        return frame

    def _begin_stop(self) -> None:
        for timer in (self._ticker, self._checker):
            if timer is not None:
                timer.cancel()
        for gateway in self.gateways.values():
            gateway.begin_stop()

    def _cut_off(self) -> None:
        late = [g for g in self.gateways.values() if not g.closed]
        for gateway in late:
            gateway.abort()
        if late:
            log.warning(
                "simulation: %d gateways had not disconnected after %.1f s and were cut off "
                "(the broker's Last Will says offline for them)",
                len(late),
                STOP_FLUSH_TIMEOUT_S,
            )

    def _elapsed(self) -> float:
        return time.monotonic() - self._started_at


def _why(gateway: SiteGateway) -> str:
    """Return why a gateway is not connected, for the connection report."""
    if gateway.problem:
        return gateway.problem
    if gateway.state == "connecting":
        return f"no CONNACK yet after {CONNECT_WAIT_S:g} s"
    return "not tried yet"
