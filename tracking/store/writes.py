"""Writes of accounts, clients, documents, sends and deliveries (parameterized SQL only).

Every function takes the cursor of an open transaction; the service layer decides where
transactions begin and end.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from tracking.clock import to_db, utc_now_naive
from tracking.records import Account, Client, Delivery, Document, Send, User

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
    cursor.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                   [user.id, user.account_id, user.name, user.email])


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
    cursor.execute(
        """UPDATE documents SET send_date = ?,
                  status = CASE WHEN status IN ('draft', 'issued') THEN 'sent' ELSE status END
           WHERE id = ?""",
        [to_db(send_date), document_id],
    )


def set_document_send_date(cursor: Cursor, document_id: str, send_date: datetime | None) -> None:
    cursor.execute("UPDATE documents SET send_date = ? WHERE id = ?",
                   [to_db(send_date) if send_date else None, document_id])


def insert_send(cursor: Cursor, send: Send) -> None:
    cursor.execute(
        "INSERT INTO sends VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [send.id, send.document_id, send.account_id, str(send.mode), to_db(send.requested_at),
         send.actor, send.message_id, send.envelope_id, send.idempotency_key, send.outbox_state],
    )


def insert_deliveries(cursor: Cursor, deliveries: list[Delivery]) -> None:
    cursor.executemany(
        """INSERT INTO deliveries (send_id, idx, address, role, verp_token, state, state_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [[d.send_id, d.idx, d.address, str(d.role), d.verp_token, str(d.state),
          to_db(d.state_at)] for d in deliveries],
    )


def claim_for_smtp(cursor: Cursor, send_ids: list[str]) -> None:
    """These sends' untried deliveries are being handed to SMTP now. Until the outcome is
    recorded they stay `in_flight`; a process that dies meanwhile leaves the flag, and the next
    start reports them as interrupted instead of sending them twice."""
    if send_ids:
        cursor.execute(
            """UPDATE deliveries SET in_flight = TRUE, smtp_attempts = smtp_attempts + 1
               WHERE send_id IN (SELECT unnest(?::VARCHAR[]))
                 AND state = 'pending' AND smtp_attempts = 0 AND NOT in_flight""",
            [send_ids],
        )


def release_from_smtp(cursor: Cursor, send_ids: list[str]) -> None:
    """The outcomes of these sends are recorded: they leave the outbox."""
    if send_ids:
        cursor.execute(
            "UPDATE deliveries SET in_flight = FALSE WHERE send_id IN (SELECT unnest(?::VARCHAR[]))",
            [send_ids])
        cursor.execute(
            "UPDATE sends SET outbox_state = 'done' WHERE id IN (SELECT unnest(?::VARCHAR[]))",
            [send_ids])
