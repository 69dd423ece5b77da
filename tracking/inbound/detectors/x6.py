"""An unnamed gateway (sisimai's "X6", Cloudmark-filtered hosting) writing one sentence per
failed recipient:

    We had trouble delivering your message. Full details follow:
    …
    SMTP Server <mx.example.org> rejected recipient <rcpt@example.org> (Error following RCPT
    command). It responded as follows: [550 5.1.1 User unknown]
    The following recipients returned permanent errors: rcpt@example.org. Reason: SMTP Server
    <192.0.2.1> refused to accept your message (DATA), with the following error message: [554 …]
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import finding, notice_text
from tracking.models import BounceKind

_BANNER = "We had trouble delivering your message. Full details follow:"
_REJECTED = re.compile(
    r"SMTP Server <([^>\s]{1,255})> rejected recipient <([^>\s]{1,256}@[^>\s]{1,255})>"
    r"[^\n\[]{0,300}\[([^\]\n]{0,1000})\]"
)
_RETURNED = re.compile(
    r"recipients returned (?:permanent|temporary) errors: ([^\s,]{1,256}@[^\s,]{1,255}?)\.? "
    r"Reason: SMTP Server <([^>\s]{1,255})>[^\n\[]{0,300}\[([^\]\n]{0,1000})\]"
)


class X6:
    name = "x6"

    def detect(self, view: MessageView) -> Detection | None:
        if view.subject != "There was an error sending your mail":
            return None
        body = notice_text(view)
        if _BANNER not in body[:500]:
            return None
        findings = [
            finding(match.group(2), match.group(3), remote_mta=match.group(1))
            for match in _REJECTED.finditer(body)
        ]
        findings += [
            finding(match.group(1), match.group(3), remote_mta=match.group(2))
            for match in _RETURNED.finditer(body)
        ]
        return Detection(BounceKind.FAILURE, findings) if findings else None
