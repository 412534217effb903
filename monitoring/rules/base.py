"""The rule interface and the small parts rules are built from.

A rule instance watches one site (so sites can be split over ingest workers): the engine
builds one per enabled rule and site from `catalog.RULES`, passing the site's shared
`SiteContext`. Every handler is a pure function of the rule's state, the event and the
injected time, and returns the `AlarmSignal`s it caused; `ActiveAlarms` makes sure a signal
is emitted only on a change (raise, clear, or a new severity/message of an active alarm).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar

from monitoring.records import GatewayStatus, Permit, PresenceCount, Reading
from monitoring.signals import SEVERITY_RANK, AlarmSignal

if TYPE_CHECKING:
    from monitoring.rules.context import SiteContext

HIGH_HIGH, HIGH, LOW, LOW_LOW = "high_high", "high", "low", "low_low"
# The levels a limit level implies, least severe first: high_high is also high.
_CHAIN: dict[str, tuple[str, ...]] = {
    HIGH: (HIGH,),
    HIGH_HIGH: (HIGH, HIGH_HIGH),
    LOW: (LOW,),
    LOW_LOW: (LOW, LOW_LOW),
}
_HIGH_SIDE = (HIGH, HIGH_HIGH)
_LOW_SIDE = (LOW, LOW_LOW)
_RANK: dict[str, int] = {HIGH: 1, HIGH_HIGH: 2, LOW: 1, LOW_LOW: 2}
_SIDE: dict[str, str] = {HIGH: HIGH, HIGH_HIGH: HIGH, LOW: LOW, LOW_LOW: LOW}
_ANY_LEVEL = "*"  # an alarm restored from the book: active at a level not known yet

T = TypeVar("T")


class Rule(Protocol):
    """What the engine calls on each rule of a site; every call returns the signals it caused."""

    name: ClassVar[str]

    def on_readings(self, readings: Sequence[Reading], now_ms: int) -> list[AlarmSignal]:
        """Take stored sensor readings of this site."""
        ...

    def on_presence(self, counts: Sequence[PresenceCount], now_ms: int) -> list[AlarmSignal]:
        """React to people counts (already entered in the site context)."""
        ...

    def on_permits(self, permits: Sequence[Permit], now_ms: int) -> list[AlarmSignal]:
        """React to reported permits (already entered in the site context)."""
        ...

    def on_status(self, statuses: Sequence[GatewayStatus], now_ms: int) -> list[AlarmSignal]:
        """React to the site gateway's online/offline reports (already in the context)."""
        ...

    def on_tick(self, now_ms: int) -> list[AlarmSignal]:
        """Advance time-based conditions to `now_ms`."""
        ...

    def reconfigure(self, now_ms: int) -> list[AlarmSignal]:
        """Follow a new registry (already in the context): keep the state of what still exists."""
        ...

    def restore(self, source: str, severity: str) -> bool:
        """Know an alarm the book still has open; return False if this rule has no such source."""
        ...

    def clear_all(self, ts_ms: int, why: str) -> list[AlarmSignal]:
        """Clear every active alarm of this rule (its site left the registry)."""
        ...


class SiteRule:
    """Base of the rules: no-op handlers, the site context and the active-alarm book-keeping."""

    name: ClassVar[str] = ""

    def __init__(self, ctx: SiteContext) -> None:
        self.ctx = ctx
        self.alarms = ActiveAlarms(ctx.enterprise, ctx.site, self.name)

    def on_readings(self, readings: Sequence[Reading], now_ms: int) -> list[AlarmSignal]:
        """Ignore readings."""
        return []

    def on_presence(self, counts: Sequence[PresenceCount], now_ms: int) -> list[AlarmSignal]:
        """Ignore people counts."""
        return []

    def on_permits(self, permits: Sequence[Permit], now_ms: int) -> list[AlarmSignal]:
        """Ignore permits."""
        return []

    def on_status(self, statuses: Sequence[GatewayStatus], now_ms: int) -> list[AlarmSignal]:
        """Ignore gateway states."""
        return []

    def on_tick(self, now_ms: int) -> list[AlarmSignal]:
        """Do nothing on time alone."""
        return []

    def reconfigure(self, now_ms: int) -> list[AlarmSignal]:
        """Keep all state (rules with per-source state override this)."""
        return []

    def restore(self, source: str, severity: str) -> bool:
        """Refuse restored alarms (rules that raise override this)."""
        return False

    def clear_all(self, ts_ms: int, why: str) -> list[AlarmSignal]:
        """Clear every active alarm of this rule."""
        return self.alarms.clear_all(ts_ms, why)


@dataclass(slots=True)
class _Active:
    severity: str
    signature: Hashable | None  # None: restored from the book, message not known yet


