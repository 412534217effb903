"""The on-disk spool: order, exact content, bounds, crashes and flat memory."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
import threading
import tracemalloc
import zlib
from pathlib import Path

import pytest

from monitoring.records import PresenceCount, Reading
from monitoring.storage.spool import frames
from monitoring.storage.spool import log as spool_module
from monitoring.storage.spool.log import Spool, SpoolFull, SpoolLocked

T0 = 1_764_381_600_000


def readings(n: int, first: int = 0, sensor: str = "NH3-S-01") -> list[Reading]:
    """Readings whose ts_ms is their position in the stream, so order is easy to check."""
    return [
        Reading(
            "ty-fert",
            "main",
            sensor,
            T0 + i,
            i / 7,
            "good" if i % 5 else "bad",
            "NH3-TANK-S",
            "gas_nh3",
        )
        for i in range(first, first + n)
    ]


def counts(n: int, first: int = 0) -> list[PresenceCount]:
    return [
        PresenceCount(
            "ty-fert",
            "main",
            f"CAM-{i % 3}",
            "NH3-TANK-S",
            T0 + i,
            i % 11,
            None if i % 2 else 0.93,
            None if i % 3 else "https://nvr.example.cn/s/1.jpg",
        )
        for i in range(first, first + n)
    ]


class Recorder:
    """A store stand-in that keeps what it was given and can be told to fail."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.readings: list[Reading] = []
        self.presence: list[PresenceCount] = []
        self.batch_sizes: list[int] = []
        self.fail_on_call = fail_on_call

    def __call__(self, r: list[Reading], p: list[PresenceCount]) -> None:
        if self.fail_on_call is not None and len(self.batch_sizes) + 1 == self.fail_on_call:
            self.fail_on_call = None
            raise ConnectionError("store down")
        self.readings.extend(r)
        self.presence.extend(p)
        self.batch_sizes.append(len(r) + len(p))


@pytest.fixture
def spool_dir(data_dir: Path) -> Path:
    return data_dir / "spool"


@pytest.fixture
def spool(spool_dir: Path):
    s = Spool(spool_dir)
    s.start()
    yield s
    s.close()


def segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.seg"))


def test_replay_preserves_order_and_content_exactly(spool):
    sent_r: list[Reading] = []
    sent_p: list[PresenceCount] = []
    edge = Reading("e", "s", "X", 0, 0.1 + 0.2, "uncertain", "z", "k")  # floats bit-exact
    spool.append([edge], [])
    sent_r.append(edge)
    for k in range(10):
        r, p = readings(30, k * 30), counts(7, k * 7)
        spool.append(r, p)
        sent_r += r
        sent_p += p
    assert spool.pending_points() == 1 + 10 * 37
    assert not spool.is_empty()
    store = Recorder()
    assert spool.replay(store, max_points=100) == 1 + 10 * 37
    assert store.readings == sent_r
    assert store.presence == sent_p
    assert max(store.batch_sizes) <= 100
    assert spool.is_empty() and spool.pending_points() == 0
    assert spool.bytes_used() == 0
    assert spool.replay(store) == 0  # nothing twice


def test_empty_batch_is_not_spooled(spool):
    spool.append([], [])
    assert spool.is_empty() and spool.bytes_used() == 0


def test_failing_write_stops_replay_and_it_resumes_without_loss_or_reordering(spool):
    for k in range(10):
        spool.append(readings(10, k * 10), counts(2, k * 2))
    store = Recorder(fail_on_call=3)
    with pytest.raises(ConnectionError):
        spool.replay(store, max_points=25)
    # Frames of 12 are merged, and split, into batches of exactly 25; the third one failed.
    assert store.batch_sizes == [25, 25]
    assert spool.pending_points() == 120 - 50
    assert spool.replay(store, max_points=25) == 120 - 50
    assert store.readings == readings(100)
    assert store.presence == counts(20)


