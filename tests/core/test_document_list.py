"""The Documents list against a plain definition, on random data and both engines: for any
filters, scope and page, the rows are the page of "every document that passes, sorted by issue
date, number and id", and the count is theirs — or, past the cap, the cap with `more`. The
windowed search (newest documents first) is made to grow through several windows by shrinking
its first window and cap, so a page found in a window is proven to be the full sort's page."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from tests.core.conftest import seed
from tracking.models import (
    DeliveryState, DocumentKind, DocumentStatus, RecipientRole, SendingMode)
from tracking.records import Client, Delivery, Document, Send
from tracking.store import console_queries as q
from tracking.store import document_list, writes
from tracking.store.dialect import Engine, engine_of
from tracking.store.marks import refresh_marks

pytestmark = pytest.mark.engines("duckdb", "postgres")

ACCOUNTS = [f"acct-{mode}" for mode in SendingMode]
CLIENT_NAMES = ["Dupont & Fils", "100% Bio", "Under_Score SARL", "Back\\slash", "LEGRAND",
                "Gmail Fans", "Boulangerie b"]
ADDRESSES = ["ann@gmail.com", "Bob@Example.TEST", "x_y@ab%c.test", "zz@gmail.co",
             "back\\s@x.test", "billing@legrand.test"]
NUMBERS = ["FV-2026-{n:04d}", "q_{n}", "AB%{n}", "fv\\{n}", "GMAIL-{n}"]
SEARCHES = ["gmail", "GMAIL ", "%", "_", "\\", "fv-2026", "dupont", "b", "zz-none", "@ab%c",
            "q_1", "example.test", "bob@"]
DAYS = [date(2026, 10, 1) + timedelta(days=3 * i) for i in range(20)]


@pytest.fixture
def listed(db):
    """~260 documents over 20 issue dates (many ties), two thirds sent to 1–3 addresses."""
    rng = random.Random(12)
    seed(db, documents_per_account=0)
    at = datetime(2026, 11, 1, 9, tzinfo=UTC)
    with db.transaction() as cursor:
        for i, name in enumerate(CLIENT_NAMES):
            writes.insert_client(cursor, Client(f"cl-{i}", rng.choice(ACCOUNTS), name))
        for n in range(260):
            document_id = f"d-{n:03d}"
            writes.insert_document(cursor, Document(
                document_id, rng.choice(ACCOUNTS), f"cl-{rng.randrange(len(CLIENT_NAMES))}",
                rng.choice(list(DocumentKind)[:3]), rng.choice(NUMBERS).format(n=n % 37),
                Decimal("10.00"), "EUR", rng.choice(DAYS), rng.choice(list(DocumentStatus))))
            for s in range(rng.choice([0, 1, 1, 2])):
                send_id = f"s-{n}-{s}"
                send = Send(send_id, document_id, ACCOUNTS[0], rng.choice(list(SendingMode)),
                            at + timedelta(minutes=n + s), "user-relay", None, None, send_id,
                            "done")
                writes.insert_send(cursor, send)
                writes.insert_deliveries(cursor, [
                    Delivery(send_id=send_id, idx=i, address=address, role=RecipientRole.TO,
                             verp_token=None, state=rng.choice(list(DeliveryState)),
                             state_at=at + timedelta(minutes=n + s + 1))
                    for i, address in enumerate(rng.sample(ADDRESSES, rng.randint(1, 3)))],
                    [send])
                cursor.execute(
                    """INSERT INTO events (id, type, occurred_at, actor, document_id, send_id,
                                           details)
                       VALUES (?, 'send_requested', ?, 'user-relay', ?, ?, ?)""",
                    [f"ev-{send_id}", (at + timedelta(minutes=n + s)).replace(tzinfo=None),
                     document_id, send_id, json.dumps({})])
    assert refresh_marks(db).full
    return db


def _plain(cursor, filters: q.DocumentFilters, scope) -> list[str]:
    """Every document that passes, in the list's order: read whole, decided in Python."""
    clients = dict(cursor.execute("SELECT id, name FROM clients").fetchall())
    marks = {row[0]: row[1:] for row in cursor.execute(
        "SELECT document_id, failing, states, mode, recipients FROM document_marks").fetchall()}
    needle = filters.search.strip().lower()
    passing = []
    for (document_id, account, client, kind, status, number, issued) in cursor.execute(
            """SELECT id, account_id, client_id, kind, status, number, issue_date
               FROM documents""").fetchall():
        failing, states, mode, recipients = marks.get(document_id, (False, [], None, ""))
        if ((scope is not None and account not in scope)
                or (filters.account_id and account != filters.account_id)
                or (filters.kind and kind != filters.kind)
                or (filters.status and status != filters.status)
                or (filters.issued_from and issued < filters.issued_from)
                or (filters.issued_until and issued > filters.issued_until)
                or (filters.failures_only and not failing)
                or (filters.state and filters.state not in list(states))
                or (filters.mode and mode != filters.mode)
                or (needle and needle not in number.lower()
                    and needle not in clients[client].lower() and needle not in recipients)):
            continue
        passing.append((issued, number, document_id))
    # issue date and number newest/highest first, then the id ascending
    passing.sort(key=lambda row: row[2])
    passing.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return [row[2] for row in passing]


def _random_filters(rng: random.Random) -> q.DocumentFilters:
    pick = lambda values: rng.choice([None, None, *values])  # noqa: E731
    since = pick(DAYS)
    return q.DocumentFilters(
        account_id=pick(ACCOUNTS), kind=pick(["invoice", "quote"]),
        status=pick(["issued", "paid"]), state=pick(["not_delivered", "pending"]),
        mode=pick(["relay", "manual"]), issued_from=since,
        issued_until=pick([d for d in DAYS if since is None or d >= since]),
        failures_only=rng.random() < 0.3, search=rng.choice(["", "", *SEARCHES]))


