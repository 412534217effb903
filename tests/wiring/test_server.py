"""The production web server: no `Server` header, bounded bodies, bounded threads, stops."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.services import free_port, wait_for
from wiring.server import MAX_REQUEST_BODY_BYTES, serve


class SlowApp:
    """A WSGI app that holds each request until released, counting how many run at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read()
        if environ["PATH_INFO"] == "/slow":
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            self.release.wait(10)
            with self.lock:
                self.running -= 1
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/plain"),
                ("X-Seen-For", environ.get("HTTP_X_FORWARDED_FOR", "")),
            ],
        )
        return [str(len(body)).encode()]


def test_answers_without_a_server_header_and_refuses_large_bodies() -> None:
    port = free_port()
    stop = serve("127.0.0.1", port, SlowApp(), threads=2)
    try:
        url = f"http://127.0.0.1:{port}/"
        ok = requests.post(url, data=b"x" * MAX_REQUEST_BODY_BYTES, timeout=10)
        assert ok.status_code == 200 and ok.text == str(MAX_REQUEST_BODY_BYTES)
        assert "Server" not in ok.headers
        too_big = requests.post(url, data=b"x" * (MAX_REQUEST_BODY_BYTES + 1), timeout=10)
        assert too_big.status_code == 413 and "Server" not in too_big.headers
    finally:
        stop()


def test_forwarded_headers_reach_the_app_which_decides_whom_to_believe() -> None:
    port = free_port()
    stop = serve("127.0.0.1", port, SlowApp(), threads=1)
    try:
        r = requests.get(
            f"http://127.0.0.1:{port}/", headers={"X-Forwarded-For": "10.1.2.3"}, timeout=10
        )
        assert r.headers["X-Seen-For"] == "10.1.2.3"
    finally:
        stop()


def test_requests_beyond_the_threads_wait_their_turn() -> None:
    port, app = free_port(), SlowApp()
    stop = serve("127.0.0.1", port, app, threads=3)
    try:
        with ThreadPoolExecutor(10) as pool:
            answers = [
                pool.submit(requests.get, f"http://127.0.0.1:{port}/slow", timeout=20)
                for _ in range(10)
            ]
            wait_for(lambda: app.running == 3, 10, what="three requests running")
            time.sleep(0.5)  # the other seven arrive and wait in the server's queue
            assert app.most == 3
            app.release.set()
            assert all(a.result().status_code == 200 for a in answers)
        assert app.most == 3
    finally:
        stop()


def test_stop_frees_the_port() -> None:
    port = free_port()
    serve("127.0.0.1", port, SlowApp(), threads=1)()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # raises OSError (address in use) if still listening
        assert s.getsockname() == ("127.0.0.1", port)
