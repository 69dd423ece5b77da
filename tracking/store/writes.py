"""Writes of accounts, clients, documents, sends and deliveries (parameterized SQL only).

Every function takes the cursor of an open transaction; the service layer decides where
transactions begin and end.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from tracking.clock import to_db, utc_now_naive
from tracking.records import Account, Client, Delivery, Document, Send, User
from tracking.store import delivery_counts

Cursor = duckdb.DuckDBPyConnection


def insert_account(cursor: Cursor, account: Account) -> None:
    cursor.execute(
        "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [account.id, account.name, account.time_zone, str(account.sending_mode),
         account.sender_address, account.sender_name, account.language, utc_now_naive()],
    )


def update_account_settings(cursor: Cursor, account_id: str, *, time_zone: str,
                            sending_mode: str) -> None:
    cursor.execute(
        "UPDATE accounts SET time_zone = ?, sending_mode = ? WHERE id = ?",
        [time_zone, sending_mode, account_id],
    )


def insert_user(cursor: Cursor, user: User) -> None:
    # Named columns: migration 6 added the sign-in columns; such a user is an actor name only.
    cursor.execute("INSERT INTO users (id, account_id, name, email, login) VALUES (?, ?, ?, ?, ?)",
                   [user.id, user.account_id, user.name, user.email, user.id])


def insert_client(cursor: Cursor, client: Client) -> None:
    cursor.execute("INSERT INTO clients VALUES (?, ?, ?)",
                   [client.id, client.account_id, client.name])
    for position, address in enumerate(client.addresses):
        cursor.execute("INSERT INTO client_addresses VALUES (?, ?, ?, ?)",
                       [client.id, position, address.address, str(address.role)])


def insert_document(cursor: Cursor, document: Document) -> None:
    cursor.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [document.id, document.account_id, document.client_id, str(document.kind),
         document.number, document.amount, document.currency, document.issue_date,
         str(document.status),
         to_db(document.send_date) if document.send_date else None, utc_now_naive()],
    )


def set_document_sent(cursor: Cursor, document_id: str, send_date: datetime) -> None:
    """The document has been sent: its send date is now `send_date`; issued -> sent."""
    set_documents_sent(cursor, [document_id], send_date)


def set_document_send_date(cursor: Cursor, document_id: str, send_date: datetime | None) -> None:
    cursor.execute("UPDATE documents SET send_date = ? WHERE id = ?",
                   [to_db(send_date) if send_date else None, document_id])


def insert_send(cursor: Cursor, send: Send) -> None:
    insert_sends(cursor, [send])


def insert_sends(cursor: Cursor, sends: list[Send]) -> None:
    insert_rows(cursor, "sends", _SEND_SCHEMA, [
        {"id": s.id, "document_id": s.document_id, "account_id": s.account_id,
         "mode": str(s.mode), "requested_at": to_db(s.requested_at), "actor": s.actor,
         "message_id": s.message_id, "envelope_id": s.envelope_id,
         "idempotency_key": s.idempotency_key, "outbox_state": s.outbox_state}
        for s in sends])


def insert_deliveries(cursor: Cursor, deliveries: list[Delivery], sends: list[Send]) -> None:
    """Insert the recipients of `sends` (written before) and count them in `delivery_counts`,
    in the caller's transaction. Each delivery carries its send's request moment, mode and
    account (migration 14, for the rates' percentiles to read one table): set once, from the
    send, here; a send never changes them."""
    by_id = {send.id: send for send in sends}
    rows = []
    for d in deliveries:
        send = by_id[d.send_id]
        rows.append({"send_id": d.send_id, "idx": d.idx, "address": d.address,
                     "role": str(d.role), "verp_token": d.verp_token, "state": str(d.state),
                     "state_at": to_db(d.state_at), "requested_at": to_db(send.requested_at),
                     "mode": str(send.mode), "account_id": send.account_id})
    insert_rows(cursor, "deliveries", _DELIVERY_SCHEMA, rows)
    # the sends' values as the row above holds them, so the rollup reads no table
    delivery_counts.add(cursor, [
        (1, row["requested_at"], row["account_id"], row["mode"], row["address"], row["state"],
         d.reason, row["state_at"]) for row, d in zip(rows, deliveries)])


def set_documents_sent(cursor: Cursor, document_ids: list[str], send_date: datetime) -> None:
    """These documents have just been sent: send date = `send_date`; issued -> sent."""
    if document_ids:
        cursor.execute(
            """UPDATE documents SET send_date = ?,
                      status = CASE WHEN status IN ('draft', 'issued') THEN 'sent'
                                    ELSE status END
               WHERE id IN (SELECT unnest(?::VARCHAR[]))""",
            [to_db(send_date), sorted(set(document_ids))])


_SEND_SCHEMA = pa.schema([
    ("id", pa.string()), ("document_id", pa.string()), ("account_id", pa.string()),
    ("mode", pa.string()), ("requested_at", pa.timestamp("us")), ("actor", pa.string()),
    ("message_id", pa.string()), ("envelope_id", pa.string()),
    ("idempotency_key", pa.string()), ("outbox_state", pa.string()),
])
_DELIVERY_SCHEMA = pa.schema([
    ("send_id", pa.string()), ("idx", pa.int32()), ("address", pa.string()),
    ("role", pa.string()), ("verp_token", pa.string()), ("state", pa.string()),
    ("state_at", pa.timestamp("us")), ("requested_at", pa.timestamp("us")),
    ("mode", pa.string()), ("account_id", pa.string()),
])


def insert_rows(cursor: Cursor, table: str, schema: pa.Schema, rows: list[dict]) -> None:
    """Insert rows in one statement through an Arrow batch (the table name is ours, not input)."""
    if not rows:
        return
    cursor.register("suivi_rows", pa.Table.from_pylist(rows, schema=schema))
    try:
        columns = ", ".join(schema.names)
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM suivi_rows")
    finally:
        cursor.unregister("suivi_rows")


def claim_for_smtp(cursor: Cursor, send_ids: list[str], now: datetime,
                   worker: str | None = None) -> set[tuple[str, int]]:
    """These sends' deliveries that are due are being handed to SMTP now: the untried ones, and
    those whose retry (`outbound_retries`) is due at `now` — the same `now` as `outbox_work`.
    Until the outcome is recorded they stay `in_flight`; a process that dies meanwhile leaves the
    flag, and the next start reports them as interrupted instead of sending them twice.

    Returns the (send id, idx) actually claimed: with several workers on PostgreSQL, this UPDATE
    is the arbiter (it re-checks `NOT in_flight` on the latest row), so a delivery another worker
    claimed first is not in the result and must not be sent. `worker` names the claimant."""
    if not send_ids:
        return set()
    claimed = cursor.execute(
        """UPDATE deliveries SET in_flight = TRUE, smtp_attempts = smtp_attempts + 1,
                  claimed_by = ?
           WHERE send_id IN (SELECT unnest(?::VARCHAR[]))
             AND state = 'pending' AND NOT in_flight
             AND (smtp_attempts = 0
                  OR EXISTS (SELECT 1 FROM outbound_retries r
                             WHERE r.send_id = deliveries.send_id AND r.idx = deliveries.idx
                               AND r.retry_at <= ?))
           RETURNING send_id, idx""",
        [worker, send_ids, now],
    ).fetchall()
    cursor.execute(
        """DELETE FROM outbound_retries
           WHERE send_id IN (SELECT unnest(?::VARCHAR[])) AND retry_at <= ?""",
        [send_ids, now])
    return {(send_id, idx) for send_id, idx in claimed}


def unclaim(cursor: Cursor, send_ids: list[str], now: datetime,
            worker: str | None = None) -> None:
    """Claimed but never handed over (the journal has no line for them): back to the outbox —
    a retry of a delivery the server could not take becomes due again at once. With `worker`,
    only that worker's claims."""
    if send_ids:
        cursor.execute(
            """UPDATE deliveries SET in_flight = FALSE, smtp_attempts = smtp_attempts - 1
               WHERE send_id IN (SELECT unnest(?::VARCHAR[])) AND in_flight
                 AND (?::VARCHAR IS NULL OR claimed_by = ?)""", [send_ids, worker, worker])
        cursor.execute(
            """INSERT INTO outbound_retries (send_id, idx, retry_at)
               SELECT send_id, idx, ?::TIMESTAMP FROM deliveries
               WHERE send_id IN (SELECT unnest(?::VARCHAR[])) AND state = 'pending'
                 AND smtp_attempts > 0 AND NOT in_flight
               ON CONFLICT (send_id, idx) DO UPDATE SET retry_at = excluded.retry_at""",
            [now, send_ids])


def defer_deliveries(cursor: Cursor, retries: list[tuple[str, int, datetime]]) -> None:
    """(send id, idx, when) — the outbound server could not take these; try again then."""
    if retries:
        cursor.execute(
            """INSERT INTO outbound_retries (send_id, idx, retry_at)
               SELECT unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::TIMESTAMP[])
               ON CONFLICT (send_id, idx) DO UPDATE SET retry_at = excluded.retry_at""",
            [[r[0] for r in retries], [r[1] for r in retries], [r[2] for r in retries]])


def release_from_smtp(cursor: Cursor, send_ids: list[str], worker: str | None = None) -> None:
    """The outcomes of these sends are recorded: they leave the outbox, except those with a
    delivery still waiting for a retry (`defer_deliveries`, called before this). With `worker`,
    only that worker's claims are released (another may hold a later claim on the same send)."""
    if send_ids:
        cursor.execute(
            """UPDATE deliveries SET in_flight = FALSE WHERE send_id IN (SELECT unnest(?::VARCHAR[]))
                 AND (?::VARCHAR IS NULL OR claimed_by = ?)""",
            [send_ids, worker, worker])
        cursor.execute(
            """UPDATE sends SET outbox_state = 'done'
               WHERE id IN (SELECT unnest(?::VARCHAR[]))
                 AND NOT EXISTS (SELECT 1 FROM outbound_retries r WHERE r.send_id = sends.id)""",
            [send_ids])
