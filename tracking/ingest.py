"""Mailbox ingestion: fetch → parse → correlate → events, returned messages and checkpoint.

Exactly once: each batch's returned messages, events and mailbox checkpoint (UIDVALIDITY +
last UID, or the Maildir entries) are committed in ONE transaction, and only then may the source
move the messages away. A crash anywhere re-reads at most the uncommitted batch; ids come from
the content (returned message = sha256 of its bytes; event = type + returned message + send +
recipient; proposal = returned message + send + recipient, committed in the same transaction),
so a re-read, or a full rescan after UIDVALIDITY changed, adds nothing twice.

Only a message carrying a valid signed VERP token is applied, following `tracking.state`:
failure → not_delivered (also after delivered), delay → pending with its reason, success →
delivered, auto-reply and complaint recorded without a state change (a complaint sets the flag).
A message tied only by a key anyone can copy (ENVID, Message-ID, our header, the address) is a
*proposal* per recipient — stored with its evidence in the same transaction, moving nothing —
until support applies it (issue 9). Suspicious and unmatched messages are recorded only.

Support's manual handling (attach, dismiss, apply or reject a proposal) is
`tracking.returned_actions`; the background watcher is `tracking.ingest_watch`.
"""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import json
import os
import signal
import sys
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import get_context

from tracking.clock import to_db, utc_now
from tracking.events import (
    BounceProposed, BounceReport, BounceSuspicious, BounceUnmatched, Event, event_id,
)
from tracking.inbound.correlate import (
    ADDRESS_WINDOW, LookupKeys, Match, MatchState, correlate, lookup_keys,
)
from tracking.inbound.mailbox import MailboxMessage, MailboxSource
from tracking.inbound.parse import parse_message
from tracking.inbound.result import ParseResult, RecipientReport
from tracking.models import SYSTEM_ACTOR, BounceKind, EventType
from tracking.store import inbound, proposals
from tracking.store.connection import Database
from tracking.store.ledger import payload_json, record_events

BATCH_SIZE = 500           # messages per transaction: a crash re-reads at most this many
PARALLEL_PARSE_FROM = 2000  # backlog from which parsing moves to a worker process
RAW_CAP = 2 * 1024 * 1024  # bytes of a message kept for the viewer; bigger ones are truncated
# Level 1: bounces are text and still shrink ~4x; level 6 cost 3x the time for ~15% less space.
ZLIB_LEVEL = 1

_BY_ACTION = {  # RFC 3464 §2.3.3 Action values
    "failed": EventType.DSN_FAILED,
    "delayed": EventType.DSN_DELAYED,
    "delivered": EventType.DSN_DELIVERED,
    "relayed": EventType.DSN_DELIVERED,     # handed to the recipient's own server (DESIGN §4)
    "expanded": EventType.DSN_DELIVERED,
}
_BY_KIND = {
    BounceKind.FAILURE: EventType.DSN_FAILED,
    BounceKind.DELAY: EventType.DSN_DELAYED,
    BounceKind.SUCCESS: EventType.DSN_DELIVERED,
    BounceKind.AUTOREPLY: EventType.AUTOREPLY_RECEIVED,
    BounceKind.COMPLAINT: EventType.COMPLAINT_RECEIVED,
}


@dataclass(frozen=True)
class IngestPolicy:
    verp_key: bytes | None = None
    batch_size: int = BATCH_SIZE
    raw_cap: int = RAW_CAP
    address_window: timedelta = ADDRESS_WINDOW

    @classmethod
    def from_settings(cls, settings) -> IngestPolicy:
        key = settings.verp_key.reveal().encode("utf-8") if settings.verp_key else None
        return cls(verp_key=key)


@dataclass
class IngestStats:
    messages: int = 0          # read from the source
    stored: int = 0            # new returned messages
    duplicates: int = 0        # already stored (a re-read, a rescan)
    events: int = 0
    proposals: int = 0         # token-less matches put in the "à vérifier" queue
    by_state: dict[str, int] = field(default_factory=dict)

    def add(self, other: IngestStats) -> None:
        self.messages += other.messages
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.events += other.events
        self.proposals += other.proposals
        for state, count in other.by_state.items():
            self.by_state[state] = self.by_state.get(state, 0) + count

    def summary(self) -> str:
        states = ", ".join(f"{count} {state}" for state, count in sorted(self.by_state.items()))
        return (f"{self.messages} read, {self.stored} new ({states or 'none'}), "
                f"{self.duplicates} already known, {self.events} events, "
                f"{self.proposals} to verify")


