"""Document marks: each document's latest send and mode, every recipient's latest state, the
failure flag, and the document's issue date (migration 15: the list looks at the newest first).

The states are those of every address the document was ever sent to, each at its latest send
(as the tracking box shows them, `tracking.store.box.every_recipient`): a resend to one corrected
address of a five-recipient document must not hide the other recipients' failures (issue 12).
The send id and mode stay those of the latest send, which the mode filter is about.

A derived table (migration 4) that lets the Documents page filter a million documents on
"failures only", a delivery state or a mode in milliseconds. It is derived from the event log,
never written by the actions themselves: `refresh_marks` looks at the events appended since its
last run, recomputes the marks of the documents they touch, and records how far it got — all in
one transaction. Nothing new (same event count) costs one cheap query.

Why a margin: an event's `seq` is drawn when it is inserted, but becomes visible when its
transaction commits, so a long transaction (an outbox batch) can commit events numbered below
the point a concurrent refresh already passed. A refresh that finds such late events (the log
holds more events numbered up to that point than it held then) therefore re-reads the last
`RESCAN_MARGIN` sequence numbers too; recomputing a document twice is harmless. Otherwise it
reads only the events numbered after that point (the margin's 5,000 events re-read at every
refresh cost ≈1 s of a million-document store's refresh, every 2 s while mail moves). The list itself
always shows marks computed live for the rows on screen, so the margin only matters for which
documents a filter lets through, for a few seconds at most.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tracking.store import bounced_addresses
from tracking.store.connection import Database
from tracking.store.dialect import Engine, engine_of

RESCAN_MARGIN = 5_000          # sequence numbers re-read behind the last refresh (see above)
FULL_REBUILD_ABOVE = 50_000    # touched documents beyond which rebuilding everything is cheaper
FAILED_STATES = ["not_sent", "not_delivered"]

# Each document's latest send, its mode and actor, and its number of sends. DuckDB's arg_max over a (time, id) pair
# is its fastest form; PostgreSQL has no arg_max and uses DISTINCT ON (index-friendly there).
_LATEST = {
    Engine.DUCKDB: """
        SELECT s.document_id, arg_max(s.id, (s.requested_at, s.id)) AS send_id,
               count(*) AS sends, arg_max(s.mode, (s.requested_at, s.id)) AS mode,
               arg_max(s.actor, (s.requested_at, s.id)) AS actor
        FROM sends s WHERE s.document_id IN {documents}
        GROUP BY s.document_id""",
    Engine.POSTGRES: """
        SELECT DISTINCT ON (s.document_id) s.document_id, s.id AS send_id,
               count(*) OVER (PARTITION BY s.document_id) AS sends, s.mode, s.actor
        FROM sends s WHERE s.document_id IN {documents}
        ORDER BY s.document_id, s.requested_at DESC, s.id DESC""",
}

# Every address the documents in `scope` were sent to, once each (compared lower-case) at its
# latest send, with where it first appeared (to keep the recipients' order across sends).
# Window functions and first_value: words both engines speak.
_LATEST_RECIPIENTS = """
    SELECT document_id, state, reason, first_at, first_idx FROM (
        SELECT s.document_id, x.state, x.reason,
               row_number() OVER (PARTITION BY s.document_id, lower(x.address)
                                  ORDER BY s.requested_at DESC, s.id DESC, x.idx) AS newest,
               first_value(s.requested_at) OVER first_sent AS first_at,
               first_value(x.idx) OVER first_sent AS first_idx
        FROM sends s JOIN deliveries x ON x.send_id = s.id
        WHERE s.id IN {sends} AND x.send_id IN {sends}
        WINDOW first_sent AS (PARTITION BY s.document_id, lower(x.address)
                              ORDER BY s.requested_at, s.id, x.idx)) r
    WHERE newest = 1"""

_MARKS_OF = """
    WITH scope AS ({scope}),
    latest AS ({latest}),
    recipients AS ({recipients}),
    addresses AS (
        SELECT s.document_id, string_agg(DISTINCT x.address, ' ') AS recipients
        FROM sends s JOIN deliveries x ON x.send_id = s.id
        WHERE s.document_id IN (SELECT document_id FROM scope)
        GROUP BY s.document_id)
    SELECT l.document_id, l.send_id, s.mode, l.sends,
           coalesce(bool_or(r.state = ANY(?::VARCHAR[])), FALSE),
           coalesce(array_agg(r.state ORDER BY r.first_at, r.first_idx)
                        FILTER (WHERE r.state IS NOT NULL), ARRAY[]::VARCHAR[]),
           coalesce(a.recipients, ''), d.issue_date
    FROM latest l JOIN sends s ON s.id = l.send_id
    JOIN documents d ON d.id = l.document_id
    LEFT JOIN recipients r ON r.document_id = l.document_id
    LEFT JOIN addresses a ON a.document_id = l.document_id
    GROUP BY l.document_id, l.send_id, s.mode, l.sends, a.recipients, d.issue_date"""
# A full rebuild writes the marks in issue-date order: on DuckDB a date cut then skips the row
# groups of older documents (migration 15). PostgreSQL has an index on it and ignores the order.
_IN_DATE_ORDER = " ORDER BY issue_date"

# The same marks, live, for the rows a list page shows, with the latest send's actor and the
# first failing recipient's reason (the dot's explanation).
_PAGE_MARKS = """
    WITH latest AS ({latest}),
    recipients AS ({recipients})
    SELECT l.document_id AS id, l.sends, l.mode, l.actor,
           coalesce(bool_or(r.state = ANY(?::VARCHAR[])), FALSE) AS failing,
           array_agg(r.state ORDER BY r.first_at, r.first_idx)
               FILTER (WHERE r.state IS NOT NULL) AS states,
           (array_agg(r.reason ORDER BY r.first_at, r.first_idx)
               FILTER (WHERE r.state = ANY(?::VARCHAR[])))[1] AS failure_reason
    FROM latest l   -- its mode and actor too: joining sends again would read them all
    LEFT JOIN recipients r ON r.document_id = l.document_id
    GROUP BY l.document_id, l.sends, l.mode, l.actor"""


# The documents (and their sends) the derived table's refresh works on: those of `scope`.
_SCOPE_DOCUMENTS = "(SELECT document_id FROM scope)"
_SCOPE_SENDS = "(SELECT id FROM sends WHERE document_id IN (SELECT document_id FROM scope))"


def _marks_of(scope: str, engine: Engine) -> str:
    fragments = {"documents": _SCOPE_DOCUMENTS, "sends": _SCOPE_SENDS}
    return _MARKS_OF.format(scope=scope, latest=_LATEST[engine].format(**fragments),
                            recipients=_LATEST_RECIPIENTS.format(sends=_SCOPE_SENDS))


def page_marks(cursor, document_ids: list[str]) -> pd.DataFrame:
    """The marks of these documents computed now (not from the derived table): `id`, `sends`,
    the latest send's `mode` and `actor`, `failing` and `states` over every recipient's latest
    state, and the first failing recipient's `reason` (`failure_reason`). A document never
    sent has no row.

    The documents and their sends are named one placeholder each, not joined from a list: DuckDB
    then filters the sends and deliveries while scanning them (≈15 ms for a page on a million
    documents, against 200–400 ms for a semi-join that reads them all), and PostgreSQL looks
    them up by index. A list with nothing to find holds '' (no id is empty)."""
    documents = list(document_ids) or [""]
    sends = [row[0] for row in cursor.execute(
        f"SELECT id FROM sends WHERE document_id IN ({_placeholders(documents)})",
        documents).fetchall()] or [""]
    in_documents, in_sends = f"({_placeholders(documents)})", f"({_placeholders(sends)})"
    sql = _PAGE_MARKS.format(latest=_LATEST[engine_of(cursor)].format(documents=in_documents),
                             recipients=_LATEST_RECIPIENTS.format(sends=in_sends))
    # placeholders in text order: latest's documents, the recipients' sends (twice)
    return cursor.execute(sql, [*documents, *sends, *sends,
                                FAILED_STATES, FAILED_STATES]).df()


def _placeholders(values: list) -> str:
    return ", ".join("?" * len(values))


_ALL_DOCUMENTS = "SELECT DISTINCT document_id FROM sends"
_LISTED_DOCUMENTS = "SELECT unnest(?::VARCHAR[]) AS document_id"


@dataclass(frozen=True)
class MarksRefresh:
    documents: int          # documents whose marks were recomputed
    full: bool              # the whole table was rebuilt


# pg_advisory_xact_lock(namespace, key): beside the mailbox locks (`tracking.store.inbound`).
_MARKS_LOCK = 5_102


def _up_to_date(cursor) -> bool:
    """Whether the marks have seen as many events as the log holds (one cheap query each)."""
    counted = cursor.execute("SELECT event_count FROM document_marks_progress").fetchall()[0][0]
    return cursor.execute("SELECT count(*) FROM events").fetchall()[0][0] == counted


def refresh_marks(db: Database) -> MarksRefresh:
    """Bring `document_marks` up to date with the event log (one transaction).

    Callers in one process serialize calls (the console holds a lock): two refreshes touching
    the same documents at once would conflict in DuckDB and one would fail. Across processes
    (PostgreSQL: several `serve` and console replicas each refresh) a lock held for the
    transaction does the same: without it, two refreshes deleting then inserting the same
    documents' marks collide on the primary key and one process fails at start.
    """
    cursor = db.cursor()
    if _up_to_date(cursor):
        return MarksRefresh(0, False)
    with db.transaction() as cursor:
        if engine_of(cursor) is Engine.POSTGRES:
            cursor.execute("SELECT pg_advisory_xact_lock(?, 0)", [_MARKS_LOCK])
            if _up_to_date(cursor):   # another process refreshed while this one waited
                return MarksRefresh(0, False)
        last_seq, counted = cursor.execute(
            "SELECT last_seq, event_count FROM document_marks_progress").fetchall()[0]
        # One statement, so one view of the log on both engines: how many events it holds,
        # the newest, and how many of them are numbered up to the last refresh's newest.
        event_count, max_seq, up_to_last = cursor.execute(
            """SELECT count(*), coalesce(max(seq), 0), count(*) FILTER (WHERE seq <= ?)
               FROM events""", [last_seq]).fetchall()[0]
        # Only when events numbered below that point were committed since (as many then as
        # the last refresh counted in all) is the margin re-read; otherwise the new events are
        # exactly those numbered after it.
        since = last_seq if up_to_last == counted else max(last_seq - RESCAN_MARGIN, 0)
        touched = [row[0] for row in cursor.execute(
            """SELECT DISTINCT coalesce(e.document_id, s.document_id)
               FROM events e LEFT JOIN sends s ON s.id = e.send_id
               WHERE e.seq > ? AND coalesce(e.document_id, s.document_id) IS NOT NULL""",
            [since]).fetchall()]
        engine = engine_of(cursor)
        full = last_seq == 0 or len(touched) > FULL_REBUILD_ABOVE
        if full:
            bounced_addresses.rebuild(cursor)
            cursor.execute("DELETE FROM document_marks")
            cursor.execute("INSERT INTO document_marks SELECT * FROM ("
                           + _marks_of(_ALL_DOCUMENTS, engine) + ") AS marks" + _IN_DATE_ORDER,
                           [FAILED_STATES])
        elif touched:
            bounced_addresses.refresh(cursor, since)
            cursor.execute("DELETE FROM document_marks WHERE document_id IN "
                           "(SELECT unnest(?::VARCHAR[]))", [touched])
            cursor.execute("INSERT INTO document_marks "
                           + _marks_of(_LISTED_DOCUMENTS, engine),
                           [touched, FAILED_STATES])
        cursor.execute("UPDATE document_marks_progress SET last_seq = ?, event_count = ?",
                       [max_seq, event_count])
    documents = cursor.execute("SELECT count(*) FROM document_marks").fetchall()[0][0] \
        if full else len(touched)
    return MarksRefresh(int(documents), full)
