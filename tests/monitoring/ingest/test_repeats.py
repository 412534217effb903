"""A repeated (sensor, ts) keeps its first value; only a later, different value is refused."""

from __future__ import annotations

import pytest

from monitoring.edge.parse import parse_message
from monitoring.ingest.pipeline import IntakePipeline
from monitoring.ingest.repeats import CONFLICTING_REPEAT, RepeatDetector
from monitoring.records import REJECTION_CODES, ParsedMessage, Reading
from tests.services import wait_for

T0 = 1_764_381_600_000  # 2025-11-29T02:00:00.000Z


def telemetry(*readings: tuple[str, int, float], site: str = "s1", enterprise: str = "e1"):
    """A parsed telemetry message of (sensor, ts, value) readings, as the edge builds it."""
    records = tuple(Reading(enterprise, site, sensor, ts, value) for sensor, ts, value in readings)
    return ParsedMessage("telemetry", enterprise, site, records)


def stored(parsed: ParsedMessage) -> list[tuple[str, int, float]]:
    return [(r.sensor, r.ts_ms, r.value) for r in parsed.records]  # type: ignore[union-attr]


def test_new_readings_pass_untouched():
    detector = RepeatDetector()
    message = telemetry(("A", T0, 1.0), ("B", T0, 2.0))
    assert detector.screen(message) is message
    later = telemetry(("A", T0 + 1000, 1.5), ("B", T0 + 1000, 2.5))
    assert detector.screen(later) is later


def test_a_redelivered_message_is_harmless_and_passes():
    detector = RepeatDetector()
    detector.screen(telemetry(("A", T0, 1.0), ("B", T0, 2.0)))
    detector.screen(telemetry(("A", T0 + 1000, 1.1)))
    redelivered = telemetry(("A", T0, 1.0), ("B", T0, 2.0))
    screened = detector.screen(redelivered)
    assert screened is redelivered and not screened.partial_rejections


def test_a_different_value_for_a_seen_sensor_and_time_is_refused_alone():
    detector = RepeatDetector()
    detector.screen(telemetry(("A", T0, 1.0), ("B", T0, 2.0)))
    screened = detector.screen(telemetry(("B", T0 + 5, 3.0), ("A", T0, 7.5), ("C", T0, 4.0)))
    assert stored(screened) == [("B", T0 + 5, 3.0), ("C", T0, 4.0)]
    (rejection,) = screened.partial_rejections
    assert rejection.code == CONFLICTING_REPEAT and rejection.code in REJECTION_CODES
    detail = rejection.detail
    assert "sensor A" in detail and str(T0) in detail and "2025-11-29T02:00:00.000Z" in detail
    assert "value 7.5 refused" in detail and "first value 1.0 is kept" in detail


def test_the_first_value_stays_the_reference_for_every_later_repeat():
    detector = RepeatDetector()
    detector.screen(telemetry(("A", T0, 1.0)))
    assert stored(detector.screen(telemetry(("A", T0, 2.0)))) == []
    again = detector.screen(telemetry(("A", T0, 2.0)))
    assert stored(again) == [] and "first value 1.0" in again.partial_rejections[0].detail
    assert stored(detector.screen(telemetry(("A", T0, 1.0)))) == [("A", T0, 1.0)]


def test_a_different_quality_at_the_same_time_is_a_conflict_too():
    detector = RepeatDetector()
    detector.screen(telemetry(("A", T0, 1.0)))
    bad = ParsedMessage("telemetry", "e1", "s1", (Reading("e1", "s1", "A", T0, 1.0, "bad"),))
    screened = detector.screen(bad)
    assert screened.records == ()
    assert "value 1.0 (bad) refused, the first value 1.0 is kept" in (
        screened.partial_rejections[0].detail
    )


def test_repeats_within_one_message_are_caught():
    detector = RepeatDetector()
    screened = detector.screen(telemetry(("A", T0, 1.0), ("A", T0, 2.0), ("A", T0, 1.0)))
    assert stored(screened) == [("A", T0, 1.0), ("A", T0, 1.0)]
    assert [r.code for r in screened.partial_rejections] == [CONFLICTING_REPEAT]


def test_repeats_across_messages_of_one_batch_are_caught_by_a_real_parse():
    detector = RepeatDetector()
    topic = "hazmon/e1/s1/telemetry"
    first = parse_message(topic, b'{"ts": %d, "sensor": "A", "value": 1}' % T0, T0 + 10)
    second = parse_message(topic, b'{"ts": %d, "sensor": "A", "value": 2}' % T0, T0 + 20)
    assert detector.screen(first) is first
    assert detector.screen(second).records == ()


