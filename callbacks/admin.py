"""Callbacks of the admin page."""

from __future__ import annotations
