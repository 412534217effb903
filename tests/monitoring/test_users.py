"""The password policy: 12 characters for everyone, and no common password (issue 10).

Before: 10 characters, and `password12` was accepted for an administrator; no list of common
passwords.
"""

from __future__ import annotations

import pytest

from monitoring.users import (
    COMMON_PASSWORDS_FILE,
    MIN_PASSWORD_LENGTH,
    UserError,
    check_password,
    common_passwords,
)


def test_twelve_characters_for_everyone() -> None:
    assert MIN_PASSWORD_LENGTH == 12
    for password in ("password12", "k7#Qm2!xZp4"):  # 10 and 11 characters
        with pytest.raises(UserError, match="at least 12 characters"):
            check_password(password, "admin")
    assert check_password("k7#Qm2!xZp4w", "admin") == "k7#Qm2!xZp4w"


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # listed "password1" plus digits
        "Password2024!",  # a listed word, digits and a symbol, any case
        "1234567890123",  # listed digits plus digits
        "!!Sunshine2020",  # symbols before it
        "qwertyqwerty",  # a listed word said twice
        "DragonDragonDragon",
        "abc123abc123",
        "iloveyou1234",
    ],
)
def test_common_passwords_are_refused_whatever_is_added_around_them(password) -> None:
    with pytest.raises(UserError, match="too common"):
        check_password(password, "someone")


@pytest.mark.parametrize(
    "password",
    [
        "correct-horse-1",
        "admin-secret-1",
        "river stone lamp 7",
        "Tianyu-south-tanks",
        "pw9!Lk2@mQ7z",
    ],
)
def test_decent_passwords_pass(password) -> None:
    assert check_password(password, "someone") == password


def test_the_list_is_shipped_in_the_repository() -> None:
    common = common_passwords()
    assert COMMON_PASSWORDS_FILE.is_file() and COMMON_PASSWORDS_FILE.parent.name == "monitoring"
    assert 3000 <= len(common) <= 4000  # Openwall's list: 3,546 entries
    assert {"123456", "password", "qwerty", "letmein"} <= common
    assert not any(p.startswith("#!comment") for p in common)
