"""Load mode: publish N readings/s of a whole province, for benchmarks and load tests.

Every sensor of the province is visited round-robin, K readings per telemetry message (one
site per message, as a real gateway would). A pass over all sensors shares one timestamp
and every pass takes a later one, so no (sensor, ts) pair repeats: InfluxDB identifies a
point by its tags and time, and a repeat would silently overwrite a reading. Each publisher
owns a disjoint set of sensors, so this holds across publisher processes too.

So one sensor gets at most one reading per millisecond: a publisher's ceiling is its share
of the province's sensors x 1,000 readings/s (about 260,000/s for 8 enterprises; use more
enterprises for more).

One paho client tops out at several thousand QoS 1 messages/s on one core; the `wire`
engine (simulators.wire) batches many messages per system call and carries tens of
thousands. Higher rates use several publisher processes, started together behind a barrier.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulators.gateway import PROTOCOLS, QOS, topic_for
from simulators.site import build_site_models
from simulators.wire import WirePublisher

VARIANTS = 16  # realistic values per sensor, taken from its signal model over a day
LOOP_EVERY = 64  # messages between two reads of the broker's acknowledgements
# Messages/s one publisher process is asked to carry (measured on a 2-core VM beside the
# broker: paho about 7,000, three paho processes 13,000; one wire client about 59,000).
MSGS_PER_PUBLISHER = {"paho": 5_000, "wire": 40_000}
ACK_TIMEOUT_S = 60.0
START_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class LoadSlot:
    """One message shape: a site's telemetry topic and up to K of its sensors."""

    topic: bytes
    # fragments[variant][i]: the JSON of reading i with the variant's value.
    fragments: tuple[tuple[bytes, ...], ...]

    @property
    def readings(self) -> int:
        """Return how many readings a full message of this slot carries."""
        return len(self.fragments[0])


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a load run published (acknowledged by the broker) and how fast."""

    readings: int
    messages: int
    elapsed_s: float
    publishers: int

    @property
    def readings_per_s(self) -> float:
        """Return acknowledged readings per second."""
        return self.readings / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def messages_per_s(self) -> float:
        """Return acknowledged messages per second."""
        return self.messages / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> str:
        """Return the one-line report the CLI prints."""
        return (
            f"published {self.readings} readings in {self.messages} messages in "
            f"{self.elapsed_s:.2f} s: {self.readings_per_s:.0f} readings/s, "
            f"{self.messages_per_s:.0f} messages/s ({self.publishers} publisher(s))"
        )


@dataclass(frozen=True, slots=True)
class PublisherSpec:
    """What one publisher process does (picklable, for spawned processes)."""

    host: str
    port: int
    protocol: str
    client_id: str
    slots: tuple[LoadSlot, ...]
    rate: float  # readings/s; 0 = as fast as the broker acknowledges
    count: int | None  # readings to publish; None = until the duration ends
    duration_s: float | None
    username: str | None = None
    password: str | None = None
    engine: str = "paho"  # "paho" or "wire" (batching, for rates one paho client cannot carry)


def plan_slots(
    province: dict, *, root: str, per_message: int, seed: int = 7, t_ms: int = 0
) -> list[LoadSlot]:
    """Cut every site's sensors into messages of `per_message` readings with real values."""
    if per_message < 1:
        raise ValueError("readings per message must be at least 1")
    slots: list[LoadSlot] = []
    for model in build_site_models(province, seed=seed, t_ms=t_ms):
        topic = topic_for(root, model.enterprise_id, model.site_id, "telemetry").encode()
        sensors = list(model.signals.items())
        for i in range(0, len(sensors), per_message):
            chunk = sensors[i : i + per_message]
            fragments = tuple(
                tuple(
                    b'{"sensor":"%s","value":%r}'
                    % (sid.encode(), m.value(t_ms + v * 86_400_000 // VARIANTS))
                    for sid, m in chunk
                )
                for v in range(VARIANTS)
            )
            slots.append(LoadSlot(topic, fragments))
    return slots


def auto_publishers(rate: float, per_message: int, engine: str = "paho") -> int:
    """Return how many publisher processes a rate needs on this machine."""
    cpus = os.cpu_count() or 1
    if rate <= 0:
        # Measured beside Mosquitto on 2 cores: 1 wire publisher ~59k msgs/s, 2 ~76k.
        return min(cpus, 2) if engine == "wire" else cpus + 1
    needed = math.ceil(rate / per_message / MSGS_PER_PUBLISHER[engine])
    return max(1, min(cpus + 1, needed))


def run_load(
    province: dict,
    *,
    host: str,
    port: int,
    root: str = "hazmon",
    rate: float = 1000.0,
    per_message: int = 10,
    count: int | None = None,
    duration_s: float | None = None,
    publishers: int | None = None,
    seed: int = 7,
    protocol: str = "3.1.1",
    username: str | None = None,
    password: str | None = None,
    engine: str = "paho",
    clock: Callable[[], float] = time.time,
) -> LoadResult:
    """Publish `count` readings (or for `duration_s`, or until Ctrl-C) at `rate` readings/s."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    slots = plan_slots(
        province, root=root, per_message=per_message, seed=seed, t_ms=int(clock() * 1000)
    )
    n = publishers or auto_publishers(rate, per_message, engine)
    n = max(1, min(n, len(slots)))
    specs = [
        PublisherSpec(
            host=host,
            port=port,
            protocol=protocol,
            client_id=f"load-{os.getpid()}-{i}",
            slots=tuple(slots[i::n]),
            rate=rate / n,
            count=None if count is None else count // n + (1 if i < count % n else 0),
            duration_s=duration_s,
            username=username,
            password=password,
            engine=engine,
        )
        for i in range(n)
    ]
    if n == 1:
        readings, messages, started, ended = publish_load(specs[0], clock=clock)
        return LoadResult(readings, messages, ended - started, 1)
    return _run_processes(specs)


class _Sender(Protocol):
    """What `publish_load` needs of an engine: QoS 1 sends and their acknowledgements."""

    window: int  # messages in flight before the publisher waits for acknowledgements

    def connect(self) -> None: ...
    def send(self, topic: bytes, payload: bytes) -> int: ...
    def flush(self) -> None: ...
    def pump(self, timeout: float) -> list[int]: ...
    def close(self) -> None: ...


class _PahoSender:
    """paho-mqtt driven from the publishing thread (no network thread: no locks, no wake-ups)."""

    window = 100  # paho's bookkeeping is O(in-flight) per acknowledgement

    def __init__(self, spec: PublisherSpec) -> None:
        self.spec = spec
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=spec.client_id, protocol=PROTOCOLS[spec.protocol]
        )
        self.acked: list[int] = []

    def connect(self) -> None:
        client = self.client
        client.max_inflight_messages_set(self.window)
        client.max_queued_messages_set(0)
        if self.spec.username:
            client.username_pw_set(self.spec.username, self.spec.password)
        client.on_publish = lambda c, u, mid, rc, props: self.acked.append(mid)
        client.connect(self.spec.host, self.spec.port, keepalive=60)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not client.is_connected():
            if time.monotonic() > deadline:
                raise ConnectionError(f"no CONNACK from {self.spec.host}:{self.spec.port}")
            client.loop(0.05)

    def send(self, topic: bytes, payload: bytes) -> int:
        return self.client.publish(topic.decode(), payload, QOS).mid

    def flush(self) -> None:
        """Nothing to do: paho writes each message as it is published."""

    def pump(self, timeout: float) -> list[int]:
        self.client.loop(timeout)
        acked, self.acked = self.acked, []
        return acked

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop(0.1)


class _WireSender:
    """The batching publisher of `simulators.wire`."""

    window = 2000
    batch = 64  # messages per system call

    def __init__(self, spec: PublisherSpec) -> None:
        self.spec = spec
        self.wire = WirePublisher(spec.host, spec.port, spec.client_id)
        self.queued = 0

    def connect(self) -> None:
        self.wire.connect(self.spec.username, self.spec.password)

    def send(self, topic: bytes, payload: bytes) -> int:
        self.queued += 1
        return self.wire.queue(topic, payload)

    def flush(self) -> None:
        self.wire.flush()
        self.queued = 0

    def pump(self, timeout: float) -> list[int]:
        self.flush()
        return self.wire.poll(timeout)

    def close(self) -> None:
        self.wire.close()


ENGINES: dict[str, Callable[[PublisherSpec], _Sender]] = {
    "paho": _PahoSender,
    "wire": _WireSender,
}


def publish_load(
    spec: PublisherSpec,
    *,
    clock: Callable[[], float] = time.time,
    ready: Callable[[], None] | None = None,
) -> tuple[int, int, float, float]:
    """Publish one publisher's share; return (readings, messages, start, end) acknowledged."""
    sender = ENGINES[spec.engine](spec)
    sender.connect()
    if ready is not None:
        ready()
    pending: dict[int, int] = {}  # packet id -> readings in that message
    acked_messages = acked_readings = 0
    started = time.monotonic()
    stop_at = started + spec.duration_s if spec.duration_s else math.inf
    sent_readings = sent_messages = 0
    slot_no = variant = pass_ts = 0
    since_pump = 0

    def pump(timeout: float) -> None:
        nonlocal acked_messages, acked_readings, since_pump
        for mid in sender.pump(timeout):
            acked_messages += 1
            acked_readings += pending.pop(mid, 0)
        since_pump = 0

    try:
        while spec.count is None or sent_readings < spec.count:
            now = time.monotonic()
            if now >= stop_at:
                break
            if sent_messages - acked_messages >= sender.window:
                pump(0.01)
                continue
            if spec.rate > 0:
                due = started + sent_readings / spec.rate
                if now < due:
                    pump(min(due - now, 0.05))
                    continue
            if slot_no == 0:
                # A new pass over this publisher's sensors takes a later millisecond. Never one
                # ahead of the clock: a run that did would collide with the next run's first
                # readings (and, long enough, be rejected as from the future).
                now_ms = int(clock() * 1000)
                if now_ms <= pass_ts:
                    pump(0.0005)
                    continue
                pass_ts = now_ms
                variant = (variant + 1) % VARIANTS
            slot = spec.slots[slot_no]
            take = slot.readings
            if spec.count is not None:
                take = min(take, spec.count - sent_readings)
            body = b",".join(slot.fragments[variant][:take])
            mid = sender.send(slot.topic, b'{"ts":%d,"readings":[%s]}' % (pass_ts, body))
            pending[mid] = take
            sent_readings += take
            sent_messages += 1
            slot_no = (slot_no + 1) % len(spec.slots)
            since_pump += 1
            if since_pump >= LOOP_EVERY:
                pump(0.0)
    except KeyboardInterrupt:
        pass  # stop publishing, but still count what the broker acknowledged
    sender.flush()
    deadline = time.monotonic() + ACK_TIMEOUT_S
    while acked_messages < sent_messages and time.monotonic() < deadline:
        pump(0.05)
    ended = time.monotonic()
    sender.close()
    return acked_readings, acked_messages, started, ended


def _publisher_process(spec: PublisherSpec, barrier, results) -> None:
    try:
        outcome = publish_load(spec, ready=lambda: barrier.wait(START_TIMEOUT_S))
        results.put(("ok", outcome))
    except Exception as exc:  # reported to the parent, which raises it there
        barrier.abort()
        results.put(("error", f"{spec.client_id}: {exc!r}"))


def _run_processes(specs: list[PublisherSpec]) -> LoadResult:
    ctx = mp.get_context("spawn")  # never fork a process that may already run threads
    barrier = ctx.Barrier(len(specs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_publisher_process, args=(s, barrier, results)) for s in specs]
    for p in procs:
        p.start()
    outcomes: list[tuple[int, int, float, float]] = []
    errors: list[str] = []
    try:
        while len(outcomes) + len(errors) < len(procs):
            try:
                kind, value = results.get(timeout=1.0)
            except queue.Empty:
                if not any(p.is_alive() for p in procs) and results.empty():
                    errors.append("a publisher process exited without reporting")
                    break
                continue
            except KeyboardInterrupt:
                continue  # the publishers stop on the same Ctrl-C and still report
            (outcomes if kind == "ok" else errors).append(value)
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
    if errors:
        raise RuntimeError("load publishers failed: " + "; ".join(errors))
    readings = sum(o[0] for o in outcomes)
    messages = sum(o[1] for o in outcomes)
    elapsed = max(o[3] for o in outcomes) - min(o[2] for o in outcomes)
    return LoadResult(readings, messages, elapsed, len(specs))
