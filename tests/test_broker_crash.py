"""What a broker crash costs with the shipped deploy/mosquitto.conf, reading by reading.

Mosquitto 2.0 keeps queued messages in memory and saves a snapshot of them. The shipped
config saves after every `autosave_interval` changes (`autosave_on_changes true`), so a
SIGKILL loses at most that many acknowledged messages; the old `autosave_interval 30`
(seconds) lost everything queued since the last save. A graceful stop saves and loses nothing.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.deployed_broker import DeployedMosquitto, publish_indexed, shipped_setting
from tests.e2e_support import HazwatchProcess, write_registry
from tests.services import InfluxServer, wait_for

pytestmark = pytest.mark.services

MESSAGES = 150_000  # one reading each, queued while the ingest is away: more than a save
# What README's "No data loss" promises for a broker SIGKILL: at most this many of the
# messages it had acknowledged. It is the shipped autosave_interval (changes between saves).
CRASH_LOSS_BOUND = 100_000


@pytest.fixture
def stack(tmp_path, mosquitto_binary, influx_factory, influx_db_name):
    broker = DeployedMosquitto(tmp_path / "mosquitto", mosquitto_binary)
    influx = influx_factory()
    broker.start()
    influx.start()
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=broker.url,
        influx_url=influx.url,
        influx_db=influx_db_name,
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    yield broker, influx, app, influx_db_name
    app.stop()
    broker.stop()


def influx_base_ts() -> int:
    """Return a start time one hour ago: well inside the retention policy."""
    return int(time.time() * 1000) - 3_600_000


def stored_times(influx: InfluxServer, db: str) -> set[int]:
    """Return the time (ms) of every stored reading (each test has its own database)."""
    series = influx.query(db, 'SELECT "value" FROM "reading"')
    return {row[0] for s in series for row in s["values"]}


def queue_while_ingest_away(broker: DeployedMosquitto, app: HazwatchProcess, base_ts: int) -> None:
    """Create the ingest's session, save it, then queue MESSAGES readings while it is away."""
    app.start()  # subscribes with its persistent session
    app.stop()
    broker.stop()  # a graceful stop saves: the session existed before the crash
    broker.start()
    acked, _ = publish_indexed(broker.port, base_ts, MESSAGES)
    assert acked == MESSAGES, "the broker did not acknowledge every publish"


def deliver_and_count(
    broker: DeployedMosquitto, influx: InfluxServer, app: HazwatchProcess, db: str, base_ts: int
) -> list[int]:
    """Start the ingest, wait until the broker's queue reached the store; return lost indices."""
    app.start()
    # The sentinel queues behind everything the broker restored for the session: once it is
    # stored, every restored message has been delivered.
    sentinel = base_ts + MESSAGES + 1000
    assert publish_indexed(broker.port, sentinel, 1)[0] == 1
    wait_for(lambda: sentinel in stored_times(influx, db), 60, what="the sentinel reading")
    wait_for(lambda: app.health()["ingest"]["pending"] == 0, 30, what="the ingest to drain")
    stored = stored_times(influx, db)
    return [i for i in range(MESSAGES) if base_ts + i not in stored]


def test_broker_sigkill_loses_at_most_the_documented_bound(stack):
    broker, influx, app, db = stack
    base_ts = influx_base_ts()
    queue_while_ingest_away(broker, app, base_ts)
    broker.kill()
    broker.start()  # on the same persistence file
    lost = deliver_and_count(broker, influx, app, db, base_ts)
    print(f"published {MESSAGES}, acknowledged {MESSAGES}, lost {len(lost)}")
    assert len(lost) <= CRASH_LOSS_BOUND, (
        f"a broker SIGKILL lost {len(lost)} of {MESSAGES} acknowledged readings "
        f"(bound {CRASH_LOSS_BOUND}); first lost index {lost[0]}"
    )
    # Only the newest messages can be lost: those acknowledged after the last save.
    assert lost == list(range(MESSAGES - len(lost), MESSAGES))
    assert shipped_setting("autosave_on_changes") == "true"
    assert shipped_setting("autosave_interval") == str(CRASH_LOSS_BOUND)


def test_graceful_broker_restart_loses_nothing(stack):
    broker, influx, app, db = stack
    base_ts = influx_base_ts()
    queue_while_ingest_away(broker, app, base_ts)
    broker.stop()  # SIGTERM: Mosquitto saves its database on the way out
    broker.start()
    assert deliver_and_count(broker, influx, app, db, base_ts) == []
