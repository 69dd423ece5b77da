"""RFC 3834 automatic responses (vacation, out-of-office) -> kind autoreply, reason vacation.

Never a failure. Signals: `Auto-Submitted: auto-replied` (RFC 3834 §5), the de-facto
`X-Autoreply` / `X-Autorespond` headers, `Precedence: auto_reply`, and the subjects mail
clients put on such replies. Real bounces carry `Auto-Submitted: auto-replied` too (Postfix and
Exim DSNs do), so anything that looks like a delivery report is left to the bounce detectors.
"""

from __future__ import annotations

import re

from tracking.inbound.addresses import normalize_address
from tracking.inbound.detectors.base import Detection, Finding, MessageView, contains_any
from tracking.inbound.structure import outer_types
from tracking.models import BounceKind, Reason

# Subjects of out-of-office replies: Outlook/Exchange "Automatic reply:", Apple/others
# "Auto reply:", "Out of Office", German "Abwesenheitsnotiz", French "Réponse automatique",
# Spanish "Respuesta automática", Japanese "自動応答" / "不在".
_VACATION_SUBJECT = re.compile(
    r"auto(?:matic|matische)?[ \-_]?(?:reply|response|respond|antwort)|autoreply|out of (?:the )?office"
    r"|\bvacation\b|\baway (?:until|from)|abwesenheit|r[ée]ponse automatique|absence"
    r"|respuesta autom[aá]tica|risposta automatica|自動(?:応答|返信)|不在",
    re.IGNORECASE,
)
# Words of delivery failure notices: when the subject says this, it is a bounce, not a vacation.
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (?:status|fail|notification|report)|returned mail|failure notice"
    r"|mail delivery|non remis|not delivered|could not be delivered|nondeliver|unzustellbar",
    re.IGNORECASE,
)
_DAEMON_SENDERS = ("mailer-daemon", "postmaster", "mail delivery", "mail.delivery")
_REPORT_TYPES = frozenset(
    ("message/delivery-status", "message/global-delivery-status", "message/feedback-report")
)


def looks_like_report(view: MessageView) -> bool:
    """A delivery report, a daemon sender, or a failure subject: not an auto-reply."""
    if view.content_type == "multipart/report":
        return True
    sender = view.sender_lower
    if contains_any(sender, _DAEMON_SENDERS) or _BOUNCE_SUBJECT.search(view.subject[:500]):
        return True
    return not _REPORT_TYPES.isdisjoint(outer_types(view.message))


def is_autoreply_signalled(view: MessageView) -> bool:
    auto_submitted = view.header("Auto-Submitted").lower()
    if auto_submitted.startswith("auto-replied"):
        return True
    if view.header("X-Autoreply") or view.header("X-Autorespond") or view.header("X-Autoresponder"):
        return True
    if view.header("Precedence").lower() == "auto_reply":
        return True
    return bool(_VACATION_SUBJECT.search(view.subject[:500]))


class AutoreplyDetector:
    name = "rfc3834"

    def detect(self, view: MessageView) -> Detection | None:
        # the report test first: most messages here are reports, and it is the cheaper one
        if looks_like_report(view) or not is_autoreply_signalled(view):
            return None
        # The address that auto-replied is the sender of the reply (RFC 3834 §3.1.1 says replies
        # come from the recipient of the original); Reply-To only when From is unusable.
        recipient = normalize_address(view.sender) or normalize_address(view.header("Reply-To"))
        return Detection(
            kind=BounceKind.AUTOREPLY,
            findings=[Finding(recipient=recipient, reason=Reason.VACATION)],
        )


DETECTOR = AutoreplyDetector()
