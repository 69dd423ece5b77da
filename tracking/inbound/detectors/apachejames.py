"""Apache James (its DSNBounce/Bounce mailets): one text part, the error then the details.

    Error: Invalid user address
    Error message below:
    550 - Requested action not taken: no such user here
    Message details:
      Subject: Invoice 42
      MAIL FROM: billing@example.com
      RCPT TO: rcpt@example.org
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import (
    between, filtered_when_step_unknown, finding, join_reply, notice_text,
)
from tracking.models import BounceKind

_ERROR_BELOW = "Error message below:"
_DETAILS = "Message details:"
_RCPT = re.compile(r"^\s{0,8}RCPT TO: ?<?([^\s<>]{1,256}@[^\s<>]{1,255})>?", re.M)


class ApacheJames:
    name = "apachejames"

    def detect(self, view: MessageView) -> Detection | None:
        body = notice_text(view)
        if _ERROR_BELOW not in body[:3000] or _DETAILS not in body:
            return None
        details = between(body, _DETAILS, ("\n\n",))
        recipients = _RCPT.findall(details)
        if not recipients:
            return None
        error = body.split("\n", 1)[0].removeprefix("Error:").strip()
        reply = join_reply(between(body, _ERROR_BELOW, (_DETAILS,)).strip().split("\n")) or error
        findings = []
        for recipient in recipients:
            found = finding(recipient, reply)
            filtered_when_step_unknown(found)  # James names the addresses, not the step
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings)