def test_frame_larger_than_max_points_is_split_and_resumes_mid_frame(spool_dir):
    first = Spool(spool_dir)
    first.start()
    first.append(readings(12_000), counts(500))
    store = Recorder(fail_on_call=2)
    with pytest.raises(ConnectionError):
        first.replay(store, max_points=5000)
    assert store.batch_sizes == [5000]
    first.close()
    # A restart resumes inside the frame, where the failed batch began.
    second = Spool(spool_dir)
    second.start()
    assert second.pending_points() == 12_500 - 5000
    assert second.replay(store, max_points=5000) == 7500
    assert store.batch_sizes == [5000, 5000, 2500]
    assert store.readings == readings(12_000)
    assert store.presence == counts(500)
    second.close()


def test_spool_full_when_bounded_and_room_again_after_replay(spool_dir):
    s = Spool(spool_dir, max_bytes=4096)
    s.start()
    appended = 0
    with pytest.raises(SpoolFull):
        while True:
            s.append(readings(10, appended), [])
            appended += 10
    assert appended > 0
    assert s.bytes_used() <= 4096
    assert s.pending_points() == appended
    store = Recorder()
    s.replay(store)
    assert store.readings == readings(appended)  # what was accepted is all there
    s.append(readings(10, appended), [])
    assert s.pending_points() == 10
    s.close()


def test_restart_finds_pending_data(spool_dir):
    first = Spool(spool_dir)
    first.start()
    first.append(readings(50), counts(5))
    first.close()
    second = Spool(spool_dir)
    second.start()
    assert second.pending_points() == 55
    second.append(readings(50, 50), [])
    store = Recorder()
    assert second.replay(store) == 105
    assert store.readings == readings(100)
    assert store.presence == counts(5)
    second.close()
    third = Spool(spool_dir)
    third.start()
    assert third.is_empty()
    assert third.replay(store) == 0
    third.close()


def test_restart_after_partial_replay_does_not_repeat_written_batches(spool_dir):
    first = Spool(spool_dir)
    first.start()
    for k in range(6):
        first.append(readings(10, k * 10), [])
    store = Recorder(fail_on_call=4)
    with pytest.raises(ConnectionError):
        first.replay(store, max_points=10)
    first.close()
    second = Spool(spool_dir)
    second.start()
    assert second.pending_points() == 30
    second.replay(store, max_points=10)
    assert store.readings == readings(60)
    second.close()


def test_second_owner_of_a_directory_is_refused(spool, spool_dir):
    with pytest.raises(SpoolLocked):
        Spool(spool_dir).start()


@pytest.mark.parametrize("damage", ["garbage", "cut"])
def test_torn_tail_is_truncated_and_good_frames_kept(spool_dir, damage):
    first = Spool(spool_dir)
    first.start()
    for k in range(3):
        first.append(readings(20, k * 20), [])
    first.close()
    [seg] = segments(spool_dir)
    good_size = seg.stat().st_size
    if damage == "garbage":
        with open(seg, "ab") as f:  # a crash after part of a fourth frame reached the disk
            f.write(frames.MAGIC + b"\x10\x00\x00\x00\x01\x00")
        kept = 60
    else:
        with open(seg, "r+b") as f:  # the third frame cut in the middle
            f.truncate(good_size - 7)
        kept = 40
    second = Spool(spool_dir)
    second.start()
    assert second.pending_points() == kept
    assert seg.stat().st_size <= good_size
    second.append(readings(5, 100), [])  # appends go on after the recovered data
    store = Recorder()
    second.replay(store)
    assert store.readings == readings(kept) + readings(5, 100)
    second.close()


