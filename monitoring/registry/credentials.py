"""Broker users the registry's sites become: Mosquitto password file, ACL and gateways.csv.

Contract section 8, "Gateway credentials": one user per site gateway, allowed to publish only
under `{root}/{enterprise}/{site}/#`, and one user for the ingest, allowed to read `{root}/#`;
nobody else may do anything. This module only turns users into the text of each file and
reads back an earlier `gateways.csv`; writing the files is `wiring/credentials.py`'s job.

A user name is `gw/{enterprise}/{site}`: ids cannot contain `/` (contract section 1), so two
sites never share a name, as `gw-a-b-c` could (enterprise `a-b`, site `c`, or `a` and `b-c`).
Ids cannot contain MQTT wildcards, whitespace or `:` either, which would change the meaning of
an ACL line or of a password file line; they are checked again here all the same.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from monitoring.records import is_valid_id
from monitoring.registry.model import Registry

INGEST_ENTERPRISE = "ingest"  # the `enterprise` of the ingest's row in gateways.csv
INGEST_USERNAME = "hazwatch-ingest"
ROTATE_INGEST = "ingest"  # `--rotate ingest` gives the ingest a new password

PASSWORD_FILE = "passwd"
ACL_FILE = "acl"
SNIPPET_FILE = "hazwatch-auth.conf"  # Mosquitto's include_dir loads only *.conf files
GATEWAYS_FILE = "gateways.csv"
CSV_COLUMNS = ("enterprise", "site", "username", "password")

PASSWORD_BYTES = 24  # secrets.token_urlsafe(24): 32 characters, 192 random bits
# Mosquitto 2.0's `$7$` format: PBKDF2-HMAC-SHA512 with mosquitto_passwd's defaults. More
# iterations would cost the broker CPU on every CONNECT and add nothing to a random password.
HASH_ITERATIONS = 101
SALT_BYTES = 12
# What this module generates; an edited password in gateways.csv must still look like one.
_GENERATED_PASSWORD = re.compile(r"[A-Za-z0-9_-]{22,128}")
# A topic root that means the same in an ACL line as in a topic: no wildcards, no spaces.
_ROOT = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
# A path Mosquitto's configuration parser reads back unchanged.
_CONFIG_PATH = re.compile(r"/[^\s#]*")

SiteKey = tuple[str, str]  # (enterprise, site); ("ingest", "") is the ingest
INGEST_KEY: SiteKey = (INGEST_ENTERPRISE, "")


class CredentialsError(ValueError):
    """Credentials that cannot be generated, with the reason."""


@dataclass(frozen=True, slots=True)
class BrokerUser:
    """One broker user: a site's gateway, or the ingest (enterprise 'ingest', no site)."""

    enterprise: str
    site: str
    username: str
    password: str = field(repr=False)

    @property
    def key(self) -> SiteKey:
        return (self.enterprise, self.site)

    @property
    def is_ingest(self) -> bool:
        return self.key == INGEST_KEY


@dataclass(frozen=True, slots=True)
class UserPlan:
    """The users to write, and how they differ from the previous gateways.csv."""

    users: tuple[BrokerUser, ...]
    added: tuple[str, ...]  # user names
    rotated: tuple[str, ...]
    kept: tuple[str, ...]
    removed: tuple[str, ...]


def gateway_username(enterprise: str, site: str) -> str:
    """Return the broker user name of a site's gateway."""
    for what, value in (("enterprise", enterprise), ("site", site)):
        if not is_valid_id(value):
            raise CredentialsError(f"{what} id {value!r} is not a valid id (contract section 1)")
    return f"gw/{enterprise}/{site}"


def new_password() -> str:
    """Return a new random broker password (192 bits, URL-safe characters only)."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def parse_rotate(text: str) -> SiteKey:
    """Read one `--rotate` value: ENTERPRISE/SITE, or 'ingest' for the ingest's user."""
    if text == ROTATE_INGEST:
        return INGEST_KEY
    enterprise, sep, site = text.partition("/")
    if not sep or not is_valid_id(enterprise) or not is_valid_id(site):
        raise CredentialsError(
            f"--rotate {text!r}: expected ENTERPRISE/SITE (registry ids) or {ROTATE_INGEST!r}"
        )
    return (enterprise, site)


def plan_users(
    registry: Registry,
    previous: Mapping[SiteKey, str],
    rotate: Collection[SiteKey] = (),
    make_password: Callable[[], str] = new_password,
) -> UserPlan:
    """Return the ingest's user and one per registry site, keeping previous passwords.

    `previous` maps (enterprise, site) to the password of an earlier gateways.csv. A site in
    `rotate` gets a new password; a site new to the registry gets a new user; a site no longer
    in it is left out, so its user is gone.
    """
    keys = [INGEST_KEY] + sorted({(e.id, s.id) for e in registry.enterprises for s in e.sites})
    unknown = sorted(set(rotate) - set(keys))
    if unknown:
        raise CredentialsError(
            "--rotate names no gateway of the registry: "
            + ", ".join(f"{e}/{s}" if s else e for e, s in unknown)
        )
    users: list[BrokerUser] = []
    added: list[str] = []
    rotated: list[str] = []
    kept: list[str] = []
    for enterprise, site in keys:
        key = (enterprise, site)
        username = INGEST_USERNAME if key == INGEST_KEY else gateway_username(enterprise, site)
        old = previous.get(key)
        if old is not None and key not in rotate:
            password = old
            kept.append(username)
        else:
            password = make_password()
            (rotated if old is not None else added).append(username)
        users.append(BrokerUser(enterprise, site, username, password))
    removed = sorted(
        gateway_username(e, s) for e, s in set(previous) - set(keys) if (e, s) != INGEST_KEY
    )
    return UserPlan(tuple(users), tuple(added), tuple(rotated), tuple(kept), tuple(removed))


