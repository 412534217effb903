"""The data folder is private, and the generated admin password's file lives only until used."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from monitoring.books.users import UserBook
from monitoring.db.database import Database
from tests.services import wait_for
from wiring.datadir import (
    INITIAL_PASSWORD_FILE,
    InitialPasswordWatch,
    make_private,
    retire_initial_password,
    write_initial_password,
)


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_make_private_tightens_hazwatchs_files_and_leaves_others_alone(tmp_path, caplog) -> None:
    data = tmp_path / "data"
    (data / "spool" / "quarantine").mkdir(parents=True)
    (data / "journal" / "intake").mkdir(parents=True)
    owned = [
        data / "hazwatch.db",
        data / "hazwatch.db-wal",
        data / "readings.sqlite-shm",
        data / "web-secret-key",
        data / "registry.yaml",
        data / "spool" / "00000001.seg",
        data / "journal" / "intake" / "00000001.jnl",
    ]
    for path in [*owned, data / "notes.txt", tmp_path / "elsewhere"]:
        path.write_text("x")
        path.chmod(0o644)
    (data / "initial-admin-password").symlink_to(tmp_path / "elsewhere")
    for folder in (data, data / "spool", data / "spool" / "quarantine", data / "journal"):
        folder.chmod(0o755)
    outside_db = tmp_path / "other.db"
    outside_db.write_text("x")
    outside_db.chmod(0o644)

    with caplog.at_level(logging.WARNING, logger="wiring.datadir"):
        changed = make_private(data, f"sqlite:///{outside_db}")

    assert all(mode(p) == 0o600 for p in [*owned, outside_db])
    assert mode(data) == mode(data / "spool" / "quarantine") == 0o700
    assert mode(data / "notes.txt") == 0o644  # not Hazwatch's
    assert mode(tmp_path / "elsewhere") == 0o644  # a link is never followed
    assert len(changed) == len(owned) + 1 + 5  # the files, outside_db, five folders
    assert "readable by others" in caplog.text
    caplog.clear()
    assert make_private(data) == [] and caplog.text == ""  # nothing to say the second time


def test_a_shared_folder_keeps_its_mode(tmp_path, caplog) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with caplog.at_level(logging.WARNING, logger="wiring.datadir"):
        make_private(shared)
    assert mode(shared) == 0o1777 and "shared (sticky bit)" in caplog.text


def test_the_initial_password_is_private_and_never_written_through_a_link(tmp_path) -> None:
    target = tmp_path / "target"
    target.write_text("")
    (tmp_path / INITIAL_PASSWORD_FILE).symlink_to(target)
    old = os.umask(0)  # even with a permissive umask
    try:
        path = write_initial_password(tmp_path, "generated-password")
    finally:
        os.umask(old)
    assert path.read_text() == "generated-password\n" and not path.is_symlink()
    assert mode(path) == 0o600
    assert target.read_text() == ""


@pytest.fixture
def users(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    yield UserBook(db)
    db.close()


def test_the_file_is_deleted_once_the_password_no_longer_signs_in(tmp_path, users) -> None:
    generated = users.ensure_admin(None, 0)
    write_initial_password(tmp_path, generated)
    assert retire_initial_password(users, tmp_path) is False
    assert (tmp_path / INITIAL_PASSWORD_FILE).exists()
    users.set_password("admin", "the-admin-chose-this-1")
    assert retire_initial_password(users, tmp_path) is True
    assert not (tmp_path / INITIAL_PASSWORD_FILE).exists()
    assert retire_initial_password(users, tmp_path) is True  # no file: nothing to do


def test_the_watch_retires_the_file_while_running(tmp_path, users) -> None:
    write_initial_password(tmp_path, users.ensure_admin(None, 0))
    watch = InitialPasswordWatch(users, tmp_path, interval_s=0.05)
    watch.start()
    try:
        assert (tmp_path / INITIAL_PASSWORD_FILE).exists()
        users.set_password("admin", "the-admin-chose-this-1")
        wait_for(lambda: not (tmp_path / INITIAL_PASSWORD_FILE).exists(), 5, what="deletion")
    finally:
        watch.stop()
