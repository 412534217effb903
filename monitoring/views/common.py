"""What every page's read model shares: how callbacks find it, the time and the timezone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import flask

DEFAULT_TZ = "UTC"  # without a registry; pages show times in the registry's timezone


class PageView:
    """Base of the pages' read models (dataclasses with `registry` and `clock` fields)."""

    config_key: ClassVar[str]
    registry: Callable[[], Any]
    clock: Callable[[], float]

    def install(self, server: flask.Flask) -> None:
        """Make this view reachable from callbacks through the module's `current()`."""
        server.config[self.config_key] = self

    def now_ms(self) -> int:
        """Return the current time in epoch milliseconds."""
        return int(self.clock() * 1000)

    def tz(self) -> str:
        """Return the registry's timezone (UTC without a registry)."""
        registry = self.registry()
        return registry.timezone if registry is not None else DEFAULT_TZ
