"""Events: immutable, timestamped facts — the activity history — and their typed payloads.

An event's id is derived from what makes the fact unique (its type and identity keys), never from
a random number, so recording the same fact twice (a resumed outbox, a re-read mailbox) inserts
nothing the second time.

Each event type has one frozen payload dataclass (`PAYLOADS`); only the ledger
(`tracking.store.ledger`) turns a payload into JSON and back. A field has one meaning wherever it
appears: `smtp_reply` is always a server's full reply line(s), `reply_code` the bare three-digit
code. Adding an event type: a payload class here and one line in `PAYLOADS`. Adding a field: one
line with a default (so events already stored still read).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from tracking.models import EventType


def event_id(event_type: EventType, *identity: object) -> str:
    """A stable 32-hex-digit id from the event type and the values that make the fact unique."""
    material = "\x1f".join([str(event_type), *("" if part is None else str(part) for part in identity)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True, kw_only=True)
class Payload:
    """Base of every event payload. Values are JSON scalars (or, rarely, small dicts); every
    field has a default so that events stored before a field existed still read."""

    # Keys an older version stored under another name: {old name: current name}. Applied only
    # when reading stored events that lack the current name.
    RENAMED: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Payload:
        """A payload from keyword values; an unknown key is a programming error."""
        unknown = set(data) - set(cls.field_names())
        if unknown:
            raise TypeError(f"{cls.__name__} has no field(s) {', '.join(sorted(unknown))}")
        return cls(**data)

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> Payload:
        """A payload from stored JSON: old names renamed, keys it no longer has ignored."""
        data = dict(data)
        for old, new in cls.RENAMED.items():
            if old in data and new not in data:
                data[new] = data.pop(old)
        names = cls.field_names()
        return cls(**{key: value for key, value in data.items() if key in names})


# --- sending ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentCreated(Payload):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequested(Payload):
    mode: str | None = None         # SendingMode
    role: str | None = None         # RecipientRole
    forced: bool = False            # resent within the resend window on purpose
    # Issue 12: sent to an address that hard-bounced before, overriding the suppression on
    # purpose; the bounce it overrode (reason, and when, ISO UTC). None: nothing overridden.
    suppression_overridden: bool = False
    suppressed_reason: str | None = None
    suppressed_since: str | None = None
    corrects: str | None = None     # a resend to a corrected address: the address it replaces


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpOutcome(Payload):
    """What our SMTP server answered for one recipient."""

    smtp_reply: str | None = None   # the server's full reply, e.g. "550 5.1.1 <x@y>: User unknown"
    reply_code: int | None = None   # its bare code (0: no reply, e.g. a refused connection)
    stage: str | None = None        # connect / mail / rcpt / data / compose
    reason: str | None = None       # why it was not accepted, in words (None when accepted)
    # the outbound server itself failed (nobody answered about the recipient): unreachable,
    # dropped, tls, auth, config or closing (421); None for a recipient's own answer
    fault: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SendAttemptFailed(SmtpOutcome):
    attempt: int | None = None
    retry_in: float | None = None   # seconds until the next attempt


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientAccepted(SmtpOutcome):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientRefused(SmtpOutcome):
    retries_exhausted: bool = False  # transient refusals until the retries ran out
    status_code: str | None = None   # RFC 3463 status read from the reply (tracking.reasons)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendInterrupted(Payload):
    reason: str | None = None
    attempt: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkedSentManually(Payload):
    note: str = ""
    previous_send_date: str | None = None  # ISO 8601, aware
    send_date: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SendDateChanged(Payload):
    old: str | None = None          # ISO 8601, aware; None: no date
    new: str | None = None
    zone: str | None = None         # the zone the new value was entered in


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSettingsChanged(Payload):
    old: dict[str, str] | None = None  # {"time_zone": …, "sending_mode": …}
    new: dict[str, str] | None = None


# --- the bounce mailbox -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnedMessage(Payload):
    """What identifies a message read from the bounce mailbox."""

    returned_message_id: str | None = None
    kind: str | None = None         # BounceKind
    detector: str | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BounceReport(ReturnedMessage):
    """A matched DSN, auto-reply or complaint, for one recipient of a send."""

    # Before typed events the DSN's bare reply code was stored as `smtp_reply`.
    RENAMED: ClassVar[Mapping[str, str]] = {"smtp_reply": "reply_code"}

    match_method: str | None = None
    confidence: str | None = None
    reason: str | None = None       # Reason (sisimai's names)
    status_code: str | None = None  # RFC 3463 enhanced status, e.g. "5.1.1"
    status_derived: bool | None = None
    reply_code: str | None = None   # the remote server's bare code, e.g. "550"
    diagnostic: str | None = None   # the remote server's words, as the DSN quotes them
    remote_mta: str | None = None
    action: str | None = None
    hardbounce: bool | None = None
    reported_recipient: str | None = None
    feedback_type: str | None = None
    # Issue 9: a report tied only by a key anyone can copy counts once support applies it.
    proposal_id: str | None = None  # the proposal it came from (None: authenticated by VERP)
    verified_by: str | None = None  # who applied it


@dataclass(frozen=True, slots=True, kw_only=True)
class BounceProposed(BounceReport):
    """A report tied to a send only by ENVID, Message-ID, our header or the address: what it
    says, recorded without moving anything until support applies it (`proposal_id`)."""

    would_record: str | None = None  # the EventType applying it records (dsn_failed, …)


@dataclass(frozen=True, slots=True, kw_only=True)
class BounceSuspicious(ReturnedMessage):
    note: str | None = None
    verp_check: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BounceUnmatched(ReturnedMessage):
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BounceAttached(Payload):
    returned_message_id: str | None = None
    kind: str | None = None
    previous_match_state: str | None = None
    reported_recipients: list[str] | None = None  # the addresses the message reports on
    chosen_recipient: str | None = None            # the address support chose, lower-cased
    # {"reported": …, "chosen": …} when support confirmed applying a report about one address
    # to another; None when they agreed (or the message named nobody)
    recipient_mismatch_confirmed: dict[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BounceDismissed(Payload):
    returned_message_id: str | None = None
    kind: str | None = None
    previous_match_state: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalDecision(Payload):
    """Support applied or rejected a proposal, having seen this evidence."""

    proposal_id: str | None = None
    returned_message_id: str | None = None
    match_method: str | None = None       # envid / message_id / header / address_window
    would_record: str | None = None
    reported_recipient: str | None = None
    action: str | None = None
    status_code: str | None = None
    reason: str | None = None
    diagnostic: str | None = None
    note: str | None = None


PAYLOADS: dict[EventType, type[Payload]] = {
    EventType.DOCUMENT_CREATED: DocumentCreated,
    EventType.SEND_REQUESTED: SendRequested,
    EventType.SEND_ATTEMPT_FAILED: SendAttemptFailed,
    EventType.RECIPIENT_ACCEPTED: RecipientAccepted,
    EventType.RECIPIENT_REFUSED: RecipientRefused,
    EventType.SEND_INTERRUPTED: SendInterrupted,
    EventType.MARKED_SENT_MANUALLY: MarkedSentManually,
    EventType.SEND_DATE_CHANGED: SendDateChanged,
    EventType.DSN_DELAYED: BounceReport,
    EventType.DSN_DELIVERED: BounceReport,
    EventType.DSN_FAILED: BounceReport,
    EventType.AUTOREPLY_RECEIVED: BounceReport,
    EventType.COMPLAINT_RECEIVED: BounceReport,
    EventType.BOUNCE_SUSPICIOUS: BounceSuspicious,
    EventType.BOUNCE_UNMATCHED: BounceUnmatched,
    EventType.BOUNCE_ATTACHED: BounceAttached,
    EventType.BOUNCE_DISMISSED: BounceDismissed,
    EventType.BOUNCE_PROPOSED: BounceProposed,
    EventType.PROPOSAL_APPLIED: ProposalDecision,
    EventType.PROPOSAL_REJECTED: ProposalDecision,
    EventType.ACCOUNT_SETTINGS_CHANGED: AccountSettingsChanged,
}


@dataclass(frozen=True, slots=True)
class Event:
    """One fact. `details` is the payload of the event's type; a plain mapping given here is
    turned into that payload (so an unknown key fails at once, not in a report months later)."""

    id: str
    type: EventType
    occurred_at: datetime          # aware UTC
    actor: str
    account_id: str | None = None
    document_id: str | None = None
    send_id: str | None = None
    recipient_idx: int | None = None
    recipient: str | None = None
    details: Payload | Mapping[str, Any] | None = None
    origin: str | None = None      # where the actor acted from: console | cli | system

    def __post_init__(self) -> None:
        expected = PAYLOADS[self.type]
        details = self.details
        if not isinstance(details, Payload):
            details = expected.from_mapping(details or {})
        elif type(details) is not expected:
            raise TypeError(f"a {self.type} event carries {expected.__name__}, "
                            f"not {type(details).__name__}")
        object.__setattr__(self, "details", details)
