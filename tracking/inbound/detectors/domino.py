"""IBM/HCL Domino's delivery failure report (subject "DELIVERY FAILURE: …"):

    Your message

      Subject: Invoice 42

    was not delivered to:

      rcpt@example.org

    because:

      User rcpt (rcpt@example.org) not listed in Domino Directory

Newer releases add a multipart/report whose Status is a bare 5.0.0 and whose
Diagnostic-Code ("X-Notes; …") repeats the "because" text: the standard path reads those.
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import address_in, between, finding, notice_text
from tracking.models import BounceKind

_NOT_DELIVERED = "was not delivered to:"
_BECAUSE = "because:"


class Domino:
    name = "domino"

    def detect(self, view: MessageView) -> Detection | None:
        if not view.subject.upper().startswith("DELIVERY FAILURE:"):
            return None
        body = notice_text(view)
        if _NOT_DELIVERED not in body or _BECAUSE not in body:
            return None
        listing = between(body, _NOT_DELIVERED, (_BECAUSE,))
        recipients = [address_in(line) for line in listing.split("\n") if address_in(line)]
        if not recipients:
            return None
        why = between(body, _BECAUSE, ("\n\n\n", "\n--")).strip()
        return Detection(BounceKind.FAILURE, [finding(recipient, why) for recipient in recipients])
