"""Sendmail 8.x notices: "Returned mail: see transcript for details", "Warning: could not send
message for past 4 hours", "Postmaster notify: …", from "Mail Delivery Subsystem".

Usually a multipart/report whose first part is the human notice:

    ----- The following addresses had permanent fatal errors -----
    <rcpt@example.org>
        (reason: 550 5.1.1 <rcpt@example.org>... User unknown)

    ----- Transcript of session follows -----
    ... while talking to mx.example.org.:
    >>> DATA
    <<< 550 5.1.1 <rcpt@example.org>... User unknown

The delivery-status part is read as any RFC 3464 report; the transcript then adds what the
report leaves out: the SMTP reply code when Diagnostic-Code has none, the recipient when
Final-Recipient is broken ("@mx.example.org"), and the command that failed (a "user unknown"
after DATA is a content filter, not a dead address). Sendmail writes a bare x.0.0 Status when
the remote reply carried a precise code: the reply's code is kept then.
"""

from __future__ import annotations

from tracking.inbound.detectors import rfc3464
from tracking.inbound.detectors.base import Detection, Finding, MessageView
from tracking.inbound.detectors.mta_text import between, notice_text, reply_and_status
from tracking.inbound.detectors.sendmail_transcript import TranscriptEntry, orphan_reply, read_transcript

_SUBJECTS = ("Returned mail:", "Postmaster notify:", "Warning: could not send message")
_TRANSCRIPT = "----- Transcript of session follows -----"
_TRANSCRIPT_ENDS = ("\n--", "----- Original message", "----- Message header", "----- Unsent message")
_FATAL = "----- The following addresses had permanent fatal errors -----"


class Sendmail:
    name = "sendmail"

    def detect(self, view: MessageView) -> Detection | None:
        if not view.subject.startswith(_SUBJECTS):
            return None
        body = notice_text(view)
        if _TRANSCRIPT not in body and _FATAL not in body:
            return None
        report = rfc3464.DETECTOR.detect(view)
        if report is None:
            report = _embedded_report(body)  # a report sent without MIME headers
        if report is None or not report.findings:
            return None
        transcript = between(body, _TRANSCRIPT, _TRANSCRIPT_ENDS)
        entries = {entry.finding.recipient: entry for entry in read_transcript(transcript)}
        orphan = orphan_reply(transcript)
        pipelined = "<<< 503" in transcript
        for found in report.findings:
            entry = entries.get(found.recipient)
            if entry is None and len(report.findings) == 1:
                entry = _only_entry(entries) or orphan
                if entry and entry.finding.recipient and not _plausible(found.recipient):
                    found.recipient = entry.finding.recipient
            if entry is not None:
                _enrich(found, entry, pipelined)
            found.status = _precise_status(found)
        return report


def _enrich(found: Finding, entry: TranscriptEntry, pipelined: bool) -> None:
    if not found.diagnostic:
        found.diagnostic = entry.finding.diagnostic
    if not found.replycode:
        found.replycode = reply_and_status(found.diagnostic)[0] or entry.finding.replycode
    if not found.remote_mta:
        found.remote_mta = entry.finding.remote_mta
    command = entry.command.upper().split(" ", 1)[0]
    if pipelined and command == "DATA":
        # PIPELINING (RFC 2920): ">>> DATA" was sent with the RCPTs, and a later "503 … need
        # RCPT" shows the refusal answered RCPT TO, not DATA.
        command = "RCPT"
    found.command = command or found.command


def _precise_status(found: Finding) -> str:
    """Sendmail's "5.0.0" beside a remote "550 5.7.1 …": the remote server's code says more."""
    status = found.status
    if status.endswith(".0.0"):
        _, in_reply = reply_and_status(found.diagnostic)
        if in_reply and in_reply[0] == status[0] and not in_reply.endswith(".0.0"):
            return in_reply
    return status


def _only_entry(entries: dict[str | None, TranscriptEntry]) -> TranscriptEntry | None:
    return next(iter(entries.values())) if len(entries) == 1 else None


def _plausible(address: str | None) -> bool:
    return bool(address) and not address.startswith("@") and "@" in address


def _embedded_report(body: str) -> Detection | None:
    """Sendmail piped through a tool that dropped the MIME headers: the delivery-status
    fields are still in the text, after "Content-Type: message/delivery-status"."""
    marker = "Content-Type: message/delivery-status"
    if marker not in body:
        return None
    fields = rfc3464.parse_fields(body.split(marker, 1)[1].split("\n--", 1)[0])
    findings = rfc3464.findings_from_blocks(fields)[1]
    return Detection(rfc3464.report_kind(findings), findings) if findings else None
