"""Google Groups refusing a post: the group does not exist or the sender may not post to it.

Sent by mailer-daemon@googlemail.com with the refused group in `X-Failed-Recipients`; the
text is in the sender's language (English, French, Spanish, Arabic, Hebrew, Hindi, Chinese…
seen 2019-2023), so only its fixed parts are read:

    Hello sender@example.org,
    We're writing to let you know that the group you tried to contact (name) may not exist,
    or you may not have permission to post messages to the group. ...
    If you have questions ... visit the Help Center at https://groups.google.com/support/.

The notice states its reason itself (`rejected`: the group refused the post); it names no
SMTP reply or status.
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detection, Finding, MessageView, contains_any
from tracking.inbound.detectors.mta_text import address_in, unfold
from tracking.models import BounceKind, Reason

_SENDERS = ("mailer-daemon@googlemail.com", "mailer-daemon@google.com")
_HELP_CENTER = "groups.google.com/support"


class GoogleGroups:
    name = "google_groups"

    def detect(self, view: MessageView) -> Detection | None:
        if not contains_any(view.sender_lower, _SENDERS):
            return None
        failed = view.header("X-Failed-Recipients")
        if not failed:
            return None
        body = view.body_text
        notice = body.split("----- Original message -----", 1)[0]
        if _HELP_CENTER not in notice:
            return None
        recipients = [address_in(item) for item in failed.split(",")]
        paragraphs = [p for p in notice.split("\n\n") if p.strip()]
        paragraph = next((p for p in paragraphs if "(" in p or "\u300c" in p), paragraphs[0])
        findings = [
            Finding(recipient, "failed", diagnostic=unfold(paragraph), reason=Reason.REJECTED)
            for recipient in recipients
            if recipient
        ]
        return Detection(BounceKind.FAILURE, findings) if findings else None
