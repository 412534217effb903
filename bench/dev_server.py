"""`app.py` with Werkzeug's development server, the server waitress replaced (bench/web.py only).

    .venv/bin/python bench/dev_server.py web [the options of app.py web]

Werkzeug's `make_server(threaded=True)`, as `wiring/web.py` used it before issue 10: a thread
per request with no bound, bodies of any size, versions in the `Server` header. Never deploy it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import app  # noqa: E402
from wiring import web  # noqa: E402


def serve_development(
    host: str, port: int, wsgi_app: Callable[..., Any], threads: int
) -> Callable[[], None]:
    """Serve on Werkzeug's development server (`threads` is ignored: it has no bound)."""
    from werkzeug.serving import make_server

    server = make_server(host, port, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server.shutdown


if __name__ == "__main__":
    web.serve = serve_development  # run_web looks it up when it starts the server
    sys.exit(app.main(sys.argv[1:]))
