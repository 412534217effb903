"""Sessions while the user book does not answer: open pages' callbacks go on as the user last
loaded, a page load gets the degraded 503 page, and a hung book is not asked at every call."""

from __future__ import annotations

import flask
import pytest
import sqlalchemy as sa

from layouts.login import login_page
from layouts.outage import outage_page
from monitoring.books.users import Account, UserBook
from monitoring.db.database import Database
from monitoring.users import User
from monitoring.web.outage import install_outage_answers
from monitoring.web.session import KnownUsers, install_sessions
from tests.monitoring.web.test_login_security import TOKEN

PASSWORD = "viewer-pass-1"


def refused() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))


class SwitchableUsers:
    """The real user book, raising what SQLAlchemy raises for a stopped server when `down`."""

    def __init__(self, book: UserBook) -> None:
        self.book = book
        self.down = False

    def get(self, username: str) -> User | None:
        if self.down:
            raise refused()
        return self.book.get(username)

    def account(self, username: str) -> Account | None:
        if self.down:
            raise refused()
        return self.book.account(username)

    def authenticate(self, username: str, password: str) -> User | None:
        if self.down:
            raise refused()
        return self.book.authenticate(username, password)

    def record_login(self, username: str, ms: int) -> None:
        self.book.record_login(username, ms)


@pytest.fixture
def users(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    book = UserBook(db)
    book.create("viewer", PASSWORD, "viewer", 0)
    yield SwitchableUsers(book)
    db.close()


def make_server(users: SwitchableUsers) -> flask.Flask:
    server = flask.Flask(__name__)
    install_sessions(server, users, "k" * 32, login_page)  # type: ignore[arg-type]
    install_outage_answers(server, outage_page)
    server.add_url_rule("/", "page", lambda: "the wall")
    server.add_url_rule("/_dash-update-component", "dash", lambda: "data", methods=["POST"])
    return server


def signed_in(server: flask.Flask):
    client = server.test_client()
    token = TOKEN.search(client.get("/login").text).group(1)
    data = {"username": "viewer", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    assert client.get("/").text == "the wall"  # loads (and so knows) the user
    return client


def test_open_pages_go_on_and_page_loads_get_the_degraded_page(users) -> None:
    server = make_server(users)
    client = signed_in(server)
    users.down = True
    assert client.post("/_dash-update-component", json={}).text == "data"
    page = client.get("/")
    assert page.status_code == 503 and "Database unreachable" in page.text
    assert "数据库无法连接" in page.text and "Internal Server Error" not in page.text
    users.down = False
    assert client.get("/").text == "the wall"


def test_a_callback_of_a_user_this_process_never_loaded_gets_a_json_503(users) -> None:
    client = signed_in(make_server(users))
    users.down = True
    other = make_server(users).test_client()  # another web process: the same signed cookie
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value)
    response = other.post("/_dash-update-component", json={})
    assert response.status_code == 503 and response.json["code"] == "database_unavailable"


def test_signing_in_while_the_book_is_down_gets_the_degraded_page(users) -> None:
    client = make_server(users).test_client()
    token = TOKEN.search(client.get("/login").text).group(1)
    users.down = True
    data = {"username": "viewer", "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", data=data)
    assert response.status_code == 503 and "Database unreachable" in response.text


def test_known_users_ask_a_failed_book_again_only_after_the_retry_period() -> None:
    now = [100.0]
    known = KnownUsers(clock=lambda: now[0], retry_s=5.0)
    user = User("viewer", "viewer", 0)
    asked: list[str] = []

    def up(name: str) -> User | None:
        asked.append("up")
        return user

    def down(name: str) -> User | None:
        asked.append("down")
        raise refused()

    assert known.load("viewer", up, fallback=True) is user
    assert known.load("viewer", down, fallback=True) is user  # noticed: the known user
    now[0] += 4.0
    assert known.load("viewer", down, fallback=True) is user  # not asked within 5 s
    with pytest.raises(sa.exc.OperationalError):
        known.load("viewer", down, fallback=False)  # a page load always asks, and fails
    with pytest.raises(sa.exc.OperationalError):
        known.load("stranger", down, fallback=True)  # nobody to fall back on
    now[0] += 5.0  # 5 s after the last failure (the stranger's)
    assert known.load("viewer", up, fallback=True) is user  # asked again: it answers
    assert asked == ["up", "down", "down", "down", "up"]
    with pytest.raises(ValueError):  # not an outage: the error stays an error
        known.load("viewer", lambda name: (_ for _ in ()).throw(ValueError("bug")), True)
