"""BIGLOBE and its partner ISPs (biglobe.ne.jp, inacatv.ne.jp, tmtv.ne.jp, ttv.ne.jp).

The ISP's own notice, from postmaster@<isp domain>, subject "Returned mail: …": a Japanese
preamble, then English lines (seen 2010-2013):

       ----- The following addresses had delivery problems -----
    <rcpt@example.ne.jp>
    ******************** Email Notification ********************
    The number of messages in recipient's mailbox exceeded the local limit.

The sentence under the address list is the explanation, read by the classifier (and by
`tracking.reasons.providers` for BIGLOBE's own wording). The notice never shows the SMTP exchange, so
an "unknown user" without a 5.1.x code is filed as `filtered` (`filtered_when_step_unknown`).
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import address_in, filtered_when_step_unknown, finding
from tracking.models import BounceKind

_DOMAINS = ("biglobe.ne.jp", "inacatv.ne.jp", "tmtv.ne.jp", "ttv.ne.jp")
_HEADING = "----- The following addresses had delivery problems -----"
# Rulers and headings around the explanation ("**** Email Notification ****", "----- … -----").
_RULER = re.compile(r"^[*\-=]{3,}")
_END_MARKERS = ("Content-Type: message/rfc822", "----- Original message", "----- Unsent message")


class Biglobe:
    name = "biglobe"

    def detect(self, view: MessageView) -> Detection | None:
        sender = view.sender_lower
        if "postmaster@" not in sender or not any(domain in sender for domain in _DOMAINS):
            return None
        if not view.subject.startswith("Returned mail:"):
            return None
        body = view.body_text
        start = body.find(_HEADING)
        if start < 0:
            return None
        notice = body[start + len(_HEADING) :]
        for marker in _END_MARKERS:
            notice = notice.split(marker, 1)[0]
        recipients, explanation = [], []
        for line in notice.splitlines():
            text = line.strip()
            if not text or _RULER.match(text):
                if explanation:
                    break  # the explanation ends at the next blank line or ruler
                continue
            address = address_in(text) if not explanation else ""
            if address and len(text) <= len(address) + 4:  # a line that is just "<address>"
                recipients.append(address)
            elif recipients:
                explanation.append(text)
        diagnostic = " ".join(explanation)
        findings = []
        for recipient in dict.fromkeys(recipients):
            found = finding(recipient, diagnostic)
            filtered_when_step_unknown(found)
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings) if findings else None