def parse_gateways_csv(text: str, source: str = GATEWAYS_FILE) -> dict[SiteKey, str]:
    """Read an earlier gateways.csv into {(enterprise, site): password}.

    The file is the only copy of the passwords the gateways hold, so anything unexpected in
    it stops the run rather than quietly giving some gateway a new password.
    """
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or tuple(rows[0]) != CSV_COLUMNS:
        raise CredentialsError(f"{source}: the first line must be {','.join(CSV_COLUMNS)}")
    out: dict[SiteKey, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(CSV_COLUMNS):
            raise CredentialsError(f"{source} line {number}: expected {len(CSV_COLUMNS)} columns")
        enterprise, site, _username, password = row
        key = (enterprise, site)
        if key != INGEST_KEY and not (is_valid_id(enterprise) and is_valid_id(site)):
            raise CredentialsError(f"{source} line {number}: {enterprise}/{site} is not a site")
        if not _GENERATED_PASSWORD.fullmatch(password):
            raise CredentialsError(
                f"{source} line {number}: the password is not one this command generates; "
                f"remove the line or re-run with --rotate "
                f"{ROTATE_INGEST if key == INGEST_KEY else f'{enterprise}/{site}'}"
            )
        if key in out:
            raise CredentialsError(f"{source} line {number}: {enterprise}/{site} appears twice")
        out[key] = password
    return out


def format_gateways_csv(users: Iterable[BrokerUser]) -> str:
    """Return gateways.csv: enterprise,site,username,password; the ingest's row first."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for user in users:
        writer.writerow((user.enterprise, user.site, user.username, user.password))
    return buf.getvalue()


def password_hash(password: str, salt: bytes, iterations: int = HASH_ITERATIONS) -> str:
    """Return Mosquitto 2.0's `$7$` hash of a password (what mosquitto_passwd writes)."""
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"$7${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def format_password_file(
    users: Iterable[BrokerUser], make_salt: Callable[[], bytes] = lambda: os.urandom(SALT_BYTES)
) -> str:
    """Return a Mosquitto password file: one `username:$7$...` line per user."""
    lines = []
    for user in users:
        _check_username(user.username)
        lines.append(f"{user.username}:{password_hash(user.password, make_salt())}\n")
    return "".join(lines)


def format_acl(users: Iterable[BrokerUser], root: str) -> str:
    """Return the Mosquitto ACL: gateways write their site's topics, the ingest reads all.

    Mosquitto denies whatever no line allows, and a `topic` line before the first `user` line
    would apply to every client, so there is none.
    """
    check_topic_root(root)
    out = [
        "# Written by `app.py gateway-credentials` from the registry; re-run it, do not edit.\n",
        "# Each site gateway may only publish under its own site; the ingest may only read.\n",
    ]
    for user in users:
        _check_username(user.username)
        if user.is_ingest:
            out.append(f"\nuser {user.username}\ntopic read {root}/#\n")
        else:
            gateway_username(user.enterprise, user.site)  # checks both ids
            out.append(
                f"\nuser {user.username}\ntopic write {root}/{user.enterprise}/{user.site}/#\n"
            )
    return "".join(out)


def format_snippet(password_file: str, acl_file: str) -> str:
    """Return the Mosquitto configuration that loads the password file and the ACL."""
    for path in (password_file, acl_file):
        if not _CONFIG_PATH.fullmatch(path):
            raise CredentialsError(
                f"{path!r}: Mosquitto needs an absolute path without spaces or '#' here"
            )
    return (
        "# Written by `app.py gateway-credentials`: the broker's users and what each may do.\n"
        "# deploy/mosquitto.conf loads it with include_dir; per_listener_settings false makes\n"
        "# it apply to every listener.\n"
        "allow_anonymous false\n"
        f"password_file {password_file}\n"
        f"acl_file {acl_file}\n"
    )


def check_topic_root(root: str) -> None:
    """Refuse a topic root that an ACL line would read differently from a topic."""
    if not _ROOT.fullmatch(root):
        raise CredentialsError(
            f"topic root {root!r}: only letters, digits, '_', '.', '-' and inner '/' can be "
            "written into a broker ACL"
        )


def _check_username(username: str) -> None:
    # ':' ends the name in a password file; whitespace or a line break would end an ACL line.
    if not username or ":" in username or any(c.isspace() for c in username):
        raise CredentialsError(f"user name {username!r} cannot be written into broker files")