@pytest.mark.parametrize("when", ["before start", "while running"])
def test_damaged_older_segment_costs_only_its_own_points(spool_dir, monkeypatch, caplog, when):
    monkeypatch.setattr(spool_module, "SEGMENT_BYTES", 2000)
    s = Spool(spool_dir)
    s.start()
    for k in range(30):
        s.append(readings(20, k * 20), [])
    segs = segments(spool_dir)
    assert len(segs) >= 3
    if when == "before start":
        s.close()
    data = bytearray(segs[1].read_bytes())
    data[frames.HEADER.size + 3] ^= 0xFF  # a bit flip in the first frame of segment 1
    segs[1].write_bytes(bytes(data))
    if when == "before start":
        s = Spool(spool_dir)
        s.start()
    store = Recorder()
    s.replay(store)
    ts = [r.ts_ms - T0 for r in store.readings]
    assert ts == sorted(ts) and len(set(ts)) == len(ts)  # in order, nothing twice
    assert ts[-1] == 599  # later segments all replayed
    assert 0 < len(ts) < 600  # only the damaged segment's points are missing
    assert s.is_empty() and segments(spool_dir) == []
    assert "spool segment" in caplog.text
    s.close()


def test_segments_roll_over_and_are_deleted_as_they_drain(spool_dir, monkeypatch):
    monkeypatch.setattr(spool_module, "SEGMENT_BYTES", 4096)
    s = Spool(spool_dir)
    s.start()
    for k in range(40):
        s.append(readings(50, k * 50), counts(5, k * 5))
    assert len(segments(spool_dir)) >= 4
    assert all(p.stat().st_size <= 4096 for p in segments(spool_dir)[:-1])
    files_seen: list[int] = []
    store = Recorder()

    def write(r: list[Reading], p: list[PresenceCount]) -> None:
        files_seen.append(len(segments(spool_dir)))
        store(r, p)

    s.replay(write, max_points=200)
    assert store.readings == readings(2000)
    assert store.presence == counts(200)
    assert files_seen == sorted(files_seen, reverse=True) and files_seen[-1] < files_seen[0]
    assert segments(spool_dir) == []
    s.close()


def test_append_and_replay_from_two_threads_lose_and_reorder_nothing(spool):
    batches, per_batch = 300, 40
    store = Recorder()
    appended = threading.Event()
    errors: list[BaseException] = []

    def append_all() -> None:
        try:
            for k in range(batches):
                spool.append(readings(per_batch, k * per_batch), [])
        except BaseException as exc:
            errors.append(exc)
        finally:
            appended.set()

    def replay_until_drained() -> None:
        try:
            while not (appended.is_set() and spool.is_empty()):
                spool.replay(store, max_points=100)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=append_all), threading.Thread(target=replay_until_drained)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[0]
    assert store.readings == readings(batches * per_batch)


