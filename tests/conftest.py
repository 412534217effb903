"""Shared fixtures: real servers on free ports, and the skip-or-fail policy for missing ones."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import pytest

from tests.services import InfluxServer, MosquittoServer, SmallDisk, find_binary

REQUIRE_SERVICES = os.environ.get("HAZMON_REQUIRE_SERVICES") == "1"


def missing_service(reason: str) -> None:
    """Skip the test, or fail it when CI requires every real service to be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing (HAZMON_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def no_swallowed_errors(caplog):
    """Fail a test when the code under test logged an unexpected exception and carried on."""
    yield
    swallowed = [
        r
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR and r.exc_info and not getattr(r, "expected", False)
    ]
    if swallowed:
        pytest.fail("exception logged and swallowed: " + swallowed[0].getMessage())


@pytest.fixture(scope="session")
def mosquitto_binary() -> str:
    binary = find_binary("mosquitto")
    if not binary:
        missing_service("mosquitto is not installed (Debian package 'mosquitto')")
    return binary


@pytest.fixture(scope="session")
def influxd_binary() -> str:
    binary = find_binary("influxd")
    if not binary:
        missing_service("influxd is not installed (Debian package 'influxdb')")
    return binary


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory, mosquitto_binary):
    """A private Mosquitto shared by the session (tests use unique topics and client ids)."""
    server = MosquittoServer(tmp_path_factory.mktemp("mosquitto"), mosquitto_binary)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory, influxd_binary):
    """A private InfluxDB shared by the session (tests use unique database names)."""
    server = InfluxServer(tmp_path_factory.mktemp("influxdb"), influxd_binary)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mosquitto_factory(tmp_path, mosquitto_binary):
    """Make private brokers a test may stop and restart."""
    servers: list[MosquittoServer] = []

    def make(**kwargs) -> MosquittoServer:
        server = MosquittoServer(tmp_path / f"mosquitto-{len(servers)}", mosquitto_binary, **kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def influx_factory(tmp_path, influxd_binary):
    """Make private InfluxDB servers a test may stop and restart (outage tests)."""
    servers: list[InfluxServer] = []

    def make(**kwargs) -> InfluxServer:
        server = InfluxServer(tmp_path / f"influx-{len(servers)}", influxd_binary, **kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def influx_db_name() -> str:
    """A fresh database name per test."""
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory) -> str:
    """A PostgreSQL server URL: the machine's on 127.0.0.1:5432, else a private one."""
    from tests.pg import find_or_start_postgres

    url, reason = find_or_start_postgres(tmp_path_factory.mktemp("pg"))
    if url is None:
        missing_service(reason)
    return url


@pytest.fixture
def postgres_url(postgres_admin_url) -> str:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    from tests.pg import create_database, drop_database

    name = f"hz_{uuid.uuid4().hex[:12]}"
    create_database(postgres_admin_url, name)
    yield postgres_admin_url.rsplit("/", 1)[0] + "/" + name
    drop_database(postgres_admin_url, name)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs the test can fill; skipped (failed in CI) when it cannot be mounted."""
    disk = SmallDisk(tmp_path / "small-disk")
    reason = disk.mount()
    if reason:
        missing_service(reason)
    yield disk
    disk.unmount()