def test_out_of_order_readings_are_remembered_and_their_repeats_checked():
    detector = RepeatDetector()
    detector.screen(telemetry(("A", T0 + 10_000, 1.0)))
    late = telemetry(("A", T0, 0.5), ("A", T0 + 5000, 0.7))  # backfill older than the newest
    assert detector.screen(late) is late
    assert stored(detector.screen(telemetry(("A", T0 + 5000, 9.9)))) == []
    assert stored(detector.screen(telemetry(("A", T0, 9.9)))) == []
    # The newest is still the newest: its repeat is checked, and a newer reading passes.
    assert stored(detector.screen(telemetry(("A", T0 + 10_000, 9.9)))) == []
    assert stored(detector.screen(telemetry(("A", T0 + 10_001, 9.9)))) == [("A", T0 + 10_001, 9.9)]


def test_the_same_sensor_id_at_another_site_or_enterprise_is_another_sensor():
    detector = RepeatDetector()
    detector.screen(telemetry(("A", T0, 1.0)))
    for other in (telemetry(("A", T0, 2.0), site="s2"), telemetry(("A", T0, 3.0), enterprise="e2")):
        assert detector.screen(other) is other


def test_other_kinds_of_message_pass_untouched():
    detector = RepeatDetector()
    status = parse_message("hazmon/e1/s1/status", b"online", T0)
    assert detector.screen(status) is status


def test_the_window_is_the_last_timestamps_of_each_sensor():
    detector = RepeatDetector(window=4, memory=100, min_window=2, sweep_every=1)
    for i in range(10):
        detector.screen(telemetry(("A", T0 + i, float(i)), ("B", T0 + i, float(i))))
    # Remembered: the last four of each sensor (plus at most two received since the last
    # trim); an older repeat is beyond the window.
    assert stored(detector.screen(telemetry(("A", T0 + 6, 0.0)))) == []
    beyond = telemetry(("A", T0 + 3, 0.0))
    assert detector.screen(beyond) is beyond  # not detected: documented limit
    assert detector.remembered() <= 2 * 4 + 2


def test_memory_is_bounded_by_sharing_it_out_then_by_forgetting_the_first_sensors():
    detector = RepeatDetector(window=8, memory=64, min_window=2, sweep_every=1)
    for i in range(4):  # 16 sensors: 64 // 16 = 4 readings each
        detector.screen(telemetry(*((f"S{n}", T0 + i, 1.0) for n in range(16))))
    assert detector.sensors == 16
    assert detector.remembered() <= 64 + 2 * 16
    for n in range(16, 40):  # past 64 // 2 = 32 sensors the first seen are forgotten
        detector.screen(telemetry((f"S{n}", T0, 1.0)))
    assert detector.sensors == 32
    forgotten = telemetry(("S0", T0, 5.0))
    assert detector.screen(forgotten) is forgotten  # S0 was forgotten: not detected
    assert stored(detector.screen(telemetry(("S39", T0, 5.0)))) == []


def test_bounds_are_checked():
    with pytest.raises(ValueError):
        RepeatDetector(window=4, min_window=8)


class RecordingStore:
    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def write(self, readings, presence) -> None:
        self.readings += readings

    def ping(self) -> bool:
        return True

    def prune(self, older_than_ms: int) -> int:
        return -1


class RecordingBooks:
    def __init__(self) -> None:
        self.rejects: list = []

    def record(self, rejects, permits, statuses, unregistered) -> None:
        self.rejects += rejects

    def heartbeat(self, *args) -> None:
        pass

    def status(self) -> dict[str, object]:
        return {}


def test_the_pipeline_stores_the_first_value_and_logs_and_counts_the_conflict():
    store, books, acked = RecordingStore(), RecordingBooks(), []
    pipeline = IntakePipeline(
        store=store,  # type: ignore[arg-type]
        spool=None,
        books=books,  # type: ignore[arg-type]
        sensor_locations=lambda e, s: {},
        ack=acked.extend,
        batch_max_wait_ms=10,
    )
    topic = "hazmon/e1/s1/telemetry"
    now = T0 + 60_000
    first = b'{"ts": %d, "readings": [{"sensor": "A", "value": 1.5}, {"sensor": "B", "value": 2}]}'
    second = b'{"ts": %d, "readings": [{"sensor": "A", "value": 9.5}, {"sensor": "C", "value": 3}]}'
    pipeline.start()
    try:
        pipeline.offer(topic, first % T0, (1, 1), now)
        pipeline.offer(topic, first % T0, (2, 1), now)  # a redelivery: harmless
        pipeline.offer(topic, second % T0, (3, 1), now)
        wait_for(lambda: len(acked) == 3, 10, what="all three messages acknowledged")
    finally:
        pipeline.stop()
    values = [(r.sensor, r.value) for r in store.readings]
    assert values == [("A", 1.5), ("B", 2.0), ("A", 1.5), ("B", 2.0), ("C", 3.0)]
    (reject,) = books.rejects
    assert (reject.topic, reject.code) == (topic, CONFLICTING_REPEAT)
    assert "sensor A" in reject.reason and str(T0) in reject.reason
    assert "9.5 refused" in reject.reason and "1.5 is kept" in reject.reason
    status = pipeline.status()
    assert status["rejected_readings"] == 1 and status["rejected"] == 0
    assert status["rejected_by_code"] == {CONFLICTING_REPEAT: 1}
