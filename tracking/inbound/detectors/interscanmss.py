"""Trend Micro InterScan Messaging Security Suite: multipart/mixed with an
"InterScan_NT_MIME_Boundary", a text part framed by asterisks, the original attached.
Two layouts, the SMTP exchange or one sentence:

    Sent <<< RCPT TO:<rcpt@example.org>
    Received >>> 550 5.1.1 <rcpt@example.org>... user unknown

    ****** Message from InterScan Messaging Security Suite ******
    Reason:  Unable to deliver message to <rcpt@example.org> (and other recipients …).

The sentence alone is InterScan's way of saying the address was refused (`userunknown`).
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, Finding, MessageView
from tracking.inbound.detectors.mta_text import finding, notice_text
from tracking.models import BounceKind, Reason

_BOUNDARY_MARK = "InterScan"
_EXCHANGE = re.compile(
    r"^Sent <<< (RCPT TO|MAIL FROM|DATA)[^\n<]{0,20}<?([^\s<>]{0,512})>?[ \t]*\n"
    r"Received >>> ([^\n]{0,1000})$",
    re.M,
)
_SENTENCE = re.compile(r"^Reason: {1,4}([^\n<]{0,200}<([^\s<>]{1,256}@[^\s<>]{1,255})>[^\n]{0,400})$", re.M)
_VERBS = {"RCPT TO": "RCPT", "MAIL FROM": "MAIL", "DATA": "DATA"}


class InterScanMSS:
    name = "interscanmss"

    def detect(self, view: MessageView) -> Detection | None:
        if _BOUNDARY_MARK not in view.boundary:
            return None
        body = notice_text(view)
        findings: list[Finding] = []
        for match in _EXCHANGE.finditer(body):
            if match.group(1) != "RCPT TO":
                continue  # a refusal of our sender or content names no recipient here
            found = finding(match.group(2), match.group(3))
            found.command = _VERBS[match.group(1)]
            findings.append(found)
        if not findings:
            findings = [_sentence_finding(m.group(2), m.group(1)) for m in _SENTENCE.finditer(body)]
        return Detection(BounceKind.FAILURE, findings) if findings else None


def _sentence_finding(recipient: str, sentence: str) -> Finding:
    """InterScan writes "Unable to deliver message to <rcpt>" (with "and other recipients in
    the same domain" when several were named) when the receiving domain refused the address
    at RCPT: sisimai's InterScan reader reads that sentence as `userunknown` too. The wording is
    InterScan's own, so it is read here, not in the shared phrases."""
    found = finding(recipient, sentence)
    if found.reason is None and sentence.startswith("Unable to deliver"):
        found.reason = Reason.USERUNKNOWN
    return found
