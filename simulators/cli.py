"""`python app.py simulate ...`: simulated gateways, incident scenarios and load mode.

app.py simulate                                 8 enterprises, every 5 s, until Ctrl-C
app.py simulate --enterprises 500               a province: 625 gateways on one thread
app.py simulate --scenario ammonia-night-patrol --speed 10 --duration 120
app.py simulate --rate 20000 --count 1000000    load mode, then print what was published
app.py simulate --write-registry registry.yaml  write the generated registry and exit
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from simulators.load import ENGINES, LoadResult, run_load
from simulators.province import generate_province, iter_sites, write_registry
from simulators.scenarios import Scenario, list_scenarios, make_scenario
from simulators.simulation import DEFAULT_INTERVAL_S, Simulation

DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"
DEFAULT_TOPIC_ROOT = "hazmon"
DEFAULT_SCENARIO_DELAY_S = 20.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's options to a (sub)command parser."""
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add = parser.add_argument
    add(
        "--mqtt-url",
        help=f"broker URL, mqtt://HOST:PORT (default {DEFAULT_MQTT_URL}) [env HAZMON_MQTT_URL]",
    )
    add(
        "--mqtt-username",
        help="broker user name [env HAZMON_MQTT_USERNAME]; "
        "the password comes only from HAZMON_MQTT_PASSWORD",
    )
    add(
        "--mqtt-protocol",
        choices=("3.1.1", "5"),
        default="3.1.1",
        help="MQTT version of the gateways (default 3.1.1)",
    )
    add("--topic-root", help="topic root (default hazmon) [env HAZMON_TOPIC_ROOT]")
    add("--enterprises", type=int, default=8, help="enterprises in the province (default 8)")
    add("--seed", type=int, default=7, help="seed of the province and its signals (default 7)")
    add(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_S,
        help="seconds between two publications of every site (default 5)",
    )
    add(
        "--scenario",
        dest="scenarios",
        action="append",
        default=[],
        metavar="NAME",
        help="incident to play, NAME or NAME:ENTERPRISE/SITE[/ZONE] (repeatable)",
    )
    add(
        "--scenario-delay",
        type=float,
        default=DEFAULT_SCENARIO_DELAY_S,
        help="seconds before the scenarios start (default 20)",
    )
    add(
        "--speed",
        type=float,
        default=1.0,
        help="time scale of scenarios: 10 plays a 10-minute incident in 1 minute",
    )
    add("--list-scenarios", action="store_true", help="list the scenarios and exit")
    add("--duration", type=float, help="stop after this many seconds (default: until Ctrl-C)")
    add(
        "--write-registry",
        type=Path,
        metavar="PATH",
        help="write the generated registry (YAML) to PATH, then exit unless --and-simulate, "
        "--scenario, --rate or --duration is given",
    )
    add("--and-simulate", action="store_true", help="after --write-registry, go on simulating")
    load = parser.add_argument_group("load mode")
    load.add_argument(
        "--rate",
        type=float,
        help="publish N readings/s of all sensors round-robin (0: as fast as "
        "the broker acknowledges), then print the count and rate achieved",
    )
    load.add_argument(
        "--readings-per-message",
        type=int,
        default=10,
        metavar="K",
        help="readings per telemetry message (default 10)",
    )
    load.add_argument("--count", type=int, metavar="M", help="total readings, then exit")
    load.add_argument(
        "--publishers",
        type=int,
        metavar="P",
        help="publisher processes (default: as many as the rate needs)",
    )
    load.add_argument(
        "--engine",
        choices=tuple(ENGINES),
        default="wire",
        help="wire: batching MQTT 3.1.1 client, tens of thousands of messages/s "
        "per process (default); paho: paho-mqtt, several thousand",
    )


def run(args: argparse.Namespace) -> int:
    """Run the simulator as `args` say; return the process exit code."""
    if args.list_scenarios:
        for line in list_scenarios():
            print(line)
        return 0
    if args.enterprises < 1:
        return _fail("--enterprises must be at least 1")
    province = generate_province(args.enterprises, args.seed)
    if args.write_registry is not None:
        path = write_registry(province, args.write_registry)
        sites = iter_sites(province)
        sensors = sum(len(s["sensors"]) for _, s in sites)
        print(
            f"registry written to {path}: {len(province['enterprises'])} enterprises, "
            f"{len(sites)} sites, {sensors} sensors"
        )
        if not (args.and_simulate or args.scenarios or args.rate is not None or args.duration):
            return 0
    try:
        host, port = parse_mqtt_url(
            args.mqtt_url or os.environ.get("HAZMON_MQTT_URL") or DEFAULT_MQTT_URL
        )
    except ValueError as exc:
        return _fail(str(exc))
    root = args.topic_root or os.environ.get("HAZMON_TOPIC_ROOT") or DEFAULT_TOPIC_ROOT
    username = args.mqtt_username or os.environ.get("HAZMON_MQTT_USERNAME") or None
    password = os.environ.get("HAZMON_MQTT_PASSWORD") or None
    broker = _Broker(host, port, root, username, password)
    with _sigterm_as_interrupt():
        if args.rate is not None:
            return _run_load(args, province, broker)
        return _run_simulation(args, province, broker)


