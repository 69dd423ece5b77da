"""MailMarshal SMTP (Marshal/Trustwave's gateway), subject "Undeliverable Mail: …":

    Your message:
       From:    sender@example.com
       Subject: Invoice 42

    Could not be delivered because of

    550 5.1.1 User unknown

    The following recipients were affected:
        rcpt@example.org

    Additional Information
    ======================
    Remote-MTA:   <192.0.2.2>
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import address_in, between, finding, join_reply, notice_text
from tracking.models import BounceKind

_BECAUSE = "Could not be delivered because of"
_AFFECTED = "The following recipients were affected:"
_ENDS = ("Additional Information", "\n\n\n")
_REMOTE = re.compile(r"^Remote-MTA:\s{1,20}<([^>\s]{1,255})>", re.M)


class MailMarshal:
    name = "mailmarshal"

    def detect(self, view: MessageView) -> Detection | None:
        if not view.subject.startswith("Undeliverable Mail"):
            return None
        body = notice_text(view)
        if _BECAUSE not in body or _AFFECTED not in body:
            return None
        reply = join_reply(between(body, _BECAUSE, (_AFFECTED,)).strip().split("\n"))
        listing = between(body, _AFFECTED, _ENDS)
        recipients = [address_in(line) for line in listing.split("\n") if address_in(line)]
        remote = _REMOTE.search(body)
        remote_mta = remote.group(1) if remote else ""
        findings = [finding(r, reply, remote_mta=remote_mta) for r in recipients]
        return Detection(BounceKind.FAILURE, findings) if findings else None
