"""A private Mosquitto running the shipped deploy/mosquitto.conf, for crash tests and benchmarks.

The shipped file is production's: it listens on 1883, logs to syslog, keeps its database in
/var/lib/mosquitto and points at password and ACL files that are not shipped. Everything else
(persistence, autosave, queue and in-flight limits) is kept as it is, so a test of this broker
is a test of what operators deploy.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from simulators.wire import WireError, WirePublisher
from tests.services import START_TIMEOUT_S, MosquittoServer, _port_open, wait_for

DEPLOY_CONF = Path(__file__).resolve().parent.parent / "deploy" / "mosquitto.conf"

TOPIC = b"hazmon/e1/s1/telemetry"  # site s1 of tests.e2e_support's registry
PUBLISH_WINDOW = 20_000  # unacknowledged PUBLISHes at most (packet ids are 16 bits)
PUBLISH_CHUNK = 200

# Settings that tie the shipped file to one machine; replaced by private ones below.
MACHINE_SETTINGS = {
    "listener",
    "allow_anonymous",
    "password_file",
    "acl_file",
    "persistence_location",
    "log_dest",
    "user",
}


def deployed_config(
    port: int, workdir: Path, overrides: dict[str, str | None] | None = None
) -> str:
    """Return deploy/mosquitto.conf made private: own port and folder, no auth files.

    `overrides` replaces a setting's value (None drops it); settings it names that the
    shipped file lacks are appended.
    """
    overrides = dict(overrides or {})
    lines: list[str] = []
    for raw in DEPLOY_CONF.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key = line.split()[0]
        if key in MACHINE_SETTINGS:
            continue
        if key in overrides:
            value = overrides.pop(key)
            if value is None:
                continue
            line = f"{key} {value}"
        lines.append(line)
    lines += [f"{key} {value}" for key, value in overrides.items() if value is not None]
    lines += [
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        f"persistence_location {workdir}/",
        "log_dest stdout",
    ]
    if os.geteuid() == 0:
        # As root, mosquitto would drop to its own user, which cannot write in a private
        # temp dir; `user root` keeps the user it was started as.
        lines.append("user root")
    return "\n".join(lines) + "\n"


class DeployedMosquitto(MosquittoServer):
    """Mosquitto with the shipped configuration, on a free port, its database in `workdir`."""

    def __init__(
        self,
        workdir: Path,
        binary: str,
        port: int | None = None,
        overrides: dict[str, str | None] | None = None,
    ) -> None:
        super().__init__(workdir, binary, port)
        self.overrides = overrides

    def start(self) -> None:
        """Start the broker on its database (kept across restarts) and wait until it listens."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(deployed_config(self.port, self.workdir, self.overrides))
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(conf)],
            stdout=open(self.workdir / "mosquitto.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: _port_open(self.port), START_TIMEOUT_S, what="mosquitto to listen")

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to save the in-memory database."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None
        wait_for(lambda: not _port_open(self.port), 10, what="the killed broker's port to close")


def shipped_setting(name: str) -> str | None:
    """Return the value of one setting in deploy/mosquitto.conf, or None when it is absent."""
    for raw in DEPLOY_CONF.read_text().splitlines():
        parts = raw.split()
        if len(parts) >= 2 and parts[0] == name:
            return parts[1]
    return None


def reading_payload(ts: int) -> bytes:
    """Return one telemetry message whose single reading is identified by its time (ms)."""
    return json.dumps(
        {"ts": ts, "readings": [{"sensor": "NH3-1", "value": 1.0, "ts": ts}]}
    ).encode()


def publish_indexed(
    port: int,
    base_ts: int,
    count: int,
    kill_after_acks: int = 0,
    kill: Callable[[], None] | None = None,
) -> tuple[int, float]:
    """Publish `count` QoS 1 readings timed base_ts + i; return (PUBACKs received, seconds).

    With `kill_after_acks`, call `kill()` once that many PUBACKs arrived and read until the
    connection closes. PUBACKs come in PUBLISH order, so the first `acked` messages are
    exactly the ones the broker acknowledged.
    """
    pub = WirePublisher("127.0.0.1", port, f"crash-gw-{uuid.uuid4().hex[:8]}")
    pub.connect()
    started = time.monotonic()
    killed = False
    try:
        for i in range(0, count, PUBLISH_CHUNK):
            while pub.sent - pub.acked > PUBLISH_WINDOW:
                pub.poll(0.01)
            for k in range(i, min(count, i + PUBLISH_CHUNK)):
                pub.queue(TOPIC, reading_payload(base_ts + k))
            pub.flush()
            pub.poll(0.0)
            if kill is not None and kill_after_acks and pub.acked >= kill_after_acks:
                kill()
                killed = True
                break
        while pub.acked < pub.sent:
            pub.poll(0.05)
    except (WireError, OSError):
        if not killed:
            raise
    elapsed = time.monotonic() - started
    if killed:
        try:  # PUBACKs the broker wrote before it died are still in our socket buffer
            while True:
                pub.poll(0.2)
        except (WireError, OSError):
            pass
    else:
        pub.close()
    return pub.acked, elapsed
