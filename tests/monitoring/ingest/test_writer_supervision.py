"""The intake writer cannot die silently: a crash is counted, restarted and shown in health."""

from __future__ import annotations

from types import SimpleNamespace

from monitoring.api.core import ApiContext, health_report
from monitoring.ingest import pipeline as pipeline_module
from monitoring.ingest.pipeline import IntakePipeline
from tests.services import wait_for


class RecordingStore:
    def __init__(self) -> None:
        self.points: list = []

    def write(self, readings, presence) -> None:
        self.points += [*readings, *presence]

    def ping(self) -> bool:
        return True

    def prune(self, older_than_ms: int) -> int:
        return -1


class QuietBooks:
    def record(self, *args) -> None:
        pass

    def heartbeat(self, *args) -> None:
        pass

    def store_rejected(self, reason: str, points: int) -> None:
        pass

    def status(self) -> dict:
        return {}


def make_pipeline(store: RecordingStore, acked: list) -> IntakePipeline:
    return IntakePipeline(
        store=store,  # type: ignore[arg-type]
        spool=None,
        books=QuietBooks(),
        sensor_locations=lambda e, s: {},
        ack=acked.extend,
        batch_max_wait_ms=10,
    )


def health_of(p: IntakePipeline) -> dict:
    ctx = ApiContext(
        users=None,  # type: ignore[arg-type]
        rejects=None,  # type: ignore[arg-type]
        workers=SimpleNamespace(all=lambda: []),  # type: ignore[arg-type]
        store=RecordingStore(),  # type: ignore[arg-type]
        db=None,  # type: ignore[arg-type]
        store_kind="influxdb",
        local_status=lambda: {**p.status(), "worker_id": "w1", "broker_connected": True},
    )
    return health_report(ctx)


def test_a_writer_crash_is_shown_in_health_and_the_writer_comes_back(monkeypatch):
    monkeypatch.setattr(pipeline_module, "WRITER_RESTART_INITIAL_S", 0.05)
    store, acked = RecordingStore(), []
    p = make_pipeline(store, acked)
    real_commit = p._commit
    crashes = []

    def commit_that_crashes_once(batch) -> None:
        if not crashes:
            crashes.append(1)
            raise RuntimeError("bug in the writer")
        real_commit(batch)

    monkeypatch.setattr(p, "_commit", commit_that_crashes_once)
    p.start()
    try:
        payload = b'{"ts": %d, "readings": [{"sensor": "S-1", "value": 1.5}]}'
        now_ms = int(p.clock() * 1000)
        p.offer("hazmon/e1/s1/telemetry", payload % now_ms, (1, 1), now_ms)
        wait_for(lambda: acked == [(1, 1)], 10, what="the batch acknowledged after a restart")
        assert len(store.points) == 1
        health = health_of(p)
        assert health["status"] != "ok"
        assert any("crashed 1 time" in x and "bug in the writer" in x for x in health["problems"])
        assert health["ingest"]["writer_crashes"] == 1
        p.offer("hazmon/e1/s1/telemetry", payload % (now_ms + 1), (2, 1), now_ms)
        wait_for(lambda: acked == [(1, 1), (2, 1)], 10, what="the writer still running")
    finally:
        p.stop()


def test_a_dead_writer_makes_health_degraded():
    store, acked = RecordingStore(), []
    p = make_pipeline(store, acked)
    p.start()
    p.stop()  # the thread is gone, as after an uncaught crash
    p._thread = SimpleNamespace(is_alive=lambda: False)  # type: ignore[assignment]
    health = health_of(p)
    assert health["status"] != "ok"
    assert any("writer is not running" in x for x in health["problems"]), health["problems"]


def test_quarantined_spool_points_make_health_degraded():
    store, acked = RecordingStore(), []
    p = make_pipeline(store, acked)
    p.spool = SimpleNamespace(  # type: ignore[assignment]
        quarantined_points=7, pending_points=lambda: 0, cursor_error=""
    )
    health = health_of(p)
    assert p.status()["quarantined_points"] == 7
    assert health["status"] != "ok"
    assert any("7 spooled points could not be read" in x for x in health["problems"])