def ingest_available(db: Database, source: MailboxSource, policy: IngestPolicy, *,
                     should_stop: Callable[[], bool] = lambda: False,
                     on_progress: Callable[[int, IngestStats], None] | None = None) -> IngestStats:
    """Read everything the source holds past its checkpoint, batch by batch.

    Each batch is committed (returned messages, events, checkpoint) before it is settled
    (moved away) and before the next one is committed. With a large backlog the parsing of
    batch k+1 runs in a worker process while this one commits batch k (`_parsers`).
    `on_progress(backlog, batch_stats)` is called after each commit (the watcher's status).
    """
    total = IngestStats()
    checkpoint = None if source.tracks_entries else inbound.load_checkpoint(db.cursor(), source.name)
    scan = source.scan(checkpoint)
    keys = list(scan.keys)
    if source.tracks_entries and keys:
        known = inbound.known_entries(db.cursor(), source.name, keys)
        keys = [key for key in keys if key not in known]
    if on_progress:
        on_progress(len(keys), IngestStats())

    def finish(messages, parsed: Future, chunk: list[str], backlog: int) -> None:
        stats = _commit(db, source.name, messages, parsed.result(), policy,
                        _checkpoint_writer(source, scan.validity, chunk, messages))
        source.settle(chunk)  # only now: the results are committed
        total.add(stats)
        if on_progress:
            on_progress(backlog, stats)

    with _parsers(len(keys)) as parse:
        pending = None
        for start in range(0, len(keys), policy.batch_size):
            if should_stop():
                break
            chunk = keys[start:start + policy.batch_size]
            messages = list(source.fetch(chunk))
            parsed = parse([message.raw for message in messages])
            if pending is not None:
                finish(*pending)
            pending = (messages, parsed, chunk, len(keys) - start - len(chunk))
        if pending is not None:
            finish(*pending)
    return total


@contextmanager
def _parsers(backlog: int) -> Iterator[Callable[[list[bytes]], Future]]:
    """Parsing is most of ingestion's CPU and holds the GIL, so a thread cannot overlap it
    with the commit; a worker process can. Starting one costs ~0.3 s (imports), worth it only
    for a backlog (catching up, a rescan); small batches are parsed inline. Not `fork`: the
    console process has threads, which `fork` would copy in an unknown state: `spawn`."""
    if backlog < PARALLEL_PARSE_FROM:
        def inline(raws: list[bytes]) -> Future:
            future: Future = Future()
            future.set_result(parse_raw_messages(raws))
            return future
        yield inline
        return
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                             initializer=_die_with_parent) as pool:
        yield lambda raws: pool.submit(parse_raw_messages, raws)


