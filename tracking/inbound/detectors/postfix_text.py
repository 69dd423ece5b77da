"""Postfix's bounce notice when it comes without a delivery-status part (old Postfix, or
`bounce_notice_recipient` copies forwarded as plain text); reports with one are read by
the standard RFC 3464 path. The default bounce template (bounce_template_file):

    This is the mail system at host mx.example.com.     (older: "This is the Postfix program at host …")

    I'm sorry to have to inform you that your message could not
    be delivered to one or more recipients. …

    <rcpt@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 <rcpt@example.org>:
        Recipient address rejected: User unknown (in reply to RCPT TO command)

Continuation lines are indented by four spaces; "(expanded from <alias>)" may follow the
address.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors import rfc3464
from tracking.inbound.detectors.base import Detection, MessageView, contains_any
from tracking.inbound.detectors.mta_text import finding, notice_text
from tracking.inbound.notice import command_in
from tracking.inbound.structure import content_type_of
from tracking.models import BounceKind

_BANNERS = ("This is the Postfix program at host", "This is the mail system at host")
_ENTRY = re.compile(
    r"^<([^\s<>]{1,256}@[^\s<>]{1,255})>(?: \(expanded from <[^\s<>]{0,512}>\))?: ([^\n]{0,2000}(?:\n {4}[^\n]{0,2000}){0,20})",
    re.M,
)
_HOST_SAID = re.compile(r"^host (\S{1,255})\[[0-9A-Fa-f:.]{2,45}\] said: ")


class PostfixText:
    name = "postfix_text"

    def detect(self, view: MessageView) -> Detection | None:
        if any(content_type_of(part) == "message/delivery-status" for part in view.parts):
            return None
        body = notice_text(view)
        if not contains_any(body[:3000], _BANNERS):
            return None
        fields = body.find("\nReporting-MTA:")
        if fields >= 0:  # the report's fields pasted into the text (its MIME headers lost)
            findings = rfc3464.findings_from_blocks(rfc3464.parse_fields(body[fields:].split("\n--", 1)[0]))[1]
            if findings:
                return Detection(rfc3464.report_kind(findings), findings)
        findings = []
        for match in _ENTRY.finditer(body.split("\n--", 1)[0]):
            text = " ".join(match.group(2).split())
            host = _HOST_SAID.match(text)
            found = finding(match.group(1), text[host.end():] if host else text,
                            remote_mta=host.group(1) if host else "")
            found.command = command_in(text)
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings) if findings else None
