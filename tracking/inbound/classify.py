"""Why a message was not delivered: the reason, the status code and hard/soft for one recipient.

Pure. Order of evidence:
1. a receiving provider's own words or tokens (`tracking.reasons.providers`);
2. a reason the format itself states (`Finding.reason`, set by a detector);
3. `tracking.reasons.decide.choose_reason`: a specific enhanced status code, the server's
   words (`tracking.reasons.phrases`), a generic code, the SMTP stage.
When the message shows no enhanced status code, one is derived from the reason with sisimai's
`x.0.9NN` convention (`5.0.911` userunknown…) and flagged `status_derived`.

New wording goes into `tracking.reasons` (shared with our own SMTP handoff), not here.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Finding
from tracking.inbound.result import RecipientReport
from tracking.models import BounceKind, Reason
from tracking.reasons.codes import (  # noqa: F401 - re-exported for the detectors and tests
    DERIVED_CODES,
    STATUS_REASONS,
    VALID_REPLYCODES,
    derive_status,
    find_replycode,
    find_status,
    is_derived,
    is_specific,
    prefer_status,
    reason_from_status,
)
from tracking.reasons.decide import choose_reason
from tracking.reasons.phrases import reason_from_text  # noqa: F401 - re-exported
from tracking.reasons.providers import reason_from_provider_reply

R = Reason

# A multi-line reply joined on one line repeats its code: "550-5.7.1 foo 550-5.7.1 bar".
_CONTINUATION = re.compile(r"\s[245]\d\d[ \-](?:[245]\.\d{1,3}\.\d{1,3}\s)?")


def clean_diagnostic(text: str) -> str:
    """One line, without the repeated reply codes of a multi-line SMTP reply."""
    flat = " ".join(text.split())[:2000]
    head = flat[:12]
    return head + _CONTINUATION.sub(" ", flat[12:]) if len(flat) > 12 else flat


# Words in which a server or a reporting MTA calls the failure temporary ("Technical details
# of temporary failure", "temporarily deferred", "try again later").
_TEMPORARY_WORDS = ("temporar", "try again later", "please try again", "try later")


def _says_temporary(replycode: str, diagnostic: str) -> bool:
    """The class of a derived code (sisimai's x.0.9NN convention) is what the reply says: 4 for
    a 4xx reply or words calling the failure temporary, else 5 — also in a delay notice, whose
    own kind (`delay`, soft) already says the queue is still retrying."""
    if replycode:
        return replycode.startswith("4")
    lowered = diagnostic.lower()
    return lowered[:1] == "4" or any(words in lowered for words in _TEMPORARY_WORDS)


def classify(finding: Finding, kind: BounceKind) -> RecipientReport:
    """A detector's raw finding -> the reported recipient with reason, codes and hard/soft."""
    flat = " ".join(finding.diagnostic.split())[:2000]
    diagnostic = clean_diagnostic(flat)
    status = prefer_status(finding.status, find_status(flat))
    replycode = finding.replycode or find_replycode(flat)
    if replycode not in VALID_REPLYCODES or (status and replycode and replycode[0] != status[0]):
        replycode = ""  # a reply of another class than the status belongs to another attempt
    # A hosted provider's own words (tracking.reasons.providers) beat generic codes and the
    # detectors' heuristics (e.g. "refused after DATA"), but never turn a non-failure into one.
    provider_reason = (
        reason_from_provider_reply(flat, finding.remote_mta)
        if kind in (BounceKind.FAILURE, BounceKind.DELAY)
        else None
    )
    if provider_reason is not None:
        reason = provider_reason
    elif finding.reason is not None:
        reason = finding.reason
    elif kind is BounceKind.SUCCESS:
        reason = R.DELIVERED
    else:
        reason = choose_reason(status, diagnostic, finding.action, finding.command)
    derived = False
    if not status and reason not in (R.FEEDBACK, R.VACATION):
        if reason is R.DELIVERED:
            status = "2.0.0"  # a success DSN without a Status field: plain success
        else:
            temporary = finding.temporary
            if temporary is None:
                temporary = _says_temporary(replycode, diagnostic)
            status = derive_status(reason, temporary)
        derived = True
    hard = reason.is_hard(replycode or status) and kind not in (BounceKind.DELAY, BounceKind.SUCCESS)
    return RecipientReport(
        recipient=finding.recipient.lower() if finding.recipient else None,
        action=finding.action,
        status=status,
        status_derived=derived,
        replycode=replycode,
        reason=reason,
        hardbounce=hard,
        diagnostic=diagnostic,
        remote_mta=finding.remote_mta,
        feedback_type=finding.feedback_type,
    )
