"""Serve the web app on waitress: bounded threads, bounded requests, no versions in headers.

Werkzeug's development server, used before, started one thread per request with no bound (48
concurrent requests each hashing a password took the app from 152 to 1,716 MiB), read bodies
of any size and named itself and Python's version in every answer's `Server` header. Waitress
runs `--web-threads` application threads; more requests wait in its queue, not in memory of
their own. It reads at most MAX_REQUEST_BODY_BYTES of a body and answers 413 past that, before
the app sees the request, and sends no `Server` header.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger(__name__)

# The largest legitimate request is a Dash callback: its body carries the callback's inputs and
# state, at most a few KB on every page (the wall's grid is kept as a key, not as state), and
# the API's bodies are a few hundred bytes; 1 MiB leaves ample room.
MAX_REQUEST_BODY_BYTES = 1024 * 1024
MAX_REQUEST_HEADER_BYTES = 64 * 1024  # cookies and Basic credentials are far smaller
CONNECTION_LIMIT = 500  # open connections (browsers keep a few each); more wait in the backlog
CHANNEL_TIMEOUT_S = 60  # an idle keep-alive connection is closed after this long

WsgiApp = Callable[..., Any]


def serve(host: str, port: int, app: WsgiApp, threads: int) -> Callable[[], None]:
    """Serve `app` on waitress in a background thread; return the function that stops it."""
    sockets: dict = {}  # waitress's socket map: the listening socket and every connection
    server = create_server(
        app,
        map=sockets,
        host=host,
        port=port,
        threads=threads,
        ident="",  # no `Server` header at all (waitress names itself by default)
        max_request_body_size=MAX_REQUEST_BODY_BYTES + 1,  # waitress refuses its limit itself
        max_request_header_size=MAX_REQUEST_HEADER_BYTES,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=CHANNEL_TIMEOUT_S,
        expose_tracebacks=False,
        # The app decides whom to believe (`--trusted-proxies`: ProxyFix in the session layer);
        # waitress would otherwise drop X-Forwarded-* before the app sees them.
        clear_untrusted_proxy_headers=False,
    )
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    log.info(
        "web app on http://%s:%d (waitress, %d threads, bodies up to %d KiB)",
        host,
        port,
        threads,
        MAX_REQUEST_BODY_BYTES // 1024,
    )

    def stop() -> None:
        server.task_dispatcher.shutdown(timeout=5)  # requests in progress may finish
        wasyncore.close_all(sockets)  # an empty map ends run()'s loop
        thread.join(5)

    return stop
