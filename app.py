"""Hazwatch: remote monitoring of hazardous-chemical sites.

    python app.py                      the whole demo on one machine (embedded broker and store)
    python app.py serve [options]      ingest + web against real services
    python app.py ingest [options]     only the ingest (run several for scale)
    python app.py web [options]        only the web app (several workers may share the stores)
    python app.py simulate [options]   simulated gateways publishing to a broker
    python app.py gateway-credentials  broker users and ACL of the registry's gateways

Options also read `HAZMON_<OPTION>` variables; `python app.py serve --help` lists them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Mapping

from monitoring.logs import limit_repeats
from monitoring.settings import Settings, SettingsError, add_arguments, load_settings
from wiring import datadir, runtime

log = logging.getLogger("hazwatch")

# At least 12 characters, as the password policy asks of everyone (monitoring/users.py).
DEMO_USERS = (
    ("inspector", "inspector-demo", "inspector"),
    ("viewer", "viewer-demo-pass", "viewer"),
)
DEMO_ADMIN_PASSWORD = "admin-demo-pass"


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
    from wiring.credentials import add_arguments as add_credentials_arguments

    add_credentials_arguments(
        sub.add_parser("gateway-credentials", help="write the broker's users, ACL and passwords")
    )
    return parser


def run(settings: Settings, command: str) -> int:
    """Start the parts `command` needs, then wait until interrupted."""
    rt = runtime.Runtime(settings)
    try:
        runtime.start_storage(rt)
        province = None
        if command == "demo":
            users = runtime.need(rt.users, "user book")
            for username, password, role in DEMO_USERS:
                if users.get(username) is None:
                    users.create(username, password, role, int(time.time() * 1000))
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
            from wiring.web import run_web  # Dash and the pages load only for the web

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


def demo_overrides(cli: dict[str, object], environ: Mapping[str, str]) -> dict[str, str]:
    """Return the settings the demo fixes unless the command line or environment set them."""
    # The embedded broker (amqtt) speaks MQTT 3.1.1 only.
    overrides = {"mqtt_protocol": "3.1.1"}
    if not cli.get("data_dir") and "HAZMON_DATA_DIR" not in environ:
        overrides["data_dir"] = "var/demo"
    # The demo plays its simulated province; `serve` needs --simulate for that.
    if cli.get("simulate") is None and "HAZMON_SIMULATE" not in environ:
        overrides["simulate"] = "1"
    return overrides


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    args = build_parser().parse_args(argv)
    command = args.command or "demo"
    if command == "gateway-credentials":
        from wiring.credentials import run as run_credentials

        return run_credentials(args)
    if command == "simulate":
        from simulators.cli import run as run_simulator

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        limit_repeats()
        return run_simulator(args)
    cli = vars(args) if args.command else {}
    overrides = demo_overrides(cli, os.environ) if command == "demo" else {}
    try:
        settings = load_settings(cli, None, **overrides)
        if command == "demo" and not settings.admin_password:
            settings = load_settings(cli, None, **overrides, admin_password=DEMO_ADMIN_PASSWORD)
    except SettingsError as exc:
        print(f"hazwatch: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log on the console
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # A repeated message is written once, then summarised each minute; all are counted in
    # /health (monitoring/logs.py).
    limit_repeats()
    # Everything this process creates (databases, spool, journals, keys) is its user's alone.
    os.umask(datadir.PRIVATE_UMASK)
    return run(settings, command)


if __name__ == "__main__":
    sys.exit(main())
