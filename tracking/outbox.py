"""The outbox worker: hands recorded sends to the SMTP server and records what it answered.

A send request only records the send with its deliveries `pending` (`tracking.service`); this
worker does the SMTP work, in batches: claim a batch (its deliveries become `in_flight` in one
transaction), talk to the server, then record every outcome and release the batch in a second
transaction. Between the two, the SMTP progress of each send is written to a journal beside
the database (`tracking.outbox_journal`). A process that dies in between leaves `in_flight`
behind, and the next start settles it from the journal: outcomes the server gave are recorded
(nothing lost), a send caught mid-handoff is reported interrupted and never resent (nothing
sent twice), a send never handed over goes back to the queue.

When the outbound server itself fails (unreachable, TLS, AUTH refused, 421 — nobody answered
about any recipient), the deliveries stay `pending` with the reason and a retry time
(`outbound_retries`, growing delays); only past `SUIVI_OUTBOUND_MAX_AGE` after the request do
they end `not_sent` with that reason. A recipient the server refuses (5xx) ends alone.

It runs as a thread of the process's owner (`tracking.server`: the console, or
`python -m tracking serve`), or once from the command line (`python -m tracking send
--process`). One sender per database: the journal's lock refuses a second one.
"""

from __future__ import annotations

import functools
import gc
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from tracking.clock import to_db, utc_now
from tracking.config import Settings
from tracking.errors import PermanentSendError, SuiviError
from tracking.events import PAYLOADS, Event, SendAttemptFailed, SendInterrupted, event_id
from tracking.models import SYSTEM_ACTOR, EventType, RecipientRole
from tracking.outbound.compose import (
    ComposedMessage, OutgoingDocument, OutgoingRecipient, compose,
)
from tracking.outbound.health import HealthTracker
from tracking.outbound.retry import (
    RetryPolicy, Transport, deliver_with_retries, fault_kind, is_server_fault,
)
from tracking.outbound.smtp import (
    AuthRefused, RecipientOutcome, SmtpTransport, TlsFailed, needs_smtputf8, wire_payload,
)
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
    deferred: int = 0     # deliveries the outbound server could not take, waiting for a retry
    batches: int = 0


@dataclass
class Settled:
    """What one batch's SMTP work decided, for the recording transaction."""

    events: list[Event] = field(default_factory=list)
    deferrals: list[tuple[str, int, datetime]] = field(default_factory=list)  # send, idx, when
    skipped: list[str] = field(default_factory=list)   # claimed, never handed over (stopping)

    def extend(self, other: Settled) -> None:
        self.events += other.events
        self.deferrals += other.deferrals
        self.skipped += other.skipped


@dataclass(frozen=True)
class Prepared:
    """A composed message and its bytes on the wire, serialized ahead of the handoff."""

    composed: ComposedMessage
    payload: bytes
    international: bool     # needs SMTPUTF8 (`needs_smtputf8`), decided once with the payload


class _WithPayload:
    """The transport, handed the bytes already serialized (retries resend the same message to
    fewer recipients: same bytes), and the work to do while the server reads them."""

    def __init__(self, transport: Transport, prepared: Prepared,
                 while_waiting: Callable[[], None] | None = None) -> None:
        self.transport, self.prepared, self.while_waiting = transport, prepared, while_waiting

    def deliver(self, composed: ComposedMessage) -> list[RecipientOutcome]:
        prepared = self.prepared
        if not isinstance(self.transport, SmtpTransport):
            return self.transport.deliver(composed, payload=prepared.payload)
        # a retry to fewer recipients may need SMTPUTF8 no more: the transport decides again
        international = (prepared.international
                         if composed.recipients == prepared.composed.recipients else None)
        return self.transport.deliver(composed, payload=prepared.payload,
                                      while_waiting=self.while_waiting,
                                      international=international)


