"""McAfee Email Gateway / Email and Web Security appliances (X-NAI-Header).

The appliance writes its own "Delivery Status" notice, `multipart/mixed` rather than a
`multipart/report`, with a short text part and a delivery-status part that has no per-message
block, no Final-Recipient and no Status (seen 2010-2014, appliance models 3300, 4500, virtual):

    X-NAI-Header: Modified by McAfee Email Gateway (4500)
    Subject: Delivery Status

        --- The following addresses had delivery problems ---
    <rcpt@example.com>   (rcpt@example.com... No such user)

    Original-Recipient: <rcpt@example.com>
    Action: failed
    Diagnostic-Code: smtp; 550 rcpt@example.com... No such user
    Remote-MTA: 192.0.2.1

The notice never says at which SMTP step the server refused, so an "unknown user" without a
5.1.x code is filed as `filtered` (`filtered_when_step_unknown`, the project's rule for such
formats).
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import filtered_when_step_unknown, finding, strip_type
from tracking.inbound.detectors.rfc3464 import STATUS_TYPES, status_blocks
from tracking.inbound.structure import content_type_of
from tracking.models import BounceKind

_MARK = "mcafee"


class McAfee:
    name = "mcafee"

    def detect(self, view: MessageView) -> Detection | None:
        if _MARK not in view.header("X-NAI-Header").lower():
            return None  # the appliance stamps every message it writes or modifies
        reports = [part for part in view.parts if content_type_of(part) in STATUS_TYPES]
        if not reports:
            return None  # mail the appliance only scanned
        findings = []
        for block in status_blocks(reports[0]):
            recipient = block.get("final-recipient") or block.get("original-recipient") or ""
            recipient = strip_type(recipient).strip("<> ").lower()
            if "@" not in recipient:
                continue
            found = finding(
                recipient,
                strip_type(block.get("diagnostic-code", "")),
                action=block.get("action", "failed").lower() or "failed",
                remote_mta=strip_type(block.get("remote-mta", "")),
                status=block.get("status", "").split(" ")[0],
            )
            filtered_when_step_unknown(found)
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings) if findings else None
