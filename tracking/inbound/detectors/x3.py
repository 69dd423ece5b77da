"""An unnamed MTA (sisimai's "X3"), From "Mail Delivery System <Mail.Delivery.System@…>",
subject "Delivery status notification", framed by lines of "=":

    This is an automatically generated Delivery Status Notification.

    Delivery to the following recipients failed permanently:
       * rcpt@example.org
    ====…
                                 Technical details:
    SMTP:RCPT host 192.0.2.8: 553 5.3.0 <rcpt@example.org>... No such user here

"…was aborted after 5.0 hour(s)" instead of "failed permanently": the queue lifetime ran
out, whatever the last attempt said (its own statement of the reason).
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import between, finding, join_reply, notice_text
from tracking.models import BounceKind, Reason

_BANNER = "This is an automatically generated Delivery Status Notification."
_INTRO = re.compile(r"^Del[ie]very to the following recipients (failed permanently|was aborted after)", re.M)
_RECIPIENT = re.compile(r"^\s{0,8}\* ([^\s<>]{1,256}@[^\s<>]{1,255})", re.M)
_DETAILS = "Technical details:"
_STEP = re.compile(r"^SMTP:(RCPT|MAIL|DATA)[^:\n]{0,300}: ")


class X3:
    name = "x3"

    def detect(self, view: MessageView) -> Detection | None:
        body = notice_text(view)
        if _BANNER not in body[:1000]:
            return None  # the substring test first: the regex search would scan the whole body
        intro = _INTRO.search(body)
        if intro is None:
            return None
        recipients = _RECIPIENT.findall(between(body[intro.start():], "\n", ("=====",)))
        details = between(body, _DETAILS, ("\n=====",)).strip()
        step = _STEP.match(details)
        diagnostic = join_reply((details[step.end():] if step else details).split("\n"))
        findings = []
        for recipient in recipients:
            found = finding(recipient, diagnostic)
            found.command = step.group(1) if step else ""
            if intro.group(1) == "was aborted after":
                found.reason = Reason.EXPIRED
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings) if findings else None
