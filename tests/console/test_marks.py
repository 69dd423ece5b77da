"""The derived document marks follow the event log: a full build equals a from-scratch
computation, an action's events move just the documents they touch, and a document's marks
hold every recipient's latest state, not only the latest send's (issue 12)."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from tests.actors import support
from tests.console.conftest import copy_demo
from tracking.service import SendPolicy, SendRequest, request_send
from tracking.store.connection import open_database
from tracking.store.marks import page_marks, refresh_marks

FAILED = {"not_sent", "not_delivered"}


def from_scratch(cursor) -> list[tuple]:
    """(document, latest send, failing, states) computed in Python from the raw rows: each
    address (lower-case) at its latest send, in the order it was first sent to."""
    rows = cursor.execute(
        """SELECT s.document_id, s.id, s.requested_at, x.idx, x.address, x.state
           FROM sends s LEFT JOIN deliveries x ON x.send_id = s.id""").fetchall()
    sends: dict[str, set] = defaultdict(set)
    first: dict[tuple, tuple] = {}
    newest: dict[tuple, tuple] = {}
    for document, send, at, idx, address, state in rows:
        sends[document].add((at, send))
        if address is None:
            continue
        key = (document, address.lower())
        first[key] = min(first.get(key, (at, send, idx)), (at, send, idx))
        newest[key] = max(newest.get(key, (at, send, -idx, state)), (at, send, -idx, state))
    states: dict[str, list] = defaultdict(list)
    for key in sorted(first, key=lambda k: first[k]):
        states[key[0]].append(newest[key][3])
    return sorted((document, max(sent)[1], bool(FAILED & set(states[document])),
                   states[document]) for document, sent in sends.items())


def marks(cursor) -> list[tuple]:
    return [(d, s, f, list(st)) for d, s, f, st in cursor.execute(
        "SELECT document_id, send_id, failing, states FROM document_marks ORDER BY 1").fetchall()]


def mark_of(cursor, document_id: str) -> tuple:
    failing, states = cursor.execute("SELECT failing, states FROM document_marks "
                                     "WHERE document_id = ?", [document_id]).fetchone()
    return failing, list(states)


def live_mark_of(cursor, document_id: str) -> tuple:
    row = page_marks(cursor, [document_id]).iloc[0]
    return bool(row.failing), list(row.states), row.failure_reason


def test_marks_follow_the_events(demo_template, tmp_path):
    with open_database(copy_demo(demo_template, tmp_path)) as db:
        cursor = db.cursor()
        first = refresh_marks(db)
        assert first.full and first.documents > 0
        assert marks(cursor) == from_scratch(cursor)
        assert refresh_marks(db).documents == 0  # nothing new: nothing recomputed

        failing = cursor.execute("SELECT document_id FROM document_marks WHERE failing "
                                 "ORDER BY document_id LIMIT 1").fetchone()[0]
        request_send(db, SendRequest(failing, ("fixed@client.example",), actor=support("support"),
                                     force=True), SendPolicy(verp_key=b"k"))
        again = refresh_marks(db)
        assert not again.full and 1 <= again.documents <= 5_000
        assert marks(cursor) == from_scratch(cursor)


def test_a_resend_to_a_corrected_address_keeps_the_other_failures(demo_template, tmp_path):
    """Five recipients, one failed; a resend to its correction still leaves the document failing
    in the derived marks (the filter) and in the live marks (the list's dot); a resend to every
    failed address itself clears both."""
    with open_database(copy_demo(demo_template, tmp_path)) as db:
        cursor = db.cursor()
        refresh_marks(db)
        document, failed, reason = cursor.execute(
            """SELECT s.document_id, x.address, x.reason
               FROM document_marks m JOIN deliveries x ON x.send_id = m.send_id
               JOIN sends s ON s.id = m.send_id
               WHERE m.failing AND x.state IN ('not_sent', 'not_delivered')
               ORDER BY s.document_id, x.idx LIMIT 1""").fetchone()
        before = mark_of(cursor, document)
        request_send(db, SendRequest(document, ("corrected@client.example",),
                                     actor=support("support"), force=True, corrects=failed),
                     SendPolicy(verp_key=b"k"))
        refresh_marks(db)
        assert mark_of(cursor, document) == (True, [*before[1], "pending"])
        assert live_mark_of(cursor, document) == (True, [*before[1], "pending"], reason)
        assert marks(cursor) == from_scratch(cursor)

        every_failed = tuple(dict.fromkeys(row[0] for row in cursor.execute(
            """SELECT x.address FROM deliveries x JOIN sends s ON s.id = x.send_id
               WHERE s.document_id = ? AND x.state IN ('not_sent', 'not_delivered')""",
            [document]).fetchall()))
        request_send(db, SendRequest(document, every_failed[:5], actor=support("support"),
                                     force=True, override_suppression=True),
                     SendPolicy(verp_key=b"k"))
        refresh_marks(db)
        failing, states = mark_of(cursor, document)
        assert not failing and "pending" in states and len(states) == len(before[1]) + 1
        assert live_mark_of(cursor, document)[:2] == (False, states)
        assert marks(cursor) == from_scratch(cursor)


def test_live_marks_equal_the_derived_ones(demo_template, tmp_path):
    with open_database(copy_demo(demo_template, tmp_path)) as db:
        cursor = db.cursor()
        refresh_marks(db)
        derived = {d: (f, st) for d, _, f, st in marks(cursor)}
        live = page_marks(cursor, sorted(derived) + ["never-sent"])
        assert len(live) == len(derived)     # a document never sent has no row
        assert {row.id: (bool(row.failing),   # no recipient (marked sent by hand): no list
                         [] if row.states is None or row.states is pd.NA else list(row.states))
                for row in live.itertuples()} == derived
        assert live[live.failing].failure_reason.notna().all()
