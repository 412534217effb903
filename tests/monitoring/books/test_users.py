"""The user book and the admin audit log, on SQLite (a file) and on PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from monitoring.books.users import AuditLog, UserBook
from monitoring.users import (
    MIN_PASSWORD_LENGTH,
    LastAdminError,
    UserError,
    UserNotFound,
    check_password,
)

T0 = 1_764_381_600_000
GOOD = "correct-horse-1"


@pytest.fixture
def users(db) -> UserBook:
    book = UserBook(db)
    book.create("root", GOOD, "admin", T0)
    book.create("watch", GOOD, "viewer", T0 + 1)
    return book


@pytest.mark.parametrize(
    "password",
    ["short-1", "a" * (MIN_PASSWORD_LENGTH - 1), "aaaaaaaaaaaaaa", "ababababababab", "x" * 1025],
)
def test_password_policy_refuses_weak_passwords(password) -> None:
    with pytest.raises(UserError):
        check_password(password, "someone")


def test_password_policy_refuses_the_user_name_and_accepts_a_decent_one() -> None:
    with pytest.raises(UserError, match="user name"):
        check_password("Operator-0001", "operator-0001")
    assert check_password(GOOD, "someone") == GOOD


def test_create_refuses_bad_names_roles_and_duplicates(users) -> None:
    for name in ("", "-x", "a b", "x" * 65, "名字"):
        with pytest.raises(UserError, match="username"):
            users.create(name, GOOD, "viewer", T0)
    with pytest.raises(UserError, match="role"):
        users.create("newbie", GOOD, "superuser", T0)
    with pytest.raises(UserError, match="already exists"):
        users.create("watch", GOOD, "viewer", T0)


def test_role_change_applies_and_is_seen_by_authenticate(users) -> None:
    assert users.set_role("watch", "inspector").role == "inspector"
    assert users.authenticate("watch", GOOD).can("inspector")
    with pytest.raises(UserError):
        users.set_role("watch", "root")
    with pytest.raises(UserNotFound):
        users.set_role("ghost", "viewer")


def test_the_last_active_admin_cannot_be_demoted_disabled_or_deleted(users) -> None:
    for change in (
        lambda: users.set_role("root", "viewer"),
        lambda: users.set_active("root", False),
        lambda: users.delete("root"),
    ):
        with pytest.raises(LastAdminError):
            change()
    assert users.get("root").can("admin")
    users.create("second", GOOD, "admin", T0)
    users.set_active("second", False)  # a disabled admin does not count
    with pytest.raises(LastAdminError):
        users.set_role("root", "inspector")
    users.set_active("second", True)
    users.set_role("root", "inspector")
    assert users.get("root").role == "inspector"
    with pytest.raises(LastAdminError):
        users.delete("second")


def test_two_admins_demoting_each_other_at_once_leave_one_admin(users, second_db) -> None:
    users.create("other", GOOD, "admin", T0)
    books = (users, UserBook(second_db))
    errors: list[Exception] = []
    start = threading.Barrier(2)

    def demote(book: UserBook, name: str) -> None:
        start.wait()
        try:
            book.set_role(name, "viewer")
        except Exception as exc:  # one must be refused (last admin) or lose the race
            errors.append(exc)

    threads = [
        threading.Thread(target=demote, args=(books[0], "root")),
        threading.Thread(target=demote, args=(books[1], "other")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    admins = [u for u in users.list() if u.can("admin")]
    assert len(admins) == 1, (admins, errors)
    assert len(errors) == 1


def test_disable_enable_and_delete(users) -> None:
    users.set_active("watch", False)
    assert users.authenticate("watch", GOOD) is None
    assert users.get("watch").active is False
    users.set_active("watch", True)
    assert users.authenticate("watch", GOOD) is not None
    users.record_login("watch", T0 + 5)
    users.delete("watch")
    assert users.get("watch") is None and "watch" not in users.last_logins()
    with pytest.raises(UserNotFound):
        users.delete("watch")


def test_set_password_checks_policy_and_existence(users) -> None:
    users.set_password("watch", "another-pass-2")
    assert users.authenticate("watch", "another-pass-2") is not None
    assert users.authenticate("watch", GOOD) is None
    with pytest.raises(UserError):
        users.set_password("watch", "short")
    with pytest.raises(UserNotFound):
        users.set_password("ghost", "another-pass-2")


def test_last_login_is_recorded_and_replaced(users) -> None:
    assert users.last_logins() == {}
    users.record_login("watch", T0 + 10)
    users.record_login("watch", T0 + 20)
    users.record_login("root", T0 + 15)
    assert users.last_logins() == {"watch": T0 + 20, "root": T0 + 15}


def test_audit_log_keeps_newest_first_and_prunes(db) -> None:
    audit = AuditLog(db, max_rows=5)
    for i in range(7):
        audit.record("root", "user.create", f"u{i}", "ok", f"role viewer {i}", T0 + i)
    entries = audit.recent()
    assert [e.target for e in entries][:2] == ["u6", "u5"]
    assert entries[0].actor == "root" and entries[0].outcome == "ok"
    for _ in range(200):  # a prune runs every AUDIT_PRUNE_EVERY records
        audit.record("root", "user.role", "x", "refused", "\x00 not an administrator", T0)
    assert len(audit.recent(1000)) <= 5 + 100
    assert "\x00" not in audit.recent(1)[0].detail


def test_every_change_that_ends_sessions_gives_a_new_session_key(users) -> None:
    keys = [users.account("watch").session_key]
    for change in (
        lambda: users.set_password("watch", "another-pass-2"),
        lambda: users.set_role("watch", "inspector"),
        lambda: users.set_active("watch", False),
        lambda: users.set_active("watch", True),
        lambda: users.end_sessions("watch"),
    ):
        change()
        keys.append(users.account("watch").session_key)
    assert len(set(keys)) == len(keys) and all(len(k) == 32 for k in keys)
    users.record_login("watch", T0)  # not a change of the account: the key stays
    assert users.account("watch").session_key == keys[-1]
    users.end_sessions("ghost")  # nobody to sign out: nothing happens


def test_a_deleted_and_recreated_name_gets_another_key(users) -> None:
    old = users.account("watch").session_key
    users.delete("watch")
    users.create("watch", GOOD, "admin", T0 + 2)
    assert users.account("watch").session_key != old


class CountingHasher:
    """The book's Argon2 hasher, counting verifications."""

    def __init__(self, hasher) -> None:
        self.hasher = hasher
        self.verified = 0

    def verify(self, stored: str, password: str) -> bool:
        self.verified += 1
        return self.hasher.verify(stored, password)

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)


def test_a_polling_client_is_hashed_once_until_its_key_changes(users) -> None:
    hasher = users._hasher = CountingHasher(users._hasher)
    for _ in range(5):
        assert users.authenticate("watch", GOOD).username == "watch"
    assert hasher.verified == 1
    assert users.authenticate("watch", "wrong-password-1") is None  # wrong ones never cached
    assert users.authenticate("watch", "wrong-password-1") is None
    assert hasher.verified == 3
    users.end_sessions("watch")  # revoked: verified again
    assert users.authenticate("watch", GOOD) is not None and hasher.verified == 4
    users.set_password("watch", "another-pass-2")
    assert users.authenticate("watch", GOOD) is None  # the old password, cached before
    users.set_active("watch", False)
    assert users.authenticate("watch", "another-pass-2") is None


def test_an_unknown_name_costs_one_dummy_hash(users) -> None:
    hasher = users._hasher = CountingHasher(users._hasher)
    assert users.authenticate("nobody", GOOD) is None
    assert users.authenticate("nobody", GOOD) is None
    assert hasher.verified == 2
