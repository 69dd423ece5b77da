"""The closed vocabularies of the tracking core, and its value objects.

Every enum's values are the strings stored in the database and printed by the command line;
French and English labels live in `tracking.labels`.
"""

from __future__ import annotations

from enum import StrEnum


class SendingMode(StrEnum):
    """How a document travels (DESIGN §3)."""

    RELAY = "relay"
    RELAY_OWN_ADDRESS = "relay_own_address"
    SMTP = "smtp"
    MANUAL = "manual"

    @property
    def tracks_delivery(self) -> bool:
        """Relay modes ask for DSNs, so tracking sees past the SMTP handoff."""
        return self in (SendingMode.RELAY, SendingMode.RELAY_OWN_ADDRESS)


class SendKind(StrEnum):
    """What a send was, in the document's story (the tracking box lists them in order): its
    first online send, a later one (a resend), or a manual one (post, by hand)."""

    ONLINE = "online"
    RESEND = "resend"
    MANUAL = "manual"


class DeliveryState(StrEnum):
    """State of one recipient of one online send (DESIGN §4)."""

    PENDING = "pending"
    SENT = "sent"
    NOT_SENT = "not_sent"
    DELIVERED = "delivered"
    NOT_DELIVERED = "not_delivered"

    @property
    def is_failure(self) -> bool:
        return self in (DeliveryState.NOT_SENT, DeliveryState.NOT_DELIVERED)


class RecipientRole(StrEnum):
    TO = "to"
    CC = "cc"


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    QUOTE = "quote"
    CREDIT_NOTE = "credit_note"
    REMINDER = "reminder"
    DELIVERY_NOTE = "delivery_note"
    PURCHASE_ORDER = "purchase_order"


class DocumentStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    SENT = "sent"
    PAID = "paid"
    CANCELLED = "cancelled"


class BounceKind(StrEnum):
    """What a message found in the bounce mailbox is (DESIGN §6.1)."""

    FAILURE = "failure"
    DELAY = "delay"
    SUCCESS = "success"
    AUTOREPLY = "autoreply"
    COMPLAINT = "complaint"
    NOT_A_BOUNCE = "not_a_bounce"
    UNDECODABLE = "undecodable"


class ReasonGroup(StrEnum):
    """What support does about a reason (DESIGN §6.3)."""

    ADDRESS_DEAD = "address_dead"
    MAILBOX_PROBLEM = "mailbox_problem"
    SENDING_REFUSED = "sending_refused"
    TRANSIENT = "transient"
    NOT_A_FAILURE = "not_a_failure"
    UNKNOWN = "unknown"


class Reason(StrEnum):
    """Why a message was not delivered — sisimai's reason names, so results stay comparable."""

    # address dead
    USERUNKNOWN = "userunknown"
    HOSTUNKNOWN = "hostunknown"
    HASMOVED = "hasmoved"
    NOTACCEPT = "notaccept"
    # mailbox problem
    MAILBOXFULL = "mailboxfull"
    SUSPEND = "suspend"
    EXCEEDLIMIT = "exceedlimit"
    # our sending is refused
    AUTHFAILURE = "authfailure"
    BADREPUTATION = "badreputation"
    BLOCKED = "blocked"
    REQUIREPTR = "requireptr"
    REJECTED = "rejected"
    SPAMDETECTED = "spamdetected"
    VIRUSDETECTED = "virusdetected"
    POLICYVIOLATION = "policyviolation"
    CONTENTERROR = "contenterror"
    NOTCOMPLIANTRFC = "notcompliantrfc"
    MESGTOOBIG = "mesgtoobig"
    SECURITYERROR = "securityerror"
    FAILEDSTARTTLS = "failedstarttls"
    NORELAYING = "norelaying"
    SUPPRESSED = "suppressed"
    FILTERED = "filtered"
    # transient
    EXPIRED = "expired"
    NETWORKERROR = "networkerror"
    SYSTEMERROR = "systemerror"
    SYSTEMFULL = "systemfull"
    TOOMANYCONN = "toomanyconn"
    SPEEDING = "speeding"
    SYNTAXERROR = "syntaxerror"
    MAILERERROR = "mailererror"
    # not a failure
    DELIVERED = "delivered"
    FEEDBACK = "feedback"
    VACATION = "vacation"
    # unknown
    ONHOLD = "onhold"
    UNDEFINED = "undefined"

    @property
    def group(self) -> ReasonGroup:
        return _REASON_GROUPS[self]

    def is_hard(self, replycode_or_status: str | None = None) -> bool:
        """Hard bounce: the address is dead. `notaccept` only counts with a permanent (5xx) code.

        A soft bounce is never called hard: every reason outside the four is soft.
        """
        if self in (Reason.USERUNKNOWN, Reason.HOSTUNKNOWN, Reason.HASMOVED):
            return True
        if self is Reason.NOTACCEPT:
            return bool(replycode_or_status) and str(replycode_or_status).startswith("5")
        return False


