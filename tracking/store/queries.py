"""Reads: records for the services, DataFrames for the console and notebooks.

Parameterized SQL only; DataFrame columns are named for their readers, times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from tracking.clock import from_db, to_db
from tracking.events import Event
from tracking.models import (
    DeliveryState, DocumentKind, DocumentStatus, RecipientRole, SendingMode,
)
from tracking.records import (
    STATUS_FIELDS, Account, Client, ClientAddress, Delivery, Document, Send,
)
from tracking.store.dialect import Engine, engine_of
from tracking.store.ledger import event_from_row

Cursor = duckdb.DuckDBPyConnection


def _first(rows: list[tuple]) -> tuple | None:
    """The first row or None. Results are always fetched whole: DuckDB refuses new work on a
    cursor that still holds an unfinished result."""
    return rows[0] if rows else None


def get_account(cursor: Cursor, account_id: str) -> Account | None:
    row = _first(cursor.execute(
        """SELECT id, name, time_zone, sending_mode, sender_address, sender_name, language
           FROM accounts WHERE id = ?""", [account_id]).fetchall())
    return None if row is None else _account(row)


def _account(row: tuple) -> Account:
    return Account(row[0], row[1], row[2], SendingMode(row[3]), row[4], row[5], row[6])


def get_client(cursor: Cursor, client_id: str) -> Client | None:
    row = _first(cursor.execute("SELECT id, account_id, name FROM clients WHERE id = ?",
                         [client_id]).fetchall())
    if row is None:
        return None
    addresses = cursor.execute(
        "SELECT address, role FROM client_addresses WHERE client_id = ? ORDER BY position",
        [client_id]).fetchall()
    return Client(row[0], row[1], row[2],
                  tuple(ClientAddress(a, RecipientRole(r)) for a, r in addresses))


def client_names(cursor: Cursor, client_ids: list[str]) -> dict[str, str]:
    """Each client's name, by id (the ones that exist)."""
    rows = cursor.execute("SELECT id, name FROM clients WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                          [client_ids]).fetchall()
    return dict(rows)


def get_document(cursor: Cursor, document_id: str) -> Document | None:
    row = _first(cursor.execute(
        """SELECT id, account_id, client_id, kind, number, amount, currency, issue_date, status,
                  send_date
           FROM documents WHERE id = ?""", [document_id]).fetchall())
    return None if row is None else _document(row)


def _document(row: tuple) -> Document:
    return Document(row[0], row[1], row[2], DocumentKind(row[3]), row[4], row[5], row[6], row[7],
                    DocumentStatus(row[8]), from_db(row[9]))


def find_document_id(cursor: Cursor, reference: str) -> str | None:
    """A document by id, or by its number when the number is unique."""
    row = _first(cursor.execute("SELECT id FROM documents WHERE id = ?", [reference]).fetchall())
    if row:
        return row[0]
    rows = cursor.execute("SELECT id FROM documents WHERE number = ? LIMIT 2",
                          [reference]).fetchall()
    return rows[0][0] if len(rows) == 1 else None


_SEND_COLUMNS = """id, document_id, account_id, mode, requested_at, actor, message_id,
                   envelope_id, idempotency_key, outbox_state"""


def _send(row: tuple) -> Send:
    return Send(row[0], row[1], row[2], SendingMode(row[3]), from_db(row[4]), row[5], row[6],
                row[7], row[8], row[9])


def get_send(cursor: Cursor, send_id: str) -> Send | None:
    row = _first(cursor.execute(f"SELECT {_SEND_COLUMNS} FROM sends WHERE id = ?", [send_id]).fetchall())
    return _send(row) if row else None


def sends_by_idempotency_keys(cursor: Cursor, keys: list[str]) -> dict[str, Send]:
    if not keys:
        return {}
    rows = cursor.execute(
        f"""SELECT {_SEND_COLUMNS} FROM sends
            WHERE idempotency_key IN (SELECT unnest(?::VARCHAR[]))""", [keys]).fetchall()
    return {send.idempotency_key: send for send in map(_send, rows)}


def documents_with_accounts(cursor: Cursor, document_ids: list[str]
                            ) -> dict[str, tuple[Document, Account]]:
    rows = cursor.execute(
        """SELECT d.id, d.account_id, d.client_id, d.kind, d.number, d.amount, d.currency,
                  d.issue_date, d.status, d.send_date,
                  a.id, a.name, a.time_zone, a.sending_mode, a.sender_address, a.sender_name,
                  a.language
           FROM documents d JOIN accounts a ON a.id = d.account_id
           WHERE d.id IN (SELECT unnest(?::VARCHAR[]))""", [document_ids]).fetchall()
    return {row[0]: (_document(row[:10]), _account(row[10:])) for row in rows}


def latest_online_sends(cursor: Cursor, document_ids: list[str], *, since: datetime
                        ) -> dict[str, Send]:
    """Each document's most recent online send requested since `since`."""
    rows = cursor.execute(
        f"""SELECT {_SEND_COLUMNS}
            FROM (SELECT *, row_number() OVER (PARTITION BY document_id
                                               ORDER BY requested_at DESC, id DESC) AS nth
                  FROM sends
                  WHERE document_id IN (SELECT unnest(?::VARCHAR[])) AND mode <> 'manual'
                    AND requested_at >= ?) latest
            WHERE nth = 1""",
        [document_ids, to_db(since)]).fetchall()
    return {send.document_id: send for send in map(_send, rows)}


def latest_manual_send(cursor: Cursor, document_id: str) -> Send | None:
    """The document's most recent "marked sent by hand", if any."""
    row = _first(cursor.execute(
        f"""SELECT {_SEND_COLUMNS} FROM sends WHERE document_id = ? AND mode = 'manual'
            ORDER BY requested_at DESC, id DESC LIMIT 1""", [document_id]).fetchall())
    return _send(row) if row else None


def recipients_of_sends(cursor: Cursor, send_ids: list[str]
                        ) -> dict[str, frozenset[tuple[str, str]]]:
    """Each send's recipients as (address, role) pairs: what a double click would repeat."""
    found: dict[str, set[tuple[str, str]]] = {send_id: set() for send_id in send_ids}
    for send_id, address, role in cursor.execute(
            """SELECT send_id, address, role FROM deliveries
               WHERE send_id IN (SELECT unnest(?::VARCHAR[]))""", [send_ids]).fetchall():
        found[send_id].add((address, role))
    return {send_id: frozenset(pairs) for send_id, pairs in found.items()}


_DELIVERY_NAMES = ("send_id", "idx", "address", "role", "verp_token", *STATUS_FIELDS,
                   "smtp_attempts", "in_flight")
_DELIVERY_COLUMNS = ", ".join(_DELIVERY_NAMES)


# `_delivery` reads a row by position: the status columns in `STATUS_FIELDS` order, `state`
# and `state_at` (the two that need converting, as `status_from_row` does) first.
assert STATUS_FIELDS[:2] == ("state", "state_at")


def _delivery(row: tuple) -> Delivery:
    """A row of `_DELIVERY_COLUMNS` as a `Delivery`. By position, without the name -> value
    dicts and the intermediate `DeliveryStatus`: the outbox reads one per recipient of every
    claim, and that way cost ~2.6x the time (timeit, same run, load 4: 24.5 -> 9.4 µs a row)."""
    (send_id, idx, address, role, verp_token, state, state_at, *details, smtp_attempts,
     in_flight) = row
    return Delivery(DeliveryState(state), from_db(state_at), *details, send_id=send_id, idx=idx,
                    address=address, role=RecipientRole(role), verp_token=verp_token,
                    smtp_attempts=smtp_attempts, in_flight=in_flight)


def deliveries_of_send(cursor: Cursor, send_id: str) -> list[Delivery]:
    rows = cursor.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE send_id = ? ORDER BY idx",
        [send_id]).fetchall()
    return [_delivery(row) for row in rows]


