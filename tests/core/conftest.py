"""Fixtures of the core tests: a real DuckDB file in a temp dir, seeded with one account per
sending mode, a client and documents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tracking.models import DocumentKind, DocumentStatus, RecipientRole, SendingMode
from tracking.records import Account, Client, ClientAddress, Document, User
from tracking.service import SendPolicy
from tracking.store import writes
from tracking.store.connection import open_database

ZONES = {
    SendingMode.RELAY: "Europe/Paris",
    SendingMode.RELAY_OWN_ADDRESS: "America/New_York",
    SendingMode.SMTP: "Asia/Tokyo",
    SendingMode.MANUAL: "Pacific/Auckland",
}


@pytest.fixture
def db(store_target):
    database = open_database(store_target)
    yield database
    database.close()


@pytest.fixture
def policy() -> SendPolicy:
    return SendPolicy(message_domain="suivi.test", verp_key=b"test-verp-key")


def seed(database, documents_per_account: int = 3) -> dict[SendingMode, list[str]]:
    """One account per mode, each with a client and `documents_per_account` invoices."""
    created: dict[SendingMode, list[str]] = {}
    with database.transaction() as cursor:
        for mode, zone in ZONES.items():
            account_id = f"acct-{mode}"
            writes.insert_account(cursor, Account(account_id, f"Compte {mode}", zone, mode,
                                                  f"compta@{mode.replace('_', '-')}.test", "Compta"))
            writes.insert_user(cursor, User(f"user-{mode}", account_id, "Alice", "alice@x.test"))
            writes.insert_client(cursor, Client(
                f"client-{mode}", account_id, "Client SARL",
                (ClientAddress("billing@client.test"),
                 ClientAddress("boss@client.test", RecipientRole.CC))))
            created[mode] = []
            for n in range(documents_per_account):
                document_id = f"doc-{mode}-{n}"
                writes.insert_document(cursor, Document(
                    document_id, account_id, f"client-{mode}", DocumentKind.INVOICE,
                    f"FV 2026/11/{mode[:3]}{n:03d}", Decimal("120.00"), "EUR", date(2026, 11, 2),
                    DocumentStatus.ISSUED))
                created[mode].append(document_id)
    return created


@pytest.fixture
def seeded(db):
    return seed(db)


def table_counts(database) -> dict[str, int]:
    cursor = database.cursor()
    return {table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("sends", "deliveries", "events", "documents")}


def send_dates(database) -> list:
    return database.cursor().execute("SELECT id, send_date FROM documents ORDER BY id").fetchall()


def issued_on(database, document_id: str, day: date) -> None:
    """Move a seeded document's issue date (send dates before it are refused)."""
    database.cursor().execute("UPDATE documents SET issue_date = ? WHERE id = ?",
                              [day, document_id])
