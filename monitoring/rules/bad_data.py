"""`bad_data`: a sensor that keeps reporting `bad` quality.

| source | condition | severity |
|---|---|---|
| `sensor:<id>` | only `bad` readings for at least the sensor's `stale_after_s` | yellow |

Bad quality is an instrument fault the plant has to repair: its values are stored but no
threshold alarm can be trusted, so it is raised once the fault outlasts what `lost_comm`
would tolerate for silence. Measured on the gateway's timestamps of that one sensor. A
`good` reading clears it; an `uncertain` one breaks a pending run but clears nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitoring.records import Reading
from monitoring.rules.base import SiteRule, format_duration
from monitoring.rules.context import SiteContext
from monitoring.rules.severity import SEVERITY_TABLE
from monitoring.signals import RULE_BAD_DATA, AlarmSignal

SEVERITY_BAD = SEVERITY_TABLE["bad_data.bad_quality"]


class BadDataRule(SiteRule):
    """Raise sensors reporting bad quality for longer than their stale_after_s."""

    name = RULE_BAD_DATA

    def __init__(self, ctx: SiteContext) -> None:
        super().__init__(ctx)
        # sensor -> first bad reading of the current run (None: restored, start unknown).
        # A sensor stays here while raised, so one lookup tells a good reading to clear it.
        self._runs: dict[str, int | None] = {}

    def on_readings(self, readings: Sequence[Reading], now_ms: int) -> list[AlarmSignal]:
        """Follow each sensor's run of bad readings."""
        runs, sensors = self._runs, self.ctx.sensors
        out: list[AlarmSignal] = []
        for r in readings:
            quality = r.quality
            if quality == "good":
                if runs and r.sensor in runs:
                    del runs[r.sensor]
                    signal = self.alarms.clear(f"sensor:{r.sensor}", r.ts_ms, "good data again")
                    if signal is not None:
                        out.append(signal)
                continue
            sensor = sensors.get(r.sensor)
            if sensor is None:
                continue
            source = f"sensor:{r.sensor}"
            if quality != "bad":  # uncertain: not proof of a fault, nor of a repair
                if source not in self.alarms:
                    runs.pop(r.sensor, None)
                continue
            start = runs.get(r.sensor)
            if start is None or r.ts_ms < start:
                runs[r.sensor] = start = r.ts_ms
            lasted = r.ts_ms - start
            if lasted >= sensor.stale_after_s * 1000:
                signal = self.alarms.activate(
                    source,
                    r.ts_ms,
                    SEVERITY_BAD,
                    f"{r.sensor} reports bad quality for {format_duration(lasted)}",
                    signature="bad",
                    zone=sensor.zone,
                    key="bad_data.bad_quality",
                    params={"sensor": r.sensor, "bad_s": lasted // 1000},
                )
                if signal is not None:
                    out.append(signal)
        return out

    def reconfigure(self, now_ms: int) -> list[AlarmSignal]:
        """Forget sensors that left the registry, clearing their alarms."""
        out = []
        for sid in [s for s in self._runs if s not in self.ctx.sensors]:
            del self._runs[sid]
            signal = self.alarms.clear(f"sensor:{sid}", now_ms, "sensor removed from registry")
            if signal is not None:
                out.append(signal)
        return out

    def restore(self, source: str, severity: str) -> bool:
        """Know an open bad-data alarm: it stays raised until a good reading."""
        sid = source.removeprefix("sensor:")
        if not source.startswith("sensor:") or sid not in self.ctx.sensors:
            return False
        self._runs[sid] = None
        self.alarms.restore(source, severity)
        return True
