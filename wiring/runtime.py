"""Assemble and run the parts (broker, stores, ingest, simulators, web) for each command."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from monitoring.settings import Settings
from monitoring.storage.base import RecordStore, StoreUnavailable

if TYPE_CHECKING:  # the parts are imported when started: `app.py ingest` needs no web, no broker
    import dash

    from monitoring.alarms.book import AlarmBook
    from monitoring.alarms.calls import CallLog, ContactLookups
    from monitoring.alarms.service import AlarmService
    from monitoring.books.intake import IntakeBooks
    from monitoring.books.permits import PermitRecordings
    from monitoring.books.users import UserBook
    from monitoring.db.database import Database
    from monitoring.ingest.broker import EmbeddedBroker
    from monitoring.ingest.pipeline import IntakePipeline
    from monitoring.ingest.session import IngestService
    from monitoring.registry.model import Registry
    from monitoring.storage.spool.log import Spool
    from simulators.simulation import Simulation

log = logging.getLogger(__name__)
T = TypeVar("T")

DEMO_MQTT_PORT = 1883


@dataclass
class Runtime:
    """The started parts of one process; `stop()` stops them in reverse order."""

    settings: Settings
    db: Database | None = None
    users: UserBook | None = None
    books: IntakeBooks | None = None
    alarms: AlarmBook | None = None
    calls: CallLog | None = None
    lookups: ContactLookups | None = None
    permit_recordings: PermitRecordings | None = None
    alarm_service: AlarmService | None = None
    store: RecordStore | None = None
    spool: Spool | None = None
    registry: Registry | None = None
    broker: EmbeddedBroker | None = None
    pipeline: IntakePipeline | None = None
    ingest: IngestService | None = None
    simulation: Simulation | None = None
    web_app: dash.Dash | None = None
    mqtt_url: str | None = None
    _stoppers: list[tuple[str, Callable[[], object]]] = field(default_factory=list)

    def stop(self) -> None:
        """Stop everything that was started, newest first."""
        while self._stoppers:
            name, stop = self._stoppers.pop()
            try:
                stop()
            except Exception:  # keep stopping the rest
                log.warning("stopping %s failed", name, exc_info=True)

    def sensor_locations(self, enterprise: str, site: str) -> Mapping[str, tuple[str, str]]:
        """Return {sensor: (zone, kind)} of a site from the current registry."""
        registry = self.registry
        return {} if registry is None else registry.sensor_locations(enterprise, site)


def need(part: T | None, name: str) -> T:
    """Return a part of the runtime that must have been started; RuntimeError if it was not."""
    if part is None:
        raise RuntimeError(f"the {name} is not started")
    return part


def start_storage(rt: Runtime) -> None:
    """Open the relational store, the users, the intake books and the time-series store."""
    from monitoring.alarms.book import AlarmBook
    from monitoring.alarms.calls import CallLog, ContactLookups
    from monitoring.books.intake import IntakeBooks
    from monitoring.books.permits import PermitRecordings
    from monitoring.books.users import UserBook
    from monitoring.db.database import Database
    from wiring import datadir

    s = rt.settings
    s.data_dir.mkdir(parents=True, exist_ok=True)
    datadir.make_private(s.data_dir, s.database_url)  # as an earlier version left it
    rt.db = Database(s.database_url)
    rt.db.start()
    rt._stoppers.append(("database", rt.db.close))
    rt.users = UserBook(rt.db)
    rt.permit_recordings = PermitRecordings(rt.db)
    generated = rt.users.ensure_admin(s.admin_password, int(time.time() * 1000))
    if generated:
        path = datadir.write_initial_password(s.data_dir, generated)
        log.warning(
            "created user 'admin' with a generated password, saved in %s until it is changed "
            "(set HAZMON_ADMIN_PASSWORD to choose it)",
            path,
        )
    watch = datadir.InitialPasswordWatch(rt.users, s.data_dir)
    watch.start()
    rt._stoppers.append(("initial password watch", watch.stop))
    rt.books = IntakeBooks.open(rt.db)
    rt.alarms = AlarmBook(rt.db)
    rt.calls = CallLog(rt.db)
    rt.lookups = ContactLookups(rt.db)
    rt.store = build_store(s)
    try:
        rt.store.start()
    except StoreUnavailable as exc:
        # Intake must not wait for the store: batches go to the spool until it answers.
        log.warning("time-series store not reachable at start (%s); spooling until it is", exc)
    rt._stoppers.append(("store", rt.store.close))


def build_store(s: Settings) -> RecordStore:
    """Return the configured time-series store (not started)."""
    if s.influx_url:
        from monitoring.storage.influx import InfluxStore

        return InfluxStore(
            s.influx_url,
            s.influx_db,
            username=s.influx_username,
            password=s.influx_password,
            retention_days=s.retention_days,
        )
    from monitoring.storage.embedded import EmbeddedStore

    return EmbeddedStore(s.embedded_store_path, retention_days=s.retention_days)


def load_registry(rt: Runtime, path: Path | None) -> None:
    """Load the registry file (contract section 4) if one is configured."""
    from monitoring.registry.loader import load_registry as load

    if path is not None:
        rt.registry = load(path)
        log.info(
            "registry %s: %d enterprises, %d sensors",
            path,
            len(rt.registry.enterprises),
            rt.registry.sensor_count(),
        )


def start_ingest(rt: Runtime) -> None:
    """Start the intake pipeline and its MQTT subscription."""
    from monitoring.ingest.journaled_books import JournaledBooks
    from monitoring.ingest.pipeline import IntakePipeline
    from monitoring.ingest.session import IngestService
    from monitoring.storage.journal import Journal
    from monitoring.storage.spool.log import Spool

    s = rt.settings
    if s.influx_url:
        rt.spool = Spool(s.spool_dir, max_bytes=s.spool_max_mb * 1024 * 1024)
        rt.spool.start()
        rt._stoppers.append(("spool", rt.spool.close))
    # Relational writes go through a local journal while the database is down or hung, so
    # readings keep flowing to the store.
    journal = Journal(s.journal_dir / "intake", max_bytes=s.journal_max_mb * 1024 * 1024)
    journal.start()
    rt._stoppers.append(("intake journal", journal.close))
    books = JournaledBooks(need(rt.books, "intake books"), journal)
    books.start()
    rt._stoppers.append(("intake books", books.stop))
    rt.pipeline = IntakePipeline(
        store=need(rt.store, "time-series store"),
        spool=rt.spool,
        books=books,
        sensor_locations=rt.sensor_locations,
        ack=lambda tokens: None,
        root=s.topic_root,
        batch_max_points=s.batch_max_points,
        batch_max_messages=max(50, s.mqtt_receive_maximum // 2),
        batch_max_wait_ms=s.batch_max_wait_ms,
        retention_days=s.retention_days,
        worker_id=s.mqtt_client_id,
    )
    host, port, tls = _mqtt_endpoint(rt)
    rt.ingest = IngestService(
        rt.pipeline,
        host=host,
        port=port,
        tls=tls,
        ca_file=str(s.mqtt_ca_file) if s.mqtt_ca_file else None,
        client_id=s.mqtt_client_id,
        protocol=s.mqtt_protocol,
        username=s.mqtt_username,
        password=s.mqtt_password,
        receive_maximum=s.mqtt_receive_maximum,
        root=s.topic_root,
    )
    if rt.registry is not None and s.rules:
        start_rules(rt)
    tune_garbage_collector()
    rt.pipeline.start()
    rt._stoppers.append(("intake pipeline", rt.pipeline.stop))
    rt.ingest.start()
    rt._stoppers.append(("ingest", rt.ingest.stop))
    report_log_counts(rt.pipeline)  # after start(), which sets the broker's status_extra


def report_log_counts(pipeline: IntakePipeline) -> None:
    """Add this process's log counts (`monitoring/logs.py`) to the worker's /health state."""
    from monitoring.logs import own_snapshot

    broker_status = pipeline.status_extra

    def status() -> dict[str, object]:
        state = broker_status()
        counts = own_snapshot()
        if counts is not None:
            state["log"] = counts
        return state

    pipeline.status_extra = status


GC_GEN0_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect less often: intake allocates many short-lived objects and few cycles.

    With the default threshold (700) CPython runs a young-generation collection every few
    messages, and older ones that walk every batch pending in memory; objects loaded at
    start (registry, modules) are frozen out of collections entirely.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, 20, 50)


def start_rules(rt: Runtime) -> None:
    """Evaluate the rules on every durable batch and on a clock tick."""
    from monitoring.alarms.service import AlarmService
    from monitoring.rules.engine import RuleEngine
    from monitoring.storage.journal import Journal

    s = rt.settings
    pipeline = need(rt.pipeline, "intake pipeline")
    # Verdicts the alarm book cannot take yet wait on disk, so they outlive a restart.
    journal = Journal(s.journal_dir / "alarms", max_bytes=s.journal_max_mb * 1024 * 1024)
    journal.start()
    rt._stoppers.append(("alarm journal", journal.close))
    rt.alarm_service = AlarmService(
        RuleEngine(need(rt.registry, "registry")),
        need(rt.alarms, "alarm book"),
        need(rt.books, "intake books").permits,
        journal=journal,
    )
    rt.alarm_service.start()
    rt._stoppers.append(("alarm service", rt.alarm_service.stop))
    pipeline.listeners.append(rt.alarm_service.on_batch)
    pipeline.status_parts.append(rt.alarm_service.status)


def _mqtt_endpoint(rt: Runtime) -> tuple[str, int, bool]:
    if rt.mqtt_url:
        from urllib.parse import urlsplit

        parts = urlsplit(rt.mqtt_url)
        return parts.hostname or "127.0.0.1", parts.port or 1883, parts.scheme == "mqtts"
    return rt.settings.mqtt_endpoint()


def start_embedded_broker(rt: Runtime) -> None:
    """Start the demo's embedded broker on 1883, or on a free port if 1883 is taken."""
    from monitoring.ingest.broker import EmbeddedBroker

    port = DEMO_MQTT_PORT if not _port_in_use(DEMO_MQTT_PORT) else _free_port()
    rt.broker = EmbeddedBroker(port=port)
    rt.broker.start()
    rt._stoppers.append(("embedded broker", rt.broker.stop))
    rt.mqtt_url = rt.broker.url
    log.info("embedded MQTT broker on %s", rt.mqtt_url)


