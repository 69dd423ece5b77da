"""The outbox worker: hands recorded sends to the SMTP server and records what it answered.

A send request only records the send with its deliveries `pending` (`tracking.service`); this
worker does the SMTP work, in batches: claim a batch (its deliveries become `in_flight` in one
transaction), talk to the server, then record every outcome and release the batch in a second
transaction. Between the two, the SMTP progress of each send is written to a journal beside
the database (`tracking.outbox_journal`). A process that dies in between leaves `in_flight`
behind, and the next start settles it from the journal: outcomes the server gave are recorded
(nothing lost), a send caught mid-handoff is reported interrupted and never resent (nothing
sent twice), a send never handed over goes back to the queue.

It runs as a thread in the process that owns the database (the console), or once from the
command line (`python -m tracking send --process`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tracking.clock import utc_now
from tracking.config import Settings
from tracking.errors import PermanentSendError, SuiviError
from tracking.events import PAYLOADS, Event, SendInterrupted, event_id
from tracking.models import SYSTEM_ACTOR, EventType, RecipientRole
from tracking.outbound.compose import (
    ComposedMessage, OutgoingDocument, OutgoingRecipient, compose,
)
from tracking.outbound.retry import RetryPolicy, Transport, deliver_with_retries
from tracking.outbound.smtp import RecipientOutcome
from tracking.outbox_journal import OutboxJournal
from tracking.reasons import explain_reply
from tracking.records import Delivery, Send
from tracking.store import queries, writes
from tracking.store.connection import Database
from tracking.store.ledger import record_events

log = logging.getLogger(__name__)

# The first batch of a drain is small so the server gets its first message within milliseconds;
# later batches grow to `batch_size`, where the per-batch database cost is spread thin.
FIRST_BATCH = 32

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
                 batch_size: int = 500, sleep: Callable[[float], None] = time.sleep,
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
        self.journal = OutboxJournal.beside(db.path)

    def recover(self) -> int:
        """Settle what a crashed process left claimed; returns how many deliveries it was.

        The journal says how far each claimed send got: finished ones get their recorded
        outcomes, ones caught mid-handoff are reported interrupted (never resent), untouched ones
        go back to the outbox.
        """
        stranded = queries.interrupted_deliveries(self.db.cursor())
        if not stranded:
            if self.journal is not None:
                self.journal.clear()
            return 0
        progress = self.journal.read() if self.journal is not None else None
        by_send: dict[str, list[Delivery]] = {}
        for delivery in stranded:
            by_send.setdefault(delivery.send_id, []).append(delivery)
        now = utc_now()
        events: list[Event] = []
        settled: list[str] = []
        untouched: list[str] = []
        cursor = self.db.cursor()
        for send_id, deliveries in by_send.items():
            send = queries.get_send(cursor, send_id)
            if progress is not None and send_id in progress.ended:
                outcomes = [_outcome_from_journal(entry) for entry in progress.ended[send_id]]
                events.extend(self._outcome_events(send, outcomes, now))
                settled.append(send_id)
            elif progress is None or send_id in progress.begun:
                events.extend(Event(
                    event_id(EventType.SEND_INTERRUPTED, send_id, d.idx, d.smtp_attempts),
                    EventType.SEND_INTERRUPTED, now, SYSTEM_ACTOR, send.account_id,
                    send.document_id, send_id, d.idx, d.address,
                    SendInterrupted(reason=INTERRUPTED_REASON, attempt=d.smtp_attempts),
                ) for d in deliveries)
                settled.append(send_id)
            else:
                untouched.append(send_id)
        with self.db.transaction() as cursor:
            record_events(cursor, events)
            writes.release_from_smtp(cursor, settled)
            writes.unclaim(cursor, untouched)
        if self.journal is not None:
            self.journal.clear()
        interrupted = sum(1 for e in events if e.type is EventType.SEND_INTERRUPTED)
        if interrupted:
            log.warning("outbox: %d deliveries were interrupted mid-handoff", interrupted)
        return len(stranded)

    def run_once(self) -> int:
        """Hand over one batch, synchronously; returns the deliveries handled (0: empty)."""
        work = self._claim()
        if not work:
            return 0
        self._record(self._send_batch(self._compose_batch(work)), work)
        if self.journal is not None:
            self.journal.clear()
        return sum(len(item.deliveries) for item in work)

    def run_until_empty(self) -> OutboxStats:
        """Recover, then hand over everything queued.

        The SMTP conversation runs on a sender thread while this thread records the previous
        batch's outcomes and claims and composes the next one, so the database work hides in
        the time spent waiting for the server (DuckDB and socket waits release the GIL).
        """
        self.recover()
        batches: queue.Queue = queue.Queue(maxsize=1)
        results: queue.Queue = queue.Queue()
        sender = threading.Thread(target=self._sender_loop, args=(batches, results),
                                  name="suivi-outbox-smtp", daemon=True)
        sender.start()
        claimed: list[list[queries.OutboxItem]] = []
        size = FIRST_BATCH
        try:
            while True:
                work = self._claim(size) if len(claimed) < 2 else []
                size = min(self.batch_size, size * 4)
                if work:
                    claimed.append(work)
                    batches.put(self._compose_batch(work))
                    if len(claimed) < 2:
                        continue  # keep one batch ready behind the one being sent
                if not claimed:
                    break
                outcome = results.get()
                if isinstance(outcome, BaseException):
                    raise outcome
                self._record(outcome, claimed.pop(0))
        finally:
            batches.put(None)
            sender.join()
        if self.journal is not None:
            self.journal.clear()
        return self.stats

    def _claim(self, size: int | None = None) -> list[queries.OutboxItem]:
        work = queries.outbox_work(self.db.cursor(), size or self.batch_size)
        if work:
            with self.db.transaction() as cursor:
                writes.claim_for_smtp(cursor, [item.send.id for item in work])
        return work

    def _compose_batch(self, work: list[queries.OutboxItem]) -> list[tuple]:
        """(item, composed message or the error that stopped composing it) per send."""
        batch = []
        for item in work:
            if not item.deliveries:
                continue
            try:
                batch.append((item, self._compose(item)))
            except SuiviError as err:  # e.g. an address compose refuses: nothing is sent
                batch.append((item, err))
            except Exception as err:  # noqa: BLE001 - one document's bug must not strand the batch
                log.exception("outbox: composing send %s failed", item.send.id)
                batch.append((item, SuiviError(f"the message could not be composed: {err!r}")))
        return batch

    def _sender_loop(self, batches: queue.Queue, results: queue.Queue) -> None:
        while (batch := batches.get()) is not None:
            try:
                results.put(self._send_batch(batch))
            except BaseException as err:  # noqa: BLE001 - handed to the recording thread
                results.put(err)

    def _send_batch(self, batch: list[tuple]) -> list[Event]:
        events: list[Event] = []
        for item, composed in batch:
            events.extend(self._hand_over(item, composed))
        return events

    def _record(self, events: list[Event], work: list[queries.OutboxItem]) -> None:
        with self.db.transaction() as cursor:
            record_events(cursor, events)
            writes.release_from_smtp(cursor, [item.send.id for item in work])
        self.stats.handled += sum(len(item.deliveries) for item in work)
        self.stats.batches += 1

    def _hand_over(self, item: queries.OutboxItem, composed: ComposedMessage | SuiviError
                   ) -> list[Event]:
        send, deliveries = item.send, item.deliveries
        if isinstance(composed, SuiviError):
            outcomes = [RecipientOutcome(_recipient(d), False, 0, str(composed), False, "compose")
                        for d in deliveries]
            return self._outcome_events(send, outcomes, utc_now())
        attempt_events: list[Event] = []

        def on_attempt_failed(attempt: int, outcomes: list[RecipientOutcome], delay: float):
            now = utc_now()
            attempt_events.extend(
                _event(EventType.SEND_ATTEMPT_FAILED, send, outcome, now, attempt=attempt,
                       retry_in=round(delay, 1))
                for outcome in outcomes
            )

        try:
            if self.journal is not None:
                self.journal.begin(send.id)
            outcomes = deliver_with_retries(self.transport, composed, self.policy,
                                            sleep=self._sleep, on_attempt_failed=on_attempt_failed)
        except PermanentSendError as err:
            # configuration or TLS/auth trouble: the server never took the message — except
            # from recipients an earlier attempt settled (`completed`, set by outbound.retry)
            settled = {o.recipient.index: o for o in getattr(err, "completed", ())}
            outcomes = [settled.get(d.idx)
                        or RecipientOutcome(_recipient(d), False, 0, str(err), False, "connect")
                        for d in deliveries]
        if self.journal is not None:
            self.journal.end(send.id, [_outcome_to_journal(o) for o in outcomes])
        return attempt_events + self._outcome_events(send, outcomes, utc_now())

    def _outcome_events(self, send: Send, outcomes: list[RecipientOutcome], now) -> list[Event]:
        final = []
        for outcome in outcomes:
            if outcome.accepted:
                self.stats.accepted += 1
                final.append(_event(EventType.RECIPIENT_ACCEPTED, send, outcome, now))
            else:
                self.stats.refused += 1
                # the reply explained with the evidence used for returned messages (issue 9)
                explained = {}
                if outcome.stage != "compose":  # a server answered: read its reply (issue 9)
                    why = explain_reply(outcome.reply, outcome.stage, code=outcome.code)
                    explained = {"reason": str(why.reason), "status_code": why.status}
                final.append(_event(EventType.RECIPIENT_REFUSED, send, outcome, now,
                                    retries_exhausted=outcome.transient, **explained))
        return final

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
                self.outbox.run_until_empty()
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
    # a document that could not be composed never reached the server: no reply, only a cause
    server_reply = None if outcome.stage == "compose" else outcome.reply
    fields = {"smtp_reply": server_reply, "reply_code": outcome.code, "stage": outcome.stage,
              "reason": None if outcome.accepted else outcome.reply, **extra}
    payload = PAYLOADS[event_type](**fields)
    return Event(
        event_id(event_type, *identity), event_type, now, SYSTEM_ACTOR, send.account_id,
        send.document_id, send.id, recipient.index, recipient.address, payload,
    )


def _outcome_to_journal(outcome: RecipientOutcome) -> dict:
    recipient = outcome.recipient
    return {"address": recipient.address, "role": str(recipient.role), "index": recipient.index,
            "accepted": outcome.accepted, "code": outcome.code, "reply": outcome.reply,
            "transient": outcome.transient, "stage": outcome.stage}


def _outcome_from_journal(entry: dict) -> RecipientOutcome:
    recipient = OutgoingRecipient(entry["address"], RecipientRole(entry["role"]), entry["index"])
    return RecipientOutcome(recipient, entry["accepted"], entry["code"], entry["reply"],
                            entry["transient"], entry["stage"])
