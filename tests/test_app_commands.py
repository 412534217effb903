"""What each command runs: `serve` plays no simulators unless asked; the demo does."""

from __future__ import annotations

import pytest

from app import build_parser, demo_overrides
from monitoring.settings import SettingsError, load_settings


def settings(argv: list[str], environ: dict[str, str] | None = None):
    environ = environ or {}
    args = build_parser().parse_args(argv)
    cli = vars(args) if args.command else {}
    overrides = demo_overrides(cli, environ) if args.command in (None, "demo") else {}
    return load_settings(cli, environ, **overrides)


@pytest.mark.parametrize(
    ("argv", "environ", "simulate"),
    [
        (["serve"], None, False),
        (["serve", "--simulate"], None, True),
        (["serve", "--no-simulate"], None, False),  # as the contract names it
        (["serve"], {"HAZMON_SIMULATE": "1"}, True),
        (["web"], None, False),
        ([], None, True),  # python app.py: the demo
        (["demo"], None, True),
        (["demo", "--no-simulate"], None, False),
        (["demo"], {"HAZMON_SIMULATE": "0"}, False),
    ],
)
def test_simulators_run_for_the_demo_and_only_when_asked_otherwise(argv, environ, simulate) -> None:
    assert settings(argv, environ).simulate is simulate


def test_the_web_servers_threads_are_bounded() -> None:
    assert settings(["web"]).web_threads == 8
    assert settings(["web", "--web-threads", "16"]).web_threads == 16
    with pytest.raises(SettingsError, match="web_threads"):
        settings(["web", "--web-threads", "0"])
