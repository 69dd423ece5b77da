"""Amazon WorkMail (X-Mailer: Amazon WorkMail, sent through SES).

No report part: the RFC 3464 fields are pasted into the text after "Technical report:" (seen
2016), one block per recipient:

    An error occurred while trying to deliver the mail to the following recipients:
    rcpt@example.org

    Technical report:

    Reporting-MTA: dsn; a27-80.smtp-out.us-west-2.amazonses.com

    Action: failed
    Final-Recipient: rfc822; rcpt@example.org
    Diagnostic-Code: smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>
    Status: 4.4.7

When WorkMail gave up, its own "554 4.4.7 Message expired" wraps the remote server's last
reply in angle brackets; that inner reply is the one that says what went wrong.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, Finding, MessageView
from tracking.inbound.detectors.mta_text import (
    filtered_when_step_unknown, reply_and_status, strip_type, unfold,
)
from tracking.inbound.detectors.rfc3464 import parse_fields
from tracking.models import BounceKind, Reason

_TECHNICAL = "Technical report:"
# "…840 minutes.<421 4.4.2 Connection timed out>"
_EXPIRED = "Message expired"
_INNER_REPLY = re.compile(r"<([245][0-9][0-9] [^<>]{1,1000})>\s*$")


class AmazonWorkMail:
    name = "amazon_workmail"

    def detect(self, view: MessageView) -> Detection | None:
        if "amazon workmail" not in view.header("X-Mailer").lower():
            return None
        body = view.body_text
        start = body.find(_TECHNICAL)
        if start < 0:
            return None
        findings = []
        for block in parse_fields(body[start + len(_TECHNICAL) :]):
            recipient = strip_type(block.get("final-recipient", "")).strip("<>").lower()
            if "@" not in recipient:
                continue
            diagnostic = strip_type(unfold(block.get("diagnostic-code", "")))
            reason = None
            inner = _INNER_REPLY.search(diagnostic)
            if inner:  # the remote reply first, WorkMail's own words after it
                outer = diagnostic[: inner.start()].strip()
                diagnostic = f"{inner.group(1)} ({outer})"
                reason = Reason.EXPIRED if _EXPIRED in outer else None
            replycode, status = reply_and_status(diagnostic)
            found = Finding(
                recipient,
                block.get("action", "failed").lower(),
                status=status or block.get("status", "").split(" ")[0],
                replycode=replycode,
                diagnostic=diagnostic,
                reason=reason,
            )
            filtered_when_step_unknown(found)  # the pasted report never names the SMTP step
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings) if findings else None