def _die_with_parent() -> None:
    """A parse worker must not outlive an ingest killed with SIGKILL (crash, OOM): on Linux
    ask the kernel to kill it with its parent (prctl PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the call took effect
            os._exit(1)


def parse_raw_messages(raws: list[bytes]) -> list[tuple[str, ParseResult]]:
    """(returned message id, parse result) per message; pure, run in a worker process."""
    return [(hashlib.sha256(raw).hexdigest(), parse_message(raw)) for raw in raws]


def ingest_batch(db: Database, source_name: str, messages: list[MailboxMessage],
                 policy: IngestPolicy,
                 checkpoint_writer: Callable[[object, list[str]], None] | None = None) -> IngestStats:
    """Parse, correlate and store one batch, in one transaction with its checkpoint."""
    return _commit(db, source_name, messages, parse_raw_messages([m.raw for m in messages]),
                   policy, checkpoint_writer)


def _checkpoint_writer(source: MailboxSource, validity: int, chunk: list[str],
                       messages: list[MailboxMessage]) -> Callable[[object, list[str]], None]:
    if source.tracks_entries:
        return lambda cursor, ids: inbound.add_entries(
            cursor, source.name, [(m.key, rm_id) for m, rm_id in zip(messages, ids)])
    last_uid = max(int(key) for key in chunk)  # absent ones were expunged meanwhile
    return lambda cursor, ids: inbound.save_checkpoint(cursor, source.name, validity, last_uid)


def _commit(db: Database, source_name: str, messages: list[MailboxMessage],
            parsed: list[tuple[str, ParseResult]], policy: IngestPolicy,
            checkpoint_writer: Callable[[object, list[str]], None] | None) -> IngestStats:
    stats = IngestStats(messages=len(messages))
    ids = [rm_id for rm_id, _ in parsed]
    now = utc_now()
    with db.transaction() as cursor:
        inbound.lock_mailbox(cursor, source_name)   # another watcher's batch commits first
        seen = inbound.existing_returned_ids(cursor, ids)
        fresh: list[tuple[str, MailboxMessage, ParseResult, datetime]] = []
        for (rm_id, result), message in zip(parsed, messages):
            if rm_id in seen:
                stats.duplicates += 1
            else:
                seen.add(rm_id)
                fresh.append((rm_id, message, result, message.received_at or now))
        matches = _correlate_all(cursor, [(r, at) for _, _, r, at in fresh], policy, now)
        rows: list[dict] = []
        events: list[Event] = []
        for (rm_id, message, result, at), match in zip(fresh, matches):
            rows.append(_returned_row(rm_id, source_name, message.raw, at, result, match,
                                      policy.raw_cap))
            events.extend(events_for(rm_id, result, match, at))
            stats.by_state[str(match.state)] = stats.by_state.get(str(match.state), 0) + 1
        inbound.insert_returned(cursor, rows)
        stats.stored = len(rows)
        stats.proposals = proposals.insert_proposals(cursor, proposal_rows(events))
        stats.events = len(record_events(cursor, events))
        if checkpoint_writer is not None:
            checkpoint_writer(cursor, ids)
    return stats


def _correlate_all(cursor, items: list[tuple[ParseResult, datetime]], policy: IngestPolicy,
                   now: datetime) -> list[Match]:
    """Keys first (one lookup for the batch); the recipient-address lookup only for what the
    keys left unmatched, since it is the costly query and most bounces carry our keys."""
    results = [result for result, _ in items]
    candidates = inbound.candidates_for(cursor, lookup_keys(results, addresses=False),
                                        since=now)
    matches = [correlate(result, candidates, verp_key=policy.verp_key, received_at=at,
                         window=policy.address_window) for result, at in items]
    retry = [i for i, match in enumerate(matches)
             if match.state is MatchState.UNMATCHED and match.send is None
             and match.verp is None and results[i].recipients]
    if retry:
        earliest = min(items[i][1] for i in retry) - policy.address_window
        keys = lookup_keys([results[i] for i in retry])
        by_address = inbound.candidates_for(
            cursor, LookupKeys(frozenset(), frozenset(), keys.addresses), since=earliest)
        for i in retry:
            matches[i] = correlate(results[i], by_address, verp_key=policy.verp_key,
                                   received_at=items[i][1], window=policy.address_window)
    return matches


def events_for(rm_id: str, result: ParseResult, match: Match, at: datetime,
               actor: str = SYSTEM_ACTOR, origin: str | None = None) -> list[Event]:
    """The facts a correlated message adds to the log (pure); `origin` as for `Event`.

    Only an authenticated match (a valid VERP token) records the events that move deliveries;
    a proposed one records `bounce_proposed` per recipient, which moves nothing (issue 9).
    """
    common = _common_details(rm_id, result)
    send = match.send
    if match.state is MatchState.SUSPICIOUS:
        return [Event(event_id(EventType.BOUNCE_SUSPICIOUS, rm_id), EventType.BOUNCE_SUSPICIOUS,
                      at, actor, details=BounceSuspicious(**common, note=match.note,
                                                          verp_check=str(match.verp)),
                      origin=origin)]
    if match.state is MatchState.UNMATCHED:
        return [Event(event_id(EventType.BOUNCE_UNMATCHED, rm_id), EventType.BOUNCE_UNMATCHED,
                      at, actor, send.account_id if send else None,
                      send.document_id if send else None, send.send_id if send else None,
                      details=BounceUnmatched(**common, note=match.note), origin=origin)]
    if match.state is MatchState.PROPOSED:
        return [_proposed_event(rm_id, event, at)
                for event in delivery_events(rm_id, result, match, at, actor, origin)]
    if match.state is MatchState.MATCHED:
        return delivery_events(rm_id, result, match, at, actor, origin)
    return []


def delivery_events(rm_id: str, result: ParseResult, match: Match, at: datetime,
                    actor: str = SYSTEM_ACTOR, origin: str | None = None) -> list[Event]:
    """What the message says about each recipient it is tied to (failure, delay, success…), as
    the events that move deliveries — whether the tie is authenticated is the caller's business.
    The ids depend on the message, send and recipient only: applying a proposal by hand records
    the very events an authenticated report would have."""
    send = match.send
    if send is None:
        return []
    common = _common_details(rm_id, result)
    events = []
    for target in match.targets:
        report = result.recipients[target.report] if target.report is not None else None
        event_type = _event_type(result.kind, report)
        if event_type is None:
            continue
        details = BounceReport(
            **common, match_method=str(match.method),
            confidence=match.method.confidence if match.method else None,
            **(_report_fields(report) if report else {}))
        events.append(Event(
            event_id(event_type, rm_id, send.send_id, target.idx), event_type, at, actor,
            send.account_id, send.document_id, send.send_id, target.idx,
            send.addresses[target.idx], details, origin=origin))
    return events


def proposal_id(rm_id: str, send_id: str, idx: int) -> str:
    """A proposal and the `bounce_proposed` event that announced it share this id."""
    return event_id(EventType.BOUNCE_PROPOSED, rm_id, send_id, idx)


def _proposed_event(rm_id: str, would_record: Event, at: datetime) -> Event:
    assert would_record.send_id is not None and would_record.recipient_idx is not None
    pid = proposal_id(rm_id, would_record.send_id, would_record.recipient_idx)
    report = dataclasses.asdict(would_record.details)
    return Event(pid, EventType.BOUNCE_PROPOSED, at, would_record.actor, would_record.account_id,
                 would_record.document_id, would_record.send_id, would_record.recipient_idx,
                 would_record.recipient,
                 BounceProposed(**{**report, "proposal_id": pid,
                                   "would_record": str(would_record.type)}),
                 origin=would_record.origin)


def proposal_rows(events: list[Event]) -> list[dict]:
    """The "à vérifier" rows of a batch's `bounce_proposed` events, with their evidence and the
    report payload applying one records."""
    rows = []
    for event in events:
        if event.type is not EventType.BOUNCE_PROPOSED:
            continue
        proposed = event.details
        assert isinstance(proposed, BounceProposed)
        report = BounceReport(**{name: getattr(proposed, name)
                                 for name in BounceReport.field_names()})
        rows.append({
            "id": event.id, "returned_message_id": proposed.returned_message_id,
            "received_at": to_db(event.occurred_at), "account_id": event.account_id,
            "document_id": event.document_id, "send_id": event.send_id,
            "recipient_idx": event.recipient_idx, "recipient": event.recipient,
            "match_method": proposed.match_method, "event_type": proposed.would_record,
            "reported_recipient": proposed.reported_recipient, "action": proposed.action,
            "status_code": proposed.status_code, "reason": proposed.reason,
            "diagnostic": proposed.diagnostic, "details": payload_json(report),
            "decision": proposals.OPEN, "decided_by": None, "decided_at": None, "note": None,
        })
    return rows


def _common_details(rm_id: str, result: ParseResult) -> dict:
    return {"returned_message_id": rm_id, "kind": str(result.kind),
            "detector": result.detector, "subject": result.subject[:200]}


def _event_type(kind: BounceKind, report: RecipientReport | None) -> EventType | None:
    if kind in (BounceKind.FAILURE, BounceKind.DELAY, BounceKind.SUCCESS) and report is not None:
        by_action = _BY_ACTION.get(report.action.lower())
        if by_action is not None:
            return by_action
    return _BY_KIND.get(kind)


def _report_fields(report: RecipientReport) -> dict:
    return {"reason": str(report.reason), "status_code": report.status or None,
            "status_derived": report.status_derived, "reply_code": report.replycode or None,
            "diagnostic": report.diagnostic or None, "remote_mta": report.remote_mta or None,
            "action": report.action or None, "hardbounce": report.hardbounce,
            "reported_recipient": report.recipient,
            "feedback_type": report.feedback_type or None}


def _returned_row(rm_id: str, source: str, raw: bytes, at: datetime, result: ParseResult,
                  match: Match, cap: int) -> dict:
    kept = raw[:cap]
    return {
        "id": rm_id, "received_at": to_db(at), "source": source, "size_bytes": len(raw),
        "raw_zlib": zlib.compress(kept, ZLIB_LEVEL), "truncated": len(kept) < len(raw),
        "kind": str(result.kind), "detector": result.detector, "subject": result.subject[:500],
        "defects": json.dumps(list(result.defects), ensure_ascii=False),
        "match_state": str(match.state),
        "match_method": str(match.method) if match.method else None,
        "send_id": match.send.send_id if match.send else None,
        "document_id": match.send.document_id if match.send else None,
    }
