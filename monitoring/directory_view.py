"""The directory page's read model (being built)."""

from __future__ import annotations

from typing import Any

import flask

CONFIG_KEY = "HAZWATCH_DIRECTORY"


def install(server: flask.Flask, rt: Any) -> None:
    """Make the directory page's read model, built from the runtime's parts, available to callbacks."""
    server.config[CONFIG_KEY] = rt
