"""GMX, WEB.DE and 1&1 (United Internet's "Nemesis" mail system, kundenserver.de).

Exim-like wording but its own layout (seen 2014-2019):

    A message that you sent could not be delivered to one or more of
    its recipients. This is a permanent error. The following address(es)
    failed:

    "rcpt@example.org":                             (GMX: one block per address)
    SMTP error from remote server after RCPT command:
    host: mx.example.org
    5.2.2 <rcpt@example.org>... Mailbox Full

    rcpt@example.org:                               (1&1: one line for the details)
    SMTP error from remote server for TEXT command, host: smtp-in.example.org (192.0.2.1) reason: 550 5.2.0 Mail rejected

    <rcpt@example.org>                              (GMX giving up)
    Reason:
    delivery retry timeout exceeded

    --- The header of the original message is following. ---
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import finding, unfold
from tracking.models import BounceKind, Reason

_SENDERS = ("@mail.gmx.", "@gmx.", "@kundenserver.de", "@web.de", "@1und1.de")
_START = "The following address"
_END = "--- The header of the original message is following. ---"
# An address alone on its line, quoted or bracketed, optionally followed by ":".
_RECIPIENT = re.compile(r'^["<]?([^\s"<>@]{1,256}@[A-Za-z0-9.\-]{1,255})[">]?:?[ \t]*$', re.M)
_HOST = re.compile(r"host: ?([A-Za-z0-9.\-]{1,255})")
# The SMTP command it names ("after RCPT command", "for MAIL command"); TEXT (the message
# content) is not a verb of RFC 5321 and is left unknown.
_STEP = re.compile(r"SMTP error from remote server (?:after|for) (RCPT|MAIL|DATA|EHLO|HELO) command")
# GMX's own sentence when it stops retrying.
_GAVE_UP = "delivery retry timeout exceeded"


class UnitedInternet:
    name = "united_internet"

    def detect(self, view: MessageView) -> Detection | None:
        sender = view.sender_lower
        if "mailer-daemon" not in sender or not any(domain in sender for domain in _SENDERS):
            return None
        body = view.body_text
        start = body.find(_START)
        if start < 0:
            return None
        end = body.find(_END, start)
        listing = body[start : end if end > 0 else len(body)]
        matches = list(_RECIPIENT.finditer(listing))
        findings = []
        for index, match in enumerate(matches):
            stop = matches[index + 1].start() if index + 1 < len(matches) else len(listing)
            block = listing[match.end() : stop]
            host = _HOST.search(block)
            details = block.split("reason:", 1)[1] if "reason:" in block else _after_intro(block)
            found = finding(match.group(1), unfold(details), remote_mta=host.group(1) if host else "")
            step = _STEP.search(block)
            if step:
                found.command = step.group(1).upper()  # "after RCPT command", "for TEXT command"
            if _GAVE_UP in block:
                found.reason = Reason.EXPIRED
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings) if findings else None


def _after_intro(block: str) -> str:
    """The reply itself: the lines after "SMTP error from …" / "host: …" / "Reason:"."""
    lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
    kept = [
        line for line in lines
        if not line.startswith(("SMTP error from", "host:", "Reason:"))
    ]
    return " ".join(kept)
