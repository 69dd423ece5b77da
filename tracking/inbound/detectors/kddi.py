"""au one net by KDDI (dion.ne.jp, auone-net.jp): "Could not be delivered to" notices.

A Japanese preamble, then the server's English lines (seen 2013):

    Your mail sent on: Thu, 29 Apr 2013 23:45:22 +0900
         Could not be delivered to: <rcpt@example.dion.ne.jp>
         As their mailbox is full.

The sentence after the address is the explanation; the classifier reads it.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import finding, unfold
from tracking.models import BounceKind

_DOMAINS = ("dion.ne.jp", "auone-net.jp")
_NOT_DELIVERED = re.compile(
    r"Could not be delivered to: <([^\s<>@]{1,256}@[A-Za-z0-9.\-]{1,255})>[ \t]*\n((?:[ \t]{1,16}\S[^\n]{0,500}\n?){0,4})"
)


class KDDI:
    name = "kddi"

    def detect(self, view: MessageView) -> Detection | None:
        body = view.body_text
        if "Your mail sent on:" not in body:
            return None  # the cheap test first; the Received lines are joined only for au's notices
        sender = view.sender_lower
        received = " ".join(view.message.get_all("Received") or ())[:4000].lower()
        if not any(domain in sender for domain in _DOMAINS) and "auone-net.jp" not in received:
            return None
        findings = [
            finding(match.group(1), unfold(match.group(2)))
            for match in _NOT_DELIVERED.finditer(body)
        ]
        return Detection(BounceKind.FAILURE, findings) if findings else None
