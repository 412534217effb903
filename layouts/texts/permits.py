"""The permits page's labels: key -> (English, 简体中文)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}
