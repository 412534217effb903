"""Every table of the relational store, in one place.

Declaring them all here means the schema never depends on which modules happened to be
imported before `Database.start()`: importing `monitoring.db` gives `metadata` whole.
Column widths that the books also check before writing are named here once. Times are
epoch milliseconds.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Id columns hold identifiers already checked against the contract's pattern (<= 64 chars).
ID = sa.String(64)
# SQLite only makes INTEGER PRIMARY KEY an autoincrementing rowid.
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

MAX_USERNAME_CHARS = 64
MAX_SOURCE_CHARS = 128
MAX_RULE_CHARS = 64
MAX_TOPIC_CHARS = 1024
MAX_CODE_CHARS = 32
MAX_FREE_TEXT_CHARS = 200  # permit level and supervisor: free text from the gateway
MAX_WORKER_ID_CHARS = 64
# "enterprise|site|source|rule"
OPEN_KEY_CHARS = 2 * 64 + MAX_SOURCE_CHARS + MAX_RULE_CHARS + 3


contact_lookup_table = sa.Table(
    "contact_lookup",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("ts_ms", sa.BigInteger, nullable=False),
    sa.Column("username", sa.String(MAX_USERNAME_CHARS), nullable=False),
    sa.Column("enterprise", sa.String(64), nullable=False),
    sa.Column("alarm_id", ROW_ID, sa.ForeignKey("alarm.id")),  # NULL: not from an alarm
    sa.Index("ix_contact_lookup_ts", "ts_ms"),
    sa.Index("ix_contact_lookup_enterprise", "enterprise", "ts_ms"),
)


alarm_table = sa.Table(
    "alarm",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("enterprise", ID, nullable=False),
    sa.Column("site", ID, nullable=False),
    sa.Column("zone", ID),
    sa.Column("source", sa.String(MAX_SOURCE_CHARS), nullable=False),
    sa.Column("rule", sa.String(MAX_RULE_CHARS), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("raised_ms", sa.BigInteger, nullable=False),
    sa.Column("last_raised_ms", sa.BigInteger, nullable=False),
    sa.Column("cleared_ms", sa.BigInteger),
    sa.Column("acked_ms", sa.BigInteger),
    sa.Column("acked_by", sa.String(MAX_USERNAME_CHARS)),
    sa.Column("value", sa.Float),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("message_key", sa.String(128), nullable=False),
    sa.Column("params", sa.Text, nullable=False),  # JSON object
    sa.Column("shelved_until_ms", sa.BigInteger),
    sa.Column("shelve_reason", sa.Text),
    sa.Column("chattering", sa.Boolean, nullable=False),
    sa.Column("activations", sa.Text, nullable=False),  # JSON: the latest activation times
    # When the "red and unacknowledged" clock started: first shown, escalated or unshelved.
    sa.Column("ack_clock_ms", sa.BigInteger, nullable=False),
    sa.Column("escalated_ms", sa.BigInteger),
    sa.Column("disposition", sa.String(32)),
    sa.Column("closed_ms", sa.BigInteger),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    # "enterprise|site|source|rule" while open, NULL once closed: NULLs never collide, so
    # the database allows exactly one open alarm per key however many workers race.
    sa.Column("open_key", sa.String(OPEN_KEY_CHARS)),
    sa.UniqueConstraint("open_key", name="uq_alarm_open_key"),
    sa.Index("ix_alarm_state_severity", "state", "severity"),
    sa.Index("ix_alarm_site_raised", "enterprise", "site", "raised_ms"),
    sa.Index("ix_alarm_updated", "updated_ms"),
    sa.Index("ix_alarm_acked", "acked_ms"),
)


alarm_transition_table = sa.Table(
    "alarm_transition",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("alarm_id", ROW_ID, sa.ForeignKey("alarm.id"), nullable=False),
    sa.Column("ts_ms", sa.BigInteger, nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("from_state", sa.String(16)),  # NULL for the raise that created the alarm
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("actor", sa.String(MAX_USERNAME_CHARS), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Index("ix_alarm_transition_alarm", "alarm_id", "id"),
)


# Written by monitoring.alarms.calls.CallLog; an alarm's detail shows it.
call_record_table = sa.Table(
    "call_record",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("alarm_id", ROW_ID, sa.ForeignKey("alarm.id"), nullable=False),
    sa.Column("ts_ms", sa.BigInteger, nullable=False),
    sa.Column("username", sa.String(MAX_USERNAME_CHARS), nullable=False),
    sa.Column("contact_name", sa.String(200), nullable=False),
    sa.Column("contact_role", sa.String(64), nullable=False),
    sa.Column("phone", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Index("ix_call_record_alarm", "alarm_id", "id"),
)


permit_recording_table = sa.Table(
    "permit_recording",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("enterprise", sa.String(64), nullable=False),
    sa.Column("site", sa.String(64), nullable=False),
    sa.Column("permit", sa.String(64), nullable=False),
    sa.Column("username", sa.String(MAX_USERNAME_CHARS), nullable=False),
    sa.Column("recorded_ms", sa.BigInteger, nullable=False),
    sa.Column("reported_ms", sa.BigInteger, nullable=False),  # the Permit's reported_ms
    sa.Column("note", sa.Text, nullable=False),
    sa.Index("ix_permit_recording_key", "enterprise", "site", "permit", "id"),
)


rejected_message_table = sa.Table(
    "rejected_message",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("received_ms", sa.BigInteger, nullable=False),
    sa.Column("topic", sa.String(MAX_TOPIC_CHARS), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("code", sa.String(MAX_CODE_CHARS), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    # Ids are never reused after pruning, so "newest first" stays "highest id first".
    sqlite_autoincrement=True,
)


reject_count_table = sa.Table(
    "reject_count",
    metadata,
    sa.Column("code", sa.String(MAX_CODE_CHARS), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)


permit_table = sa.Table(
    "permit",
    metadata,
    sa.Column("enterprise", ID, primary_key=True),
    sa.Column("site", ID, primary_key=True),
    sa.Column("permit", ID, primary_key=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("zone", ID, nullable=False),
    sa.Column("start_ms", sa.BigInteger, nullable=False),
    sa.Column("end_ms", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("level", sa.String(MAX_FREE_TEXT_CHARS)),
    sa.Column("supervisor", sa.String(MAX_FREE_TEXT_CHARS)),
    sa.Column("workers", sa.Integer),
    sa.Column("reported_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_permit_zone_start", "enterprise", "site", "zone", "start_ms"),
)


gateway_status_table = sa.Table(
    "gateway_status",
    metadata,
    sa.Column("enterprise", ID, primary_key=True),
    sa.Column("site", ID, primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("ts_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)


unregistered_sensor_table = sa.Table(
    "unregistered_sensor",
    metadata,
    sa.Column("enterprise", ID, primary_key=True),
    sa.Column("site", ID, primary_key=True),
    sa.Column("sensor", ID, primary_key=True),
    sa.Column("first_seen_ms", sa.BigInteger, nullable=False),
    sa.Column("last_seen_ms", sa.BigInteger, nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Index("ix_unregistered_sensor_last_seen", "last_seen_ms"),
)


ingest_worker_table = sa.Table(
    "ingest_worker",
    metadata,
    sa.Column("worker_id", sa.String(MAX_WORKER_ID_CHARS), primary_key=True),
    sa.Column("started_ms", sa.BigInteger, nullable=False),
    sa.Column("heartbeat_ms", sa.BigInteger, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
)


users_table = sa.Table(
    "app_user",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    # Random, replaced to end every session of the user (schema version 2, issue 10).
    sa.Column("session_key", sa.String(64), nullable=False),
)


# A table of its own rather than a column of app_user: existing databases get it from
# create_all, with no schema migration.
user_login_table = sa.Table(
    "user_login",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("last_login_ms", sa.BigInteger, nullable=False),
)


admin_audit_table = sa.Table(
    "admin_audit",
    metadata,
    sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
    sa.Column("at_ms", sa.BigInteger, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(256), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # ok, refused, failed
    sa.Column("detail", sa.Text, nullable=False),
    sqlite_autoincrement=True,
)


schema_version_table = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_ms", sa.BigInteger, nullable=False),
)