@pytest.mark.parametrize("cap, first_window", [(document_list.COUNT_CAP, 50_000), (6, 9)])
def test_every_page_and_count_is_the_plain_definitions(listed, monkeypatch, cap, first_window):
    monkeypatch.setattr(document_list, "COUNT_CAP", cap)
    monkeypatch.setattr(document_list, "FIRST_WINDOW", first_window)
    cursor = listed.cursor()
    rng = random.Random(cap)
    cases = [q.DocumentFilters(search=text) for text in SEARCHES]
    cases += [q.DocumentFilters(failures_only=True), q.DocumentFilters(state="pending")]
    cases += [_random_filters(rng) for _ in range(60)]
    windowed = 0
    for filters in cases:
        scope = rng.choice([None, None, frozenset(ACCOUNTS[:2]), frozenset()])
        expected = _plain(cursor, filters, scope)
        for page in (0, 1, 3):
            shown = q.documents_page(cursor, filters, page=page, page_size=7, scope=scope)
            assert shown.rows["id"].tolist() == expected[page * 7:(page + 1) * 7], \
                (filters, scope, page)
            assert (shown.total, shown.more) == ((cap, True) if len(expected) > cap
                                                 else (len(expected), False)), (filters, scope)
        windowed += len(expected) > cap
    assert first_window > 1_000 or windowed >= 10   # the small cap made windows stop early


def test_a_capped_page_beyond_the_cap_is_still_the_plain_sorts(listed, monkeypatch):
    monkeypatch.setattr(document_list, "COUNT_CAP", 5)
    monkeypatch.setattr(document_list, "FIRST_WINDOW", 4)
    cursor = listed.cursor()
    filters = q.DocumentFilters(search="b")
    expected = _plain(cursor, filters, None)
    assert len(expected) > 40
    shown = q.documents_page(cursor, filters, page=5, page_size=7)
    assert shown.rows["id"].tolist() == expected[35:42]
    assert (shown.total, shown.more) == (5, True)


def test_marks_carry_their_documents_issue_date(listed):
    cursor = listed.cursor()
    assert cursor.execute(
        """SELECT count(*) FROM document_marks k JOIN documents d ON d.id = k.document_id
           WHERE k.issue_date IS DISTINCT FROM d.issue_date""").fetchall()[0][0] == 0
    assert cursor.execute("SELECT count(*) FROM document_marks").fetchall()[0][0] > 100


@pytest.mark.parametrize("filters", [q.DocumentFilters(), q.DocumentFilters(search="gmail")])
def test_live_marks_are_the_whole_pages_once_states_move(listed, filters):
    """The list's self-refresh re-reads only the marks of the rows it shows: once deliveries
    change state, it is what the whole page read again gives (same rows, new marks)."""
    cursor = listed.cursor()
    before = q.documents_page(cursor, filters, page=0, page_size=20)
    sent = [i for i, n in zip(before.rows["id"], before.rows["sends"]) if n][:6]
    assert len(sent) == 6
    with listed.transaction() as writing:
        writing.execute(
            f"""UPDATE deliveries SET state = 'not_delivered', reason = 'mailboxfull'
                WHERE send_id IN (SELECT id FROM sends
                                  WHERE document_id IN ({", ".join("?" * 3)}))""", sent[:3])
        writing.execute(
            f"""UPDATE deliveries SET state = 'delivered', reason = NULL
                WHERE send_id IN (SELECT id FROM sends
                                  WHERE document_id IN ({", ".join("?" * 3)}))""", sent[3:])
    live = q.with_live_marks(cursor, before)
    again = q.documents_page(cursor, filters, page=0, page_size=20)
    pd.testing.assert_frame_equal(live.rows, again.rows)
    assert (live.total, live.more) == (again.total, again.more)
    moved = before.rows.set_index("id").loc[sent, "failing"].tolist()
    assert moved != live.rows.set_index("id").loc[sent, "failing"].tolist()  # it did change


@pytest.mark.engines("duckdb")   # PostgreSQL walks its issue-date index over every document
def test_a_marks_filter_sizes_its_windows_in_the_documents_it_keeps(listed, monkeypatch):
    """With "failures only", a window of the newest N documents holds N failing ones (DuckDB
    counts them from the marks, within the filter's dates): sized on every document it held
    far fewer of those it tests. The answer is the plain definition's either way."""
    cursor = listed.cursor()
    assert engine_of(cursor) is Engine.DUCKDB
    filters = q.DocumentFilters(failures_only=True, issued_until=DAYS[-3])
    failing_dates = sorted(
        (row[0] for row in cursor.execute(
            "SELECT issue_date FROM document_marks WHERE failing AND issue_date <= ?",
            [DAYS[-3]]).fetchall()), reverse=True)
    assert len(failing_dates) > 20
    base, params = document_list._document_conditions(filters, None)
    start = document_list._window_starts(cursor, base, params, filters)
    for size in (1, 7, 20):
        day, held = start(size)
        assert day == failing_dates[size - 1]
        assert held == sum(1 for d in failing_dates if d >= day) >= size
    assert start(len(failing_dates) + 1) == (None, len(failing_dates))
    windows = []
    monkeypatch.setattr(document_list, "COUNT_CAP", 5)
    monkeypatch.setattr(document_list, "FIRST_WINDOW", 7)
    matches = document_list._matches
    monkeypatch.setattr(document_list, "_matches", lambda *args: windows.append(args[2]) or
                        matches(*args))
    shown = q.documents_page(cursor, filters, page=0, page_size=3)
    assert shown.rows["id"].tolist() == _plain(cursor, filters, None)[:3]
    assert (shown.total, shown.more) == (5, True) and len(windows) == 1
