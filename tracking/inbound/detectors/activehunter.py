"""Active!Hunter (TransWARE's anti-spam gateway, Japan): a multipart/report without a
delivery-status part, its boundary naming the product:

    ------=_Active!Hunter_20240115T120000+0900-0000-0000
    The original message was received at …
      ----- The following addresses had permanent fatal errors -----
    >>> rcpt@example.org <rcpt@example.org>
      ----- Transcript of session follows -----
    550 sorry, no mailbox here by that name (#5.1.1 - chkusr)
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import (
    between, filtered_when_step_unknown, finding, join_reply, notice_text,
)
from tracking.models import BounceKind

_BOUNDARY_MARK = "Active!Hunter"
_FATAL = "----- The following addresses had permanent fatal errors -----"
_TRANSCRIPT = "----- Transcript of session follows -----"
_RECIPIENT = re.compile(r"^>>> ([^\s<>]{1,256}@[^\s<>]{1,255})", re.M)


class ActiveHunter:
    name = "activehunter"

    def detect(self, view: MessageView) -> Detection | None:
        if _BOUNDARY_MARK not in view.boundary:
            return None
        body = notice_text(view)
        recipients = _RECIPIENT.findall(between(body, _FATAL, (_TRANSCRIPT,)))
        if not recipients:
            return None
        reply = join_reply(between(body, _TRANSCRIPT, ("\n\n",)).strip().split("\n"))
        findings = [finding(recipient, reply) for recipient in recipients]
        for found in findings:
            filtered_when_step_unknown(found)  # the transcript never shows the command
        return Detection(BounceKind.FAILURE, findings)
