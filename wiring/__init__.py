"""The composition root: builds and starts the parts for each command (no domain logic)."""