def test_memory_stays_flat_while_replaying_a_large_spool(spool_dir, monkeypatch):
    monkeypatch.setattr(spool_module, "SEGMENT_BYTES", 256 * 1024)
    s = Spool(spool_dir)
    s.start()
    total = 200_000
    for k in range(0, total, 2000):
        s.append(readings(2000, k, sensor=f"S-{k % 97}"), [])
    assert len(segments(spool_dir)) >= 3
    assert s.pending_points() == total
    state = {"next": 0, "batches": 0, "largest": 0}

    def write(r: list[Reading], p: list[PresenceCount]) -> None:
        # Check order on the fly and keep nothing, as a store would.
        assert [x.ts_ms - T0 for x in r] == list(range(state["next"], state["next"] + len(r)))
        state["next"] += len(r)
        state["batches"] += 1
        state["largest"] = max(state["largest"], len(r) + len(p))

    tracemalloc.start()
    try:
        s.replay(write, max_points=5000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert state["next"] == total
    assert state["largest"] <= 5000
    assert state["batches"] >= total // 5000
    # 5,000 decoded readings take about 2.5 MB, so the whole spool held at once would be
    # about 100 MB; replay measured about 6 MB at its peak.
    assert peak < 20 * 1024 * 1024, f"replay peaked at {peak} bytes"
    s.close()


APPENDER = """
import sys
from monitoring.storage.spool import log as spool_module
from tests.monitoring.storage.test_spool import readings

spool_module.SEGMENT_BYTES = int(sys.argv[2])  # several segments
spool = spool_module.Spool(sys.argv[1])
spool.start()
k = 0
while True:
    spool.append(readings(100, k * 100), [])
    print(k, flush=True)  # acknowledged: the batch is durable
    k += 1
"""


def test_sigkill_during_appends_loses_no_acknowledged_batch(spool_dir):
    child = subprocess.Popen(
        [sys.executable, "-c", APPENDER, str(spool_dir), "8192"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[3],
    )
    acknowledged = -1
    try:
        for line in child.stdout:
            acknowledged = int(line)
            if acknowledged >= 300:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    assert acknowledged >= 300, "the appender died early"
    assert len(segments(spool_dir)) > 2
    s = Spool(spool_dir)
    s.start()  # the dead process's lock is gone with it
    store = Recorder()
    s.replay(store)
    batches = len(store.readings) // 100
    assert batches >= acknowledged + 1  # every acknowledged batch, maybe one more
    assert store.readings == readings(batches * 100)
    s.close()


# -- intact but unreadable frames (issue 9, case 3) ----------------------------------------

UNREADABLE = {
    "not-zlib": b"\x00 these bytes were never compressed",
    "not-json": zlib.compress(b"[[not json"),
    "wrong-row-shape": zlib.compress(json.dumps([[["ty-fert", "main", "X"]], []]).encode()),
}


def intact_frame(payload: bytes, points: int) -> bytes:
    """Return a frame whose checksum is right but whose payload is `payload` as given."""
    crc = zlib.crc32(payload, zlib.crc32(frames.COUNTS.pack(len(payload), points)))
    return frames.HEADER.pack(frames.MAGIC, len(payload), points, crc) + payload


@pytest.mark.parametrize("payload", UNREADABLE.values(), ids=UNREADABLE.keys())
@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_an_intact_but_unreadable_frame_is_quarantined_and_replay_goes_on(
    spool_dir, monkeypatch, caplog, payload, position
):
    s = Spool(spool_dir)
    s.start()
    before = [readings(10, 0)] if position != "first" else []
    after = [readings(10, 100), readings(5, 200)] if position != "last" else []
    for batch in before:
        s.append(batch, counts(2, len(batch)))
    with monkeypatch.context() as m:
        m.setattr(spool_module, "encode_frame", lambda r, p: intact_frame(payload, 7))
        s.append(readings(7, 50), [])  # what the bad frame claims to hold
    for batch in after:
        s.append(batch, [])
    assert s.pending_points() == sum(map(len, before + after)) + 2 * len(before) + 7

    store = Recorder()
    written = s.replay(store, max_points=100)
    assert store.readings == [r for batch in before + after for r in batch]
    assert store.presence == (counts(2, 10) if before else [])
    assert written == len(store.readings) + len(store.presence)
    assert s.is_empty() and s.pending_points() == 0
    assert s.quarantined_points == 7
    quarantined = sorted(p.name for p in (spool_dir / spool_module.QUARANTINE_DIR).iterdir())
    assert len(quarantined) == 2
    frame_file, reason_file = (spool_dir / spool_module.QUARANTINE_DIR / n for n in quarantined)
    assert frame_file.suffix == ".frame" and reason_file.suffix == ".reason"
    assert frame_file.read_bytes() == payload  # kept as it was, for a person to look at
    reason = reason_file.read_text()
    assert reason.startswith("7 points of spool segment") and "could not be decoded" in reason
    assert "unreadable" in caplog.text

    s.append(readings(3, 300), [])  # appends go on after a quarantine, even of the last frame
    assert s.replay(store) == 3 and store.readings[-3:] == readings(3, 300)
    s.close()
    again = Spool(spool_dir)  # a restart neither replays nor loses the quarantined frame
    again.start()
    assert again.is_empty() and again.replay(Recorder()) == 0
    assert len(list((spool_dir / spool_module.QUARANTINE_DIR).iterdir())) == 2
    again.close()


def test_a_frame_that_fails_mid_batch_is_handed_over_after_the_good_frames_before_it(
    spool_dir, monkeypatch
):
    s = Spool(spool_dir)
    s.start()
    s.append(readings(4, 0), [])
    with monkeypatch.context() as m:
        m.setattr(spool_module, "encode_frame", lambda r, p: intact_frame(b"junk", 3))
        s.append(readings(3, 10), [])
    s.append(readings(4, 20), [])
    store = Recorder()
    assert s.replay(store, max_points=1000) == 8
    # The good frame before the bad one is a batch of its own; nothing is merged or lost.
    assert store.batch_sizes == [4, 4]
    assert store.readings == readings(4, 0) + readings(4, 20)
    assert s.quarantined_points == 3
    s.close()


# -- a full disk (issue 9, case 5) ---------------------------------------------------------


def test_replay_on_a_full_disk_keeps_its_cursor_in_memory_and_frees_the_disk(
    small_disk, monkeypatch
):
    monkeypatch.setattr(spool_module, "SEGMENT_BYTES", 128 * 1024)  # several segments
    directory = small_disk.mountpoint / "spool"
    s = Spool(directory)
    s.start()
    small_disk.fill(leave=700 * 1024)
    appended = 0
    with pytest.raises(OSError) as full:
        while True:
            s.append(readings(500, appended), [])
            appended += 500
    assert full.value.errno == errno.ENOSPC
    assert len(segments(directory)) >= 3
    small_disk.fill()  # to the last byte: not even the cursor's temp file fits now
    store = Recorder()
    cursor_errors: list[str] = []

    def write(r: list[Reading], p: list[PresenceCount]) -> None:
        cursor_errors.append(s.cursor_error)
        store(r, p)

    # Before issue 9 case 5: OSError ENOSPC out of replay after its first batch.
    assert s.replay(write, max_points=500) == appended
    assert store.readings == readings(appended)
    assert any("No space left" in e for e in cursor_errors), cursor_errors[:3]
    assert s.is_empty() and segments(directory) == []
    assert s.cursor_error == ""  # saved again once a drained segment freed the disk
    s.append(readings(10, appended), [])  # room again
    s.close()
    again = Spool(directory)
    again.start()
    assert again.pending_points() == 10
    again.close()


def test_a_cursor_that_was_not_saved_never_makes_a_restart_skip_new_batches(spool_dir, monkeypatch):
    first = Spool(spool_dir)
    first.start()
    for first_index in (0, 10, 20):
        first.append(readings(10, first_index), [])
    # The first frame is written and the cursor saved after it; then the disk fills up.
    with pytest.raises(ConnectionError):
        first.replay(Recorder(fail_on_call=2), max_points=10)
    real_write_text = Path.write_text

    def disk_full(path: Path, *args, **kwargs) -> int:
        if path.name.startswith("cursor"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write_text(path, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(Path, "write_text", disk_full)
        assert first.replay(Recorder(), max_points=10) == 20
        assert first.is_empty() and segments(spool_dir) == []
        assert "No space left" in first.cursor_error
        first.close()  # still no room: the cursor on disk names the deleted segment
    second = Spool(spool_dir)
    second.start()
    # A frame of the same size as the one the stale cursor skips, then two more.
    new = [readings(10, 0), readings(10, 200), readings(10, 210)]
    for batch in new:
        second.append(batch, [])
    second.close()  # as after a crash: nothing replayed, the cursor file untouched
    third = Spool(spool_dir)
    third.start()
    store = Recorder()
    third.replay(store)
    assert store.readings == [r for batch in new for r in batch]
    third.close()
