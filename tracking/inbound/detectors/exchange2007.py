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

When Exchange gave up retrying, the block lists every attempt, newest first (seen from
on-premises Exchange 2013, 2016):

    3/09/2016 8:05:56 PM - Remote Server at mx.example.org (10.1.1.3) returned '550 4.4.7 QUEUE.Expired; message expired'
    3/09/2016 7:58:27 PM - Remote Server at mx.example.org (10.1.1.3) returned '441 4.4.1 Error encountered while communicating with primary target IP address: "Failed to connect…"'

`QUEUE.Expired` only says Exchange stopped trying; the attempt before it says what failed.
The attached report repeats only the expiry, so such notices are read here even with a report.
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import finding, unfold
from tracking.inbound.detectors.rfc3464 import STATUS_TYPES
from tracking.inbound.structure import content_type_of, outer_parts
from tracking.models import BounceKind

_GENERATING = re.compile(r"^Generating server: ?(\S{0,255})\s*$", re.M)
_END = re.compile(r"^Original message headers:", re.M)
_ADDRESS_LINE = re.compile(r"^<?([^\s<>@]{1,256}@[A-Za-z0-9.\-]{1,255})>?$")
_HOST_LINE = re.compile(r"^[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,20}$")
# "Remote Server returned '550 5.1.1 …'" (2010+), "<date> - Remote Server at host (ip) returned
# '…'" (one line per attempt) or "#550 5.1.1 RESOLVER… ##" (2007)
_REPLY = re.compile(
    r"^(?:[^'\n]{0,60} - )?Remote Server (?:at (\S{1,255}) (?:\([^()\s]{1,64}\) )?)?returned '(.{1,2000})'$"
    r"|^#(.{1,2000}?) ?##$"
)
_EXPIRED = "QUEUE.Expired"


class Exchange2007:
    name = "exchange2007"

    def detect(self, view: MessageView) -> Detection | None:
        if "Generating server:" not in view.body_text or not _is_exchange(view):
            return None  # the cheap substring test first: this runs on every message
        has_report = any(content_type_of(part) in STATUS_TYPES for part in outer_parts(view.message))
        body = view.body_text
        generating = _GENERATING.search(body)
        if generating is None:
            return None
        section = body[generating.end() :]
        end = _END.search(section)
        section = section[: end.start()] if end else section
        findings, gave_up = [], False
        for block in re.split(r"\n[ \t]*\n", section):
            lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
            address = _ADDRESS_LINE.match(lines[0]) if lines else None
            if address is None:
                continue
            remote_mta, replies = "", []
            for line in lines[1:]:
                said = _REPLY.match(line)
                if said:
                    replies.append(said.group(2) or said.group(3) or "")
                    remote_mta = remote_mta or said.group(1) or ""
                elif _HOST_LINE.match(line) and not replies:
                    remote_mta = line
            reply = replies[0] if replies else ""
            if len(replies) > 1 and _EXPIRED in reply:
                reply, gave_up = f"{replies[1]} ({reply})", True  # what failed, then the expiry
            if reply or len(lines) == 1:
                findings.append(finding(address.group(1), unfold(reply), remote_mta=remote_mta))
        if has_report and not gave_up:
            return None  # the attached report says as much: the RFC 3464 path reads it
        return Detection(BounceKind.FAILURE, findings) if findings else None


def _is_exchange(view: MessageView) -> bool:
    """Exchange's own marks: its X-MS-Exchange headers or its fixed English heading."""
    if any(name.lower().startswith("x-ms-exchange") for name in view.message.keys()):
        return True
    return "Diagnostic information for administrators:" in view.body_text