_REASON_GROUPS: dict[Reason, ReasonGroup] = {
    **dict.fromkeys(
        (Reason.USERUNKNOWN, Reason.HOSTUNKNOWN, Reason.HASMOVED, Reason.NOTACCEPT),
        ReasonGroup.ADDRESS_DEAD,
    ),
    **dict.fromkeys(
        (Reason.MAILBOXFULL, Reason.SUSPEND, Reason.EXCEEDLIMIT), ReasonGroup.MAILBOX_PROBLEM
    ),
    **dict.fromkeys(
        (
            Reason.AUTHFAILURE, Reason.BADREPUTATION, Reason.BLOCKED, Reason.REQUIREPTR,
            Reason.REJECTED, Reason.SPAMDETECTED, Reason.VIRUSDETECTED, Reason.POLICYVIOLATION,
            Reason.CONTENTERROR, Reason.NOTCOMPLIANTRFC, Reason.MESGTOOBIG, Reason.SECURITYERROR,
            Reason.FAILEDSTARTTLS, Reason.NORELAYING, Reason.SUPPRESSED, Reason.FILTERED,
        ),
        ReasonGroup.SENDING_REFUSED,
    ),
    **dict.fromkeys(
        (
            Reason.EXPIRED, Reason.NETWORKERROR, Reason.SYSTEMERROR, Reason.SYSTEMFULL,
            Reason.TOOMANYCONN, Reason.SPEEDING, Reason.SYNTAXERROR, Reason.MAILERERROR,
        ),
        ReasonGroup.TRANSIENT,
    ),
    **dict.fromkeys(
        (Reason.DELIVERED, Reason.FEEDBACK, Reason.VACATION), ReasonGroup.NOT_A_FAILURE
    ),
    **dict.fromkeys((Reason.ONHOLD, Reason.UNDEFINED), ReasonGroup.UNKNOWN),
}


class EventType(StrEnum):
    """Every kind of fact in the append-only event log (the activity history)."""

    DOCUMENT_CREATED = "document_created"
    SEND_REQUESTED = "send_requested"          # online send recorded, deliveries pending
    SEND_ATTEMPT_FAILED = "send_attempt_failed"  # a transient SMTP error, will retry
    RECIPIENT_ACCEPTED = "recipient_accepted"  # SMTP 250 after DATA -> sent
    RECIPIENT_REFUSED = "recipient_refused"    # SMTP 5xx or retries exhausted -> not_sent
    SEND_INTERRUPTED = "send_interrupted"      # a crash mid-handoff: outcome unknown, not resent
    MARKED_SENT_MANUALLY = "marked_sent_manually"
    SEND_DATE_CHANGED = "send_date_changed"
    DSN_DELAYED = "dsn_delayed"                # stays pending, reason kept
    DSN_DELIVERED = "dsn_delivered"            # -> delivered
    DSN_FAILED = "dsn_failed"                  # -> not_delivered (also after delivered)
    AUTOREPLY_RECEIVED = "autoreply_received"  # never changes state
    COMPLAINT_RECEIVED = "complaint_received"  # flags, never changes state
    BOUNCE_SUSPICIOUS = "bounce_suspicious"    # bad VERP signature: recorded, not applied
    BOUNCE_UNMATCHED = "bounce_unmatched"
    BOUNCE_ATTACHED = "bounce_attached"        # support tied an unmatched bounce to a send
    BOUNCE_DISMISSED = "bounce_dismissed"      # support decided a queued message needs nothing
    BOUNCE_PROPOSED = "bounce_proposed"        # tied by a key anyone can copy: à vérifier
    PROPOSAL_APPLIED = "proposal_applied"      # support verified a proposal; its report counts
    PROPOSAL_REJECTED = "proposal_rejected"    # support refused a proposal; nothing moves
    ACCOUNT_SETTINGS_CHANGED = "account_settings_changed"  # zone/mode edited; no delivery moves


SYSTEM_ACTOR = "system"
