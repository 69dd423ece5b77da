"""An unnamed MTA (sisimai's "X2") seen at Japanese and US web-mail hosts, qmail-like:

    Message from example.com.
    Unable to deliver message to the following address(es).

    <rcpt@example.com>:
    This user doesn't have a example.com account (rcpt@example.com) [0]

    --- Original message follows.

Its own status codes come in brackets or parentheses: "[#4.1.9]", "(#4.4.1)".
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import filtered_when_step_unknown, notice_text
from tracking.inbound.detectors.qmail import read_notice
from tracking.models import Reason

_BANNER = "Unable to deliver message to the following address(es)."
# Its own closing sentence: the queue lifetime ran out, whatever the last attempt said.
_PHASES = (("this message has been in the queue too long", Reason.EXPIRED),)


class X2:
    name = "x2"

    def detect(self, view: MessageView) -> Detection | None:
        if "mailer-daemon" not in view.sender_lower:
            return None
        body = notice_text(view)
        if not body.startswith("Message from") or _BANNER not in body[:300]:
            return None
        detection = read_notice(body, _PHASES)
        for found in detection.findings if detection else ():
            filtered_when_step_unknown(found)  # X2 never shows the SMTP exchange
        return detection
