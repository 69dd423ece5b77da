"""Sendmail V5 and other pre-DSN Sendmails (8.x before RFC 1894): one plain-text part,
subject "Returned mail: <why>", the transcript, then the unsent message.

    ----- Transcript of session follows -----
    While talking to mail.example.org:
    >>> RCPT To:<rcpt@example.org>
    <<< 550 Requested User Mailbox not found.
    550 <rcpt@example.org>... User unknown
    ----- Unsent message follows -----
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detection, MessageView
from tracking.inbound.detectors.mta_text import between, notice_text
from tracking.inbound.detectors.sendmail_transcript import read_transcript
from tracking.models import BounceKind

_TRANSCRIPT = "----- Transcript of session follows -----"
_ENDS = ("----- Unsent message follows", "----- Original message follows", "----- Message header")


class V5Sendmail:
    name = "v5sendmail"

    def detect(self, view: MessageView) -> Detection | None:
        if not view.subject.startswith("Returned mail:") or view.content_type != "text/plain":
            return None
        body = notice_text(view)
        if _TRANSCRIPT not in body or "permanent fatal errors" in body:
            return None  # a newer Sendmail's plain notice: `sendmail.Sendmail` reads it
        findings = []
        for entry in read_transcript(between(body, _TRANSCRIPT, _ENDS)):
            entry.finding.command = entry.command  # the stage is evidence for the reason
            findings.append(entry.finding)
        return Detection(BounceKind.FAILURE, findings) if findings else None
