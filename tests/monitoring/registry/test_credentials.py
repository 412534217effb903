"""Broker credentials as text: user names, password hashes, ACL, snippet, gateways.csv."""

from __future__ import annotations

import base64
import hashlib
import itertools
import subprocess

import pytest

from monitoring.registry.credentials import (
    INGEST_KEY,
    INGEST_USERNAME,
    BrokerUser,
    CredentialsError,
    check_topic_root,
    format_acl,
    format_gateways_csv,
    format_password_file,
    format_snippet,
    gateway_username,
    new_password,
    parse_gateways_csv,
    parse_rotate,
    password_hash,
    plan_users,
)
from monitoring.registry.model import Enterprise, Registry, Site
from tests.services import find_binary


def registry(*sites: tuple[str, str]) -> Registry:
    """Return a registry with the given (enterprise, site) pairs."""
    by_enterprise: dict[str, list[Site]] = {}
    for enterprise, site in sites:
        by_enterprise.setdefault(enterprise, []).append(Site(id=site, name=site))
    return Registry(
        timezone="Asia/Shanghai",
        enterprises=tuple(
            Enterprise(id=e, name=e, sites=tuple(ss)) for e, ss in by_enterprise.items()
        ),
    )


def counter_passwords():
    numbers = itertools.count(1)
    return lambda: f"password-number-{next(numbers):08d}"


def test_user_names_never_collide_even_when_ids_contain_dashes():
    # `gw-{enterprise}-{site}` would give both of these gw-a-b-c.
    assert gateway_username("a-b", "c") != gateway_username("a", "b-c")
    assert gateway_username("a-b", "c") == "gw/a-b/c"


@pytest.mark.parametrize("bad", ["e1/x", "+", "#", "e 1", "", "e1\n", "a:b", "-e"])
def test_ids_that_could_change_an_acl_line_are_refused(bad):
    with pytest.raises(CredentialsError):
        gateway_username(bad, "s1")
    with pytest.raises(CredentialsError):
        gateway_username("e1", bad)


def test_hash_is_mosquitto_2_pbkdf2_sha512_format():
    salt = bytes(range(12))
    text = password_hash("secret", salt)
    scheme, iterations, salt_b64, digest_b64 = text.split("$")[1:]
    assert (scheme, iterations) == ("7", "101")
    assert base64.b64decode(salt_b64) == salt
    assert base64.b64decode(digest_b64) == hashlib.pbkdf2_hmac("sha512", b"secret", salt, 101)


def test_hash_equals_what_mosquitto_passwd_writes_for_the_same_salt(tmp_path):
    binary = find_binary("mosquitto_passwd")
    if binary is None:
        pytest.skip("mosquitto_passwd is not installed (Debian package 'mosquitto')")
    path = tmp_path / "passwd"
    path.touch()
    subprocess.run([binary, "-b", str(path), "gw/e1/s1", "s3cret-Pass"], check=True)
    username, theirs = path.read_text().strip().split(":", 1)
    salt = base64.b64decode(theirs.split("$")[3])
    assert username == "gw/e1/s1"
    assert password_hash("s3cret-Pass", salt) == theirs


def test_new_passwords_have_at_least_128_random_bits():
    password = new_password()
    assert len(password) >= 22  # 22 URL-safe characters carry 132 bits
    assert len({new_password() for _ in range(100)}) == 100


def test_plan_adds_keeps_rotates_and_removes():
    make = counter_passwords()
    first = plan_users(registry(("e1", "s1"), ("e2", "s1")), {}, make_password=make)
    assert [u.username for u in first.users] == [INGEST_USERNAME, "gw/e1/s1", "gw/e2/s1"]
    assert first.users[0].key == INGEST_KEY and first.users[0].is_ingest
    assert first.added == (INGEST_USERNAME, "gw/e1/s1", "gw/e2/s1")
    previous = {u.key: u.password for u in first.users}

    # e2/s1 leaves the registry, e3/s9 joins, e1/s1 is rotated.
    second = plan_users(
        registry(("e1", "s1"), ("e3", "s9")), previous, {("e1", "s1")}, make_password=make
    )
    passwords = {u.key: u.password for u in second.users}
    assert passwords[INGEST_KEY] == previous[INGEST_KEY]
    assert passwords[("e1", "s1")] != previous[("e1", "s1")]
    assert ("e2", "s1") not in passwords
    assert second.kept == (INGEST_USERNAME,)
    assert second.rotated == ("gw/e1/s1",)
    assert second.added == ("gw/e3/s9",)
    assert second.removed == ("gw/e2/s1",)


