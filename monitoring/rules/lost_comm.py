"""`lost_comm`: a registered sensor gone silent, or the site's gateway offline.

| source | condition | severity |
|---|---|---|
| `sensor:<id>` | no reading (of any quality) for the sensor's `stale_after_s` | yellow |
| `gateway` | the gateway's status is `offline` (its Last Will) | orange |

Silence is measured on the engine's clock (when data arrived), not on the gateway's, so a
gateway with a wrong clock is not taken for a silent one. A sensor never heard from counts
as silent `stale_after_s` after the rule started watching it (engine start, registry
reload, or the gateway coming back online), not at once. One situation, one alarm: while
the gateway is offline its sensors are not raised one by one, and sensor alarms already
raised are cleared as superseded by the gateway alarm.

Deadlines sit in a heap, so a tick costs O(expired), and a reading one dict write.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from monitoring.records import GatewayStatus, Reading
from monitoring.rules.base import SiteRule, format_duration
from monitoring.rules.context import SiteContext
from monitoring.rules.severity import SEVERITY_TABLE
from monitoring.signals import RULE_LOST_COMM, AlarmSignal

GATEWAY_SOURCE = "gateway"
SEVERITY_SENSOR = SEVERITY_TABLE["lost_comm.sensor"]
SEVERITY_GATEWAY = SEVERITY_TABLE["lost_comm.gateway"]


class LostCommRule(SiteRule):
    """Raise silent sensors and an offline gateway; clear them when data or `online` return."""

    name = RULE_LOST_COMM

    def __init__(self, ctx: SiteContext) -> None:
        super().__init__(ctx)
        self._started = False
        self._last: dict[str, int] = {}  # sensor -> when data last arrived (or watch began)
        self._heap: list[tuple[int, str]] = []  # (deadline, sensor) of sensors not silent
        self._silent: set[str] = set()  # raised, or suppressed while the gateway is offline
        self._offline = False

    def _start(self, now_ms: int) -> None:
        self._started = True
        for sid in self.ctx.sensors:
            self._last.setdefault(sid, now_ms)
        self._rebuild_heap()

    def _rebuild_heap(self) -> None:
        sensors = self.ctx.sensors
        self._heap = [
            (self._last[sid] + _stale_ms(sensors[sid].stale_after_s), sid)
            for sid in sensors
            if sid not in self._silent
        ]
        heapq.heapify(self._heap)

    def on_readings(self, readings: Sequence[Reading], now_ms: int) -> list[AlarmSignal]:
        """Note that these sensors spoke; clear the silent ones."""
        if not self._started:
            self._start(now_ms)
        sensors, last, silent = self.ctx.sensors, self._last, self._silent
        out: list[AlarmSignal] = []
        for r in readings:
            sid = r.sensor
            if sid not in sensors:
                continue  # unregistered: no rule applies, and no memory is spent on it
            last[sid] = now_ms
            if silent and sid in silent:
                silent.discard(sid)
                heapq.heappush(self._heap, (now_ms + _stale_ms(sensors[sid].stale_after_s), sid))
                signal = self.alarms.clear(
                    f"sensor:{sid}", now_ms, "data received", zone=sensors[sid].zone
                )
                if signal is not None:
                    out.append(signal)
        return out

    def on_status(self, statuses: Sequence[GatewayStatus], now_ms: int) -> list[AlarmSignal]:
        """Follow the gateway going offline or coming back online."""
        if not self._started:
            self._start(now_ms)
        online = self.ctx.gateway_online
        if not online and not self._offline:
            return self._gateway_offline(now_ms)
        if online and self._offline:
            return self._gateway_online(now_ms)
        return []

    def _gateway_offline(self, now_ms: int) -> list[AlarmSignal]:
        self._offline = True
        out = []
        signal = self.alarms.activate(
            GATEWAY_SOURCE, now_ms, SEVERITY_GATEWAY, "gateway offline", key="lost_comm.gateway"
        )
        if signal is not None:
            out.append(signal)
        for source in self.alarms.sources():
            if source != GATEWAY_SOURCE:
                signal = self.alarms.clear(source, now_ms, "superseded by gateway offline")
                if signal is not None:
                    out.append(signal)
        self._silent.update(self.ctx.sensors)
        self._heap = []
        return out

    def _gateway_online(self, now_ms: int) -> list[AlarmSignal]:
        self._offline = False
        # Sensors get their full stale_after_s from now to report again.
        for sid in self.ctx.sensors:
            if f"sensor:{sid}" not in self.alarms:  # a restored alarm clears on data only
                self._silent.discard(sid)
                self._last[sid] = max(self._last.get(sid, now_ms), now_ms)
        self._rebuild_heap()
        signal = self.alarms.clear(GATEWAY_SOURCE, now_ms, "gateway online")
        return [signal] if signal is not None else []

    def on_tick(self, now_ms: int) -> list[AlarmSignal]:
        """Raise sensors whose deadline passed without data."""
        if not self._started:
            self._start(now_ms)
        if self._offline:
            return []
        heap, sensors = self._heap, self.ctx.sensors
        out: list[AlarmSignal] = []
        while heap and heap[0][0] <= now_ms:
            _, sid = heapq.heappop(heap)
            sensor = sensors.get(sid)
            if sensor is None or sid in self._silent:
                continue  # removed from the registry, or a stale duplicate entry
            last = self._last.get(sid, now_ms)
            due = last + _stale_ms(sensor.stale_after_s)
            if due > now_ms:
                heapq.heappush(heap, (due, sid))  # it spoke since: look again later
                continue
            self._silent.add(sid)
            signal = self.alarms.activate(
                f"sensor:{sid}",
                now_ms,
                SEVERITY_SENSOR,
                f"no data from {sid} for {format_duration(now_ms - last)}",
                signature="silent",
                zone=sensor.zone,
                key="lost_comm.sensor",
                params={"sensor": sid, "silent_s": (now_ms - last) // 1000},
            )
            if signal is not None:
                out.append(signal)
        return out

    def reconfigure(self, now_ms: int) -> list[AlarmSignal]:
        """Watch added sensors from now; clear alarms of removed ones."""
        sensors = self.ctx.sensors
        out = []
        known = {*self._last, *self._silent}
        known.update(s[7:] for s in self.alarms.sources() if s.startswith("sensor:"))
        for sid in sorted(known - sensors.keys()):
            self._last.pop(sid, None)
            self._silent.discard(sid)
            signal = self.alarms.clear(f"sensor:{sid}", now_ms, "sensor removed from registry")
            if signal is not None:
                out.append(signal)
        if self._started:
            for sid in sensors:
                self._last.setdefault(sid, now_ms)
                if self._offline:
                    self._silent.add(sid)
            if not self._offline:
                self._rebuild_heap()  # stale_after_s may have changed
        return out

    def restore(self, source: str, severity: str) -> bool:
        """Know an open lost-comm alarm: the sensor (or gateway) stays raised until it speaks."""
        if source == GATEWAY_SOURCE:
            self._offline = True
            self._silent.update(self.ctx.sensors)
            self._heap = []
        elif source.startswith("sensor:") and source[7:] in self.ctx.sensors:
            self._silent.add(source[7:])
        else:
            return False
        self.alarms.restore(source, severity)
        return True


def _stale_ms(stale_after_s: float) -> int:
    return int(stale_after_s * 1000)
