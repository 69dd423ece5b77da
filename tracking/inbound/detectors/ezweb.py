"""au by KDDI's mobile mail, EZweb (Postmaster@ezweb.ne.jp, "Mail System Error - Returned Mail").

Plain-text notices in a few fixed shapes (seen 2011-2013); some also attach a report whose
Status is a bare 5.0.0, so the text is read first:

    The user(s) account is disabled.                       (the account is suspended)
    <rcpt@ezweb.ne.jp>: 550 user unknown (in reply to RCPT TO command)

    Your message was not delivered within 0 days and 1 hours.
    Remote host is not responding.
    The following recipients did not receive this message:
    <rcpt@ezweb.ne.jp>

    Each of the following recipients was rejected by a remote mail server.
        Recipient: <rcpt@example.org>
        >>> RCPT TO:<rcpt@example.org>
        <<< 550 <rcpt@example.org>: User unknown

The first two sentences are EZweb's own statement of the reason; the third carries the remote
server's reply, left to the classifier (and to `tracking.reasons.providers` for the remote provider).
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, Finding, MessageView
from tracking.inbound.detectors.mta_text import delivery_status_blocks, finding, unfold
from tracking.models import BounceKind, Reason

_SENDER = "@ezweb.ne.jp"
# EZweb's fixed first sentences and what they state.
_SENTENCES = (
    ("The user(s) account is disabled.", Reason.SUSPEND),
    ("Your message was not delivered within", Reason.EXPIRED),
    ("The user(s) account is temporarily over quota.", Reason.MAILBOXFULL),
)
_BRACKETED = re.compile(r"^\s{0,8}(?:Recipient: )?<([^\s<>@]{1,256}@[A-Za-z0-9.\-]{1,255})>:?(.{0,2000})$", re.M)
_SERVER_SAID = re.compile(r"^\s{0,8}<<< (.{1,2000})$", re.M)


class EZweb:
    name = "ezweb"

    def detect(self, view: MessageView) -> Detection | None:
        if _SENDER not in view.sender_lower or "postmaster" not in view.sender_lower:
            return None
        body = view.body_text
        matches = list(_BRACKETED.finditer(body))
        if not matches:
            return None
        stated, statement = None, ""
        for text, reason in _SENTENCES:
            if text in body:
                start = body.index(text)
                stated, statement = reason, unfold(body[start : body.find("\n\n", start)])
                break
        reported = {block.get("final-recipient", "").split(";")[-1].strip().lower(): block
                    for block in delivery_status_blocks(view.message)}
        findings = []
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
            said = [m.group(1) for m in _SERVER_SAID.finditer(body, match.end(), end)]
            diagnostic = unfold(" ".join(said) or match.group(2))
            found = finding(match.group(1), diagnostic) if diagnostic else Finding(match.group(1).lower(), "failed")
            block = reported.get(found.recipient or "")
            if block and not found.status:
                found.status = block.get("status", "").split(" ")[0]
            if stated is not None:
                found.reason = stated
                found.diagnostic = found.diagnostic or statement
            findings.append(found)
        return Detection(BounceKind.FAILURE, findings)
