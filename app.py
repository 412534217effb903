"""Hazwatch: remote monitoring of hazardous-chemical sites.

    python app.py                      the whole demo on one machine (embedded broker and store)
    python app.py serve [options]      ingest + web against real services
    python app.py ingest [options]     only the ingest (run several for scale)
    python app.py web [options]        only the web app (several workers may share the stores)
    python app.py simulate [options]   simulated gateways publishing to a broker

Options also read `HAZMON_<OPTION>` variables; `python app.py serve --help` lists them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import Any

from monitoring.settings import Settings, SettingsError, add_arguments, load_settings
from wiring import runtime

log = logging.getLogger("hazwatch")

DEMO_USERS = (("inspector", "inspector-demo", "inspector"), ("viewer", "viewer-demo", "viewer"))
DEMO_ADMIN_PASSWORD = "admin-demo"


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser with one subcommand per way of running."""
    parser = argparse.ArgumentParser(
        prog="app.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    for name, help_text in (
        ("demo", "run the self-contained demo (default)"),
        ("serve", "run ingest and web against real services"),
        ("ingest", "run only the ingest"),
        ("web", "run only the web app"),
    ):
        add_arguments(sub.add_parser(name, help=help_text))
    from simulators.cli import add_arguments as add_sim_arguments

    add_sim_arguments(sub.add_parser("simulate", help="publish simulated plants over MQTT"))
    return parser


def create_web_app(rt: runtime.Runtime) -> Any:
    """Build the Dash app (sessions, shell, pages) with the API mounted on its Flask server."""
    import dash

    import callbacks.admin  # noqa: F401  (importing a callbacks module registers its callbacks)
    import callbacks.console  # noqa: F401
    import callbacks.directory  # noqa: F401
    import callbacks.permits  # noqa: F401
    import callbacks.shell  # noqa: F401
    import callbacks.site  # noqa: F401
    import callbacks.wall  # noqa: F401
    from layouts import shell
    from layouts.login import login_page
    from monitoring.api.alarms import AlarmApiContext, alarm_routes
    from monitoring.api.core import ApiContext, create_api, health_report
    from monitoring.views import admin as admin_view
    from monitoring.views import directory as directory_view
    from monitoring.views import permits as permits_view
    from monitoring.views import site as site_view
    from monitoring.views.console import ConsoleView
    from monitoring.views.wall import WallView
    from monitoring.web.session import install_sessions, load_secret_key

    app = dash.Dash(
        __name__,
        title="Hazwatch",
        serve_locally=True,
        update_title=None,
        suppress_callback_exceptions=True,
    )
    app.layout = lambda: shell.layout(rt.registry.timezone if rt.registry else "UTC")
    secret = load_secret_key(rt.settings.secret_key, rt.settings.data_dir)
    install_sessions(
        app.server, rt.users, secret, login_page, secure_cookies=rt.settings.secure_cookies
    )
    ctx = ApiContext(
        users=rt.users,
        rejects=rt.books.rejects,
        workers=rt.books.workers,
        store=rt.store,
        db=rt.db,
        store_kind="influxdb" if rt.settings.influx_url else "embedded",
        local_status=(lambda: {"worker_id": rt.settings.mqtt_client_id, **rt.pipeline.status()})
        if rt.pipeline
        else None,
        registry=lambda: rt.registry,
    )
    WallView(
        alarms=rt.alarms,
        store=rt.store,
        registry=lambda: rt.registry,
        health=lambda: health_report(ctx),
    ).install(app.server)
    ConsoleView(
        alarms=rt.alarms,
        calls=rt.calls,
        lookups=rt.lookups,
        permits=rt.books.permits,
        store=rt.store,
        registry=lambda: rt.registry,
    ).install(app.server)
    ctx.extra_routes.append(
        alarm_routes(
            AlarmApiContext(
                alarms=rt.alarms,
                calls=rt.calls,
                lookups=rt.lookups,
                permits=rt.books.permits,
                store=rt.store,
                registry=lambda: rt.registry,
                clock=time.time,
                recordings=rt.permit_recordings,
            )
        )
    )
    for page_view in (site_view, directory_view, permits_view, admin_view):
        page_view.install(app.server, rt)
    app.server.register_blueprint(create_api(ctx))
    return app


def run_web(rt: runtime.Runtime) -> None:
    """Serve the web app until interrupted."""
    from werkzeug.serving import make_server

    app = create_web_app(rt)
    rt.web_app = app
    server = make_server(rt.settings.host, rt.settings.port, app.server, threaded=True)
    log.info("web app on http://%s:%d", rt.settings.host, rt.settings.port)
    import threading

    thread = threading.Thread(target=server.serve_forever, name="web", daemon=True)
    thread.start()
    rt._stoppers.append(("web", server.shutdown))


def run(settings: Settings, command: str) -> int:
    """Start the parts `command` needs, then wait until interrupted."""
    rt = runtime.Runtime(settings)
    try:
        runtime.start_storage(rt)
        province = None
        if command == "demo":
            for username, password, role in DEMO_USERS:
                if rt.users.get(username) is None:
                    rt.users.create(username, password, role, int(time.time() * 1000))
            runtime.start_embedded_broker(rt)
        if settings.registry is not None:
            runtime.load_registry(rt, settings.registry)
        elif settings.simulate and command in ("demo", "serve"):
            from simulators.province import generate_province, write_registry

            province = generate_province(settings.enterprises)
            path = write_registry(province, settings.data_dir / "registry.yaml")
            runtime.load_registry(rt, path)
        else:
            log.warning("no --registry given: every sensor will be listed as unregistered")
        if command in ("demo", "serve", "ingest"):
            runtime.start_ingest(rt)
        if command in ("demo", "serve", "web"):
            run_web(rt)
        if settings.simulate and command in ("demo", "serve"):
            if province is None:
                from simulators.province import generate_province

                province = generate_province(settings.enterprises)
            runtime.start_simulation(rt, province)
        if command == "demo":
            print(
                f"\nHazwatch demo running: open http://{settings.host}:{settings.port}\n"
                f"  users: admin / {settings.admin_password or DEMO_ADMIN_PASSWORD}, "
                + ", ".join(f"{u} / {p}" for u, p, _ in DEMO_USERS)
                + f"\n  MQTT broker: {rt.mqtt_url}   data: {settings.data_dir}/\n"
                "  In about 3 minutes a night patrol walks into an ammonia tank farm with no\n"
                "  permit: sign in as the inspector, click the alarm on the wall, then\n"
                "  Contacts and Log call.\n"
                "  Ctrl-C stops it.\n",
                flush=True,
            )
        runtime.wait_forever(rt)
        return 0
    finally:
        rt.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    args = build_parser().parse_args(argv)
    command = args.command or "demo"
    if command == "simulate":
        from simulators.cli import run as run_simulator

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        return run_simulator(args)
    cli = vars(args) if args.command else {}
    overrides: dict[str, Any] = {}
    if command == "demo":
        # The embedded broker (amqtt) speaks MQTT 3.1.1 only.
        overrides = {"mqtt_protocol": "3.1.1"}
        if not cli.get("data_dir") and "HAZMON_DATA_DIR" not in os.environ:
            overrides["data_dir"] = "var/demo"
    try:
        settings = load_settings(cli, **overrides)
        if command == "demo" and not settings.admin_password:
            settings = load_settings(cli, **overrides, admin_password=DEMO_ADMIN_PASSWORD)
    except SettingsError as exc:
        print(f"hazwatch: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log on the console
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return run(settings, command)


if __name__ == "__main__":
    sys.exit(main())
