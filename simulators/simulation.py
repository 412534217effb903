"""Run every site of a province on a schedule, scenarios layered in, in one thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from simulators.gateway import SiteGateway
from simulators.scenarios import Scenario
from simulators.site import SiteFrame, SiteModel, build_site_models

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 5.0
CONNECT_WAIT_S = 10.0  # how long the first tick waits for the gateways to connect
STOP_JOIN_TIMEOUT_S = 10.0


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
        self.interval_s = interval_s
        self.clock = clock
        self.scenarios: list[Scenario] = list(scenarios)
        self.models: list[SiteModel] = build_site_models(
            province, seed=seed, t_ms=int(clock() * 1000)
        )
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
            )
            for m in self.models
        }
        self.ticks = 0
        self.messages = 0
        self._started = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add_scenario(self, scenario: Scenario) -> None:
        """Layer one more scenario over the simulation."""
        self.scenarios.append(scenario)

    def frames(self, t_ms: int) -> list[SiteFrame]:
        """Return every site's frame at `t_ms`, scenarios applied in the order added."""
        frames = []
        for model in self.models:
            frame = model.frame(t_ms)
            for scenario in self.scenarios:
                frame = scenario.apply(frame)
            frames.append(frame)
        return frames

    def connect(self, timeout: float = CONNECT_WAIT_S) -> bool:
        """Start every gateway's client and wait until all are connected; return whether."""
        if not self._started:
            self._started = True
            for gateway in self.gateways.values():
                gateway.start()
        deadline = time.monotonic() + timeout
        while not all(g.connected for g in self.gateways.values()):
            # Polled rather than waited on, so that stop() is never held up by a dead broker.
            if time.monotonic() >= deadline or self._stop.wait(0.05):
                return False
        return True

    def tick(self, t_ms: int | None = None) -> int:
        """Publish every site's frame at `t_ms` (default: now); return the messages sent."""
        if t_ms is None:
            t_ms = int(self.clock() * 1000)
        sent = 0
        for frame in self.frames(t_ms):
            sent += self.gateways[(frame.enterprise, frame.site)].publish_frame(frame)
        self.ticks += 1
        self.messages += sent
        return sent

    def start(self) -> None:
        """Connect the gateways and publish every `interval_s` in a background thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="simulation", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop publishing, then let every gateway say offline and disconnect cleanly."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_JOIN_TIMEOUT_S)
            self._thread = None
        if self._started:
            for gateway in self.gateways.values():
                gateway.stop()
            self._started = False

    def _run(self) -> None:
        if not self.connect(CONNECT_WAIT_S):
            log.warning("simulation: not every gateway connected yet; publishing anyway")
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                # One bad tick must not end the simulation; the next one may be fine.
                log.exception("simulation tick failed")
            next_at += self.interval_s
            self._stop.wait(max(0.0, next_at - time.monotonic()))
