"""Fixtures of the rule tests."""

from __future__ import annotations

import pytest

from monitoring.registry.model import Registry
from tests.monitoring.rules.factories import make_registry


@pytest.fixture
def registry() -> Registry:
    """The contract's example registry plus a general zone and a few sensors."""
    return make_registry()
