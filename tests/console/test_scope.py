"""Account scope of every console query, on a generated demo database (seven accounts).

A user limited to account A never gets a row of account B from any list, search, failure,
history, chart, mailbox or export query; and without a scope the same queries do return other
accounts' rows, so each check below could fail.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.console.conftest import DEMO_NOW, copy_demo, make_unmatched
from tracking.export import frame_to_csv
from tracking.store import console_queries as q
from tracking.store import queries
from tracking.store.connection import open_database
from tracking.store.marks import refresh_marks

ACCOUNT = "acct-dubois"
SCOPE = frozenset({ACCOUNT})
SINCE, UNTIL = datetime(2020, 1, 1), DEMO_NOW.replace(tzinfo=None)


@pytest.fixture(scope="module")
def demo(demo_template, tmp_path_factory):
    path = copy_demo(demo_template, tmp_path_factory.mktemp("scope"))
    unmatched = make_unmatched(path, 2)
    db = open_database(path)
    refresh_marks(db)
    cursor = db.cursor()
    ids = dict(cursor.execute("SELECT id, account_id FROM documents").fetchall())
    names = dict(cursor.execute("SELECT id, name FROM accounts").fetchall())
    yield {"db": db, "cursor": cursor, "unmatched": unmatched,
           "mine": {d for d, a in ids.items() if a == ACCOUNT},
           "others": {d for d, a in ids.items() if a != ACCOUNT},
           "my_name": names[ACCOUNT],
           "other_names": {n for a, n in names.items() if a != ACCOUNT}}
    db.close()


def _only_mine(frame, demo, *, id_column=None, account_column=None, name_column=None):
    """Every row is of the scope's account (by document id, account id or account name)."""
    assert not frame.empty
    if id_column:
        assert set(frame[id_column].dropna()) <= demo["mine"]
    if account_column:
        assert set(frame[account_column].dropna()) == {ACCOUNT}
    if name_column:
        assert set(frame[name_column].dropna()) == {demo["my_name"]}


def test_documents_list_and_every_filter(demo):
    c = demo["cursor"]
    everything = q.documents_page(c, q.DocumentFilters(), page_size=10_000)
    assert set(everything.rows["id"]) & demo["others"]                 # the check can fail
    mine = q.documents_page(c, q.DocumentFilters(), page_size=10_000, scope=SCOPE)
    assert set(mine.rows["id"]) == demo["mine"] and mine.total == len(demo["mine"])
    for filters in (q.DocumentFilters(failures_only=True), q.DocumentFilters(state="delivered"),
                    q.DocumentFilters(mode="relay"), q.DocumentFilters(kind="invoice"),
                    q.DocumentFilters(search="a")):
        page = q.documents_page(c, filters, page_size=10_000, scope=SCOPE)
        _only_mine(page.rows, demo, id_column="id", account_column="account_id")
        assert page.total == len(page.rows)
    # searching for another account's document by its exact number finds nothing
    other_id = sorted(demo["others"])[0]
    number = c.execute("SELECT number FROM documents WHERE id = ?", [other_id]).fetchone()[0]
    found = q.documents_page(c, q.DocumentFilters(search=number), scope=SCOPE)
    assert other_id not in set(found.rows["id"])
    # asking for another account explicitly gives nothing, not that account
    elsewhere = q.documents_page(c, q.DocumentFilters(account_id="acct-hudson"), scope=SCOPE)
    assert elsewhere.total == 0 and elsewhere.rows.empty
    assert q.documents_page(c, q.DocumentFilters(), scope=frozenset()).total == 0


def test_accounts_and_actors(demo):
    c = demo["cursor"]
    assert list(q.accounts(c, scope=SCOPE)["id"]) == [ACCOUNT]
    assert len(q.accounts(c)) == 7
    actors = q.actors(c, scope=SCOPE)
    assert {"j.dubois", "ops.claire", "system"} <= set(actors)
    assert "e.carter" in q.actors(c) and "e.carter" not in actors    # a Hudson user


def test_document_box_timeline_and_returned_messages(demo):
    c = demo["cursor"]
    other = c.execute("""SELECT d.id FROM documents d JOIN returned_messages r
                         ON r.document_id = d.id WHERE d.account_id <> ? ORDER BY d.id LIMIT 1""",
                      [ACCOUNT]).fetchone()[0]
    mine = c.execute("""SELECT d.id FROM documents d JOIN returned_messages r
                        ON r.document_id = d.id WHERE d.account_id = ? ORDER BY d.id LIMIT 1""",
                     [ACCOUNT]).fetchone()[0]
    assert q.document_box(c, other) is not None and q.document_box(c, other, scope=SCOPE) is None
    assert q.document_box(c, mine, scope=SCOPE) is not None
    assert not q.timeline(c, other).empty and q.timeline(c, other, scope=SCOPE).empty
    assert not q.timeline(c, mine, scope=SCOPE).empty
    assert q.returned_messages_of_document(c, other, scope=SCOPE).empty
    assert not q.returned_messages_of_document(c, mine, scope=SCOPE).empty
    other_message = q.returned_messages_of_document(c, other)["id"].iloc[0]
    my_message = q.returned_messages_of_document(c, mine)["id"].iloc[0]
    assert q.raw_message(c, other_message) and q.raw_message(c, other_message, scope=SCOPE) is None
    assert q.raw_message(c, my_message, scope=SCOPE)
    assert q.sends_for_attachment(c, other, scope=SCOPE).empty
    assert not q.sends_for_attachment(c, other).empty


