"""What the bounce reader returns: one immutable result per message.

The parser never raises on malformed mail; what it worked around is listed in `defects`, and
a message nothing could read is `BounceKind.UNDECODABLE` with its defect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracking.models import BounceKind, Reason


@dataclass(frozen=True, slots=True)
class RecipientReport:
    """One affected recipient, as the returned message reports it."""

    recipient: str | None          # lower-cased; None when the message names none
    action: str                    # RFC 3464 Action (failed, delayed, delivered, relayed…) or ""
    status: str                    # enhanced status code "5.1.1"; "" when unknown
    status_derived: bool           # True when derived from the reason (x.0.9NN convention)
    replycode: str                 # SMTP reply code "550"; "" when the message shows none
    reason: Reason
    hardbounce: bool
    diagnostic: str                # the server's own words, unfolded
    remote_mta: str = ""
    feedback_type: str = ""        # ARF Feedback-Type, complaints only


@dataclass(frozen=True, slots=True)
class Correlation:
    """The keys that tie a returned message to our send (DESIGN §6.4), as found — not verified."""

    verp_token: str = ""           # from the address the bounce was delivered to
    envelope_id: str = ""          # Original-Envelope-Id (our ENVID)
    message_id: str = ""           # Message-ID of the returned original
    tracking_id: str = ""          # our X-Suivi-Tracking header in the returned original
    original_recipients: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        found = {
            "verp_token": self.verp_token,
            "envelope_id": self.envelope_id,
            "message_id": self.message_id,
            "tracking_id": self.tracking_id,
            "original_recipients": list(self.original_recipients),
        }
        return {key: value for key, value in found.items() if value}


@dataclass(frozen=True, slots=True)
class ParseResult:
    kind: BounceKind
    recipients: tuple[RecipientReport, ...] = ()
    correlation: Correlation = field(default_factory=Correlation)
    defects: tuple[str, ...] = ()
    detector: str = ""             # name of the detector whose answer was taken
    subject: str = ""
    sender: str = ""
