"""Zoho Mail (mailer-daemon@mail.zoho.com, X-ZohoMail header).

Postfix-like subjects but Zoho's own lines, one per recipient (seen 2014):

    rcpt@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <rcpt@…>... User Unknown
    rcpt@example.org Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable.

and in delay notices ("THIS IS A WARNING MESSAGE ONLY"):

    [Status: Error, Address: <rcpt@example.org>, ResponseCode 421, , Host not reachable.]

The first ERROR_CODE is the SMTP reply code, the second the server's text. "Host not
reachable" is Zoho's own statement that it gave up reaching the server: `expired`.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import filtered_when_step_unknown, finding, unfold
from tracking.models import BounceKind, Reason

_ADDRESS = r"([^\s<>@,]{1,256}@[A-Za-z0-9.\-]{1,255})"
_FAILED = re.compile(
    r"^" + _ADDRESS + r" [A-Za-z ]{0,40}, ERROR_CODE :([0-9]{3})?, ERROR_CODE :([^\n]{0,2000})",
    re.M,
)
_DELAYED = re.compile(
    r"\[Status: [A-Za-z]{1,20}, Address: <" + _ADDRESS + r">, ResponseCode ([0-9]{3})?, ?([^\]\n]{0,2000})\]"
)
_GAVE_UP = "Host not reachable"


class Zoho:
    name = "zoho"

    def detect(self, view: MessageView) -> Detection | None:
        sender = view.sender_lower
        if "mailer-daemon@" not in sender:
            return None  # Zoho users' own mail carries X-ZohoMail too
        if "zoho." not in sender and not view.header("X-ZohoMail"):
            return None
        body = view.body_text
        delayed = "THIS IS A WARNING MESSAGE ONLY" in body
        pattern = _DELAYED if delayed else _FAILED
        findings = []
        for match in pattern.finditer(body):
            address, replycode, text = match.group(1), match.group(2) or "", match.group(3)
            text = unfold(text).strip(" ,")
            diagnostic = f"{replycode} {text}".strip()
            found = finding(address, diagnostic, action="delayed" if delayed else "failed")
            if _GAVE_UP in text:
                found.reason = Reason.EXPIRED
            filtered_when_step_unknown(found)  # Zoho's lines never name the SMTP step
            findings.append(found)
        if not findings:
            return None
        return Detection(BounceKind.DELAY if delayed else BounceKind.FAILURE, findings)
