"""A private Mosquitto running the shipped deploy/mosquitto.conf, for crash tests and benchmarks.

The shipped file is production's: it listens on 1883 and 8883 (TLS), logs to syslog, keeps its
database in /var/lib/mosquitto and loads its certificates from /etc/mosquitto/certs and its
users from the folder `app.py gateway-credentials` writes (/etc/mosquitto/hazwatch.d).
`DeployedMosquitto` drops the listeners and the users for an anonymous one on a free port;
`SecuredMosquitto` keeps them, changing only ports and folders. Everything else (persistence,
autosave, queue and in-flight limits) is kept as it is, so a test of this broker is a test of
what operators deploy.
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
from tests.services import START_TIMEOUT_S, MosquittoServer, _port_open, free_port, wait_for

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
    "include_dir",
    "cafile",
    "certfile",
    "keyfile",
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


# Where the shipped file keeps what `SecuredMosquitto` moves into private folders.
SHIPPED_CERTS_DIR = "/etc/mosquitto/certs"
SHIPPED_USERS_DIR = "/etc/mosquitto/hazwatch.d"
README = DEPLOY_CONF.parent.parent / "README.md"
CERTS_HEADING = "#### TLS certificates"


class BrokerExited(AssertionError):
    """Mosquitto exited instead of listening; carries its exit code and log."""

    def __init__(self, returncode: int, log: str) -> None:
        super().__init__(f"mosquitto exited with {returncode} instead of listening:\n{log}")
        self.returncode = returncode


def secured_config(
    ports: dict[int, int], workdir: Path, certs_dir: Path, users_dir: Path, run_as: str | None
) -> str:
    """Return deploy/mosquitto.conf with only its ports and folders made private.

    `ports` maps each shipped listener port to a free one (bound to 127.0.0.1); every other
    line is kept, including whatever names password or ACL files.
    """
    lines = [f"user {run_as}"] if run_as else []
    for raw in DEPLOY_CONF.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if key == "listener":
            lines.append(f"listener {ports[int(value.split()[0])]} 127.0.0.1")
        elif key == "persistence_location":
            lines.append(f"persistence_location {workdir}/")
        elif key == "log_dest":
            lines.append("log_dest stdout")
        elif key == "include_dir" and value == SHIPPED_USERS_DIR:
            lines.append(f"include_dir {users_dir}")
        elif value.startswith(SHIPPED_CERTS_DIR + "/"):
            lines.append(f"{key} {certs_dir}{value[len(SHIPPED_CERTS_DIR) :]}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


class SecuredMosquitto(MosquittoServer):
    """The shipped configuration as it is, on free ports: users, ACL and TLS included.

    As root, Mosquitto would drop to the user `mosquitto`, which cannot enter pytest's temp
    folders; `run_as` defaults to root then. A test that means to check the drop passes
    run_as="mosquitto" with folders that user can read.
    """

    def __init__(
        self,
        workdir: Path,
        binary: str,
        certs_dir: Path,
        users_dir: Path,
        run_as: str | None = None,
    ) -> None:
        super().__init__(workdir, binary)
        self.tls_port = free_port()
        self.certs_dir, self.users_dir = certs_dir, users_dir
        self.run_as = run_as or ("root" if os.geteuid() == 0 else None)

    @property
    def tls_url(self) -> str:
        """Return the TLS listener's URL by the name its test certificate carries."""
        return f"mqtts://localhost:{self.tls_port}"

    def config(self) -> str:
        ports = {1883: self.port, 8883: self.tls_port}
        return secured_config(ports, self.workdir, self.certs_dir, self.users_dir, self.run_as)

    def start(self) -> None:
        """Start the broker; raise BrokerExited when it exits instead of listening."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(self.config())
        log = self.workdir / "mosquitto.log"
        proc = subprocess.Popen(
            [self.binary, "-c", str(conf)], stdout=open(log, "ab"), stderr=subprocess.STDOUT
        )
        self.proc = proc

        def listening() -> bool:
            if proc.poll() is not None:
                self.proc = None
                raise BrokerExited(proc.returncode, log.read_text(errors="replace")[-3000:])
            return _port_open(self.port) and _port_open(self.tls_port)

        wait_for(listening, START_TIMEOUT_S, what="mosquitto to listen on both ports")

    def reload(self) -> None:
        """SIGHUP: what `systemctl reload mosquitto` sends; re-reads users and ACL."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)


def make_certificates(folder: Path, broker_host: str = "localhost") -> Path:
    """Run README's openssl commands (the first sh block after CERTS_HEADING) in `folder`."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index(CERTS_HEADING) :]
    start = after.index("```sh\n") + len("```sh\n")
    script = after[start : after.index("```", start)]
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=folder,
        env=dict(os.environ, BROKER_HOST=broker_host),
        check=True,
        capture_output=True,
    )
    return folder


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
