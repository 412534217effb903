"""The HTTP API under /api/v1 (Flask blueprints)."""
