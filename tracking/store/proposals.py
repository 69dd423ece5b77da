"""SQL of report proposals (migration 8): the "à vérifier" queue of issue 9.

A returned message tied to a send only by a key anyone can copy is stored as one proposal per
recipient it names, with its evidence. Ingestion inserts them in the batch's transaction (ids are
deterministic, so a re-read inserts nothing twice); support's decision updates the row in the
same transaction as the event that records it (`tracking.returned_actions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa

from tracking.clock import from_db, to_db
from tracking.store.scope import Scope, in_scope as _in_scope

Cursor = duckdb.DuckDBPyConnection

OPEN, APPLIED, REJECTED = "open", "applied", "rejected"

PROPOSAL_SCHEMA = pa.schema([
    ("id", pa.string()), ("returned_message_id", pa.string()), ("received_at", pa.timestamp("us")),
    ("account_id", pa.string()), ("document_id", pa.string()), ("send_id", pa.string()),
    ("recipient_idx", pa.int32()), ("recipient", pa.string()), ("match_method", pa.string()),
    ("event_type", pa.string()), ("reported_recipient", pa.string()), ("action", pa.string()),
    ("status_code", pa.string()), ("reason", pa.string()), ("diagnostic", pa.string()),
    ("details", pa.string()), ("decision", pa.string()), ("decided_by", pa.string()),
    ("decided_at", pa.timestamp("us")), ("note", pa.string()),
])
_COLUMNS = ", ".join(PROPOSAL_SCHEMA.names)


@dataclass(frozen=True, slots=True)
class Proposal:
    id: str
    returned_message_id: str
    received_at: datetime
    account_id: str
    document_id: str
    send_id: str
    recipient_idx: int
    recipient: str
    match_method: str
    event_type: str
    reported_recipient: str | None
    action: str | None
    status_code: str | None
    reason: str | None
    diagnostic: str | None
    details: str                       # JSON
    decision: str
    decided_by: str | None


def insert_proposals(cursor: Cursor, rows: list[dict]) -> int:
    """Store new proposals; one already there (same id) is left as it is, decision included."""
    if not rows:
        return 0
    table = pa.Table.from_pylist(rows, schema=PROPOSAL_SCHEMA)
    cursor.register("suivi_proposals", table)
    try:
        inserted = cursor.execute(
            f"""INSERT INTO report_proposals ({_COLUMNS})
                SELECT {_COLUMNS} FROM suivi_proposals
                WHERE id NOT IN (SELECT id FROM report_proposals)
                ON CONFLICT (id) DO NOTHING
                RETURNING id""").fetchall()
    finally:
        cursor.unregister("suivi_proposals")
    return len(inserted)


def get_proposal(cursor: Cursor, proposal_id: str) -> Proposal | None:
    rows = cursor.execute(
        """SELECT id, returned_message_id, received_at, account_id, document_id, send_id,
                  recipient_idx, recipient, match_method, event_type, reported_recipient, action,
                  status_code, reason, diagnostic, details, decision, decided_by
           FROM report_proposals WHERE id = ?""", [proposal_id]).fetchall()
    if not rows:
        return None
    row = list(rows[0])
    row[2] = from_db(row[2])
    return Proposal(*row)


def decide(cursor: Cursor, proposal_id: str, decision: str, actor: str, at: datetime,
           note: str = "") -> None:
    cursor.execute(
        """UPDATE report_proposals SET decision = ?, decided_by = ?, decided_at = ?, note = ?
           WHERE id = ?""", [decision, actor, to_db(at), note or None, proposal_id])


def decisions_of_message(cursor: Cursor, returned_message_id: str) -> dict[str, int]:
    """How many of a message's proposals are open, applied, rejected."""
    return dict(cursor.execute(
        """SELECT decision, count(*) FROM report_proposals WHERE returned_message_id = ?
           GROUP BY decision""", [returned_message_id]).fetchall())


def open_queue(cursor: Cursor, *, limit: int = 200, scope: Scope = None) -> pd.DataFrame:
    """The "à vérifier" queue with its evidence, newest first (the Mailbox page), limited to the
    accounts of `scope` (None: every account)."""
    in_scope, params = _in_scope("p.account_id", scope)
    return cursor.execute(
        f"""SELECT p.id, p.received_at, d.number AS document, p.recipient, p.reported_recipient,
                  p.match_method, p.event_type, p.status_code, p.reason, p.diagnostic,
                  p.send_id, p.returned_message_id
           FROM report_proposals p LEFT JOIN documents d ON d.id = p.document_id
           WHERE p.decision = 'open' AND {in_scope}
           ORDER BY p.received_at DESC, p.id LIMIT ?""", [*params, limit]).df()


def of_document(cursor: Cursor, document_id: str, *, scope: Scope = None) -> pd.DataFrame:
    """A document's proposals, open first (the Document page); none outside `scope`."""
    in_scope, params = _in_scope("account_id", scope)
    return cursor.execute(
        f"""SELECT id, received_at, recipient, reported_recipient, match_method, event_type,
                  status_code, reason, diagnostic, decision, decided_by
           FROM report_proposals WHERE document_id = ? AND {in_scope}
           ORDER BY decision <> 'open', received_at DESC, id""", [document_id, *params]).df()