class ActiveAlarms:
    """Which sources of one rule and site are in alarm; emits signals only on a change."""

    __slots__ = ("enterprise", "site", "rule", "_active")

    def __init__(self, enterprise: str, site: str, rule: str) -> None:
        self.enterprise = enterprise
        self.site = site
        self.rule = rule
        self._active: dict[str, _Active] = {}

    def __contains__(self, source: str) -> bool:
        return source in self._active

    def __len__(self) -> int:
        return len(self._active)

    def severity(self, source: str) -> str | None:
        """Return the severity a source is active at, or None when it is not active."""
        active = self._active.get(source)
        return None if active is None else active.severity

    def sources(self) -> list[str]:
        """Return the active sources."""
        return list(self._active)

    def restore(self, source: str, severity: str) -> None:
        """Mark a source active at the severity the alarm book holds, without a signal."""
        self._active[source] = _Active(severity, None)

    def activate(
        self,
        source: str,
        ts_ms: int,
        severity: str,
        message: str,
        *,
        signature: Hashable | None = None,
        zone: str | None = None,
        value: float | None = None,
        key: str = "",
        params: dict | None = None,
    ) -> AlarmSignal | None:
        """Make a source active; return a raise only if it is new or its severity/signature changed.

        `signature` (the message by default) says what makes the alarm different enough to
        tell the book again; it leaves out live values so a signal is not sent per reading.
        """
        sig = message if signature is None else signature
        current = self._active.get(source)
        if current is None:
            self._active[source] = _Active(severity, sig)
        elif current.signature is None:
            # Restored: the book already shows this alarm at its worst severity. Adopt the
            # present condition silently unless it is worse than what the book shows.
            was = current.severity
            current.severity, current.signature = severity, sig
            if SEVERITY_RANK[severity] >= SEVERITY_RANK[was]:
                return None
        elif current.severity == severity and current.signature == sig:
            return None
        else:
            current.severity, current.signature = severity, sig
        return AlarmSignal(
            "raise",
            self.enterprise,
            self.site,
            source,
            self.rule,
            ts_ms,
            severity=severity,
            zone=zone,
            value=value,
            message=message,
            message_key=key,
            params=params or {},
        )

    def clear(
        self,
        source: str,
        ts_ms: int,
        message: str = "",
        *,
        zone: str | None = None,
        value: float | None = None,
    ) -> AlarmSignal | None:
        """Make a source normal; return a clear only if it was active."""
        active = self._active.pop(source, None)
        if active is None:
            return None
        return AlarmSignal(
            "clear",
            self.enterprise,
            self.site,
            source,
            self.rule,
            ts_ms,
            severity=active.severity,
            zone=zone,
            value=value,
            message=message,
        )

    def clear_all(self, ts_ms: int, why: str) -> list[AlarmSignal]:
        """Clear every active source."""
        return [s for source in self.sources() if (s := self.clear(source, ts_ms, why))]


# -- debouncing: deadband and on-delay --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """Alarm limits of an analog value (None: no such limit) with a return deadband."""

    low_low: float | None = None
    low: float | None = None
    high: float | None = None
    high_high: float | None = None
    deadband: float = 0.0

    def any(self) -> bool:
        """Tell whether there is at least one limit."""
        return any(v is not None for v in (self.low_low, self.low, self.high, self.high_high))

    def limit(self, level: str) -> float:
        """Return the limit of a level."""
        value = getattr(self, level)
        if value is None:
            raise ValueError(f"no {level} limit")
        return value

    def classify(self, value: float, current: str | None) -> str | None:
        """Return the level `value` is at; an active level holds until back inside by > deadband."""
        db = self.deadband
        hh, h, lo, ll = self.high_high, self.high, self.low, self.low_low
        if hh is not None and (value >= hh or (current == HIGH_HIGH and value >= hh - db)):
            return HIGH_HIGH
        if h is not None and (value >= h or (current in _HIGH_SIDE and value >= h - db)):
            return HIGH
        if ll is not None and (value <= ll or (current == LOW_LOW and value <= ll + db)):
            return LOW_LOW
        if lo is not None and (value <= lo or (current in _LOW_SIDE and value <= lo + db)):
            return LOW
        return None

    def chain(self, level: str) -> tuple[str, ...]:
        """Return the defined levels `level` implies, least severe first."""
        return tuple(lv for lv in _CHAIN[level] if getattr(self, lv) is not None)


