"""DragonFly Mail Agent (dma), the small MTA of DragonFly BSD and some Linux distributions.

Its notices are one plain-text part (seen in dma v0.11-v0.13):

    This is the DragonFly Mail Agent v0.13 at host.example.

    There was an error delivering your mail to <rcpt@example.org>.

    mx.example.org [192.0.2.25] did not like our RCPT TO:
    550 5.1.1 <rcpt@example.org>: Recipient address rejected: User unknown

    Original message follows.        (or "Message headers follow.")

One recipient per notice: dma bounces each recipient's copy separately.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import notice_text, address_in, between, finding, join_reply
from tracking.models import BounceKind, Reason

_BANNER = "This is the DragonFly Mail Agent"
_RECIPIENT_INTRO = "There was an error delivering your mail to"
_END_MARKERS = ("\nOriginal message follows.", "\nMessage headers follow.")
# dma's own words when the recipient's domain has no MX or address record (dns.c)
_NO_HOST = "DNS lookup failure: host"
# "mx.example.org [192.0.2.25] did not like our RCPT TO:" (dma's smtp.c wording)
_REMOTE = re.compile(r"^(\S{1,255}) \[[0-9A-Fa-f:.]{2,45}\] did not like our ([A-Z ]{2,12}):", re.M)


class DragonFly:
    name = "dragonfly"

    def detect(self, view: MessageView) -> Detection | None:
        if "Mail delivery failed" not in view.subject and _BANNER not in view.body_text[:500]:
            return None
        body = notice_text(view)
        if _BANNER not in body or _RECIPIENT_INTRO not in body:
            return None
        after_intro = between(body, _RECIPIENT_INTRO, _END_MARKERS)
        first_line, _, explanation = after_intro.partition("\n")
        recipient = address_in(first_line) or address_in(view.header("X-Original-To"))
        remote_mta, command = "", ""
        remote = _REMOTE.search(explanation)
        if remote:
            remote_mta, command = remote.group(1), remote.group(2).strip()  # the stage refused
            explanation = explanation[remote.end():]
        diagnostic = join_reply(explanation.strip().splitlines())
        result = finding(recipient or None, diagnostic, remote_mta=remote_mta)
        result.command = command
        if diagnostic.startswith(_NO_HOST):
            result.reason = Reason.HOSTUNKNOWN
        return Detection(BounceKind.FAILURE, [result])
