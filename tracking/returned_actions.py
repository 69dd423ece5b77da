"""Support's handling of returned messages: attach, dismiss, apply or reject a proposal (issue 9).

Every action is one transaction that records an event naming who did it and on what evidence;
a refusal raises before anything is written.

- **attach** ties a queued message (unmatched, suspicious, undecodable, dismissed) to one
  recipient of a send, chosen BY ADDRESS. When the message reports on someone else, it is
  refused unless the caller confirms, naming both addresses (`MismatchConfirmation`); the
  confirmation is kept in the `bounce_attached` event.
- **apply** a proposal (a message tied only by a key anyone can copy): records a
  `proposal_applied` event, then the very delivery event an authenticated report would have
  recorded (same id, so it can never count twice).
- **reject** a proposal, **dismiss** a queued message: recorded as events, nothing moves.

Every action takes the signed-in `Principal` and checks, before anything is written, that its
role may handle returned messages and that it sees the account concerned; a message tied to no
document may be about any account, so only a user who sees every account handles it.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, replace
from datetime import datetime

from tracking.auth.principal import Principal
from tracking.auth.roles import Action
from tracking.clock import utc_now
from tracking.errors import Forbidden, InvalidInput, NotFound, RefusedValue
from tracking.events import (
    BounceAttached, BounceDismissed, BounceReport, Event, ProposalDecision, event_id,
)
from tracking.inbound.correlate import Match, MatchMethod, MatchState, SendCandidate, Target
from tracking.inbound.parse import parse_message
from tracking.inbound.result import ParseResult
from tracking.ingest import delivery_events
from tracking.models import EventType
from tracking.store import inbound, proposals, queries
from tracking.store.connection import Database
from tracking.store.ledger import record_events


class RecipientMismatch(RefusedValue):
    """The returned message reports on another address than the recipient chosen to attach it to.

    Raised before anything is written; retry with a `MismatchConfirmation(reported, chosen)`.
    """

    def __init__(self, reported: str, chosen: str) -> None:
        super().__init__("recipient_mismatch",
                         f"the returned message reports on {reported}, not on {chosen}: "
                         "attaching it needs a confirmation naming both addresses",
                         reported=reported, chosen=chosen)
        self.reported = reported
        self.chosen = chosen


@dataclass(frozen=True, slots=True)
class MismatchConfirmation:
    """"Yes, the report about `reported` is to be applied to `chosen`" — both named on purpose."""

    reported: str
    chosen: str


def reported_recipients(db: Database, returned_message_id: str) -> tuple[str, ...]:
    """The addresses a stored returned message reports on (what attach compares against)."""
    stored = _stored(db.cursor(), returned_message_id)
    return _named(_parse(stored))


def attach_bounce(db: Database, returned_message_id: str, send_id: str, recipient: str,
                  actor: Principal, *, confirmation: MismatchConfirmation | None = None,
                  now: datetime | None = None) -> list[Event]:
    """Tie a queued message to the recipient `recipient` (an address) of `send_id`.

    Recorded as `bounce_attached` by `actor`, plus what the message says about that recipient,
    applied by the usual state rules. Returns the events recorded.
    """
    _require_handler(actor)
    now = now or utc_now()
    chosen = recipient.strip().lower()
    with db.transaction() as cursor:
        stored = _stored(cursor, returned_message_id)
        _require_sees_returned(cursor, actor, stored)
        if stored.match_state == MatchState.MATCHED:
            raise InvalidInput(f"returned message {returned_message_id[:12]}… is already tied "
                               f"to send {stored.send_id}", code="message_already_tied",
                               returned_message=returned_message_id)
        if proposals.decisions_of_message(cursor, returned_message_id).get(proposals.OPEN):
            raise InvalidInput(f"returned message {returned_message_id[:12]}… has proposals to "
                               "verify: apply or reject them instead",
                               code="message_has_proposals", returned_message=returned_message_id)
        send = queries.get_send(cursor, send_id)
        if send is None:
            raise NotFound(f"unknown send {send_id!r}", code="unknown_send", send=send_id)
        actor.require(Action.HANDLE_RETURNED, send.account_id)
        deliveries = queries.deliveries_of_send(cursor, send_id)
        idx = next((d.idx for d in deliveries if d.address.lower() == chosen), None)
        if idx is None:
            raise InvalidInput(f"{recipient!r} is not a recipient of send {send_id}",
                               code="not_a_recipient", recipient=recipient)
        result = _parse(stored)
        report, confirmed = _report_for(result, chosen, confirmation)
        candidate = SendCandidate(send.id, send.document_id, send.account_id, send.requested_at,
                                  tuple(d.address.lower() for d in deliveries))
        match = Match(MatchState.MATCHED, MatchMethod.MANUAL, candidate, (Target(idx, report),))
        attached = Event(
            event_id(EventType.BOUNCE_ATTACHED, returned_message_id, send.id, idx),
            EventType.BOUNCE_ATTACHED, now, actor.login, send.account_id, send.document_id, send.id,
            idx, deliveries[idx].address,
            BounceAttached(returned_message_id=returned_message_id, kind=stored.kind,
                           previous_match_state=stored.match_state,
                           reported_recipients=list(_named(result)), chosen_recipient=chosen,
                           recipient_mismatch_confirmed=confirmed),
            origin=str(actor.origin))
        events = [attached, *delivery_events(returned_message_id, result, match,
                                             stored.received_at, actor.login, str(actor.origin))]
        recorded = record_events(cursor, events)
        inbound.settle_returned(cursor, returned_message_id, match_state=MatchState.MATCHED,
                                match_method=MatchMethod.MANUAL, send_id=send.id,
                                document_id=send.document_id, action="attached", actor=actor.login)
    return recorded


def dismiss_bounce(db: Database, returned_message_id: str, actor: Principal, note: str = "",
                   *, now: datetime | None = None) -> list[Event]:
    """Support decides a queued message needs nothing (spam, a duplicate, ordinary mail)."""
    _require_handler(actor)
    now = now or utc_now()
    with db.transaction() as cursor:
        stored = _stored(cursor, returned_message_id)
        _require_sees_returned(cursor, actor, stored)
        if stored.match_state == MatchState.MATCHED:
            raise InvalidInput(f"returned message {returned_message_id[:12]}… is tied to send "
                               f"{stored.send_id}; it cannot be dismissed",
                               code="message_already_tied", returned_message=returned_message_id)
        if proposals.decisions_of_message(cursor, returned_message_id).get(proposals.OPEN):
            raise InvalidInput(f"returned message {returned_message_id[:12]}… has proposals to "
                               "verify: reject them instead", code="message_has_proposals",
                               returned_message=returned_message_id)
        send = queries.get_send(cursor, stored.send_id) if stored.send_id else None
        dismissed = Event(
            event_id(EventType.BOUNCE_DISMISSED, returned_message_id), EventType.BOUNCE_DISMISSED,
            now, actor.login, send.account_id if send else None, stored.document_id,
            stored.send_id,
            details=BounceDismissed(returned_message_id=returned_message_id, kind=stored.kind,
                                    previous_match_state=stored.match_state,
                                    note=note or None),
            origin=str(actor.origin))
        recorded = record_events(cursor, [dismissed])
        inbound.settle_returned(cursor, returned_message_id, match_state=MatchState.IGNORED,
                                match_method=None, send_id=stored.send_id,
                                document_id=stored.document_id,
                                action="dismissed", actor=actor.login, note=note)
    return recorded


def apply_proposal(db: Database, proposal_id: str, actor: Principal, note: str = "",
                   *, now: datetime | None = None) -> list[Event]:
    """Support checked the evidence: the report counts, exactly as if it had been authenticated."""
    _require_handler(actor)
    now = now or utc_now()
    with db.transaction() as cursor:
        proposal = _open_proposal(cursor, proposal_id)
        actor.require(Action.HANDLE_RETURNED, proposal.account_id)
        evidence = BounceReport.from_stored(json.loads(proposal.details))
        event_type = EventType(proposal.event_type)
        report = Event(
            event_id(event_type, proposal.returned_message_id, proposal.send_id,
                     proposal.recipient_idx),
            event_type, proposal.received_at, actor.login, proposal.account_id,
            proposal.document_id, proposal.send_id, proposal.recipient_idx, proposal.recipient,
            replace(evidence, proposal_id=proposal.id, verified_by=actor.login),
            origin=str(actor.origin))
        recorded = record_events(cursor, [_decision_event(
            EventType.PROPOSAL_APPLIED, proposal, actor, now, note), report])
        proposals.decide(cursor, proposal.id, proposals.APPLIED, actor.login, now, note)
        _settle_message(cursor, proposal, "applied", actor.login, note)
    return recorded


def reject_proposal(db: Database, proposal_id: str, actor: Principal, note: str = "",
                    *, now: datetime | None = None) -> list[Event]:
    """Support judged the report not to be about this delivery (or forged): nothing moves."""
    _require_handler(actor)
    now = now or utc_now()
    with db.transaction() as cursor:
        proposal = _open_proposal(cursor, proposal_id)
        actor.require(Action.HANDLE_RETURNED, proposal.account_id)
        recorded = record_events(cursor, [_decision_event(
            EventType.PROPOSAL_REJECTED, proposal, actor, now, note)])
        proposals.decide(cursor, proposal.id, proposals.REJECTED, actor.login, now, note)
        _settle_message(cursor, proposal, "rejected", actor.login, note)
    return recorded


def _decision_event(event_type: EventType, proposal: proposals.Proposal, actor: Principal,
                    now: datetime, note: str) -> Event:
    # The state rules move nothing on a decision; the report event after an apply does.
    return Event(
        event_id(event_type, proposal.id), event_type, now, actor.login, proposal.account_id,
        proposal.document_id, proposal.send_id, proposal.recipient_idx, proposal.recipient,
        ProposalDecision(proposal_id=proposal.id,
                         returned_message_id=proposal.returned_message_id,
                         match_method=proposal.match_method, would_record=proposal.event_type,
                         reported_recipient=proposal.reported_recipient, action=proposal.action,
                         status_code=proposal.status_code, reason=proposal.reason,
                         diagnostic=proposal.diagnostic, note=note or None),
        origin=str(actor.origin))


def _settle_message(cursor, proposal: proposals.Proposal, action: str, actor: str,
                    note: str) -> None:
    """Once none of a message's proposals is open, the message leaves the queue: matched when
    one was applied, ignored when all were rejected."""
    counts = proposals.decisions_of_message(cursor, proposal.returned_message_id)
    if counts.get(proposals.OPEN):
        return
    state = MatchState.MATCHED if counts.get(proposals.APPLIED) else MatchState.IGNORED
    inbound.settle_returned(cursor, proposal.returned_message_id, match_state=state,
                            match_method=proposal.match_method, send_id=proposal.send_id,
                            document_id=proposal.document_id, action=action, actor=actor,
                            note=note)


def _open_proposal(cursor, proposal_id: str) -> proposals.Proposal:
    proposal = proposals.get_proposal(cursor, proposal_id)
    if proposal is None:
        raise NotFound(f"unknown report to verify {proposal_id!r}", code="unknown_proposal")
    if proposal.decision != proposals.OPEN:
        raise InvalidInput(f"report {proposal_id[:12]}… was already {proposal.decision} by "
                           f"{proposal.decided_by}", code="proposal_decided",
                           decision=proposal.decision, by=proposal.decided_by)
    return proposal


def _report_for(result: ParseResult, chosen: str, confirmation: MismatchConfirmation | None
                ) -> tuple[int | None, dict | None]:
    """(index of the report to apply, the confirmation to record) — or RecipientMismatch."""
    originals = result.correlation.original_recipients
    aligned = len(originals) == len(result.recipients)
    for i, report in enumerate(result.recipients):
        if (report.recipient or "").lower() == chosen or (
                aligned and originals[i].lower() == chosen):
            return i, None
    named = _named(result)
    if not named:
        # Nothing to compare with (no report, or reports without an address): the person's
        # choice is all there is; the event records that the message named nobody.
        return (0 if result.recipients else None), None
    if confirmation is not None and confirmation.chosen.strip().lower() == chosen:
        reported = confirmation.reported.strip().lower()
        for i, report in enumerate(result.recipients):
            if (report.recipient or "").lower() == reported:
                return i, {"reported": reported, "chosen": chosen}
    raise RecipientMismatch(named[0], chosen)


def _named(result: ParseResult) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.recipient.lower() for r in result.recipients if r.recipient))


def _stored(cursor, returned_message_id: str) -> inbound.StoredReturn:
    stored = inbound.get_returned(cursor, returned_message_id)
    if stored is None:
        raise NotFound(f"unknown returned message {returned_message_id!r}",
                       code="unknown_message")
    return stored


def _parse(stored: inbound.StoredReturn) -> ParseResult:
    return parse_message(zlib.decompress(stored.raw_zlib))


def _require_handler(actor: Principal) -> None:
    if not isinstance(actor, Principal) or not actor.login.strip():
        raise InvalidInput("handling a returned message needs the person who does it",
                           code="no_actor")
    actor.require(Action.HANDLE_RETURNED)


def _require_sees_returned(cursor, actor: Principal, stored: inbound.StoredReturn) -> None:
    """A message tied to no document may be about any account: only unscoped users handle it."""
    document = queries.get_document(cursor, stored.document_id) if stored.document_id else None
    if document is not None:
        actor.require(Action.HANDLE_RETURNED, document.account_id)
    elif actor.accounts is not None:
        raise Forbidden(f"{actor.login!r} may not handle a returned message tied to no account",
                        code="account", login=actor.login, action=str(Action.HANDLE_RETURNED))