def parse_mqtt_url(url: str) -> tuple[str, int]:
    """Return (host, port) of an mqtt:// or tcp:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp"):
        raise ValueError(f"unsupported broker URL {url!r}: use mqtt://HOST:PORT")
    return parts.hostname or "127.0.0.1", parts.port or 1883


def start_demo_simulation(
    mqtt_host: str,
    mqtt_port: int,
    root: str,
    province: dict,
    scenarios_schedule: Iterable[str | tuple[str, float] | Scenario],
    clock: Callable[[], float] = time.time,
) -> Simulation:
    """Start simulating `province` in the background; return the running Simulation.

    A schedule entry is a scenario spec (`NAME` or `NAME:ENT/SITE[/ZONE]`, starting after
    DEFAULT_SCENARIO_DELAY_S), a (spec, delay seconds) pair, or a ready Scenario.
    """
    now_ms = int(clock() * 1000)
    scenarios: list[Scenario] = []
    for entry in scenarios_schedule:
        if isinstance(entry, Scenario):
            scenarios.append(entry)
            continue
        spec, delay_s = (entry, DEFAULT_SCENARIO_DELAY_S) if isinstance(entry, str) else entry
        scenarios.append(make_scenario(spec, province, now_ms + int(delay_s * 1000)))
    simulation = Simulation(
        province, host=mqtt_host, port=mqtt_port, root=root, scenarios=scenarios, clock=clock
    )
    simulation.start()
    return simulation


@dataclass(frozen=True)
class _Broker:
    host: str
    port: int
    root: str
    username: str | None
    password: str | None = field(repr=False)


def _run_load(args: argparse.Namespace, province: dict, broker: _Broker) -> int:
    if args.readings_per_message < 1:
        return _fail("--readings-per-message must be at least 1")
    if args.rate < 0 or (args.count is not None and args.count < 0):
        return _fail("--rate and --count must not be negative")
    if args.engine == "wire" and args.mqtt_protocol != "3.1.1":
        return _fail("the wire engine speaks MQTT 3.1.1 only; use --engine paho for MQTT 5")
    try:
        result = _load(args, province, broker)
    except (OSError, RuntimeError) as exc:  # ConnectionError and WireError are OSErrors
        print(f"simulate: load mode failed: {exc}", file=sys.stderr)
        return 1
    print(result.summary(), flush=True)
    if args.rate and result.readings_per_s < 0.9 * args.rate:
        print(
            f"note: {args.rate:.0f} readings/s were asked for: try more --publishers"
            + (" or --engine wire" if args.engine != "wire" else ""),
            file=sys.stderr,
        )
    return 0


def _load(args: argparse.Namespace, province: dict, broker: _Broker) -> LoadResult:
    return run_load(
        province,
        host=broker.host,
        port=broker.port,
        root=broker.root,
        rate=args.rate,
        per_message=args.readings_per_message,
        count=args.count,
        duration_s=args.duration,
        publishers=args.publishers,
        seed=args.seed,
        protocol=args.mqtt_protocol,
        username=broker.username,
        password=broker.password,
        engine=args.engine,
    )


def _run_simulation(args: argparse.Namespace, province: dict, broker: _Broker) -> int:
    if args.interval <= 0 or args.speed <= 0:
        return _fail("--interval and --speed must be positive")
    start_ms = int((time.time() + args.scenario_delay) * 1000)
    try:
        scenarios = [make_scenario(s, province, start_ms, args.speed) for s in args.scenarios]
    except ValueError as exc:
        return _fail(str(exc))
    simulation = Simulation(
        province,
        host=broker.host,
        port=broker.port,
        root=broker.root,
        interval_s=args.interval,
        scenarios=scenarios,
        seed=args.seed,
        protocol=args.mqtt_protocol,
        username=broker.username,
        password=broker.password,
    )
    print(
        f"simulating {len(simulation.gateways)} sites of {len(province['enterprises'])} "
        f"enterprises on {broker.host}:{broker.port} (root {broker.root!r}, "
        f"every {args.interval:g} s)",
        flush=True,
    )
    for s in scenarios:
        print(
            f"  scenario {s.name} at {s.enterprise}/{s.site} zone {s.zone}: "
            f"{time.strftime('%H:%M:%S', time.localtime(s.start_ms / 1000))} to "
            f"{time.strftime('%H:%M:%S', time.localtime(s.end_ms / 1000))}",
            flush=True,
        )
    simulation.start()
    unconnected = 0
    try:
        threading.Event().wait(args.duration)  # None: until interrupted
    except KeyboardInterrupt:
        pass
    finally:
        unconnected = simulation.unconnected
        simulation.stop()
    print(f"published {simulation.messages} messages in {simulation.ticks} ticks", flush=True)
    if unconnected:
        # Why was logged once, as an error, when it happened (simulators.limits).
        total = len(simulation.gateways)
        print(f"simulate: {unconnected} of {total} gateways not connected", file=sys.stderr)
        return 1
    return 0


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt while running, so stopping is always clean."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(message: str) -> int:
    print(f"simulate: {message}", file=sys.stderr)
    return 2
