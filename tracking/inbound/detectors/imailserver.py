"""Ipswitch IMail Server (`X-Mailer: <SMTP32 v…>`), subject "Undeliverable Mail": one line per
recipient naming what happened, then the remote server's words if any:

    Unknown user: rcpt@example.org
    Delivery failed 20 attempts: rcpt@example.org
    undeliverable to rcpt@example.org
    Body of message generated response:
    550-REJECTED - Blacklisted URL in message. …

    Original message follows.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import between, finding, join_reply, notice_text
from tracking.models import BounceKind, Reason

_RECIPIENT = re.compile(
    r"^(Unknown user|Delivery failed \d{1,4} attempts|undeliverable to|"
    r"[A-Za-z][A-Za-z ]{0,60}):? ([^\s<>]{1,256}@[^\s<>]{1,255})[ \t]*$", re.M
)
_RESPONSE = "Body of message generated response:"
_ENDS = ("Original message follows.", "\n\n")
# IMail's own words for a queue that ran out of retries (its "Delivery failed N attempts").
_GAVE_UP = re.compile(r"^Delivery failed \d{1,4} attempts")


class IMailServer:
    name = "imailserver"

    def detect(self, view: MessageView) -> Detection | None:
        if not view.header("X-Mailer").startswith("<SMTP32"):
            return None
        body = notice_text(view).split("Original message follows.", 1)[0]
        response = join_reply(between(body, _RESPONSE, _ENDS).strip().split("\n"))
        findings = []
        for match in _RECIPIENT.finditer(body):
            if match.group(1).startswith(("To", "CC", "From")):
                continue  # the header lines of the quoted message
            found = finding(match.group(2), response or match.group(1))
            if _GAVE_UP.match(match.group(1)):
                found.reason = Reason.EXPIRED
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings) if findings else None
