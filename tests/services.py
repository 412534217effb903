"""Private, real Mosquitto / InfluxDB / PostgreSQL servers for tests and benchmarks.

Each server runs on a free loopback port with its files in a temp dir. Missing binaries make
the tests that need them skip, or fail when HAZMON_REQUIRE_SERVICES=1 (set by .ci/run).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import requests

START_TIMEOUT_S = 30.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(
    predicate: Callable[[], bool],
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
) -> None:
    """Poll `predicate` until it is true; raise AssertionError naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    if predicate():
        return
    raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")


def find_binary(*names: str) -> str | None:
    """Return the first of `names` found on PATH or in the usual sbin folders."""
    for name in names:
        for candidate in (
            shutil.which(name),
            f"/usr/sbin/{name}",
            f"/usr/bin/{name}",
            f"/usr/local/bin/{name}",
        ):
            if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class MosquittoServer:
    """A private Mosquitto with persistence and queue limits fit for no-loss tests."""

    def __init__(
        self, workdir: Path, binary: str, port: int | None = None, max_inflight: int = 0
    ) -> None:
        self.workdir = Path(workdir)
        self.binary = binary
        self.port = port or free_port()
        self.max_inflight = max_inflight
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the broker and wait until it accepts connections."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.workdir}/\n"
            "autosave_interval 1\n"
            # Never drop QoS 1 messages queued for a slow or absent persistent subscriber.
            "max_queued_messages 0\n"
            "max_queued_bytes 0\n"
            f"max_inflight_messages {self.max_inflight}\n"
            "max_packet_size 1048576\n"
            "set_tcp_nodelay true\n" + ("user root\n" if os.geteuid() == 0 else "")
            # As root, mosquitto would drop to its own user, which cannot write in our
            # private temp dir; it keeps the user it was started as with `user root`.
        )
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(conf)],
            stdout=open(self.workdir / "mosquitto.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: _port_open(self.port), START_TIMEOUT_S, what="mosquitto to listen")

    def stop(self) -> None:
        """Stop the broker (its persistence file keeps queued messages)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


class InfluxServer:
    """A private InfluxDB 1.x (`influxd`) with its meta, data and WAL in a temp dir."""

    def __init__(self, workdir: Path, binary: str, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.binary = binary
        self.port = port or free_port()
        self.rpc_port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start influxd and wait until /ping answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "influxdb.conf"
        conf.write_text(
            "reporting-disabled = true\n"
            f'bind-address = "127.0.0.1:{self.rpc_port}"\n'
            "[meta]\n"
            f'  dir = "{self.workdir}/meta"\n'
            "[data]\n"
            f'  dir = "{self.workdir}/data"\n'
            f'  wal-dir = "{self.workdir}/wal"\n'
            "  query-log-enabled = false\n"
            "[http]\n"
            f'  bind-address = "127.0.0.1:{self.port}"\n'
            "  log-enabled = false\n"
            "[monitor]\n"
            "  store-enabled = false\n"
            "[subscriber]\n"
            "  enabled = false\n"
            "[continuous_queries]\n"
            "  enabled = false\n"
        )
        env = dict(os.environ, INFLUXDB_DATA_QUERY_LOG_ENABLED="false")
        self.proc = subprocess.Popen(
            [self.binary, "-config", str(conf)],
            stdout=open(self.workdir / "influxd.log", "ab"),
            stderr=subprocess.STDOUT,
            env=env,
        )
        wait_for(self._ping, START_TIMEOUT_S, what="influxd to answer /ping")

    def _ping(self) -> bool:
        try:
            return requests.get(f"{self.url}/ping", timeout=0.5).status_code == 204
        except requests.RequestException:
            return False

    def stop(self) -> None:
        """Stop influxd."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def query(self, db: str, q: str, params: dict | None = None) -> list[dict]:
        """Run InfluxQL and return the list of series of the first statement (test helper)."""
        import json

        data = {"db": db, "q": q, "epoch": "ms"}
        if params:
            data["params"] = json.dumps(params)
        r = requests.post(f"{self.url}/query", data=data, timeout=10)
        r.raise_for_status()
        result = r.json()["results"][0]
        if "error" in result:
            raise RuntimeError(result["error"])
        return result.get("series", [])


class SmallDisk:
    """A small tmpfs mounted for one test: a disk that really runs out of space (ENOSPC)."""

    FILLER = "filler"

    def __init__(self, mountpoint: Path, size: str = "2m") -> None:
        self.mountpoint = Path(mountpoint)
        self.size = size

    def mount(self) -> str | None:
        """Mount it; return why that is impossible (None when mounted)."""
        if os.geteuid() != 0:
            return "mounting a tmpfs (a disk that can be filled) needs root"
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs", str(self.mountpoint)],
            capture_output=True,
            text=True,
        )
        return f"cannot mount a tmpfs: {r.stderr.strip()}" if r.returncode else None

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.mountpoint)], capture_output=True)

    def free_bytes(self) -> int:
        st = os.statvfs(self.mountpoint)
        return st.f_bavail * st.f_frsize

    def fill(self, leave: int = 0) -> None:
        """Grow a filler file until only about `leave` bytes are free (0: none, to the byte)."""
        fd = os.open(self.mountpoint / self.FILLER, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for chunk in (65536, 4096, 1):
                while self.free_bytes() > leave:
                    try:
                        os.write(fd, b"\0" * min(chunk, max(1, self.free_bytes() - leave)))
                    except OSError:  # ENOSPC: full at this chunk size, try a smaller one
                        break
        finally:
            os.close(fd)

    def free(self) -> None:
        """Delete the filler file."""
        (self.mountpoint / self.FILLER).unlink(missing_ok=True)
