"""Callbacks of the directory page."""

from __future__ import annotations
