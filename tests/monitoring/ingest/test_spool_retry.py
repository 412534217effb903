"""A batch the full spool refuses is retried at a steady pace, with replays in between.

Issue 9, case 5, on the intake pipeline itself with a real InfluxDB and a real spool: the
spool's bound is reached while InfluxDB is down; messages that keep arriving must not turn
the retry into a spin, health must name the full spool, and once InfluxDB answers every
reading must be stored without restarting anything.
"""

from __future__ import annotations

import json
import logging
import random
import time

import pytest

from monitoring.ingest.pipeline import IntakePipeline
from monitoring.storage import influx as influx_module
from monitoring.storage.influx import InfluxStore
from monitoring.storage.spool.log import Spool
from tests.monitoring.ingest.test_writer_supervision import QuietBooks, health_of
from tests.services import wait_for

pytestmark = pytest.mark.services

PER_MESSAGE = 50


class Feed:
    """Offer telemetry messages with random values and their own timestamps; keep them."""

    def __init__(self, p: IntakePipeline) -> None:
        self.p = p
        self.sent: dict[int, float] = {}  # timestamp (ms) -> value
        self.tokens: list[tuple[int, int]] = []
        self.ts0 = int(p.clock() * 1000) - 3_600_000
        self.rng = random.Random(5)

    def offer(self) -> None:
        ts = self.ts0 + len(self.sent)
        readings = [
            {"sensor": "S-1", "value": round(self.rng.random() * 100, 6), "ts": ts + j}
            for j in range(PER_MESSAGE)
        ]
        token = (len(self.tokens) + 1, 1)
        self.p.offer(
            "hazmon/e1/s1/telemetry", json.dumps({"ts": ts, "readings": readings}).encode(), token
        )
        self.tokens.append(token)
        self.sent.update((r["ts"], r["value"]) for r in readings)


def retries_logged(caplog) -> int:
    return sum(r.getMessage().startswith("cannot make ") for r in caplog.records)


def test_a_spool_at_its_bound_is_retried_steadily_and_replayed_when_the_store_returns(
    tmp_path, influx_factory, influx_db_name, monkeypatch, caplog
):
    monkeypatch.setattr(influx_module, "WRITE_RETRY_DEADLINE_S", 1.0)
    influx = influx_factory()
    influx.start()
    store = InfluxStore(influx.url, influx_db_name)
    store.start()
    influx.stop()
    spool = Spool(tmp_path / "spool", max_bytes=32 * 1024)
    spool.start()
    acked: list[tuple[int, int]] = []
    p = IntakePipeline(
        store=store,
        spool=spool,
        books=QuietBooks(),
        sensor_locations=lambda e, s: {},
        ack=acked.extend,
        batch_max_wait_ms=10,
        batch_max_messages=5,  # every message past the fifth wakes the writer
    )
    feed = Feed(p)
    p.start()
    try:
        caplog.set_level(logging.ERROR, logger="monitoring")

        def spool_full() -> bool:
            feed.offer()
            return bool(p.status().get("spool_full"))

        wait_for(spool_full, 30, interval=0.02, what="the spool at its bound")
        assert spool.bytes_used() > 16 * 1024, "the bound, not one oversized batch, refuses"
        health = health_of(p)
        assert health["status"] != "ok"
        assert any("spool full" in x and "not acknowledged" in x for x in health["problems"])

        # Messages keep arriving, each one notifying the writer: the retry must not spin.
        before = retries_logged(caplog)
        started = time.monotonic()
        for _ in range(300):
            feed.offer()  # notifies the writer's condition (more than 5 messages wait)
            time.sleep(0.01)
        elapsed = time.monotonic() - started
        retries = retries_logged(caplog) - before
        # Before issue 9 case 5: one per wake-up, 298 in 3.3 s. Now about one a second (3).
        assert 1 <= retries <= elapsed + 2, f"{retries} retries in {elapsed:.1f} s"

        influx.start()  # nothing is restarted
        wait_for(lambda: len(acked) == len(feed.tokens), 60, what="every message acknowledged")
        series = influx.query(influx_db_name, 'SELECT "value" FROM "reading"')
        held = {t: v for s in series for t, v in s["values"]} if series else {}
        lost = [t for t, v in feed.sent.items() if held.get(t) != v]
        assert not lost, f"{len(lost)} of {len(feed.sent)} readings not stored"
        assert spool.is_empty()
        status = p.status()
        assert status["spool_full"] is False and status["spool_error"] == ""
        assert not any("spool" in x for x in health_of(p)["problems"])
    finally:
        p.stop()
        spool.close()
        store.close()
