"""Hazwatch's domain: from untrusted gateway messages to alarms and page read models."""
