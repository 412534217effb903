"""`python app.py gateway-credentials`: write the broker's users, ACL and gateways.csv.

app.py gateway-credentials --registry registry.yaml --out /etc/mosquitto/hazwatch.d
app.py gateway-credentials ... --rotate ty-fert/south --rotate ingest

Contract section 8 and README "Security": every registry site gets the user
`gw/{enterprise}/{site}`, allowed to publish only under `{root}/{enterprise}/{site}/#`; the
ingest gets `hazwatch-ingest`, allowed to read `{root}/#`. A re-run keeps every password of
the existing gateways.csv unless `--rotate` names its gateway.
"""

from __future__ import annotations

import argparse
import os
import pwd
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from monitoring.registry.credentials import (
    ACL_FILE,
    GATEWAYS_FILE,
    PASSWORD_FILE,
    SNIPPET_FILE,
    CredentialsError,
    UserPlan,
    check_topic_root,
    format_acl,
    format_gateways_csv,
    format_password_file,
    format_snippet,
    parse_gateways_csv,
    parse_rotate,
    plan_users,
)
from monitoring.registry.loader import RegistryError, load_registry
from monitoring.settings import SettingsError, load_settings

BROKER_USER = "mosquitto"  # the user Debian's Mosquitto drops to after start


@dataclass(frozen=True)
class Written:
    """What one run wrote: the folder and the users (no passwords)."""

    out_dir: Path
    plan: UserPlan


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's options to its parser."""
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--config", type=Path, help="YAML file with settings")
    parser.add_argument(
        "--registry",
        type=Path,
        help="registry YAML file (contract section 4) [env HAZMON_REGISTRY]",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder to write into (made mode 700)"
    )
    parser.add_argument(
        "--rotate",
        action="append",
        default=[],
        metavar="ENTERPRISE/SITE",
        help="give this gateway a new password (repeatable; 'ingest' for the ingest's user)",
    )
    parser.add_argument("--topic-root", help="topic root (default hazmon) [env HAZMON_TOPIC_ROOT]")


def run(args: argparse.Namespace) -> int:
    """Run the command; print what changed (never a password) and return the exit code."""
    try:
        settings = load_settings(
            {"config": args.config, "registry": args.registry, "topic_root": args.topic_root}
        )
        if settings.registry is None:
            raise CredentialsError("--registry (or HAZMON_REGISTRY) is required")
        written = write_credentials(settings.registry, args.out, settings.topic_root, args.rotate)
    except (SettingsError, RegistryError, CredentialsError, OSError) as exc:
        print(f"hazwatch gateway-credentials: {exc}", file=sys.stderr)
        return 2
    plan = written.plan
    print(
        f"wrote {written.out_dir}/{{{PASSWORD_FILE},{ACL_FILE},{SNIPPET_FILE},{GATEWAYS_FILE}}}: "
        f"{len(plan.users)} users, {len(plan.added)} new, {len(plan.rotated)} rotated, "
        f"{len(plan.kept)} kept, {len(plan.removed)} removed"
    )
    for label, names in (("new", plan.added), ("rotated", plan.rotated), ("removed", plan.removed)):
        for name in names:
            print(f"  {label}: {name}")
    warning = _unreadable_by_broker(written.out_dir)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    print("reload the broker to apply them: systemctl reload mosquitto")
    return 0


def write_credentials(registry_path: Path, out_dir: Path, root: str, rotate: list[str]) -> Written:
    """Write the password file, ACL, configuration snippet and gateways.csv into `out_dir`.

    gateways.csv is written first: it is the only copy of the passwords, so after a failure
    half-way a re-run writes the broker's files from it again.
    """
    check_topic_root(root)
    rotate_keys = {parse_rotate(text) for text in rotate}
    registry = load_registry(registry_path)
    out_dir = out_dir.resolve()
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(out_dir, 0o700)
    gateways = out_dir / GATEWAYS_FILE
    previous = parse_gateways_csv(gateways.read_text(), str(gateways)) if gateways.exists() else {}
    plan = plan_users(registry, previous, rotate_keys)
    password_file, acl_file = out_dir / PASSWORD_FILE, out_dir / ACL_FILE
    snippet = format_snippet(str(password_file), str(acl_file))
    _write_private(gateways, format_gateways_csv(plan.users), broker_reads=False)
    _write_private(password_file, format_password_file(plan.users), broker_reads=True)
    _write_private(acl_file, format_acl(plan.users, root), broker_reads=True)
    _write_private(out_dir / SNIPPET_FILE, snippet, broker_reads=True)
    return Written(out_dir, plan)


def _write_private(path: Path, text: str, *, broker_reads: bool) -> None:
    """Replace `path` atomically with a file that is mode 600 from its first byte.

    A file the broker reads goes to the folder's owner: Mosquitto opens the password file and
    the ACL after it dropped to its own user, also on every reload. gateways.csv stays with
    whoever runs this command.
    """
    folder = path.parent
    # The temporary name does not end in .conf, so include_dir never loads a half-written file.
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if broker_reads and os.geteuid() == 0:
            owner = os.stat(folder)
            os.fchown(fd, owner.st_uid, owner.st_gid)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _unreadable_by_broker(out_dir: Path) -> str | None:
    """Say when root wrote into a folder Mosquitto's own user cannot enter."""
    if os.geteuid() != 0:
        return None
    try:
        broker = pwd.getpwnam(BROKER_USER)
    except KeyError:
        return None
    if os.stat(out_dir).st_uid == broker.pw_uid:
        return None
    return (
        f"{out_dir} does not belong to the user {BROKER_USER!r}, which Mosquitto reads these "
        f"files as; run: chown {BROKER_USER}:{BROKER_USER} {out_dir} and run this command again"
    )
