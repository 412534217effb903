"""Per-sensor signal models: pure functions of time, reproducible for a seed.

A value is baseline + slow drift + daily or process cycle + rare short spike + noise. Now
and then a sensor freezes at one value (stuck) or goes silent (dropout). Every random part
is a hash of (sensor key, time bucket), so `sample(t)` does not depend on sampling order.

Normal values stay well inside the sensor's limits by construction (the model's parameters
are derived from them), so a steady-state plant raises almost no alarms.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from simulators.noise import gauss, local_hour, stable_key, uniform

NOISE_BUCKET_MS = 1_000  # a new noise draw every second
SPIKE_BUCKET_MS = 3_600_000  # at most one spike per hour
EVENT_BUCKET_MS = 6 * 3_600_000  # at most one dropout and one stuck period per 6 h
DROPOUT_MS = (120_000, 480_000)
STUCK_MS = (900_000, 3_600_000)
SPIKE_MS = (20_000, 120_000)
LOADING_BUCKET_MS = 3_600_000

# Salts keep the draws of different phenomena independent for the same bucket.
_NOISE, _SPIKE, _DROPOUT, _STUCK, _LOADING = 1, 10, 20, 30, 40


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """A dropout, stuck period or spike of one sensor, for inspection and tests."""

    kind: str  # "dropout" | "stuck" | "spike"
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class SignalModel:
    """How one sensor's value moves over time; `sample(t_ms)` is the whole interface."""

    key: int
    kind: str
    base: float
    noise_sd: float = 0.0
    drift_amp: float = 0.0
    drift_period_s: float = 86_400.0 * 5
    drift_phase: float = 0.0
    daily_amp: float = 0.0
    daily_peak_h: float = 14.0
    cycle_amp: float = 0.0
    cycle_period_s: float = 86_400.0
    cycle_phase: float = 0.0
    spike_amp: float = 0.0
    spike_prob: float = 0.0  # per SPIKE_BUCKET_MS
    dropout_prob: float = 0.003  # per EVENT_BUCKET_MS
    stuck_prob: float = 0.003  # per EVENT_BUCKET_MS
    intermittent: bool = False  # on only while a truck is loading (loading-bay flows)
    lower: float | None = None
    upper: float | None = None
    decimals: int = 2
    utc_offset_s: int = 8 * 3600

    def sample(self, t_ms: int) -> float | None:
        """Return the value at `t_ms`, or None while the sensor is silent (dropout)."""
        if self._window(t_ms, _DROPOUT, self.dropout_prob, DROPOUT_MS) is not None:
            return None
        stuck = self._window(t_ms, _STUCK, self.stuck_prob, STUCK_MS)
        return self.value(stuck[0] if stuck is not None else t_ms)

    def value(self, t_ms: int) -> float:
        """Return the healthy value at `t_ms`, ignoring dropouts and stuck periods."""
        v = self.base
        if self.intermittent:
            bucket_start = t_ms - t_ms % LOADING_BUCKET_MS
            prob = self._loading_prob(bucket_start)
            if self._window(t_ms, _LOADING, prob, (1_200_000, 2_400_000), LOADING_BUCKET_MS):
                v += self.noise_sd * gauss(self.key, t_ms // NOISE_BUCKET_MS, _NOISE)
                return self._clamp(v)
            return 0.0
        if self.drift_amp:
            v += self.drift_amp * math.sin(
                2 * math.pi * t_ms / 1000.0 / self.drift_period_s + self.drift_phase
            )
        if self.daily_amp:
            h = local_hour(t_ms, self.utc_offset_s)
            v += self.daily_amp * math.cos(2 * math.pi * (h - self.daily_peak_h) / 24.0)
        if self.cycle_amp:
            v += self.cycle_amp * _fill_cycle(
                t_ms / 1000.0 / self.cycle_period_s + self.cycle_phase
            )
        if self.spike_amp:
            spike = self._window(t_ms, _SPIKE, self.spike_prob, SPIKE_MS, SPIKE_BUCKET_MS)
            if spike is not None:
                start, end = spike
                # Triangular: a puff rises and disperses.
                x = (t_ms - start) / (end - start)
                v += self.spike_amp * (1.0 - abs(2.0 * x - 1.0))
        if self.noise_sd:
            v += self.noise_sd * gauss(self.key, t_ms // NOISE_BUCKET_MS, _NOISE)
        return self._clamp(v)

    def events(self, start_ms: int, end_ms: int) -> list[SignalEvent]:
        """List the dropouts, stuck periods and spikes that overlap [start_ms, end_ms)."""
        found: list[SignalEvent] = []
        for kind, salt, prob, span, bucket_ms in (
            ("dropout", _DROPOUT, self.dropout_prob, DROPOUT_MS, EVENT_BUCKET_MS),
            ("stuck", _STUCK, self.stuck_prob, STUCK_MS, EVENT_BUCKET_MS),
            (
                "spike",
                _SPIKE,
                self.spike_prob if self.spike_amp else 0.0,
                SPIKE_MS,
                SPIKE_BUCKET_MS,
            ),
        ):
            for bucket in range(start_ms // bucket_ms, (end_ms - 1) // bucket_ms + 1):
                window = self._bucket_window(bucket, salt, prob, span, bucket_ms)
                if window is not None and window[0] < end_ms and window[1] > start_ms:
                    found.append(SignalEvent(kind, window[0], window[1]))
        return sorted(found, key=lambda e: e.start_ms)

    def _loading_prob(self, t_ms: int) -> float:
        # Trucks load by day; a night loading is rare.
        return 0.5 if 7.0 <= local_hour(t_ms, self.utc_offset_s) < 19.0 else 0.03

    def _window(
        self,
        t_ms: int,
        salt: int,
        prob: float,
        span: tuple[int, int],
        bucket_ms: int = EVENT_BUCKET_MS,
    ) -> tuple[int, int] | None:
        window = self._bucket_window(t_ms // bucket_ms, salt, prob, span, bucket_ms)
        if window is not None and window[0] <= t_ms < window[1]:
            return window
        return None

    def _bucket_window(
        self, bucket: int, salt: int, prob: float, span: tuple[int, int], bucket_ms: int
    ) -> tuple[int, int] | None:
        if prob <= 0.0 or uniform(self.key, bucket, salt) >= prob:
            return None
        duration = int(span[0] + uniform(self.key, bucket, salt + 1) * (span[1] - span[0]))
        start = bucket * bucket_ms + int(
            uniform(self.key, bucket, salt + 2) * (bucket_ms - duration)
        )
        return start, start + duration

    def _clamp(self, v: float) -> float:
        if self.lower is not None and v < self.lower:
            v = self.lower
        if self.upper is not None and v > self.upper:
            v = self.upper
        return round(v, self.decimals)


def _fill_cycle(x: float) -> float:
    """Return -1..1 for a tank that fills slowly (65 % of the cycle) and empties faster."""
    x %= 1.0
    rise = 0.65
    tri = x / rise if x < rise else (1.0 - x) / (1.0 - rise)
    return 2.0 * tri - 1.0


def model_for_sensor(
    sensor: dict[str, Any], *, seed: int, scope: str, utc_offset_s: int = 8 * 3600
) -> SignalModel:
    """Build the signal model of one registry sensor, its parameters derived from its limits."""
    key = stable_key(seed, scope, sensor["id"])
    rng = random.Random(key)  # parameters only; samples never touch it
    kind = sensor.get("kind", "")
    high = _limit(sensor, "high")
    low = _limit(sensor, "low")
    common: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "utc_offset_s": utc_offset_s,
        "drift_period_s": 86_400.0 * rng.uniform(2.0, 10.0),
        "drift_phase": rng.uniform(0.0, 2 * math.pi),
    }
    if kind.startswith("gas_"):
        h = high or 50.0
        return SignalModel(
            base=h * rng.uniform(0.02, 0.07),
            noise_sd=h * 0.012,
            drift_amp=h * 0.02,
            spike_amp=h * rng.uniform(0.12, 0.28),
            spike_prob=0.04,
            lower=0.0,
            decimals=1 if h >= 5 else 3,
            **common,
        )
    if kind == "level":
        lo, hi = (low if low is not None else 10.0), (high or 85.0)
        return SignalModel(
            base=(lo + hi) / 2.0,
            noise_sd=0.15,
            cycle_amp=(hi - lo) * rng.uniform(0.18, 0.28),
            cycle_period_s=3600.0 * rng.uniform(10.0, 30.0),
            cycle_phase=rng.random(),
            lower=0.0,
            upper=100.0,
            decimals=1,
            **common,
        )
    if kind == "pressure":
        base = (high or 1.6) / rng.uniform(1.45, 1.6)
        return SignalModel(
            base=base,
            noise_sd=base * 0.004,
            drift_amp=base * 0.01,
            daily_amp=base * 0.02,  # vapour pressure follows the tank's temperature
            daily_peak_h=15.0,
            spike_amp=base * 0.03,
            spike_prob=0.01,
            lower=0.0,
            decimals=3,
            **common,
        )
    if kind == "temperature":
        h = high or 40.0
        if h <= 60.0:  # storage at ambient temperature: follows the day
            return SignalModel(
                base=rng.uniform(11.0, 17.0),
                noise_sd=0.1,
                drift_amp=1.0,
                daily_amp=rng.uniform(4.0, 6.5),
                daily_peak_h=rng.uniform(14.0, 15.5),
                decimals=1,
                **common,
            )
        base = h / rng.uniform(1.15, 1.25)
        return SignalModel(
            base=base,
            noise_sd=base * 0.003,
            drift_amp=base * 0.005,
            daily_amp=base * 0.003,
            decimals=1,
            **common,
        )
    if kind == "flow":
        h = high or 100.0
        if low is None:  # a loading-bay flow: on while a truck loads, else zero
            return SignalModel(
                base=h / 1.5, noise_sd=h * 0.01, intermittent=True, lower=0.0, decimals=1, **common
            )
        base = (low + h) / 2.0
        return SignalModel(
            base=base,
            noise_sd=base * 0.015,
            drift_amp=base * 0.03,
            lower=0.0,
            decimals=1,
            **common,
        )
    lo = low if low is not None else 0.0
    hi = high if high is not None else max(lo * 2.0, 1.0)
    return SignalModel(base=(lo + hi) / 2.0, noise_sd=(hi - lo) * 0.01, decimals=2, **common)


def _limit(sensor: dict[str, Any], name: str) -> float | None:
    value = sensor.get(name)
    return float(value) if isinstance(value, int | float) else None
