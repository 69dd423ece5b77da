"""Sun/Oracle Messaging Server (and PMDF before it) when its report reaches us without its
MIME structure (the boundaries lost by a relay): the text part's labelled blocks are read.
Reports that keep their structure are read by the standard RFC 3464 path.

    This report relates to a message you sent with the following header fields:
      …
    Your message cannot be delivered to the following recipients:

      Recipient address: rcpt@example.org
      Reason: Remote SMTP server has rejected address
      Diagnostic code: smtp; 550 5.1.1 User unknown
      Remote system: dns; mx.example.org (TCP|192.0.2.1|34321|192.0.2.2|25) (…)
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, Finding, MessageView
from tracking.inbound.detectors.mta_text import filtered_when_step_unknown, finding, notice_text, strip_type
from tracking.models import BounceKind

_BANNER = "This report relates to a message you sent with the following header fields:"
_CANNOT = "Your message cannot be delivered to the following recipients:"
_FIELD = re.compile(r"^ {2,6}(Recipient address|Original address|Reason|Diagnostic code|Remote system): ?(.{0,1000})$", re.M)


class MessagingServer:
    name = "messagingserver"

    def detect(self, view: MessageView) -> Detection | None:
        body = notice_text(view)
        if _BANNER not in body[:2000] or _CANNOT not in body:
            return None
        findings: list[Finding] = []
        fields: dict[str, str] = {}
        for match in _FIELD.finditer(body.split(_CANNOT, 1)[1]):
            label, value = match.group(1), match.group(2).strip()
            if label == "Recipient address" and fields:
                findings.append(_finding(fields))
                fields = {}
            fields.setdefault(label, value)
        if fields:
            findings.append(_finding(fields))
        findings = [found for found in findings if found.recipient]
        return Detection(BounceKind.FAILURE, findings) if findings else None


def _finding(fields: dict[str, str]) -> Finding:
    diagnostic = strip_type(fields.get("Diagnostic code", "")) or fields.get("Reason", "")
    remote = strip_type(fields.get("Remote system", "")).split(" ", 1)[0]
    found = finding(fields.get("Recipient address") or None, diagnostic, remote_mta=remote)
    filtered_when_step_unknown(found)  # the notice names no SMTP command
    return found