def start_simulation(rt: Runtime, province: dict) -> None:
    """Publish simulated plants (and the configured scenarios) to the broker."""
    from simulators.cli import start_demo_simulation

    host, port, _ = _mqtt_endpoint(rt)
    rt.simulation = start_demo_simulation(
        host, port, rt.settings.topic_root, province, list(rt.settings.scenarios)
    )
    rt._stoppers.append(("simulation", rt.simulation.stop))


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_forever(rt: Runtime) -> None:
    """Block until Ctrl-C or SIGTERM, or until the ingest hits a fatal broker error."""
    import signal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            if rt.ingest is not None and rt.ingest.fatal_error:
                raise SystemExit(f"hazwatch: {rt.ingest.fatal_error}")
    except KeyboardInterrupt:
        pass


def reload_registry(rt: Runtime, path: Path) -> list[str]:
    """Re-read the registry file and use it everywhere; on problems keep the old one.

    Returns every problem found (empty when the new registry is in use). The intake reads
    `rt.registry` for every batch; the rule engine gets it through the alarm service (it
    applies at its next batch or tick, keeping the state of what still exists). An ingest
    that started without a registry starts its rules now. Other processes (separate
    `app.py ingest` workers) keep their copy until they restart.
    """
    from monitoring.registry.loader import RegistryError
    from monitoring.registry.loader import load_registry as load

    try:
        registry = load(path)
    except RegistryError as exc:
        errors = list(exc.errors)
        if exc.total > len(errors):
            errors.append(f"... and {exc.total - len(errors)} more")
        log.warning("registry %s not reloaded: %d problems", path, exc.total)
        return errors
    rt.registry = registry
    if rt.alarm_service is not None:
        rt.alarm_service.set_registry(registry)
    elif rt.pipeline is not None and rt.settings.rules:
        start_rules(rt)
    log.info(
        "registry %s reloaded: %d enterprises, %d sensors",
        path,
        len(registry.enterprises),
        registry.sensor_count(),
    )
    return []
