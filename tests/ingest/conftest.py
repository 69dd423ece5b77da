"""Fixtures of the ingestion tests: a private mail stack, a seeded relay account, helpers to
send documents through the real Postfix and to read the bounce mailbox back.

Ingestion reads the whole `bounces` INBOX (every VERP address `bounces+<token>@` lands there),
so these tests get their own MailStack rather than the session one other packages send
through, and each test starts from an empty INBOX.
"""

from __future__ import annotations

import imaplib
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from tests.actors import support
from tests.mailstack import BOUNCE_USER, DOMAIN, SKIP_REASON, MailStack
from tracking.config import ImapSettings, ImapTls, Secret, Settings, load_settings
from tracking.ingest import IngestPolicy
from tracking.models import SendingMode
from tracking.outbound.sandbox import SandboxServer
from tracking.outbound.smtp import SmtpTransport
from tracking.outbox import Outbox
from tracking.service import SendPolicy, SendRequest, request_send, request_sends
from tracking.store.connection import Database, open_database

VERP_KEY = "ingest-test-verp-key"


@pytest.fixture(scope="session")
def ingest_stack() -> Iterator[MailStack]:
    if SKIP_REASON:
        pytest.skip(f"real mail stack unavailable: {SKIP_REASON}")
    # tls=True: Dovecot also offers STARTTLS and IMAPS (test_ingest_tls); plain logins still work.
    with MailStack(tls=True) as stack:
        yield stack


def stack_settings(stack: MailStack, user: str = BOUNCE_USER, **imap) -> Settings:
    settings = load_settings({
        "SUIVI_SMTP_HOST": "127.0.0.1", "SUIVI_SMTP_PORT": str(stack.smtp_port),
        "SUIVI_SMTP_TLS": "none", "SUIVI_SMTP_TIMEOUT": "10", "SUIVI_VERP_KEY": VERP_KEY,
        "SUIVI_BOUNCE_DOMAIN": DOMAIN, "SUIVI_MESSAGE_DOMAIN": "atelier.test",
        "SUIVI_RETRY_ATTEMPTS": "1",
    })
    login, password = stack.imap_login(user)
    values = dict(host="127.0.0.1", port=stack.imap_port, tls=ImapTls.NONE, user=login,
                  password=Secret(password), timeout=10.0, poll_seconds=30.0)
    values.update(imap)
    return Settings(smtp=settings.smtp, retry=settings.retry, verp_key=settings.verp_key,
                    bounce_domain=settings.bounce_domain, message_domain=settings.message_domain,
                    imap=ImapSettings(**values))


def clear_inbox(stack: MailStack, user: str = BOUNCE_USER) -> None:
    """Expunge everything in the user's INBOX (leftovers of an earlier test)."""
    connection = imaplib.IMAP4("127.0.0.1", stack.imap_port, timeout=10)
    try:
        connection.login(*stack.imap_login(user))
        connection.select("INBOX")
        connection.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
        connection.expunge()
    finally:
        connection.logout()


@dataclass
class RelayWorld:
    """A fresh database with one relay account, and the stack's settings."""

    db: Database
    settings: Settings
    stack: MailStack
    documents: list[str]

    @property
    def policy(self) -> IngestPolicy:
        return IngestPolicy.from_settings(self.settings)

    def send(self, *recipients: tuple[str, tuple[str, ...], tuple[str, ...]]) -> list[str]:
        """Record one send per (document index, to, cc) and run the outbox through Postfix."""
        requests = [SendRequest(self.documents[index], to, cc, support("alice"))
                    for index, to, cc in recipients]
        receipts = request_sends(self.db, requests, SendPolicy.from_settings(self.settings))
        with SmtpTransport(self.settings.smtp) as transport:
            Outbox(self.db, transport, self.settings).run_until_empty()
        return [receipt.send_id for receipt in receipts]

    def delivery(self, send_id: str, idx: int) -> dict:
        result = self.db.cursor().execute(
            "SELECT * FROM deliveries WHERE send_id = ? AND idx = ?", [send_id, idx])
        names = [column[0] for column in result.description]
        return dict(zip(names, result.fetchone()))


def seed_documents(db: Database, count: int) -> list[str]:
    with db.transaction() as cursor:
        cursor.execute("INSERT INTO accounts VALUES ('acct', 'Atelier', 'Europe/Paris', ?, "
                       "'compta@atelier.test', 'Atelier', 'fr', now()::TIMESTAMP)",
                       [str(SendingMode.RELAY)])
        cursor.execute("INSERT INTO clients VALUES ('client', 'acct', 'Client SARL')")
        cursor.execute(
            """INSERT INTO documents SELECT 'doc-' || i, 'acct', 'client', 'invoice',
                      'FV 2026/11/' || lpad(i::VARCHAR, 5, '0'), 100 + i % 900, 'EUR', ?,
                      'issued', NULL, now()::TIMESTAMP
               FROM generate_series(0, ? - 1) t(i)""", [date(2026, 11, 2), count])
    return [f"doc-{i}" for i in range(count)]


@pytest.fixture
def relay(ingest_stack: MailStack, tmp_path: Path) -> Iterator[RelayWorld]:
    clear_inbox(ingest_stack)
    db = open_database(tmp_path / "suivi.duckdb")
    try:
        yield RelayWorld(db, stack_settings(ingest_stack), ingest_stack, seed_documents(db, 20))
    finally:
        db.close()


def wait_until(condition, timeout: float, what: str, extra=None) -> None:
    """Poll `condition` every 50 ms; fail after `timeout` s saying what was awaited."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {extra() if extra else ''}")
        time.sleep(0.05)


@pytest.fixture
def sandbox_world(tmp_path, store_target):
    maildir = tmp_path / "mail"
    settings = load_settings({"SUIVI_VERP_KEY": VERP_KEY, "SUIVI_SMTP_TLS": "none",
                              "SUIVI_SMTP_HOST": "127.0.0.1",
                              "SUIVI_BOUNCE_DOMAIN": "bounces.suivi.localhost"})
    db = open_database(store_target)
    documents = seed_documents(db, 3)
    with SandboxServer(maildir, bounce_domain=settings.bounce_domain) as server:
        settings = replace(settings, smtp=replace(settings.smtp, port=server.port))
        yield db, settings, documents, maildir
    db.close()


def run_sandbox_send(db, settings, documents, document: int, to, cc=()) -> str:
    """Record a send of `documents[document]` and hand it to the sandbox; its send id."""
    receipt = request_send(db, SendRequest(documents[document], to, cc, support("alice")),
                           SendPolicy.from_settings(settings))
    with SmtpTransport(settings.smtp) as transport:
        Outbox(db, transport, settings).run_until_empty()
    return receipt.send_id


def sandbox_state(db, send_id, idx):
    return db.cursor().execute("SELECT state, reason, complained FROM deliveries "
                               "WHERE send_id = ? AND idx = ?", [send_id, idx]).fetchone()
