"""The alarm book's counts (GROUP BY) and pages (keyset cursor), on SQLite and PostgreSQL.

Issue 11: pages read at most 500 or 5,000 alarms and counted from that list, so a flood
made enterprises in alarm look calm. Counts now come from the database's GROUP BY and lists
come a page at a time with the total.
"""

from __future__ import annotations

import pytest

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.model import MAX_LIST, Position, decode_cursor, encode_cursor
from monitoring.signals import SEVERITIES, AlarmSignal

T0 = 1_790_000_000_000


@pytest.fixture
def book(db) -> AlarmBook:
    return AlarmBook(db)


def raise_many(book: AlarmBook, n: int, enterprises: int = 7) -> None:
    """Raise n alarms in one batch: severities in turn, many sharing one raised time."""
    signals = [
        AlarmSignal(
            "raise",
            f"e{i % enterprises}",
            "s1",
            f"sensor:S{i}",
            "limit",
            T0 + (i // 3) * 1000,  # three alarms share each time: the id decides their order
            severity=SEVERITIES[i % len(SEVERITIES)],
            message=f"S{i} high",
        )
        for i in range(n)
    ]
    book.apply(signals, T0 + n * 1000)


def test_pages_walk_every_open_alarm_once_in_list_order_with_the_total(book) -> None:
    raise_many(book, 1205)
    expected = [a.id for a in book.list(limit=MAX_LIST)]
    assert len(expected) == 1205
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = book.page(limit=100, after=after)
        pages += 1
        assert page.total == 1205  # every page says how many match in all
        seen += [a.id for a in page.alarms]
        if page.next is None:
            break
        assert page.next == Position.of(page.alarms[-1])
        after = decode_cursor(encode_cursor(page.next))  # as the API hands it out
    assert pages == 13 and seen == expected  # each once, most severe first, then newest


def test_filters_page_and_count_alike(book) -> None:
    raise_many(book, 100)
    red = book.page(severity="red", enterprise="e1", limit=2)
    everything = book.list(severity="red", enterprise="e1", limit=MAX_LIST)
    assert red.total == len(everything) > 2
    assert [a.id for a in red.alarms] == [a.id for a in everything[:2]]
    rest = book.page(severity="red", enterprise="e1", limit=MAX_LIST, after=red.next)
    assert [a.id for a in red.alarms + rest.alarms] == [a.id for a in everything]
    assert rest.next is None and rest.total == red.total
    assert book.page(limit=MAX_LIST).next is None  # all 100 fit: no next page


def test_a_cursor_is_opaque_and_garbage_is_refused() -> None:
    position = Position(2, T0, 12345)
    cursor = encode_cursor(position)
    assert cursor.isascii() and "/" not in cursor and "+" not in cursor and "=" not in cursor
    assert decode_cursor(cursor) == position
    for bad in ("", "x", "not a cursor", encode_cursor(position)[:-3], "YTE6OTk6MTox", "a" * 200):
        with pytest.raises(ValueError, match="cursor"):
            decode_cursor(bad)


def test_open_counts_group_by_enterprise_site_and_severity_counting_states_and_rules(book) -> None:
    raise_many(book, 24, enterprises=3)
    alarms = book.list(limit=MAX_LIST)
    acked, shelved, closed = alarms[0], alarms[1], alarms[2]
    book.acknowledge(acked.id, "insp", "seen", now_ms=T0 + 99_000)
    book.shelve(shelved.id, "insp", 30, "maintenance", T0 + 99_000)
    book.acknowledge(closed.id, "insp", "seen", now_ms=T0 + 99_000)
    book.apply(
        [AlarmSignal("clear", closed.enterprise, "s1", closed.source, "limit", T0 + 99_500)],
        T0 + 99_500,
    )
    book.apply(
        [AlarmSignal("raise", "e2", "s1", "zone:Z1", "special_operation", T0, severity="orange")],
        T0 + 99_600,
    )
    counts = book.open_counts()
    assert sum(c.count for c in counts) == 24  # the closed one is not open
    assert sum(c.unacknowledged for c in counts) == 22  # nor the acknowledged or shelved
    assert sum(c.special_operations for c in counts) == 1
    assert len(counts) == len({(c.enterprise, c.site, c.severity) for c in counts}) <= 12
    assert {(c.enterprise, c.site) for c in counts} == {("e0", "s1"), ("e1", "s1"), ("e2", "s1")}
    for severity in SEVERITIES:
        assert (
            sum(c.count for c in counts if c.severity == severity)
            == (book.counts_by_severity()[severity])
        )
    e0 = book.open_counts(enterprise="e0")
    assert {c.enterprise for c in e0} == {"e0"}
    assert sum(c.count for c in e0) == len(book.list(enterprise="e0", limit=MAX_LIST))
    newest = max(a.raised_ms for a in book.list(enterprise="e0", severity="red"))
    assert max(c.newest_ms for c in e0 if c.severity == "red") == newest


def test_open_ids_of_a_severity(book) -> None:
    raise_many(book, 12)
    red = [a.id for a in book.list(severity="red", limit=MAX_LIST)]
    assert book.open_ids(severity="red") == sorted(red)
    assert len(book.open_ids()) == 12
