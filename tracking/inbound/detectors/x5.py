"""A gateway (sisimai's "X5", a Trend Micro/IronPort relay in front of a Mirapoint server)
that forwards the real delivery report as an attachment: its own text part only repeats
"The following addresses had permanent delivery errors" with no address, and the attached
message/rfc822 is the MTA's multipart/report. That inner report is read by the standard
RFC 3464 path.
"""

from __future__ import annotations

from email.message import Message

from tracking.inbound.detectors import rfc3464
from tracking.inbound.detectors.base import Detection, MessageView

_DAEMON = "mailer-daemon"


class X5:
    name = "x5"

    def detect(self, view: MessageView) -> Detection | None:
        if _DAEMON not in view.sender_lower or view.content_type != "multipart/mixed":
            return None
        inner = _attached_report(view.message)
        if inner is None:
            return None
        return rfc3464.DETECTOR.detect(MessageView(inner))


def _attached_report(message: Message) -> Message | None:
    """The first attached message that is itself a daemon's multipart/report."""
    for part in message.get_payload() if message.is_multipart() else ():
        if part.get_content_type() != "message/rfc822" or not part.is_multipart():
            continue
        inner = part.get_payload(0)
        if (
            isinstance(inner, Message)
            and inner.get_content_type() == "multipart/report"
            and _DAEMON in str(inner.get("From", "")).lower()
        ):
            return inner
    return None
