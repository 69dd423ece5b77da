"""Microsoft Exchange 5.5-2003 non-delivery reports (Internet Mail Service, X-MS-Embedded-Report).

Plain text (often with the original attached as message/rfc822 or TNEF), no SMTP reply:

    Your message

      To:      rcpt@example.org
      Subject: ...
      Sent:    Thu, 29 Apr 2010 00:00:00 -0000

    did not reach the following recipient(s):

    rcpt@example.org on Thu, 29 Apr 2010 00:00:00 -0000
        The recipient name is not recognized
        The MTS-ID of the original message is: c=jp;a= ;p=neko;l=EXCHANGE0000
        MSEXCH:IMS:ORG:SITE:SERVER 0 (000C05A6) Unknown Recipient

The explanation sentence and the `(000Cxxxx)` diagnostic code are Exchange's own statement
of the reason; Exchange 2000/2003 add the status as `<server #5.1.1>`. All are read here.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, Finding, MessageView
from tracking.inbound.detectors.mta_text import unfold
from tracking.models import BounceKind, Reason

_INTRO = "did not reach the following recipient(s):"
# "rcpt@example.org on Thu, 29 Apr 2010 00:00:00 -0000"
_RECIPIENT = re.compile(r"^\s{0,4}(\S{1,256}@\S{1,256}) on [A-Z][a-z]{2},? ", re.M)
# "MSEXCH:IMS:ORG:SITE:SERVER 0 (000C05A6) Unknown Recipient"
_CODE = re.compile(r"MSEXCH:[^\n(]{0,200}\(([0-9A-Fa-f]{8})\)")
# Exchange 2000/2003 end the explanation with "<server.example.org #5.1.1>".
_SERVER_STATUS = re.compile(r"<([A-Za-z0-9.\-]{1,255}) #([245]\.[0-9]{1,3}\.[0-9]{1,3})>")
# The low word of Exchange 5.5's diagnostic code: 05A6 is "Unknown Recipient" (every sample).
_CODE_REASONS = {"05A6": Reason.USERUNKNOWN}
# Exchange's explanation sentences that name the cause (wording of Exchange 5.5-2003 NDRs).
_SENTENCE_REASONS = (
    ("The recipient name is not recognized", Reason.USERUNKNOWN),
    ("account does not exist at the organization", Reason.USERUNKNOWN),
    ("mailbox is full", Reason.MAILBOXFULL),
    ("Could not deliver the message in the time limit specified", Reason.EXPIRED),
)


class Exchange2003:
    name = "exchange2003"

    def detect(self, view: MessageView) -> Detection | None:
        body = view.body_text
        start = body.find(_INTRO)
        if start < 0:
            return None
        embedded = "X-MS-Embedded-Report" in view.message or "Internet Mail Service" in view.header("X-Mailer")
        if not embedded and "MSEXCH:" not in body:
            return None
        listing = body[start + len(_INTRO) :]
        matches = list(_RECIPIENT.finditer(listing))
        findings = []
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(listing)
            block = listing[match.end() : end]
            findings.append(_finding(match.group(1), block))
        return Detection(BounceKind.FAILURE, findings) if findings else None


def _finding(address: str, block: str) -> Finding:
    # The MTS-ID line (and its wrapped tail) is a message id, not part of the explanation.
    lines = [
        line.strip()
        for line in block.split("\n")[1:]
        if line.strip() and "MTS-ID" not in line and not line.startswith(";")
    ]
    explanation = unfold(" ".join(lines))
    server = _SERVER_STATUS.search(block)
    reason = None
    code = _CODE.search(block)
    if code:
        reason = _CODE_REASONS.get(code.group(1)[-4:].upper())
    if reason is None:
        reason = next((r for text, r in _SENTENCE_REASONS if text in explanation), None)
    return Finding(
        address.strip("<>").lower(),
        "failed",
        status=server.group(2) if server else "",
        diagnostic=explanation,
        remote_mta=server.group(1) if server else "",
        reason=reason,
    )
