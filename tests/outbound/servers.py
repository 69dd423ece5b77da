"""Test helpers for the outbound side: scripted aiosmtpd servers on free ports, documents.

`ScriptedHandler` answers by the recipient's local part, so one server plays every case:

| local part starts with | RCPT answer | afterwards |
|---|---|---|
| `gone` | 550 5.1.1 | |
| `busy` | 451 4.2.1 | |
| `flaky` | 451 until its `flaky_failures` are used up, then 250 | |
| `drop` | the connection is cut, no answer (until `drops` are used up, then 250) | |
| `stall` | nothing until the test ends (the client times out) | |
| `datafail` | 250 | 554 5.6.0 after DATA |
| `closeafter` | 250 | 250 after DATA, then the server closes the connection |
| anything else | 250 | 250 after DATA |
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tracking.config import SmtpSettings, TlsMode
from tracking.models import DocumentKind, RecipientRole, SendingMode
from tracking.outbound.compose import ComposedMessage, OutgoingDocument, OutgoingRecipient, compose
from tracking.outbound.smtpd import AnnouncesDsn, LoopbackController, MailDsn, RcptDsn, mail_dsn, rcpt_dsn

VERP_KEY = b"test-verp-key-not-secret"


@dataclass
class Received:
    mail_from: str
    mail_dsn: MailDsn
    rcpt_tos: list[str]
    rcpt_dsn: list[RcptDsn]
    content: bytes
    tls: bool


@dataclass
class ScriptedHandler(AnnouncesDsn):
    flaky_failures: int = 2
    drops: int = 1
    received: list[Received] = field(default_factory=list)
    rcpt_attempts: Counter = field(default_factory=Counter)
    sessions: int = 0
    closed_after_data: threading.Event = field(default_factory=threading.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        self.sessions += 1
        return await super().handle_EHLO(server, session, envelope, hostname, responses)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str | None:
        self.rcpt_attempts[address] += 1
        local = address.lower()
        if local.startswith("gone"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if local.startswith("busy"):
            return "451 4.2.1 Mailbox busy, try again later"
        if local.startswith("flaky") and self.rcpt_attempts[address] <= self.flaky_failures:
            return "451 4.7.1 Greylisted, please retry"
        if local.startswith("drop") and self.rcpt_attempts[address] <= self.drops:
            server.transport.abort()
            return "250 never seen"  # written to a closed transport: the client sees a dropped link
        if local.startswith("stall"):
            await self.release.wait()
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(Received(
            envelope.mail_from, mail_dsn(envelope), list(envelope.rcpt_tos), rcpt_dsn(envelope),
            envelope.original_content or b"",
            session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
        ))
        if any(r.lower().startswith("datafail") for r in envelope.rcpt_tos):
            return "554 5.6.0 Message content rejected"
        if any(r.lower().startswith("closeafter") for r in envelope.rcpt_tos):
            loop = asyncio.get_running_loop()
            transport = server.transport

            def close() -> None:
                transport.close()
                self.closed_after_data.set()

            loop.call_soon(close)
        return "250 2.0.0 Ok: queued"

    def rcpt_count(self, address: str) -> int:
        return self.rcpt_attempts[address]


class Server:
    """A running LoopbackController and its handler."""

    def __init__(self, controller: LoopbackController, handler: ScriptedHandler) -> None:
        self.controller = controller
        self.handler = handler

    @property
    def port(self) -> int:
        return self.controller.port

    def settings(self, **overrides: object) -> SmtpSettings:
        values: dict[str, object] = {"host": "127.0.0.1", "port": self.port, "tls": TlsMode.NONE,
                                     "timeout": 5.0}
        values.update(overrides)
        return SmtpSettings(**values)

    def stop(self) -> None:
        self.controller.loop.call_soon_threadsafe(self.handler.release.set)
        self.controller.stop()


def start_server(handler: ScriptedHandler | None = None, **smtp_kwargs: object) -> Server:
    handler = handler or ScriptedHandler()
    controller = LoopbackController(handler, **smtp_kwargs)
    controller.start()
    return Server(controller, handler)


class PlainController(LoopbackController):
    """Stock aiosmtpd: no DSN extension, refuses RFC 3461 parameters with 555."""

    def factory(self) -> SMTP:
        return SMTP(self.handler, **self.SMTP_kwargs)


@dataclass
class PlainHandler:
    received: list[tuple[str, list[str], list[str], list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append((envelope.mail_from, envelope.mail_options, envelope.rcpt_tos,
                              envelope.rcpt_options))
        return "250 OK"


# -- TLS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def accept_alice(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: object) -> AuthResult:
    good = isinstance(auth_data, LoginPassword) and auth_data == (b"alice", b"s3cret")
    return AuthResult(success=good, handled=False)


# -- documents ---------------------------------------------------------------------------------


def make_document(language: str = "fr", attachment: bytes | None = b"%PDF-1.4 test\n",
                  **overrides: object) -> OutgoingDocument:
    values: dict[str, object] = dict(
        document_id="doc-1",
        kind=DocumentKind.INVOICE,
        number="FV 2026/11/0042",
        amount="1234.50",
        currency="EUR",
        issue_date=date(2026, 11, 28),
        client_name="Société Dupont",
        account_name="ACME SARL",
        language=language,
        sender_address="factures@acme.example",
        sender_name="Jeanne Martin",
        reply_to=None,
        attachment=attachment,
    )
    values.update(overrides)
    return OutgoingDocument(**values)


def recipients(*addresses: str) -> list[OutgoingRecipient]:
    """`to` for the first address, `cc` for the others; indexes from 0."""
    return [
        OutgoingRecipient(address, RecipientRole.TO if i == 0 else RecipientRole.CC, i)
        for i, address in enumerate(addresses)
    ]


SEND_DATE = datetime(2026, 11, 28, 13, 32, tzinfo=timezone.utc)


def composed(*addresses: str, mode: SendingMode = SendingMode.SMTP, send_id: str = "send-1") -> ComposedMessage:
    return compose(make_document(), recipients(*addresses), send_id=send_id, mode=mode,
                   message_domain="suivi.example", bounce_domain="bounces.suivi.example",
                   verp_key=VERP_KEY, date=SEND_DATE)
