"""Exchange 2007 and later, Exchange Online / Office 365 / Outlook.com: NDRs without a report.

Exchange usually attaches an RFC 3464 report, read by the standard path. Some NDRs (seen from
Exchange Online in 2015, and from gateways that strip the report) keep only the text:

    Delivery has failed to these recipients or groups:
    rcpt@example.org<mailto:rcpt@example.org>
    The email address you entered couldn't be found. ...

    Diagnostic information for administrators:

    Generating server: SERVER.example.prod.outlook.com

    rcpt@example.org
    mx.example.org                                   (the remote server, when one answered)
    Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'

Older Exchange 2007 writes the reply as `#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##`.
Only the administrators' section is read: one block per recipient after "Generating server".
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import finding, unfold
from tracking.inbound.detectors.rfc3464 import STATUS_TYPES
from tracking.inbound.structure import outer_parts
from tracking.models import BounceKind

_GENERATING = re.compile(r"^Generating server: ?(\S{0,255})\s*$", re.M)
_END = re.compile(r"^Original message headers:", re.M)
_ADDRESS_LINE = re.compile(r"^<?([^\s<>@]{1,256}@[A-Za-z0-9.\-]{1,255})>?$")
_HOST_LINE = re.compile(r"^[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,20}$")
# "Remote Server returned '550 5.1.1 …'" (2010+) or "#550 5.1.1 RESOLVER… ##" (2007)
_REPLY = re.compile(r"^(?:Remote Server returned '(.{1,2000})'|#(.{1,2000}?) ?##)$")


class Exchange2007:
    name = "exchange2007"

    def detect(self, view: MessageView) -> Detection | None:
        if "Generating server:" not in view.body_text or not _is_exchange(view):
            return None  # the cheap substring test first: this runs on every message
        if any(part.get_content_type() in STATUS_TYPES for part in outer_parts(view.message)):
            return None  # the attached report is read by the RFC 3464 path
        body = view.body_text
        generating = _GENERATING.search(body)
        if generating is None:
            return None
        section = body[generating.end() :]
        end = _END.search(section)
        section = section[: end.start()] if end else section
        findings = []
        for block in re.split(r"\n[ \t]*\n", section):
            lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
            address = _ADDRESS_LINE.match(lines[0]) if lines else None
            if address is None:
                continue
            remote_mta, reply = "", ""
            for line in lines[1:]:
                said = _REPLY.match(line)
                if said:
                    reply = said.group(1) or said.group(2) or ""
                elif _HOST_LINE.match(line) and not reply:
                    remote_mta = line
            if reply or len(lines) == 1:
                findings.append(finding(address.group(1), unfold(reply), remote_mta=remote_mta))
        return Detection(BounceKind.FAILURE, findings) if findings else None


def _is_exchange(view: MessageView) -> bool:
    """Exchange's own marks: its X-MS-Exchange headers or its fixed English heading."""
    if any(name.lower().startswith("x-ms-exchange") for name in view.message.keys()):
        return True
    return "Diagnostic information for administrators:" in view.body_text