class Outbox:
    """Hands queued sends to SMTP through `transport` (one reused connection per batch run).

    One sender per database: the journal's lock (`OutboxJournal.acquire`) is held while it
    sends, by `acquire()` for a long-running worker or for the duration of one call otherwise.
    """

    def __init__(self, db: Database, transport: Transport, settings: Settings, *,
                 batch_size: int = 500, sleep: Callable[[float], None] = time.sleep,
                 attachment_for: Callable[[str], tuple[bytes, str] | None] | None = None) -> None:
        self.db = db
        self.transport = transport
        self.settings = settings
        self.batch_size = batch_size
        self.policy = RetryPolicy.from_settings(settings.retry)
        self.max_age = timedelta(seconds=settings.outbound_max_age)
        self._sleep = sleep
        self._attachment_for = attachment_for
        self._verp_key = settings.verp_key.reveal().encode() if settings.verp_key else None
        self.stats = OutboxStats()
        # notified after each batch's outcomes are committed, for whoever waits on `stats`
        # (the send benchmark) without polling the worker for the GIL
        self.recorded = threading.Condition()
        self.health = HealthTracker()
        self.journal = OutboxJournal.beside(db.path)
        self.stopping = threading.Event()   # set: finish the message in flight, claim no more

    # -- one sender per database -----------------------------------------------------------------

    def acquire(self) -> None:
        """Become the only sender on this database (`SenderBusy` when another one is)."""
        if self.journal is not None:
            self.journal.acquire()

    def release(self) -> None:
        if self.journal is not None:
            self.journal.release()

    @contextmanager
    def _sending(self) -> Iterator[None]:
        held = self.journal is None or self.journal.held
        if not held:
            self.acquire()
        try:
            yield
        finally:
            if not held:
                self.release()

    # -- work ------------------------------------------------------------------------------------

    def recover(self) -> int:
        """Settle what a crashed process left claimed; returns how many deliveries it was.

        The journal says how far each claimed send got: finished ones get their recorded
        outcomes, ones caught mid-handoff are reported interrupted (never resent), untouched ones
        go back to the outbox.
        """
        with self._sending():
            return self._recover()

    @property
    def _worker(self) -> str | None:
        """This sender's name among several on PostgreSQL (its journal slot); None on DuckDB."""
        return None if self.journal is None else self.journal.worker

    def _recover(self) -> int:
        """Settle this sender's own leftovers, then those of dead senders of the same pool
        (PostgreSQL: a worker killed and not restarted leaves its journal slot free)."""
        settled = self._recover_claims(self.journal)
        for orphan in self.journal.orphans() if self.journal is not None else ():
            settled += self._recover_claims(orphan)
        return settled

    def _recover_claims(self, journal: OutboxJournal | None) -> int:
        worker = None if journal is None else journal.worker
        stranded = queries.interrupted_deliveries(self.db.cursor(), worker)
        if not stranded:
            if journal is not None:
                journal.clear()
            return 0
        progress = journal.read() if journal is not None else None
        by_send: dict[str, list[Delivery]] = {}
        for delivery in stranded:
            by_send.setdefault(delivery.send_id, []).append(delivery)
        now = utc_now()
        settled = Settled()
        finished: list[str] = []
        untouched: list[str] = []
        cursor = self.db.cursor()
        for send_id, deliveries in by_send.items():
            send = queries.get_send(cursor, send_id)
            if progress is not None and send_id in progress.ended:
                outcomes = [_outcome_from_journal(entry) for entry in progress.ended[send_id]]
                claims = {d.idx: d.smtp_attempts for d in deliveries}
                settled.extend(self._settle(send, outcomes, now, claims))
                finished.append(send_id)
            elif progress is None or send_id in progress.begun:
                settled.events.extend(Event(
                    event_id(EventType.SEND_INTERRUPTED, send_id, d.idx, d.smtp_attempts),
                    EventType.SEND_INTERRUPTED, now, SYSTEM_ACTOR, send.account_id,
                    send.document_id, send_id, d.idx, d.address,
                    SendInterrupted(reason=INTERRUPTED_REASON, attempt=d.smtp_attempts),
                ) for d in deliveries)
                finished.append(send_id)
            else:
                untouched.append(send_id)

        def write(cursor) -> None:
            record_events(cursor, settled.events)
            writes.defer_deliveries(cursor, settled.deferrals)
            writes.release_from_smtp(cursor, finished, worker)
            writes.unclaim(cursor, untouched, to_db(now), worker)

        self.db.retrying(write)
        if journal is not None:
            journal.clear()
        interrupted = sum(1 for e in settled.events if e.type is EventType.SEND_INTERRUPTED)
        if interrupted:
            log.warning("outbox: %d deliveries were interrupted mid-handoff", interrupted)
        return len(stranded)

    def run_once(self) -> int:
        """Hand over one batch, synchronously; returns the deliveries handled (0: empty)."""
        with self._sending():
            work = self._claim()
            if not work:
                return 0
            self._record(self._send_batch(work), work)
            if self.journal is not None:
                self.journal.clear()
            return sum(len(item.deliveries) for item in work)

    def run_until_empty(self) -> OutboxStats:
        """Recover, then hand over everything due (stopping early once `stopping` is set).

        The SMTP conversation runs on a sender thread while this thread records the previous
        batch's outcomes and claims the next one, so the database work hides in the time spent
        waiting for the server (DuckDB and socket waits release the GIL); the sender thread
        composes each message while the server handles the one before.
        """
        with self._sending(), _collector_skips_older_objects():
            self._recover()
            self._drain()
            if self.journal is not None:
                self.journal.clear()
        return self.stats

    def _drain(self) -> None:
        batches: queue.Queue = queue.Queue(maxsize=1)
        results: queue.Queue = queue.Queue()
        sender = threading.Thread(target=self._sender_loop, args=(batches, results),
                                  name="suivi-outbox-smtp", daemon=True)
        sender.start()
        claimed: list[list[queries.OutboxItem]] = []
        size = FIRST_BATCH
        # Retries due when the drain starts, not those it defers itself: a server that just
        # failed is not hammered in a loop within one drain.
        started = to_db(utc_now())
        try:
            while True:
                more = len(claimed) < 2 and not self.stopping.is_set()
                work = self._claim(size, started) if more else []
                size = min(self.batch_size, size * 4)
                if work:
                    claimed.append(work)
                    batches.put(work)
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

    def next_retry_in(self) -> float | None:
        """Seconds until the earliest deferred delivery is due; None when none waits."""
        due = queries.next_outbound_retry(self.db.cursor())
        if due is None:
            return None
        return max(0.0, (due - to_db(utc_now())).total_seconds())

    def _claim(self, size: int | None = None, now: datetime | None = None
               ) -> list[queries.OutboxItem]:
        now = now or to_db(utc_now())

        def claim(cursor) -> list[queries.OutboxItem]:
            # one transaction: on PostgreSQL the read locks its sends (SKIP LOCKED) and the
            # claim keeps only the deliveries no other worker took first
            work = queries.outbox_work(cursor, size or self.batch_size, now)
            if not work:
                return []
            taken = writes.claim_for_smtp(cursor, [item.send.id for item in work], now,
                                          self._worker)
            return _only_taken(work, taken)

        return self.db.retrying(claim)

    def _prepare(self, item: queries.OutboxItem) -> Prepared | SuiviError:
        """The composed message and its bytes, or the error that stopped composing it."""
        try:
            composed = self._compose(item)
            international = needs_smtputf8(composed)
            return Prepared(composed, wire_payload(composed, international), international)
        except SuiviError as err:  # e.g. an address compose refuses: nothing is sent
            return err
        except Exception as err:  # noqa: BLE001 - one document's bug must not strand the batch
            log.exception("outbox: composing send %s failed", item.send.id)
            return SuiviError(f"the message could not be composed: {err!r}")

    def _sender_loop(self, batches: queue.Queue, results: queue.Queue) -> None:
        while (batch := batches.get()) is not None:
            try:
                results.put(self._send_batch(batch))
            except BaseException as err:  # noqa: BLE001 - handed to the recording thread
                results.put(err)

    def _send_batch(self, work: list[queries.OutboxItem]) -> Settled:
        """Hand over each send of a claimed batch, composing each one on this thread while the
        server handles the one before (composing on the recording thread instead made each
        server reply wait for the GIL, up to the 5 ms switch interval, behind it)."""
        settled = Settled()
        fault: RecipientOutcome | None = None
        items = [item for item in work if item.deliveries]
        ready: dict[int, Prepared | SuiviError] = {}

        def prepare(position: int) -> None:
            if position < len(items) and position not in ready:
                ready[position] = self._prepare(items[position])

        for position, item in enumerate(items):
            if self.stopping.is_set():
                settled.skipped.append(item.send.id)   # back to the queue, untouched
                continue
            prepare(position)
            composed = ready.pop(position)
            if fault is not None and not isinstance(composed, SuiviError):
                # The server just failed us: the rest of the batch waits too, without each
                # send costing its own connection timeout.
                outcomes = [RecipientOutcome(_recipient(d), False, fault.code, fault.reply, True,
                                             fault.stage) for d in item.deliveries]
                settled.extend(self._settle(item.send, outcomes, utc_now(), _claims(item)))
            else:
                result, outcomes = self._hand_over(item, composed,
                                                   functools.partial(prepare, position + 1))
                settled.extend(result)
                fault = next((o for o in outcomes if is_server_fault(o)), None)
        return settled

    def _record(self, settled: Settled, work: list[queries.OutboxItem]) -> None:
        skipped = set(settled.skipped)
        done = [item.send.id for item in work if item.send.id not in skipped]
        now = to_db(utc_now())

        def write(cursor) -> None:
            record_events(cursor, settled.events)
            writes.defer_deliveries(cursor, settled.deferrals)
            writes.release_from_smtp(cursor, done, self._worker)
            writes.unclaim(cursor, sorted(skipped), now, self._worker)

        self.db.retrying(write)
        with self.recorded:
            self.stats.handled += sum(len(item.deliveries) for item in work
                                      if item.send.id not in skipped)
            self.stats.batches += 1
            self.recorded.notify_all()

    def _hand_over(self, item: queries.OutboxItem,
                   composed: Prepared | ComposedMessage | SuiviError,
                   while_waiting: Callable[[], None] | None = None,
                   ) -> tuple[Settled, list[RecipientOutcome]]:
        send, deliveries = item.send, item.deliveries
        if isinstance(composed, SuiviError):
            outcomes = [RecipientOutcome(_recipient(d), False, 0, str(composed), False, "compose")
                        for d in deliveries]
            return self._settle(send, outcomes, utc_now(), _claims(item)), outcomes
        attempt_events: list[Event] = []
        claims = _claims(item)

        def on_attempt_failed(attempt: int, outcomes: list[RecipientOutcome], delay: float):
            now = utc_now()
            attempt_events.extend(
                _event(EventType.SEND_ATTEMPT_FAILED, send, outcome, now, attempt=attempt,
                       claim=claims[outcome.recipient.index], retry_in=round(delay, 1))
                for outcome in outcomes
            )

        try:
            if self.journal is not None:
                self.journal.begin(send.id)
            transport, message = self.transport, composed
            if isinstance(composed, Prepared):
                transport = _WithPayload(self.transport, composed, while_waiting)
                message = composed.composed
            outcomes = deliver_with_retries(transport, message, self.policy,
                                            sleep=self._sleep, on_attempt_failed=on_attempt_failed)
        except PermanentSendError as err:
            # TLS, AUTH or configuration trouble: the server never took the message — except
            # from recipients an earlier attempt settled (`completed`, set by outbound.retry)
            stage = "auth" if isinstance(err, AuthRefused) else \
                "tls" if isinstance(err, TlsFailed) else "config"
            done = {o.recipient.index: o for o in getattr(err, "completed", ())}
            outcomes = [done.get(d.idx)
                        or RecipientOutcome(_recipient(d), False, 0, str(err), True, stage)
                        for d in deliveries]
        if self.journal is not None:
            self.journal.end(send.id, [_outcome_to_journal(o) for o in outcomes])
        self._observe(outcomes)
        settled = self._settle(send, outcomes, utc_now(), claims)
        settled.events[:0] = attempt_events
        return settled, outcomes

    def _observe(self, outcomes: list[RecipientOutcome]) -> None:
        """Tell the health tracker whether the server answered."""
        fault = next((o for o in outcomes if is_server_fault(o)), None)
        if any(not is_server_fault(o) and o.stage != "compose" for o in outcomes):
            self.health.answered()
        elif fault is not None:
            self.health.failed(fault_kind(fault), fault.reply)

    def _settle(self, send: Send, outcomes: list[RecipientOutcome], now: datetime,
                claims: dict[int, int]) -> Settled:
        """Events (and retries) for final outcomes: accepted -> sent; refused by someone ->
        not_sent; the server could not take it -> stays pending and is retried later, until
        `outbound_max_age` after the request, then not_sent with that reason."""
        settled = Settled()
        too_old = now - send.requested_at >= self.max_age
        for outcome in outcomes:
            index = outcome.recipient.index
            if outcome.accepted:
                self.stats.accepted += 1
                settled.events.append(_event(EventType.RECIPIENT_ACCEPTED, send, outcome, now))
            elif is_server_fault(outcome) and not too_old:
                self.stats.deferred += 1
                claim = claims.get(index, 1)
                delay = self.policy.deferral_delay(claim)
                settled.events.append(Event(
                    event_id(EventType.SEND_ATTEMPT_FAILED, send.id, index, "deferred", claim),
                    EventType.SEND_ATTEMPT_FAILED, now, SYSTEM_ACTOR, send.account_id,
                    send.document_id, send.id, index, outcome.recipient.address,
                    SendAttemptFailed(smtp_reply=outcome.reply, reply_code=outcome.code,
                                      stage=outcome.stage, reason=outcome.reply,
                                      fault=fault_kind(outcome), retry_in=round(delay, 1))))
                settled.deferrals.append((send.id, index, to_db(now) + timedelta(seconds=delay)))
            else:
                self.stats.refused += 1
                fault = fault_kind(outcome) if is_server_fault(outcome) else None
                settled.events.append(_event(EventType.RECIPIENT_REFUSED, send, outcome, now,
                                             retries_exhausted=outcome.transient, fault=fault,
                                             **_explained(outcome)))
        return settled

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
    """The worker as a daemon thread: drains the outbox, then waits for `wake()`, a poll, or
    the next deferred retry, whichever comes first. Holds the journal lock while it runs."""

    def __init__(self, outbox: Outbox, *, poll_seconds: float = 5.0) -> None:
        self.outbox = outbox
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="suivi-outbox", daemon=True)
        self.last_error: str | None = None
        self.passes = 0      # completed drains (tests and the bench wait on it)

    def start(self) -> OutboxThread:
        self.outbox.acquire()   # SenderBusy here, at once, when another sender runs
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the SMTP transaction in flight, record it, put the rest back, and end."""
        self.outbox.stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while not self.outbox.stopping.is_set():
                try:
                    self.outbox.run_until_empty()
                    self.last_error = None
                except Exception as err:  # noqa: BLE001 - one bad batch must not stop the worker
                    self.last_error = str(err)
                    log.exception("outbox batch failed")
                self.passes += 1
                self._wake.wait(self._wait_seconds())
                self._wake.clear()
        finally:
            self.outbox.release()

    def _wait_seconds(self) -> float:
        try:
            due = self.outbox.next_retry_in()
            self.outbox.health.set_waiting(queries.outbound_waiting(self.outbox.db.cursor()))
        except Exception:  # noqa: BLE001 - the next pass reports real database trouble
            due = None
        return self.poll_seconds if due is None else min(self.poll_seconds, max(due, 0.05))


@contextmanager
def _collector_skips_older_objects() -> Iterator[None]:
    """During a drain, the cyclic garbage collector looks only at objects made since it began.

    A drain allocates records, events and messages by the thousand; every so often that makes
    the collector walk the whole heap (gen2: every module, the console's caches), holding the
    GIL all along, while the SMTP thread's reply waits. Measured in the send bench (2,000
    messages a round, gc.callbacks): gen2 took 85-230 ms a round, 43-114 µs a message, about a
    tenth of the client's CPU; frozen, none. What existed before stays alive as it was (and
    unfrozen, it is collected as usual after the drain); the drain's own cycles are collected.
    A process that froze objects itself keeps its own policy: nothing is frozen or thawed then.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _only_taken(work: list[queries.OutboxItem], taken: set[tuple[str, int]]
                ) -> list[queries.OutboxItem]:
    """The work with only the deliveries this claim took; sends left with none are dropped
    (another worker holds them, and releasing them here would release its claim)."""
    kept = []
    for item in work:
        deliveries = [d for d in item.deliveries if (d.send_id, d.idx) in taken]
        if not deliveries:
            continue
        # the usual case, all of them taken, keeps the item as it is (no copy)
        kept.append(item if len(deliveries) == len(item.deliveries)
                    else replace(item, deliveries=deliveries))
    return kept


def _claims(item: queries.OutboxItem) -> dict[int, int]:
    """Per recipient, which claim this is (the count is read before the claim adds one)."""
    return {d.idx: d.smtp_attempts + 1 for d in item.deliveries}


def _recipient(delivery: Delivery) -> OutgoingRecipient:
    return OutgoingRecipient(delivery.address, delivery.role, delivery.idx)


def _explained(outcome: RecipientOutcome) -> dict:
    """The server's reply read with the evidence used for returned messages (issue 9), so a
    refusal at our own handoff gets the same plain reason; a compose failure had no reply."""
    if outcome.stage == "compose":
        return {}
    why = explain_reply(outcome.reply, outcome.stage, code=outcome.code)
    return {"reason": str(why.reason), "status_code": why.status}


def _event(event_type: EventType, send: Send, outcome: RecipientOutcome, now, *,
           claim: int = 1, **extra) -> Event:
    recipient = outcome.recipient
    identity: tuple = (send.id, recipient.index, extra.get("attempt"))
    if claim > 1:   # a later claim's retries are other facts than the first claim's
        identity += (f"claim{claim}",)
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
