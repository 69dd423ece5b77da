"""OpenSMTPD's delivery status notifications (smtpd/bounce.c), errors and delay warnings:

    Hi!

        This is the MAILER-DAEMON, please DO NOT REPLY to this email.

        An error has occurred while attempting to deliver a message for
        the following list of recipients:

    rcpt@example.org: 550 5.1.1 <rcpt@example.org>: Recipient address rejected: User unknown

        Below is a copy of the original message:

Delay warnings say "A message is delayed for more than … for the following list of
recipients:" and "this is only a temporary failure report". Newer versions wrap this text in
multipart/mixed with the original attached; the layout of the text is the same.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import between, finding, notice_text
from tracking.models import BounceKind

_BANNER = "This is the MAILER-DAEMON, please DO NOT REPLY"
_LIST_START = "list of recipients:"
_LIST_END = ("\n    Below is a copy", "\n    Please note that this is only", "\n    Your message was")
_ENTRY = re.compile(r"^([^\s:]{1,256}@[^\s:]{1,255}): ?(.{0,2000})$", re.M)


class OpenSMTPD:
    name = "opensmtpd"

    def detect(self, view: MessageView) -> Detection | None:
        if not view.subject.startswith("Delivery status notification"):
            return None
        body = notice_text(view)
        if _BANNER not in body[:1000]:
            return None
        listing = between(body, _LIST_START, _LIST_END)
        delayed = "is delayed for more than" in body[:1000] or view.subject.endswith(
            ("warning", "delayed")
        )
        findings = [
            finding(entry.group(1), entry.group(2), action=_action(entry.group(2), delayed))
            for entry in _ENTRY.finditer(listing)
        ]
        if not findings:
            return None
        gave_up = any(found.action == "failed" for found in findings)
        return Detection(BounceKind.FAILURE if gave_up else BounceKind.DELAY, findings)


def _action(diagnostic: str, delayed: bool) -> str:
    # "Envelope expired" in a delay warning: the queue lifetime ran out, nothing more will be
    # tried (smtpd's expiry), so this recipient has failed whatever the notice's heading says.
    if not delayed or diagnostic.startswith("Envelope expired"):
        return "failed"
    return "delayed"
