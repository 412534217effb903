"""The import contracts in `.importlinter` hold, and each one fails when it is broken.

Each probe copies the packages into a temporary folder, adds one module that breaks a
single contract (some only indirectly, through a second module), and runs `lint-imports`
on that contract alone: it must report the probe.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("monitoring", "wiring", "callbacks", "layouts", "simulators")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# contract id -> {new module path: its source}; the first module is the one that breaks it.
PROBES: dict[str, dict[str, str]] = {
    "layers": {"monitoring/storage/probe_up.py": "import monitoring.ingest.pipeline\n"},
    "domain-stays-domain": {"monitoring/registry/probe_pages.py": "import layouts.ids\n"},
    "flask-only-at-the-web-edge": {"monitoring/alarms/probe_flask.py": "import flask\n"},
    "rules-are-pure": {
        "monitoring/rules/probe_db.py": "import monitoring.registry.probe_helper\n",
        "monitoring/registry/probe_helper.py": "import monitoring.db.database\n",
    },
    "edge-is-pure": {"monitoring/edge/probe_db.py": "import monitoring.db.schema\n"},
    "only-ingest-speaks-mqtt": {"monitoring/alarms/probe_mqtt.py": "import paho.mqtt.client\n"},
    "layouts-are-pure": {
        "layouts/probe_db.py": "import monitoring.views.probe_helper\n",
        "monitoring/views/probe_helper.py": "import monitoring.db.database\n",
    },
    "simulators-are-gateways": {"simulators/probe_store.py": "import monitoring.storage.influx\n"},
    "views-without-flask": {"monitoring/views/probe_flask.py": "import flask_login\n"},
}


def lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run lint-imports in `cwd` with its packages first on the path."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def contract_ids() -> list[str]:
    """Return the contract ids declared in .importlinter."""
    text = (ROOT / ".importlinter").read_text()
    return [
        line.split(":", 2)[2].rstrip("]")
        for line in text.splitlines()
        if line.startswith("[importlinter:contract:")
    ]


def test_every_contract_has_a_probe() -> None:
    assert sorted(contract_ids()) == sorted(PROBES)


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize("contract", sorted(PROBES))
def test_a_contract_fails_when_broken(contract: str, tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    probes = PROBES[contract]
    for path, source in probes.items():
        (tmp_path / path).write_text(source)

    result = lint_imports(tmp_path, "--contract", contract)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    breaker = next(iter(probes)).removesuffix(".py").replace("/", ".")
    assert breaker in result.stdout, result.stdout