def test_failures_their_summary_and_export(demo):
    c = demo["cursor"]
    assert set(q.failing_deliveries(c, SINCE, UNTIL)["document_id"]) & demo["others"]
    failed = q.failing_deliveries(c, SINCE, UNTIL, scope=SCOPE)
    _only_mine(failed, demo, id_column="document_id", name_column="account")
    exported = frame_to_csv(failed).decode()
    for other_name in demo["other_names"]:
        assert other_name not in exported
    summary = q.failure_summary(c, SINCE, UNTIL, scope=SCOPE)
    assert list(summary.by_account["account_id"]) == [ACCOUNT]
    expected_total = c.execute(
        """SELECT count(*) FROM deliveries x JOIN sends s ON s.id = x.send_id
           WHERE s.account_id = ? AND s.requested_at >= ? AND s.requested_at < ?""",
        [ACCOUNT, SINCE, UNTIL]).fetchone()[0]
    assert summary.total == expected_total < q.failure_summary(c, SINCE, UNTIL).total
    assert int(summary.by_mode["total"].sum()) == expected_total


def test_history_its_charts_and_the_overview(demo):
    c = demo["cursor"]
    history = q.history_page(c, since=SINCE, until=UNTIL, limit=100_000, scope=SCOPE)
    _only_mine(history, demo, id_column="document_id", name_column="account")
    assert set(q.history_page(c, since=SINCE, until=UNTIL, limit=100_000)["account"]) & \
        demo["other_names"]
    scoped_events = c.execute("SELECT count(*) FROM events WHERE account_id = ?",
                              [ACCOUNT]).fetchone()[0]
    assert len(history) == scoped_events
    charts = q.history_charts(c, SINCE, UNTIL, scope=SCOPE)
    assert int(charts.activity["events"].sum()) == scoped_events
    assert int(charts.failure_rate["total"].sum()) == q.failure_summary(
        c, SINCE, UNTIL, scope=SCOPE).total
    assert int(charts.delivery_delay["deliveries"].sum()) < int(
        q.history_charts(c, SINCE, UNTIL).delivery_delay["deliveries"].sum())
    recent = queries.history(c, limit=100_000, scope=SCOPE)
    assert set(recent["account_id"]) == {ACCOUNT} and len(recent) == scoped_events
    overview = queries.overview(c, scope=SCOPE)
    assert overview.documents == len(demo["mine"])
    assert overview.documents < queries.overview(c).documents
    assert int(overview.by_state["count"].sum()) == c.execute(
        """SELECT count(*) FROM deliveries x JOIN sends s ON s.id = x.send_id
           WHERE s.account_id = ?""", [ACCOUNT]).fetchone()[0]


def test_mailbox_hides_other_accounts_and_messages_tied_to_no_account(demo):
    c = demo["cursor"]
    queue = q.mailbox_queue(c)
    assert set(demo["unmatched"]) <= set(queue["id"])
    assert not set(demo["unmatched"]) & set(q.mailbox_queue(c, scope=SCOPE)["id"])
    counts = q.mailbox_counts(c, scope=SCOPE)
    visible = c.execute("""SELECT count(*) FROM returned_messages r JOIN documents d
                           ON d.id = r.document_id WHERE d.account_id = ?""",
                        [ACCOUNT]).fetchone()[0]
    assert int(counts["messages"].sum()) == visible < int(q.mailbox_counts(c)["messages"].sum())
    for message in demo["unmatched"]:
        assert q.raw_message(c, message) and q.raw_message(c, message, scope=SCOPE) is None


def test_display_names_for_known_logins(demo):
    c = demo["cursor"]
    history = q.history_page(c, since=SINCE, until=UNTIL, actor="j.dubois", limit=5)
    assert set(history["actor"]) == {"j.dubois"}
    assert set(history["actor_name"]) == {"Jacques Dubois"}
    system = q.history_page(c, since=SINCE, until=UNTIL, actor="system", limit=5)
    assert set(system["actor_name"]) == {"system"}       # not a user: the login as recorded
    document = history["document_id"].dropna().iloc[0]
    timeline = q.timeline(c, document)
    named = timeline[timeline["actor"] == "j.dubois"]
    assert set(named["actor_name"]) == {"Jacques Dubois"}
    box = q.document_box(c, document)
    sends = box.sends[box.sends["actor"] == "j.dubois"]
    assert sends.empty or set(sends["actor_name"]) == {"Jacques Dubois"}
