"""The sandbox: an in-process SMTP server that plays the outbound MTA and the recipients' side.

The demo and the tests send to it instead of a real relay. It answers at SMTP time like a relay
would, then writes what the recipients' side would send back — RFC 3464 DSNs, RFC 3834 replies,
RFC 5965 abuse reports, built by `tracking.outbound.dsn` — to the envelope sender (the VERP
address in relay modes), into a local Maildir that the inbound side reads like a real bounce
mailbox. Each stored message starts with `Return-Path: <>` and `Delivered-To: <envelope sender>`,
as a delivery agent writes them; files are added atomically (Maildir `tmp/` then `new/`).

What happens is chosen by the recipient address (case-insensitive; `<word>` is the local part,
or its part before the first `-`, so `unknown-jean@client.example` is "unknown"). The rules
are data — `RULES` in `tracking.outbound.sandbox_rules`, one `SandboxRule` per behaviour — so
the README and the demo's Mailbox page show the very table the server plays, and a test checks
each example against the parser.

DSNs honour what the sender asked (RFC 3461): NOTIFY (none given: failures and delays only;
NEVER: nothing), RET=HDRS (headers only; success reports always return headers only), ENVID
(echoed as Original-Envelope-Id) and ORCPT (echoed as Original-Recipient). A message with a null
return path never gets anything back. With `bounce_domain` set, returned mail for senders outside
it is dropped (counted in `dropped`): in `smtp` mode it would reach the customer's own mailbox,
never ours — the tracking ceiling of DESIGN §3.

Returned messages are written while the DATA command is answered, in the order things happen
(delivery reports, then replies and complaints, then late bounces), so they are all there when
the sender's `deliver()` returns. With `deferred_delivery_after=N`, the success report of a
`defer` recipient is written N seconds later instead; one still pending at `stop()` is dropped.
"""

from __future__ import annotations

import asyncio
import email
import mailbox
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import make_msgid, parseaddr
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from tracking.outbound import dsn
from tracking.outbound.dsn import RecipientStatus
# The rules live beside, without the server (see that module); used here and re-exported.
from tracking.outbound.sandbox_rules import Behaviour, behaviour_for
from tracking.outbound.smtpd import AnnouncesDsn, LoopbackController, RcptDsn, mail_dsn, rcpt_dsn


# (Status, Diagnostic-Code text with {address}, whether the recipient's MX answered)
_FAILURES = {
    Behaviour.NO_SUCH_DOMAIN: ("5.1.2", "550 5.1.2 <{address}>: Recipient address rejected: "
                               "Domain not found", False),
    Behaviour.UNKNOWN_USER: ("5.1.1", "550 5.1.1 <{address}>: Recipient address rejected: "
                             "User unknown in virtual mailbox table", True),
    Behaviour.MAILBOX_FULL: ("5.2.2", "552 5.2.2 <{address}>: Mailbox full, quota exceeded", True),
    Behaviour.BLOCKED: ("5.7.1", "550 5.7.1 Service unavailable; client host [192.0.2.25] "
                        "blocked using a local blocklist", True),
    Behaviour.SPAM: ("5.7.1", "550 5.7.1 Message rejected as spam: spam content detected", True),
    Behaviour.LATE_BOUNCE: ("5.1.1", "550 5.1.1 <{address}>: mailbox unavailable, user unknown",
                            True),
}
_DEFERRAL = ("4.2.0", "450 4.2.0 <{address}>: Recipient address rejected: Greylisted, "
             "try again later")
_SMTP_TIME = {
    Behaviour.REJECT: "550 5.1.1 <{address}>: Recipient address rejected: User unknown",
    Behaviour.TEMPFAIL: "451 4.3.0 <{address}>: Temporary lookup failure, try again later",
}


