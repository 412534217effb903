"""The data folder is its user's alone; the generated admin password lives there only until used.

The folder holds password hashes and the call log with phone numbers (`hazwatch.db`), the
readings, the spool and journals, the registry the demo writes (contacts' phones), the cookie
signing key and the initial administrator password. `app.py` sets the umask to PRIVATE_UMASK
before anything is created, so new files are 0600 and new folders 0700; `make_private` tightens
what an earlier version created 0644 in 0755.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # app.py imports this module for every command, the simulator's too
    from monitoring.books.users import UserBook

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
INITIAL_PASSWORD_FILE = "initial-admin-password"
INITIAL_PASSWORD_CHECK_S = 30.0  # how soon the file goes after the password was changed
# Only Hazwatch's own names are touched: the data folder may be shared with other files.
PRIVATE_FILES = (
    "hazwatch.db",
    "readings.sqlite",
    "web-secret-key",
    "registry.yaml",
    INITIAL_PASSWORD_FILE,
)
PRIVATE_TREES = ("spool", "journal")
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")  # SQLite's files beside a database


def make_private(data_dir: Path, database_url: str | None = None) -> list[Path]:
    """Make the data folder 0700 and Hazwatch's files in it 0600; return what was changed.

    Never follows a symbolic link, and leaves a shared folder (sticky bit, like /tmp) as it is.
    A SQLite database named by `database_url` outside the folder is tightened too.
    """
    changed: list[Path] = []
    folder_mode = _mode(data_dir)
    if folder_mode is not None and stat.S_ISDIR(folder_mode):
        if folder_mode & stat.S_ISVTX:
            log.warning("data folder %s is shared (sticky bit): give Hazwatch its own", data_dir)
        else:
            _tighten(data_dir, PRIVATE_DIR, changed)
    files = [data_dir / name for name in PRIVATE_FILES]
    database = _sqlite_file(database_url)
    if database is not None:
        files.append(database)
    for path in files:
        for suffix in SQLITE_COMPANIONS:
            _tighten(path.with_name(path.name + suffix), PRIVATE_FILE, changed)
    for tree in PRIVATE_TREES:
        for root, dirs, names in os.walk(data_dir / tree):  # never into linked folders
            _tighten(Path(root), PRIVATE_DIR, changed)
            for name in names:
                _tighten(Path(root) / name, PRIVATE_FILE, changed)
            dirs.sort()
    if changed:
        log.warning(
            "data folder %s: %d files and folders were readable by others, now %o/%o: %s",
            data_dir,
            len(changed),
            PRIVATE_FILE,
            PRIVATE_DIR,
            ", ".join(str(p) for p in changed[:10]) + (" ..." if len(changed) > 10 else ""),
        )
    return changed


def _mode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_mode
    except FileNotFoundError:
        return None


def _tighten(path: Path, mode: int, changed: list[Path]) -> None:
    current = _mode(path)
    if current is None or stat.S_ISLNK(current) or stat.S_IMODE(current) & ~mode == 0:
        return
    try:
        os.chmod(path, stat.S_IMODE(current) & mode)  # not a link: lstat said so above
    except OSError as exc:  # not ours: say so, the start goes on
        log.warning("cannot make %s private: %s", path, exc)
        return
    changed.append(path)


def _sqlite_file(database_url: str | None) -> Path | None:
    if not database_url or not database_url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    name = make_url(database_url).database
    return Path(name) if name and name != ":memory:" else None


def write_initial_password(data_dir: Path, password: str) -> Path:
    """Write the generated administrator password to a file that is 0600 from its first byte."""
    path = data_dir / INITIAL_PASSWORD_FILE
    path.unlink(missing_ok=True)  # one left from an earlier database, perhaps readable by others
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(password + "\n")
    return path


def retire_initial_password(users: UserBook, data_dir: Path) -> bool:
    """Delete the initial password's file once it no longer signs in as 'admin'.

    Returns True when no file remains. The file's password is checked against the user book
    (one Argon2 verification), so any change of the password (by the administrator on a page,
    by another administrator, or of the account itself) retires it.
    """
    path = data_dir / INITIAL_PASSWORD_FILE
    try:
        password = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return True
    if password and users.authenticate("admin", password) is not None:
        return False
    path.unlink(missing_ok=True)
    log.warning("deleted %s: 'admin' no longer signs in with the generated password", path)
    return True


class InitialPasswordWatch:
    """Retire the initial password's file at start and then every `interval_s` until it is gone."""

    def __init__(
        self, users: UserBook, data_dir: Path, interval_s: float = INITIAL_PASSWORD_CHECK_S
    ) -> None:
        self.users = users
        self.data_dir = data_dir
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Check once now; keep checking in the background while the file remains."""
        if self._check():
            return
        self._thread = threading.Thread(
            target=self._run, name="initial-password-watch", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop checking."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            if self._check():
                return

    def _check(self) -> bool:
        try:
            return retire_initial_password(self.users, self.data_dir)
        except Exception as exc:  # the database may be down: try again at the next check
            log.warning("cannot check the initial administrator password yet: %s", exc)
            return False
