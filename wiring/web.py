"""Assemble the web app: Dash pages and callbacks, sessions, the page read models and the API.

The read models are built here from the runtime's books and store and installed on the app's
Flask server, where `callbacks.views` finds them; the admin page's registry reload is
`wiring.runtime.reload_registry` bound to this runtime, so no page module imports the wiring.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import dash
import flask
from flask_compress import Compress

from callbacks import views as page_views
from monitoring.api.alarms import AlarmApiContext, alarm_routes
from monitoring.api.alarms_bulk import bulk_routes
from monitoring.api.core import ApiContext, create_api, health_report
from monitoring.books.signin import SignInThrottle
from monitoring.books.users import AuditLog
from monitoring.db.errors import database_unavailable
from monitoring.views.admin import AdminView, registry_path
from monitoring.views.console import ConsoleView
from monitoring.views.directory import DirectoryView
from monitoring.views.permits import PermitsView
from monitoring.views.site import SiteView
from monitoring.views.wall import WallView
from monitoring.web.headers import install_security_headers
from monitoring.web.outage import install_outage_answers
from monitoring.web.session import install_sessions, load_secret_key
from wiring.runtime import Runtime, need, reload_registry
from wiring.server import serve

log = logging.getLogger(__name__)
COMPRESS_MIN_SIZE = 500  # bytes; smaller answers are not worth compressing

# Dash looks for assets beside the module naming the app; they are at the project root.
ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_web_app(rt: Runtime) -> dash.Dash:
    """Build the Dash app (sessions, shell, pages) with the API mounted on its Flask server."""
    import callbacks.admin  # noqa: F401  (importing a callbacks module registers its callbacks)
    import callbacks.console  # noqa: F401
    import callbacks.console_bulk  # noqa: F401
    import callbacks.directory  # noqa: F401
    import callbacks.permits  # noqa: F401
    import callbacks.shell  # noqa: F401
    import callbacks.site  # noqa: F401
    import callbacks.wall  # noqa: F401
    from layouts import shell
    from layouts.login import login_page, password_page
    from layouts.outage import outage_page

    users, books, store = need(rt.users, "users"), need(rt.books, "books"), need(rt.store, "store")
    app = dash.Dash(
        __name__,
        assets_folder=str(ASSETS),
        title="Hazwatch",
        serve_locally=True,
        update_title="",  # no "Updating..." tab title (None and "" both turn it off)
        suppress_callback_exceptions=True,
    )
    app.layout = lambda: shell.layout(rt.registry.timezone if rt.registry else "UTC")
    install_compression(app.server)
    secret = load_secret_key(rt.settings.secret_key, rt.settings.data_dir)
    throttle = SignInThrottle()  # one for the sign-in form and the API: guesses count together
    install_sessions(
        app.server,
        users,
        secret,
        login_page,
        secure_cookies=rt.settings.secure_cookies,
        throttle=throttle,
        trusted_proxies=rt.settings.trusted_proxies,
        render_password=password_page,
    )
    install_outage_answers(app.server, outage_page)  # a 503 page, never a raw 500
    # After every callback is registered: the hashes cover Dash's inline scripts.
    install_security_headers(app.server, app.csp_hashes(), hsts=rt.settings.secure_cookies)
    pipeline = rt.pipeline
    ctx = ApiContext(
        users=users,
        rejects=books.rejects,
        workers=books.workers,
        store=store,
        db=need(rt.db, "database"),
        store_kind="influxdb" if rt.settings.influx_url else "embedded",
        local_status=(lambda: {"worker_id": rt.settings.mqtt_client_id, **pipeline.status()})
        if pipeline is not None
        else None,
        registry=lambda: rt.registry,
        throttle=throttle,
    )
    alarm_ctx = AlarmApiContext(
        alarms=need(rt.alarms, "alarm book"),
        calls=need(rt.calls, "call log"),
        lookups=need(rt.lookups, "contact lookups"),
        permits=books.permits,
        store=store,
        registry=lambda: rt.registry,
        clock=time.time,
        recordings=rt.permit_recordings,
    )
    ctx.extra_routes += [alarm_routes(alarm_ctx), bulk_routes(alarm_ctx)]
    page_views.install(app.server, build_views(rt, health=lambda: health_report(ctx)))
    app.server.register_blueprint(create_api(ctx))
    return app


def install_compression(server: flask.Flask) -> None:
    """Compress every answer a browser or API client accepts compressed (brotli, else gzip).

    The console's rows, the wall's grid and Dash's bundles are JSON and JavaScript that
    shrink about tenfold; answers under COMPRESS_MIN_SIZE bytes go as they are.
    """
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_ALGORITHM_STREAMING=["br", "deflate"],  # files (assets): no gzip streaming
        COMPRESS_MIN_SIZE=COMPRESS_MIN_SIZE,
        COMPRESS_BR_LEVEL=4,  # brotli's fast levels: a 3 s refresh must stay cheap
        COMPRESS_LEVEL=6,
    )
    Compress(server)


def build_views(rt: Runtime, health: Callable[[], dict]) -> page_views.PageViews:
    """Build every page's read model over the runtime's books, store and registry."""
    alarms, lookups = need(rt.alarms, "alarm book"), need(rt.lookups, "contact lookups")
    books, store = need(rt.books, "books"), need(rt.store, "store")
    wall = WallView(
        alarms=alarms,
        store=store,
        registry=lambda: rt.registry,
        health=health,
        unavailable=database_unavailable,
    )
    return page_views.PageViews(
        wall=wall,
        console=ConsoleView(
            alarms=alarms,
            calls=need(rt.calls, "call log"),
            lookups=lookups,
            permits=books.permits,
            store=store,
            registry=lambda: rt.registry,
        ),
        site=SiteView(
            store=store,
            alarms=alarms,
            permits=books.permits,
            gateways=books.gateways,
            registry=lambda: rt.registry,
        ),
        directory=DirectoryView(alarms=alarms, lookups=lookups, registry=lambda: rt.registry),
        permits=PermitsView(
            permits=books.permits,
            recordings=need(rt.permit_recordings, "permit recordings"),
            registry=lambda: rt.registry,
        ),
        admin=AdminView(
            users=need(rt.users, "users"),
            audit=AuditLog(need(rt.db, "database")),
            rejects=books.rejects,
            unregistered=books.unregistered,
            registry=lambda: rt.registry,
            reload=lambda path: reload_registry(rt, path),
            registry_file=registry_path(rt.settings, rt.registry is not None),
            ingest_here=rt.pipeline is not None,
            # The wall's cached snapshot: the admin page does not ask the stores again.
            health=lambda: wall.snapshot().health,
        ),
    )


def run_web(rt: Runtime) -> None:
    """Serve the web app on the production server (`wiring.server`) until the runtime stops."""
    app = create_web_app(rt)
    rt.web_app = app
    s = rt.settings
    rt._stoppers.append(("web", serve(s.host, s.port, app.server, s.web_threads)))
