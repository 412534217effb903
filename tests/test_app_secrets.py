"""`app.py` refuses secrets given as command-line options (issue 10: visible to anyone in `ps`).

Before (release code): `--admin-password`, `--secret-key`, `--influx-password` and
`--mqtt-password` were accepted and the process started with them in its command line.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e_support import ROOT


@pytest.mark.parametrize(
    ("option", "variable"),
    [("--admin-password", "HAZMON_ADMIN_PASSWORD"), ("--secret-key", "HAZMON_SECRET_KEY")],
)
def test_a_secret_option_stops_the_program_with_where_to_put_it(tmp_path, option, variable):
    command = [sys.executable, str(ROOT / "app.py"), "web", "--data-dir", str(tmp_path)]
    done = subprocess.run(
        [*command, option, "a-long-enough-secret-1", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{option} is refused" in done.stderr and variable in done.stderr
    assert f"{option}-file FILE" in done.stderr
    assert not (tmp_path / "hazwatch.db").exists()  # refused before anything started