@dataclass(frozen=True)
class OutboxItem:
    """One queued send with everything composing it needs, read in bulk."""

    send: Send
    deliveries: list[Delivery]
    document: Document
    account: Account
    client_name: str


def outbox_work(cursor: Cursor, limit: int, now: datetime) -> list[OutboxItem]:
    """Queued sends with recipients to hand to SMTP, oldest request first: recipients never
    handed over, and recipients the outbound server could not take whose retry is due at `now`
    (naive UTC; the claim must use the same `now`).

    On PostgreSQL the sends are locked `FOR UPDATE SKIP LOCKED` (call it in the claiming
    transaction): a concurrent worker skips them and takes the next ones instead of waiting."""
    skip_locked = " FOR UPDATE OF s SKIP LOCKED" if engine_of(cursor) is Engine.POSTGRES else ""
    due = cursor.execute(
        "SELECT send_id, idx FROM outbound_retries WHERE retry_at <= ? ORDER BY retry_at LIMIT ?",
        [now, limit]).fetchall()
    due_sends = sorted({row[0] for row in due})
    heads = cursor.execute(
        f"""SELECT {', '.join('s.' + c.strip() for c in _SEND_COLUMNS.split(','))},
                   d.id, d.account_id, d.client_id, d.kind, d.number, d.amount, d.currency,
                   d.issue_date, d.status, d.send_date,
                   a.id, a.name, a.time_zone, a.sending_mode, a.sender_address, a.sender_name,
                   a.language, coalesce(c.name, '')
            FROM sends s JOIN documents d ON d.id = s.document_id
            JOIN accounts a ON a.id = s.account_id LEFT JOIN clients c ON c.id = d.client_id
            WHERE s.outbox_state = 'queued'
              AND (EXISTS (SELECT 1 FROM deliveries x WHERE x.send_id = s.id
                           AND x.state = 'pending' AND x.smtp_attempts = 0 AND NOT x.in_flight)
                   OR s.id IN (SELECT unnest(?::VARCHAR[])))
            ORDER BY s.requested_at, s.id LIMIT ?{skip_locked}""", [due_sends, limit]).fetchall()
    if not heads:
        return []
    send_ids = [row[0] for row in heads]
    due_keys = {(row[0], row[1]) for row in due}
    by_send: dict[str, list[Delivery]] = {}
    for row in cursor.execute(
            f"""SELECT {_DELIVERY_COLUMNS} FROM deliveries
                WHERE send_id IN (SELECT unnest(?::VARCHAR[]))
                  AND state = 'pending' AND NOT in_flight
                ORDER BY send_id, idx""", [send_ids]).fetchall():
        delivery = _delivery(row)
        if delivery.smtp_attempts == 0 or (delivery.send_id, delivery.idx) in due_keys:
            by_send.setdefault(row[0], []).append(delivery)
    items = []
    for row in heads:
        items.append(OutboxItem(_send(row[:10]), by_send.get(row[0], []), _document(row[10:20]),
                                _account(row[20:27]), row[27]))
    return items


