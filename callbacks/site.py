"""Callbacks of the site page."""

from __future__ import annotations
