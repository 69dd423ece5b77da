"""Lotus Notes' SMTP MTA (R4/R5, before Domino's report): subject "Undeliverable message",
the reason, then the address, between dashed markers:

    ------- Failure Reasons  --------

    User  not listed in public Name & Address Book
    rcpt@example.org

    ------- Returned Message --------
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import address_in, between, finding, notice_text, unfold
from tracking.models import BounceKind

_REASONS = "------- Failure Reasons"
_RETURNED = "------- Returned Message"


class Notes:
    name = "notes"

    def detect(self, view: MessageView) -> Detection | None:
        if not view.subject.startswith("Undeliverable message"):
            return None
        body = notice_text(view)
        if _REASONS not in body:
            return None
        section = between(body, _REASONS, (_RETURNED,)).split("\n", 1)[-1]
        findings, reason_lines = [], []
        for line in section.split("\n"):
            address = address_in(line) if " " not in line.strip() else ""
            if address:
                findings.append(finding(address, unfold(" ".join(reason_lines))))
                reason_lines = []
            elif line.strip():
                reason_lines.append(line.strip())
        return Detection(BounceKind.FAILURE, findings) if findings else None