def outbound_waiting(cursor: Cursor) -> int:
    """Deliveries waiting for the outbound server to come back."""
    return cursor.execute("SELECT count(*) FROM outbound_retries").fetchone()[0]


def next_outbound_retry(cursor: Cursor) -> datetime | None:
    """When the earliest delivery waiting for the outbound server is due (naive UTC)."""
    return cursor.execute("SELECT min(retry_at) FROM outbound_retries").fetchone()[0]


def interrupted_deliveries(cursor: Cursor, worker: str | None = None) -> list[Delivery]:
    """Deliveries handed to SMTP by a process that died before recording the outcome (with
    `worker`: those it claimed, whose journal the caller now holds)."""
    rows = cursor.execute(
        f"""SELECT {_DELIVERY_COLUMNS} FROM deliveries
            WHERE in_flight AND (?::VARCHAR IS NULL OR claimed_by = ?)
            ORDER BY send_id, idx""", [worker, worker]).fetchall()
    return [_delivery(row) for row in rows]


def events_of_document(cursor: Cursor, document_id: str) -> list[Event]:
    frame = cursor.execute(
        """SELECT id, type, occurred_at, actor, account_id, document_id, send_id, recipient_idx,
                  recipient, details
           FROM events WHERE document_id = ? ORDER BY occurred_at, seq""",
        [document_id]).df()
    return [event_from_row(row) for row in frame.to_dict("records")]


def events_of_delivery(cursor: Cursor, send_id: str, idx: int) -> list[Event]:
    frame = cursor.execute(
        """SELECT id, type, occurred_at, actor, account_id, document_id, send_id, recipient_idx,
                  recipient, details
           FROM events WHERE send_id = ? AND recipient_idx = ? ORDER BY seq""",
        [send_id, idx]).df()
    return [event_from_row(row) for row in frame.to_dict("records")]


