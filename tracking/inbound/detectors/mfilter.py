"""m-FILTER (Digital Arts' mail gateway, Japan): `X-Mailer: m-FILTER`, a Japanese notice with
labelled sections:

    以下のメールアドレスへの送信に失敗しました。     ("sending failed for these addresses")
    rcpt@example.com

    -------server message
    550 5.1.1 <rcpt@example.com>: Recipient address rejected: User unknown

    -------SMTP command
    DATA

    -------original message
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import (
    address_in, between, finding, join_reply, notice_text,
)
from tracking.models import BounceKind

_FAILED_FOR = "以下のメールアドレスへの送信に失敗しました。"
_SERVER_MESSAGE = "-------server message"
_COMMAND = "-------SMTP command"
_ORIGINAL = "-------original"


class MFilter:
    name = "mfilter"

    def detect(self, view: MessageView) -> Detection | None:
        if view.header("X-Mailer") != "m-FILTER":
            return None
        body = notice_text(view)
        addresses = between(body, _FAILED_FOR, (_SERVER_MESSAGE, _COMMAND, _ORIGINAL))
        recipients = [address_in(line) for line in addresses.split("\n") if address_in(line)]
        if not recipients:
            return None
        reply = join_reply(between(body, _SERVER_MESSAGE, (_COMMAND, _ORIGINAL)).split("\n"))
        command = between(body, _COMMAND, (_ORIGINAL,)).strip().split("\n", 1)[0].strip()
        findings = []
        for recipient in recipients:
            result = finding(recipient, reply)
            result.command = command.upper().split(" ", 1)[0]
            findings.append(result)
        return Detection(BounceKind.FAILURE, findings)
