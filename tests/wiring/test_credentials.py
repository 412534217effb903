"""`app.py gateway-credentials`: the files it writes, their modes, and what a re-run keeps."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring.registry.credentials import INGEST_USERNAME
from tests.e2e_support import ROOT
from wiring.credentials import write_credentials

FILES = ("passwd", "acl", "hazwatch-auth.conf", "gateways.csv")

REGISTRY = """\
timezone: Asia/Shanghai
enterprises:
{enterprises}
"""
ENTERPRISE = """\
  - id: {enterprise}
    name: Enterprise {enterprise}
    sites:
{sites}
"""
SITE = """\
      - id: {site}
        name: Site {site}
"""


def write_registry(path: Path, *sites: str) -> Path:
    """Write a registry whose sites are given as 'enterprise/site'."""
    by_enterprise: dict[str, list[str]] = {}
    for text in sites:
        enterprise, site = text.split("/")
        by_enterprise.setdefault(enterprise, []).append(site)
    enterprises = "".join(
        ENTERPRISE.format(enterprise=e, sites="".join(SITE.format(site=s) for s in ss).rstrip("\n"))
        for e, ss in by_enterprise.items()
    )
    path.write_text(REGISTRY.format(enterprises=enterprises.rstrip("\n")), encoding="utf-8")
    return path


def run_command(*args: str, umask: int = 0o022) -> subprocess.CompletedProcess:
    """Run `python app.py gateway-credentials ARGS` with the given umask."""
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "gateway-credentials", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("HAZMON_")},
        preexec_fn=lambda: os.umask(umask),
        timeout=60,
    )


def rows(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(out / "gateways.csv", newline="") as f:
        return {(r["enterprise"], r["site"]): r for r in csv.DictReader(f)}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_the_four_files_into_a_private_folder(tmp_path):
    registry = write_registry(tmp_path / "registry.yaml", "e1/s1", "e2/s1", "e2/s2")
    out = tmp_path / "creds"
    # A permissive umask must not widen anything: the passwords are in clear in gateways.csv.
    result = run_command("--registry", str(registry), "--out", str(out), umask=0)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert mode(out) == 0o700
    assert {name: mode(out / name) for name in FILES} == dict.fromkeys(FILES, 0o600)
    table = rows(out)
    assert list(table) == [("ingest", ""), ("e1", "s1"), ("e2", "s1"), ("e2", "s2")]
    assert table[("ingest", "")]["username"] == INGEST_USERNAME
    assert table[("e2", "s2")]["username"] == "gw/e2/s2"
    passwords = [r["password"] for r in table.values()]
    assert len(set(passwords)) == 4 and all(len(p) >= 22 for p in passwords)
    for password in passwords:  # no password in the output or in the broker's files
        assert password not in result.stdout
        assert password not in (out / "passwd").read_text()
    snippet = (out / "hazwatch-auth.conf").read_text()
    assert f"password_file {out.resolve()}/passwd\n" in snippet
    assert f"acl_file {out.resolve()}/acl\n" in snippet
    assert "topic write hazmon/e2/s2/#" in (out / "acl").read_text()


def test_rerun_keeps_passwords_and_rotate_changes_only_the_named_ones(tmp_path):
    registry = write_registry(tmp_path / "registry.yaml", "e1/s1", "e2/s1", "e2/s2")
    out = tmp_path / "creds"
    assert run_command("--registry", str(registry), "--out", str(out)).returncode == 0
    first = rows(out)

    assert run_command("--registry", str(registry), "--out", str(out)).returncode == 0
    assert rows(out) == first

    result = run_command(
        "--registry", str(registry), "--out", str(out), "--rotate", "e2/s1", "--rotate", "ingest"
    )
    assert result.returncode == 0, result.stderr
    assert "rotated: gw/e2/s1" in result.stdout
    third = rows(out)
    changed = {key for key in first if first[key]["password"] != third[key]["password"]}
    assert changed == {("e2", "s1"), ("ingest", "")}
    assert mode(out / "gateways.csv") == 0o600


def test_new_sites_get_users_and_removed_sites_lose_theirs(tmp_path):
    registry = tmp_path / "registry.yaml"
    out = tmp_path / "creds"
    write_registry(registry, "e1/s1", "e2/s1")
    assert run_command("--registry", str(registry), "--out", str(out)).returncode == 0
    first = rows(out)

    write_registry(registry, "e1/s1", "e3/s1")
    result = run_command("--registry", str(registry), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "new: gw/e3/s1" in result.stdout and "removed: gw/e2/s1" in result.stdout
    second = rows(out)
    assert list(second) == [("ingest", ""), ("e1", "s1"), ("e3", "s1")]
    assert second[("e1", "s1")] == first[("e1", "s1")]
    assert "gw/e2/s1" not in (out / "passwd").read_text()
    assert "gw/e2/s1" not in (out / "acl").read_text()


@pytest.mark.parametrize(
    "args",
    [("--rotate", "e9/s1"), ("--rotate", "e1"), ("--topic-root", "hazmon/+")],
)
def test_a_refused_run_changes_nothing(tmp_path, args):
    registry = write_registry(tmp_path / "registry.yaml", "e1/s1")
    out = tmp_path / "creds"
    assert run_command("--registry", str(registry), "--out", str(out)).returncode == 0
    before = {name: (out / name).read_bytes() for name in FILES}
    result = run_command("--registry", str(registry), "--out", str(out), *args)
    assert result.returncode == 2
    assert result.stderr.startswith("hazwatch gateway-credentials:")
    assert {name: (out / name).read_bytes() for name in FILES} == before


def test_a_damaged_gateways_csv_is_never_overwritten(tmp_path):
    registry = write_registry(tmp_path / "registry.yaml", "e1/s1")
    out = tmp_path / "creds"
    assert run_command("--registry", str(registry), "--out", str(out)).returncode == 0
    damaged = (out / "gateways.csv").read_text().replace(",", ";", 3)
    (out / "gateways.csv").write_text(damaged)
    result = run_command("--registry", str(registry), "--out", str(out))
    assert result.returncode == 2 and "first line" in result.stderr
    assert (out / "gateways.csv").read_text() == damaged


def test_registry_is_required(tmp_path):
    result = run_command("--out", str(tmp_path / "creds"))
    assert result.returncode == 2 and "--registry" in result.stderr
    assert not (tmp_path / "creds").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files to another user needs root")
def test_files_the_broker_reads_go_to_the_folders_owner(tmp_path):
    # Mosquitto reads the password file and the ACL as its own user, after dropping root;
    # the clear passwords of gateways.csv stay root's.
    registry = write_registry(tmp_path / "registry.yaml", "e1/s1")
    out = tmp_path / "creds"
    out.mkdir(mode=0o755)
    os.chown(out, 65534, 65534)
    write_credentials(registry, out, "hazmon", [])
    owners = {name: (out / name).stat().st_uid for name in FILES}
    assert owners == {"passwd": 65534, "acl": 65534, "hazwatch-auth.conf": 65534, "gateways.csv": 0}
    assert mode(out) == 0o700 and out.stat().st_uid == 65534
