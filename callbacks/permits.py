"""Callbacks of the permits page."""

from __future__ import annotations
