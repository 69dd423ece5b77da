"""The tracking box's reads: every send of a document in order, and every recipient it was
ever sent to with that recipient's latest state (issue 12: a resend to one corrected address
no longer hides the others).

Both go from the document to its sends by the `sends_document` index and from a send to its
deliveries by the deliveries' key, so a box stays a few milliseconds on a million documents.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from tracking.models import SendKind

Cursor = duckdb.DuckDBPyConnection


def _sends_of(cursor: Cursor, document_id: str) -> list[tuple]:
    """(id, requested_at) of the document's sends, by the `sends_document` index."""
    return cursor.execute("SELECT id, requested_at FROM sends WHERE document_id = ? ORDER BY id",
                          [document_id]).fetchall()


def _deliveries_of(sends: list[tuple]) -> tuple[str, list]:
    """SQL for the deliveries of these sends, one `send_id = ?` lookup each (a UNION ALL):
    DuckDB serves a lone equality by the deliveries' index, but a join to sends, an
    `IN (subquery)` or any second condition by scanning every delivery (≈30–100 ms a box on
    a million documents)."""
    if not sends:
        return "SELECT * FROM deliveries WHERE FALSE", []
    return (" UNION ALL ".join("SELECT * FROM deliveries WHERE send_id = ?" for _ in sends),
            [send[0] for send in sends])


def _sends_table(sends: list[tuple]) -> tuple[str, list]:
    """The sends already read, as a relation `s(id, requested_at)` to join the deliveries to:
    a few rows, where joining the sends table would hash a million."""
    if not sends:
        return "(SELECT id, requested_at FROM sends WHERE FALSE) AS s", []
    values = ", ".join("(?, ?::TIMESTAMP)" for _ in sends)
    return (f"(VALUES {values}) AS s (id, requested_at)",
            [value for send in sends for value in send])


def send_history(cursor: Cursor, document_id: str) -> pd.DataFrame:
    """The document's sends, newest first: mode, when, who (`actor_name`: the user's display
    name, or the login), its `kind` (SendKind), its recipients in order, and whether it was sent
    to a suppressed address on purpose (`overrode_suppression`), and for a resend to a
    corrected address, the failed address it replaces (`corrects`)."""
    deliveries, delivery_params = _deliveries_of(_sends_of(cursor, document_id))
    return cursor.execute(
        f"""WITH s AS (
               SELECT s.id, s.mode, s.requested_at, s.actor, u.name AS actor_name,
                      s.message_id, s.outbox_state,
                      CASE WHEN s.mode = 'manual' THEN ?
                           WHEN row_number() OVER (PARTITION BY s.mode = 'manual'
                                ORDER BY s.requested_at, s.id) = 1 THEN ?
                           ELSE ? END AS kind
               FROM sends s LEFT JOIN users u ON u.login = s.actor
               WHERE s.document_id = ?),
           x AS (
               SELECT send_id, array_agg(address ORDER BY idx) AS recipients
               FROM ({deliveries}) AS d GROUP BY send_id),
           e AS (   -- the type is tested per row, not in WHERE: with it there DuckDB
                    -- leaves the events_document index (24 ms instead of 1 on 100k documents)
               SELECT send_id, bool_or(type = 'send_requested' AND coalesce(
                          (details::JSON ->> 'suppression_overridden') = 'true', FALSE))
                          AS overrode_suppression,
                      max(CASE WHEN type = 'send_requested'
                               THEN details::JSON ->> 'corrects' END) AS corrects
               FROM events WHERE document_id = ? GROUP BY send_id)
           SELECT s.*, coalesce(x.recipients, ARRAY[]::VARCHAR[]) AS recipients,
                  coalesce(e.overrode_suppression, FALSE) AS overrode_suppression, e.corrects
           FROM s LEFT JOIN x ON x.send_id = s.id LEFT JOIN e ON e.send_id = s.id
           ORDER BY s.requested_at DESC, s.id DESC""",
        [str(SendKind.MANUAL), str(SendKind.ONLINE), str(SendKind.RESEND), document_id,
         *delivery_params, document_id]).df()


def every_recipient(cursor: Cursor, document_id: str) -> pd.DataFrame:
    """Every address the document was ever sent to online, once each (compared lower-case),
    in the order it was first sent to, with its latest send's delivery: state, when, reason,
    the server's words. `send_id` is that latest send; `sends` how many sends included it."""
    sends = _sends_of(cursor, document_id)
    deliveries, delivery_params = _deliveries_of(sends)
    sends_table, sends_params = _sends_table(sends)
    return cursor.execute(
        f"""WITH x AS (
               SELECT x.send_id, x.idx, x.address, x.role, x.state, x.state_at, x.reason,
                      x.status_code, x.smtp_reply, x.diagnostic, x.remote_mta, x.complained,
                      s.requested_at,
                      count(*) OVER w AS sends,
                      first_value(s.requested_at) OVER earliest AS first_sent_at,
                      first_value(x.idx) OVER earliest AS first_sent_idx,
                      row_number() OVER (PARTITION BY lower(x.address)
                                         ORDER BY s.requested_at DESC, s.id DESC) AS newest
               FROM ({deliveries}) AS x JOIN {sends_table} ON s.id = x.send_id
               WINDOW w AS (PARTITION BY lower(x.address)),
                      earliest AS (PARTITION BY lower(x.address) ORDER BY s.requested_at, x.idx))
           SELECT send_id, idx, address, role, state, state_at, reason, status_code, smtp_reply,
                  diagnostic, remote_mta, complained, sends
           FROM x WHERE newest = 1 ORDER BY first_sent_at, first_sent_idx""",
        [*delivery_params, *sends_params]).df()


def delivered_domains(cursor: Cursor, account_id: str, *, limit: int = 500) -> list[str]:
    """The recipient domains this account's mail reached (delivered, or accepted by the
    customer's own server in `smtp` mode, the furthest that mode sees), most used first: the
    resend form's candidates for a correction (`tracking.suggest`). Counted from the
    `delivery_counts` rollup (its domain is the same lower-cased part after the @): a few
    thousand rows instead of the account's deliveries joined to their sends."""
    rows = cursor.execute(
        """SELECT domain FROM delivery_counts
           WHERE account_id = ?
             AND (state = 'delivered' OR (state = 'sent' AND mode = 'smtp'))
           GROUP BY domain HAVING sum(deliveries) > 0
           ORDER BY sum(deliveries) DESC, domain LIMIT ?""",
        [account_id, limit]).fetchall()
    return [row[0] for row in rows if row[0]]
