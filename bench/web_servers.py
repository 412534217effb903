"""What the web server alone costs: waitress against Werkzeug's development server, A/B.

    .venv/bin/python bench/web_servers.py [--requests 300] [--cpu-ms 10] [--bytes 28]

Starts two processes serving the same Flask view (`--cpu-ms` of CPU, an answer of `--bytes`):
one on waitress as `wiring/server.py` configures it, one on Werkzeug's
`make_server(threaded=True)` as Hazwatch used it before issue 10. Sends `--requests` requests
to each over keep-alive, alternating between them, so both see the same load from the rest of
the machine, and prints p50 and p95 of each.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import free_port, wait_for  # noqa: E402

SERVERS = ("waitress", "werkzeug")


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run_server(server: str, port: int, cpu_ms: float, size: int) -> None:
    """Serve the view on `server` until terminated (the child process's work)."""
    import flask
    from werkzeug.serving import make_server

    from wiring.server import serve

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log
    app = flask.Flask("bench")
    payload = b"x" * size

    @app.get("/")
    def view() -> bytes:
        start = time.perf_counter()
        while time.perf_counter() - start < cpu_ms / 1000:
            pass
        return payload

    if server == "waitress":
        serve("127.0.0.1", port, app, threads=8)
        signal.sigwait({signal.SIGTERM})
    else:
        make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def main() -> int:
    """Start both servers, alternate requests between them, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cpu-ms", type=float, default=10.0)
    parser.add_argument("--bytes", type=int, default=28)
    parser.add_argument("--serve", choices=SERVERS, help=argparse.SUPPRESS)  # the children
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        run_server(args.serve, args.port, args.cpu_ms, args.bytes)
        return 0
    ports = {name: free_port() for name in SERVERS}
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--serve", name, "--port", str(port)]
            + ["--cpu-ms", str(args.cpu_ms), "--bytes", str(args.bytes)]
        )
        for name, port in ports.items()
    ]
    sessions = {name: requests.Session() for name in SERVERS}
    times: dict[str, list[float]] = {name: [] for name in SERVERS}
    try:
        for name, port in ports.items():
            wait_for(lambda port=port: up(port), 30, what=f"{name} to answer")
        for i in range(args.requests):
            for name in SERVERS if i % 2 else reversed(SERVERS):
                start = time.perf_counter()
                sessions[name].get(f"http://127.0.0.1:{ports[name]}/", timeout=30)
                times[name].append((time.perf_counter() - start) * 1000)
    finally:
        for child in children:
            child.kill()
            child.wait(10)
    for name, ms in times.items():
        print(f"{name}: p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms")
    return 0


def up(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/", timeout=2).ok
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
