"""An unnamed MTA (sisimai's "X1") seen at Japanese ISPs: From "Mail Deliver System",
subject "Returned Mail: <why>", one line per recipient with the reason in brackets:

    ---The following addresses had delivery errors---

    rcpt@example.co.jp [User unknown]
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import (
    between, filtered_when_step_unknown, finding, notice_text,
)
from tracking.models import BounceKind

_SENDER = "Mail Deliver System"
_LISTING = "---The following addresses had delivery errors---"
_ENTRY = re.compile(r"^([^\s\[\]<>]{1,256}@[^\s\[\]<>]{1,255}) \[([^\]\n]{0,500})\]", re.M)


class X1:
    name = "x1"

    def detect(self, view: MessageView) -> Detection | None:
        if _SENDER not in view.sender or not view.subject.startswith("Returned Mail:"):
            return None
        listing = between(notice_text(view), _LISTING, ("\n--",))
        findings = [finding(m.group(1), m.group(2)) for m in _ENTRY.finditer(listing)]
        for found in findings:
            filtered_when_step_unknown(found)  # X1 never shows the SMTP exchange
        return Detection(BounceKind.FAILURE, findings) if findings else None
