"""The outbox worker: hands recorded sends to the SMTP server and records what it answered.

A send request only records the send with its deliveries `pending` (`tracking.service`); this
worker does the SMTP work, in batches: claim a batch (its deliveries become `in_flight` in one
transaction), talk to the server, then record every outcome and release the batch in a second
transaction. A process that dies between the two leaves `in_flight` behind: the next start
reports those deliveries as interrupted — outcome unknown — and never hands them over again, so
nothing is sent twice; deliveries never claimed are simply sent by the next run.

It runs as a thread in the process that owns the database (the console), or once from the
command line (`python -m tracking send --process`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tracking.clock import utc_now
from tracking.config import Settings
from tracking.errors import PermanentSendError
from tracking.events import Event, event_id
from tracking.models import EventType, SYSTEM_ACTOR
from tracking.outbound.compose import (
    ComposedMessage, OutgoingDocument, OutgoingRecipient, compose,
)
from tracking.outbound.retry import RetryPolicy, Transport, deliver_with_retries
from tracking.outbound.smtp import RecipientOutcome
from tracking.records import Delivery, Send
from tracking.store import queries, writes
from tracking.store.connection import Database
from tracking.store.ledger import record_events

log = logging.getLogger(__name__)

INTERRUPTED_REASON = "interrupted during the SMTP handoff; outcome unknown, not resent"


@dataclass
class OutboxStats:
    handled: int = 0
    accepted: int = 0
    refused: int = 0
    batches: int = 0


class Outbox:
    """Hands queued sends to SMTP through `transport` (one reused connection per batch run)."""

    def __init__(self, db: Database, transport: Transport, settings: Settings, *,
                 batch_size: int = 50, sleep: Callable[[float], None] = time.sleep,
                 attachment_for: Callable[[str], tuple[bytes, str] | None] | None = None) -> None:
        self.db = db
        self.transport = transport
        self.settings = settings
        self.batch_size = batch_size
        self.policy = RetryPolicy.from_settings(settings.retry)
        self._sleep = sleep
        self._attachment_for = attachment_for
        self._verp_key = settings.verp_key.reveal().encode() if settings.verp_key else None
        self.stats = OutboxStats()

    def recover(self) -> int:
        """Report deliveries a crashed process left in flight; returns how many."""
        cursor = self.db.cursor()
        stranded = queries.interrupted_deliveries(cursor)
        if not stranded:
            return 0
        now = utc_now()
        with self.db.transaction() as cursor:
            events = []
            for delivery in stranded:
                send = queries.get_send(cursor, delivery.send_id)
                events.append(Event(
                    event_id(EventType.SEND_INTERRUPTED, delivery.send_id, delivery.idx,
                             delivery.smtp_attempts),
                    EventType.SEND_INTERRUPTED, now, SYSTEM_ACTOR, send.account_id,
                    send.document_id, send.id, delivery.idx, delivery.address,
                    {"reason": INTERRUPTED_REASON, "attempt": delivery.smtp_attempts},
                ))
            record_events(cursor, events)
            writes.release_from_smtp(cursor, sorted({d.send_id for d in stranded}))
        log.warning("outbox: %d deliveries were interrupted mid-handoff", len(stranded))
        return len(stranded)

    def run_once(self) -> int:
        """Hand over one batch; returns the number of deliveries handled (0: outbox empty)."""
        work = queries.outbox_work(self.db.cursor(), self.batch_size)
        if not work:
            return 0
        send_ids = [item.send.id for item in work]
        with self.db.transaction() as cursor:
            writes.claim_for_smtp(cursor, send_ids)
        events: list[Event] = []
        for item in work:
            if item.deliveries:
                events.extend(self._hand_over(item))
        with self.db.transaction() as cursor:
            record_events(cursor, events)
            writes.release_from_smtp(cursor, send_ids)
        handled = sum(len(item.deliveries) for item in work)
        self.stats.handled += handled
        self.stats.batches += 1
        return handled

    def run_until_empty(self) -> OutboxStats:
        self.recover()
        while self.run_once():
            pass
        return self.stats

    def _hand_over(self, item: queries.OutboxItem) -> list[Event]:
        send, deliveries = item.send, item.deliveries
        attempt_events: list[Event] = []

        def on_attempt_failed(attempt: int, outcomes: list[RecipientOutcome], delay: float):
            now = utc_now()
            attempt_events.extend(
                _event(EventType.SEND_ATTEMPT_FAILED, send, outcome, now, attempt=attempt,
                       retry_in=round(delay, 1))
                for outcome in outcomes
            )

        try:
            composed = self._compose(item)
            outcomes = deliver_with_retries(self.transport, composed, self.policy,
                                            sleep=self._sleep, on_attempt_failed=on_attempt_failed)
        except PermanentSendError as err:
            # configuration or TLS/auth trouble: the server never took the message
            outcomes = [RecipientOutcome(_recipient(d), False, 0, str(err), False, "connect")
                        for d in deliveries]
        now = utc_now()
        final = []
        for outcome in outcomes:
            if outcome.accepted:
                self.stats.accepted += 1
                final.append(_event(EventType.RECIPIENT_ACCEPTED, send, outcome, now))
            else:
                self.stats.refused += 1
                final.append(_event(EventType.RECIPIENT_REFUSED, send, outcome, now,
                                    retries_exhausted=outcome.transient))
        return attempt_events + final

    def _compose(self, item: queries.OutboxItem) -> ComposedMessage:
        send, document, account = item.send, item.document, item.account
        attachment = self._attachment_for(document.id) if self._attachment_for else None
        outgoing = OutgoingDocument(
            document_id=document.id, kind=document.kind, number=document.number,
            amount=str(document.amount), currency=document.currency,
            issue_date=document.issue_date, client_name=item.client_name,
            account_name=account.name, language=account.language,
            sender_address=account.sender_address, sender_name=account.sender_name,
            reply_to=account.sender_address,
            attachment=attachment[0] if attachment else None,
            attachment_filename=attachment[1] if attachment else "",
        )
        return compose(outgoing, [_recipient(d) for d in item.deliveries], send_id=send.id,
                       mode=send.mode, message_domain=self.settings.message_domain,
                       bounce_domain=self.settings.bounce_domain, verp_key=self._verp_key,
                       date=send.requested_at)


class OutboxThread:
    """The worker as a daemon thread: drains the outbox, then waits for `wake()` or a poll."""

    def __init__(self, outbox: Outbox, *, poll_seconds: float = 5.0) -> None:
        self.outbox = outbox
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="suivi-outbox", daemon=True)
        self.last_error: str | None = None

    def start(self) -> OutboxThread:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self.outbox.recover()
        except Exception as err:  # noqa: BLE001 - keep the thread alive; the error is shown
            self.last_error = str(err)
            log.exception("outbox recovery failed")
        while not self._stop.is_set():
            try:
                while not self._stop.is_set() and self.outbox.run_once():
                    pass
                self.last_error = None
            except Exception as err:  # noqa: BLE001 - one bad batch must not stop the worker
                self.last_error = str(err)
                log.exception("outbox batch failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()


def _recipient(delivery: Delivery) -> OutgoingRecipient:
    return OutgoingRecipient(delivery.address, delivery.role, delivery.idx)


def _event(event_type: EventType, send: Send, outcome: RecipientOutcome, now, **extra) -> Event:
    recipient = outcome.recipient
    identity = (send.id, recipient.index, extra.get("attempt"))
    return Event(
        event_id(event_type, *identity), event_type, now, SYSTEM_ACTOR, send.account_id,
        send.document_id, send.id, recipient.index, recipient.address,
        {"smtp_reply": outcome.reply, "reply_code": outcome.code, "stage": outcome.stage,
         "reason": None if outcome.accepted else outcome.reply, **extra},
    )
