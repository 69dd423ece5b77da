"""Verizon Wireless gateways: picture messages (vzwpix.com MMSC) and text messages (vtext.com).

Two layouts (seen 2012-2013), each naming the recipient only in its copy of the original:

    Message could not be delivered to mobile.          (MMSC NDR Administrator, vzwpix.com)
    Error: No valid recipients for this MM
    Original Message:
    To: 5550000000@vzwpix.com

    Error: Invalid user address                         (post_master@vtext.com)
    Error message below:
    550 - Requested action not taken: no such user here
    Message details:
      RCPT TO: 5550000000@vtext.com

Both errors say the number has no mailbox: the format states `userunknown`.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView, contains_any
from tracking.inbound.detectors.mta_text import address_in, finding, unfold
from tracking.models import BounceKind, Reason

_DOMAINS = ("vzwpix.com", "vtext.com")
_ROLES = ("post_master@", "postmaster@", "sysadmin@", "mailer-daemon@")
_ERROR = re.compile(r"^Error: ?(.{1,300})$", re.M)
_RECIPIENT = re.compile(r"^\s{0,8}(?:RCPT TO|To): ?(.{1,300})$", re.M)
# Errors that say there is no such subscriber.
_NO_SUCH_USER = ("No valid recipients", "Invalid user address")


class Verizon:
    name = "verizon"

    def detect(self, view: MessageView) -> Detection | None:
        sender = view.sender_lower
        if not contains_any(sender, _DOMAINS):
            return None
        if not any(role in sender for role in _ROLES):
            return None  # a subscriber's own mail
        body = view.body_text or _unparsed_text(view)
        error = _ERROR.search(body)
        if error is None:
            return None
        after = body[error.end() :]
        recipient = ""
        for match in _RECIPIENT.finditer(after):
            recipient = address_in(match.group(1))
            if recipient and any(domain in recipient for domain in _DOMAINS):
                break
        if not recipient:
            return None
        server = after.split("Error message below:", 1)[1] if "Error message below:" in after else ""
        reply = unfold(server.split("Message details:", 1)[0]) if server else ""
        found = finding(recipient, reply or error.group(1))
        if any(text in error.group(1) for text in _NO_SUCH_USER):
            found.reason = Reason.USERUNKNOWN
        if not reply:
            found.diagnostic = unfold(body[: error.end()])
        return Detection(BounceKind.FAILURE, [found])


def _unparsed_text(view: MessageView) -> str:
    """vtext.com folds the inner `boundary=` without indentation, so the inner multipart has
    no boundary and compat32 keeps it as one text payload (seen in every vtext sample)."""
    for part in view.parts:
        payload = part.get_payload()
        if part.get_content_maintype() == "multipart" and isinstance(payload, str):
            return payload[:200_000]
    return ""