class SandboxServer:
    """Start with `start()` (or `with`), send to `127.0.0.1:port`, read `maildir`."""

    def __init__(
        self,
        maildir: Path,
        hostname: str = "sandbox.suivi.localhost",
        *,
        bounce_domain: str | None = None,
        deferred_delivery_after: float = 0.0,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.maildir = Path(maildir)
        self.hostname = hostname
        self.bounce_domain = bounce_domain.lower() if bounce_domain else None
        self.deferred_delivery_after = deferred_delivery_after
        self.clock = clock
        self.received = 0             # messages accepted (one per DATA)
        self.stored = 0               # returned messages written to the Maildir
        self.dropped = 0              # returned messages for senders outside bounce_domain
        self._lock = threading.Lock()
        self._controller: LoopbackController | None = None

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("the sandbox is not running")
        return self._controller.port

    def start(self) -> SandboxServer:
        mailbox.Maildir(self.maildir, create=True)  # tmp/ new/ cur/ before anyone reads
        self._controller = LoopbackController(_RecipientWorld(self), server_hostname=self.hostname)
        self._controller.start()
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def store(self, message, *, to: str) -> None:
        """Write one returned message for envelope sender `to` (thread-safe)."""
        if self.bounce_domain and not to.lower().endswith("@" + self.bounce_domain):
            with self._lock:
                self.dropped += 1
            return
        raw = dsn.as_mailbox_bytes(message, delivered_to=to)
        with self._lock:
            mailbox.Maildir(self.maildir, create=True).add(raw)
            self.stored += 1

    def message_id(self) -> str:
        return make_msgid(domain=self.hostname)


class _RecipientWorld(AnnouncesDsn):
    """The aiosmtpd handler: SMTP-time answers, then what comes back per recipient."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = _SMTP_TIME.get(behaviour_for(address))
        if refusal:
            return refusal.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.sandbox.received += 1
        sender = envelope.mail_from or ""
        if sender and sender != "<>":
            later = _Returns(self.sandbox, envelope).play()
            if later is not None:
                delay = self.sandbox.deferred_delivery_after
                asyncio.get_running_loop().call_later(delay, later)
        return "250 2.0.0 Ok: queued"


class _Returns:
    """Everything returned for one accepted message, grouped like an MTA groups its reports."""

    def __init__(self, sandbox: SandboxServer, envelope: Envelope) -> None:
        self.sandbox = sandbox
        self.sender = envelope.mail_from
        self.original = envelope.original_content or envelope.content or b""
        if isinstance(self.original, str):
            self.original = self.original.encode("utf-8", "surrogateescape")
        self.dsn = mail_dsn(envelope)
        self.recipients = list(zip(envelope.rcpt_tos, rcpt_dsn(envelope)))
        self.arrival = sandbox.clock()

    def play(self) -> Callable[[], None] | None:
        """Write what comes back now; return what comes back later (deferred deliveries)."""
        now = self.sandbox.clock()
        failed, delayed, delivered, deferred, late, reactions = [], [], [], [], [], []
        for address, asked in self.recipients:
            behaviour = behaviour_for(address)
            if behaviour in _FAILURES and behaviour is not Behaviour.LATE_BOUNCE:
                if asked.wants("FAILURE"):
                    failed.append(self._failure(address, asked, behaviour, now))
                continue
            if behaviour is Behaviour.DEFER_THEN_DELIVER:
                if asked.wants("DELAY"):
                    delayed.append(self._delay(address, asked, now))
                if asked.wants("SUCCESS"):
                    deferred.append((address, asked))
                continue
            if asked.wants("SUCCESS"):
                delivered.append(self._success(address, asked))
            if behaviour is Behaviour.LATE_BOUNCE and asked.wants("FAILURE"):
                late.append((address, asked))
            elif behaviour in (Behaviour.AUTO_REPLY, Behaviour.COMPLAINT):
                reactions.append((address, behaviour))
        # Written in the order things happen: delivery reports, then what recipients do with
        # the message, then the late bounces.
        self._report(delivered, now)
        self._report(failed, now)
        self._report(delayed, now)
        for address, behaviour in reactions:
            if behaviour is Behaviour.AUTO_REPLY:
                self._auto_reply(address, now)
            else:
                self._complaint(address, now)
        self._report([self._failure(a, d, Behaviour.LATE_BOUNCE, now) for a, d in late], now)
        if not deferred:
            return None

        def deliver_deferred() -> None:
            self._report([self._success(address, asked) for address, asked in deferred],
                         self.sandbox.clock())

        if self.sandbox.deferred_delivery_after <= 0:
            deliver_deferred()
            return None
        return deliver_deferred

    def _report(self, statuses: list[RecipientStatus], now: datetime) -> None:
        if not statuses:
            return
        message = dsn.delivery_status_notification(
            reporting_mta=self.sandbox.hostname,
            to=self.sender,
            recipients=statuses,
            original=self.original,
            headers_only=self.dsn.ret == "HDRS",
            envelope_id=self.dsn.envid,
            arrival=self.arrival,
            date=now,
            message_id=self.sandbox.message_id(),
        )
        self.sandbox.store(message, to=self.sender)

    def _failure(self, address: str, asked: RcptDsn, behaviour: Behaviour, now: datetime) -> RecipientStatus:
        status, diagnostic, mx_answered = _FAILURES[behaviour]
        return RecipientStatus(
            final_recipient=address, action="failed", status=status,
            original_recipient=asked.orcpt, diagnostic=diagnostic.format(address=address),
            remote_mta=_mx(address) if mx_answered else "", last_attempt=now,
        )

    def _delay(self, address: str, asked: RcptDsn, now: datetime) -> RecipientStatus:
        status, diagnostic = _DEFERRAL
        return RecipientStatus(
            final_recipient=address, action="delayed", status=status,
            original_recipient=asked.orcpt, diagnostic=diagnostic.format(address=address),
            remote_mta=_mx(address), last_attempt=now, will_retry_until=now + timedelta(days=5),
        )

    def _success(self, address: str, asked: RcptDsn) -> RecipientStatus:
        return RecipientStatus(
            final_recipient=address, action="delivered", status="2.0.0",
            original_recipient=asked.orcpt, diagnostic="250 2.0.0 Ok: delivered to mailbox",
            remote_mta=_mx(address),
        )

    def _auto_reply(self, address: str, now: datetime) -> None:
        reply = dsn.auto_reply(
            original=self.original, responder=address, to=self.sender, date=now,
            message_id=self.sandbox.message_id(), language=_language_of(self.original),
        )
        self.sandbox.store(reply, to=self.sender)

    def _complaint(self, address: str, now: datetime) -> None:
        domain = address.rpartition("@")[2]
        report = dsn.abuse_report(
            original=self.original, reporter=f"Feedback Loop <fbl@{domain}>", to=self.sender,
            original_mail_from=self.sender, original_rcpt_to=address, arrival=self.arrival,
            source_ip="192.0.2.25", reported_domain=_from_domain(self.original),
            user_agent="SuiviSandbox/1.0", date=now, message_id=self.sandbox.message_id(),
        )
        self.sandbox.store(report, to=self.sender)


def _mx(address: str) -> str:
    return f"mx.{address.rpartition('@')[2].lower()}"


def _from_domain(original: bytes) -> str:
    headers = email.message_from_bytes(original.split(b"\n\n", 1)[0] + b"\n\n")
    return parseaddr(str(headers.get("From", "")))[1].rpartition("@")[2].lower()


def _language_of(original: bytes) -> str:
    head = original.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0].lower()
    return "en" if b"\ncontent-language: en" in b"\n" + head else "fr"
