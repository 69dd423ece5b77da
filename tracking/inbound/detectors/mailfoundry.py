"""MailFoundry (an appliance MTA), subject "Message delivery has failed":

    Unable to deliver message to: <rcpt@example.org>
    Delivery failed for the following reason:
    mx.example.org[192.0.2.2] responded with failure: 552 sorry, mailbox … is over quota (#5.1.1)

    This has been a permanent failure.  No further delivery attempts will be made.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import between, finding, notice_text, unfold
from tracking.models import BounceKind

_RECIPIENT = re.compile(r"^Unable to deliver message to: <([^\s<>]{1,256}@[^\s<>]{1,255})>", re.M)
_REASON = "Delivery failed for the following reason:"
_HOST = re.compile(r"^(\S{1,255})\[[0-9A-Fa-f:.]{2,45}\] responded with failure: ")


class MailFoundry:
    name = "mailfoundry"

    def detect(self, view: MessageView) -> Detection | None:
        if view.subject != "Message delivery has failed":
            return None
        body = notice_text(view)
        recipients = _RECIPIENT.findall(body)
        if not recipients or _REASON not in body:
            return None
        why = between(body, _REASON, ("\n\n", "This has been a")).strip()
        host = _HOST.match(why)
        remote_mta = host.group(1) if host else ""
        diagnostic = unfold(why[host.end():] if host else why)
        findings = [finding(r, diagnostic, remote_mta=remote_mta) for r in recipients]
        return Detection(BounceKind.FAILURE, findings)