def test_rotating_the_ingest():
    first = plan_users(registry(("e1", "s1")), {}, make_password=counter_passwords())
    previous = {u.key: u.password for u in first.users}
    second = plan_users(registry(("e1", "s1")), previous, {parse_rotate("ingest")})
    assert second.rotated == (INGEST_USERNAME,)
    assert {u.key: u.password for u in second.users}[("e1", "s1")] == previous[("e1", "s1")]


def test_rotate_must_name_a_gateway_of_the_registry():
    with pytest.raises(CredentialsError, match="e9/s1"):
        plan_users(registry(("e1", "s1")), {}, {("e9", "s1")})
    for bad in ("e1", "e1/s1/x", "e1/", "/s1", "e 1/s1"):
        with pytest.raises(CredentialsError):
            parse_rotate(bad)
    assert parse_rotate("e1/s1") == ("e1", "s1")


def test_gateways_csv_round_trip():
    plan = plan_users(registry(("e1", "s1"), ("e2", "s2")), {}, make_password=counter_passwords())
    text = format_gateways_csv(plan.users)
    lines = text.splitlines()
    assert lines[0] == "enterprise,site,username,password"
    assert lines[1] == "ingest,,hazwatch-ingest,password-number-00000001"
    assert lines[2] == "e1,s1,gw/e1/s1,password-number-00000002"
    assert parse_gateways_csv(text) == {u.key: u.password for u in plan.users}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "first line"),
        ("enterprise,site,user,password\n", "first line"),
        ("enterprise,site,username,password\ne1,s1,gw/e1/s1\n", "columns"),
        ("enterprise,site,username,password\ne1,s/1,x,abcdefghijklmnopqrstuvwxyz\n", "not a site"),
        ("enterprise,site,username,password\ne1,s1,gw/e1/s1,short\n", "--rotate e1/s1"),
        ("enterprise,site,username,password\ningest,,hazwatch-ingest,a b\n", "--rotate ingest"),
        (
            "enterprise,site,username,password\n"
            "e1,s1,gw/e1/s1,abcdefghijklmnopqrstuvwxyz\n"
            "e1,s1,gw/e1/s1,abcdefghijklmnopqrstuvwxyz\n",
            "twice",
        ),
    ],
)
def test_a_damaged_gateways_csv_stops_the_run(text, reason):
    with pytest.raises(CredentialsError, match=reason):
        parse_gateways_csv(text)


def test_acl_lets_each_gateway_write_its_site_and_the_ingest_read_everything():
    users = plan_users(registry(("e1", "s1"), ("e2", "s1")), {}).users
    acl = format_acl(users, "prov/hazmon")
    blocks = [b for b in acl.split("\n\n") if not b.startswith("#")]
    assert blocks == [
        "user hazwatch-ingest\ntopic read prov/hazmon/#",
        "user gw/e1/s1\ntopic write prov/hazmon/e1/s1/#",
        "user gw/e2/s1\ntopic write prov/hazmon/e2/s1/#\n",
    ]
    # A `topic` line before the first `user` line would apply to every client.
    first_rule = next(line for line in acl.splitlines() if line and not line.startswith("#"))
    assert first_rule.startswith("user ")


@pytest.mark.parametrize("root", ["hazmon/+", "#", "haz mon", "/hazmon", "hazmon/", "a//b", ""])
def test_a_root_an_acl_would_read_differently_is_refused(root):
    with pytest.raises(CredentialsError):
        check_topic_root(root)
    with pytest.raises(CredentialsError):
        format_acl((), root)


def test_password_file_has_one_hashed_line_per_user():
    users = (
        BrokerUser("ingest", "", INGEST_USERNAME, "a" * 32),
        BrokerUser("e1", "s1", "gw/e1/s1", "b" * 32),
    )
    text = format_password_file(users, make_salt=lambda: bytes(12))
    assert text.splitlines() == [
        f"{INGEST_USERNAME}:{password_hash('a' * 32, bytes(12))}",
        f"gw/e1/s1:{password_hash('b' * 32, bytes(12))}",
    ]
    assert "a" * 32 not in text and "b" * 32 not in text
    with pytest.raises(CredentialsError):
        format_password_file([BrokerUser("x", "y", "a:b", "c" * 32)])


def test_snippet_names_both_files_by_absolute_path():
    text = format_snippet("/etc/mosquitto/hazwatch.d/passwd", "/etc/mosquitto/hazwatch.d/acl")
    settings = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert settings == [
        "allow_anonymous false",
        "password_file /etc/mosquitto/hazwatch.d/passwd",
        "acl_file /etc/mosquitto/hazwatch.d/acl",
    ]
    for bad in ("relative/passwd", "/with space/passwd", "/a#b/passwd"):
        with pytest.raises(CredentialsError):
            format_snippet(bad, "/x/acl")