def history(cursor: Cursor, *, event_types: list[str] | None = None, actor: str | None = None,
            account_id: str | None = None, document_id: str | None = None,
            since: datetime | None = None, until: datetime | None = None,
            limit: int = 1000, scope: frozenset[str] | None = None) -> pd.DataFrame:
    """The activity history, newest first, filtered; one row per event.

    `scope`: only these accounts' events (None: all); `actor_name` is the display name of a
    known user, else the login."""
    scoped, scope_params = _in_scope("e.account_id", scope)
    # Only the filters given are written: DuckDB tests `? IS NULL OR …` on every row, 4M events
    # on the 1M demo. The newest `limit` events are then chosen before the joins (each joined on
    # a unique key, so the rows are the same): the Overview's latest 20 took 1.85 s joined first,
    # 30 ms chosen first (quiet machine).
    given = [("e.type = ANY(?::VARCHAR[])", list(event_types) if event_types else None),
             ("e.actor = ?", actor), ("e.account_id = ?", account_id),
             ("e.document_id = ?", document_id),
             ("e.occurred_at >= ?", to_db(since) if since else None),
             ("e.occurred_at < ?", to_db(until) if until else None)]
    conditions = [sql for sql, value in given if value is not None]
    params = [value for _, value in given if value is not None]
    return cursor.execute(
        f"""WITH chosen AS (
               SELECT * FROM events e
               WHERE {" AND ".join([*conditions, scoped])}
               ORDER BY e.occurred_at DESC, e.seq DESC
               LIMIT ?)
           SELECT e.occurred_at, e.type, e.actor, coalesce(u.name, e.actor) AS actor_name,
                  e.account_id, a.time_zone, e.document_id,
                  d.number AS document_number, e.send_id, e.recipient_idx, e.recipient,
                  e.details, e.id
           FROM chosen e
           LEFT JOIN documents d ON d.id = e.document_id
           LEFT JOIN accounts a ON a.id = e.account_id
           LEFT JOIN users u ON u.login = e.actor
           ORDER BY e.occurred_at DESC, e.seq DESC""",
        [*params, *scope_params, limit],
    ).df()


@dataclass(frozen=True)
class Overview:
    documents: int
    sends: int
    failing_documents: int          # documents whose latest send (any mode) has a failed recipient
    by_state: pd.DataFrame          # state, count


def overview(cursor: Cursor, *, scope: frozenset[str] | None = None) -> Overview:
    """Counts for the Overview page; `scope`: only these accounts (None: all)."""
    scoped, params = _in_scope("account_id", scope)
    documents, sends = cursor.execute(
        f"""SELECT (SELECT count(*) FROM documents WHERE {scoped}),
                   (SELECT count(*) FROM sends WHERE {scoped})""", params * 2).fetchall()[0]
    # Only documents with a failed recipient in some send can have one in their latest send:
    # their latest sends are ranked, not every document's (1M documents: 2.0 s -> 0.2 s).
    failing = cursor.execute(
        f"""WITH failed AS (
               SELECT DISTINCT send_id FROM deliveries
               WHERE state IN ('not_sent', 'not_delivered')),
           candidates AS (
               SELECT DISTINCT s.document_id FROM sends s JOIN failed f ON f.send_id = s.id
               WHERE {scoped}),
           latest AS (
               SELECT DISTINCT ON (s.document_id) s.document_id, s.id FROM sends s
               JOIN candidates c ON c.document_id = s.document_id
               WHERE {scoped}
               ORDER BY s.document_id, s.requested_at DESC, s.id DESC)
           SELECT count(*) FROM latest l JOIN failed f ON f.send_id = l.id""",
        params * 2).fetchall()[0][0]
    # Unscoped, the whole table is counted without the sends lookup (a million rows).
    only_scope = "" if scope is None else f"WHERE send_id IN (SELECT id FROM sends WHERE {scoped})"
    by_state = cursor.execute(
        f"""SELECT state, count(*) AS count FROM deliveries {only_scope}
           GROUP BY state
           ORDER BY CASE state WHEN 'pending' THEN 1 WHEN 'sent' THEN 2 WHEN 'not_sent' THEN 3
                               WHEN 'delivered' THEN 4 WHEN 'not_delivered' THEN 5 END""",
        params).df()
    return Overview(documents, sends, failing, by_state)


def _in_scope(column: str, scope: frozenset[str] | None) -> tuple[str, list]:
    """SQL and parameters for "`column` is one of the scope's accounts"; TRUE without a scope
    (the same rule as `console_queries`: unscoped plans stay as they were)."""
    if scope is None:
        return "TRUE", []
    return f"{column} = ANY(?::VARCHAR[])", [sorted(scope)]