class LevelDebounce:
    """Debounce a graded limit: enter a level after it held `delay_ms`, leave it at once.

    The deadband of `Limits.classify` keeps a value hovering at a limit from chattering;
    the on-delay keeps a short spike from raising. Going down a level (high_high -> high)
    or back to normal needs no delay: it only ever lowers the alarm.
    """

    __slots__ = ("active", "pending")

    def __init__(self) -> None:
        self.active: str | None = None
        self.pending: dict[str, int] = {}  # level -> first sample of its current run

    @property
    def level(self) -> str | None:
        """Return the level in alarm, or None when normal or not known yet (restored)."""
        return None if self.active == _ANY_LEVEL else self.active

    def restore(self) -> None:
        """Mark the value as in alarm at a level the next sample will tell."""
        self.active = _ANY_LEVEL
        self.pending.clear()

    def interrupt(self) -> None:
        """Forget pending on-delays (a sample that is not good proves nothing); keep the level."""
        self.pending.clear()

    def update(self, limits: Limits, value: float, ts_ms: int, delay_ms: int) -> str | None:
        """Take one good sample; return the level the alarm is at now (None: normal)."""
        if self.active == _ANY_LEVEL:
            # Restored from the book: any level the value is at, deadband included, was
            # already confirmed before the restart.
            level = (
                limits.classify(value, None)
                or limits.classify(value, HIGH_HIGH)
                or limits.classify(value, LOW_LOW)
            )
            self.active = level
            self.pending = dict.fromkeys(limits.chain(level), ts_ms - delay_ms) if level else {}
            return level
        raw = limits.classify(value, self.active)
        if delay_ms <= 0:
            self.active = raw
            return raw
        since = self.pending
        if raw is None:
            since.clear()
            self.active = None
            return None
        chain = limits.chain(raw)
        for level in [lv for lv in since if lv not in chain]:
            del since[level]
        # Levels up to the one already raised on this side are confirmed; a worse one
        # must have held for the delay.
        active = self.active
        confirmed = _RANK[active] if active is not None and _SIDE[active] == _SIDE[raw] else 0
        result: str | None = None
        for level in chain:  # least severe first
            start = since.setdefault(level, ts_ms)
            if _RANK[level] <= confirmed or ts_ms - start >= delay_ms:
                result = level
        self.active = result
        return result


@dataclass(slots=True)
class OnDelay:
    """Report a condition only once it has held for `delay_ms`; drop it as soon as it stops."""

    delay_ms: int
    since_ms: int | None = None

    def update(self, holds: bool, ts_ms: int) -> bool:
        """Take the condition at `ts_ms`; return whether it has now held long enough."""
        if not holds:
            self.since_ms = None
            return False
        if self.since_ms is None:
            self.since_ms = ts_ms
        return ts_ms - self.since_ms >= self.delay_ms

    def held_ms(self, ts_ms: int) -> int:
        """Return how long the condition has held at `ts_ms` (0 when it does not)."""
        return 0 if self.since_ms is None else max(0, ts_ms - self.since_ms)

    def reset(self) -> None:
        """Forget the current run."""
        self.since_ms = None


class SlidingWindow(Generic[T]):
    """The (time, value) samples of the last `span_ms`, oldest first (as in elastalert2).

    For count-in-a-period conditions (N events within T); samples may arrive slightly out
    of order and are kept sorted.
    """

    __slots__ = ("span_ms", "_samples")

    def __init__(self, span_ms: int) -> None:
        if span_ms <= 0:
            raise ValueError("span_ms must be positive")
        self.span_ms = span_ms
        self._samples: deque[tuple[int, T]] = deque()

    def __len__(self) -> int:
        return len(self._samples)

    def __iter__(self) -> Iterator[tuple[int, T]]:
        return iter(self._samples)

    def add(self, ts_ms: int, value: T) -> None:
        """Add a sample and drop those that fell out of the window ending at the newest one."""
        samples = self._samples
        # A late sample lands near the end: walk back from there to keep the order.
        at = len(samples)
        while at and samples[at - 1][0] > ts_ms:
            at -= 1
        samples.insert(at, (ts_ms, value))
        self.expire(samples[-1][0])

    def expire(self, now_ms: int) -> None:
        """Drop the samples older than `span_ms` before `now_ms`."""
        cutoff = now_ms - self.span_ms
        samples = self._samples
        while samples and samples[0][0] <= cutoff:
            samples.popleft()

    def values(self) -> list[T]:
        """Return the values in the window, oldest first."""
        return [v for _, v in self._samples]

    def oldest_ms(self) -> int | None:
        """Return the time of the oldest sample, or None when the window is empty."""
        return self._samples[0][0] if self._samples else None


# -- message helpers --------------------------------------------------------------------------


def format_duration(ms: int) -> str:
    """Return a short human duration: '45 s', '3 min', '2 h 5 min'."""
    seconds = max(0, int(ms // 1000))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def format_number(value: float) -> str:
    """Return a value as people read it on a panel: 48.2, 42, 0.0005."""
    return f"{value:g}"
