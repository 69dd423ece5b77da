"""Abuse Reporting Format feedback reports (RFC 5965) -> complaints, reason `feedback`.

`multipart/report; report-type=feedback-report` with a `message/feedback-report` part
(Feedback-Type, Original-Rcpt-To, Removal-Recipient…) and the returned original. The reported
recipient is Original-Rcpt-To (one finding each), else Removal-Recipient, else the To of the
returned original. Two widespread non-RFC variants are read here too (comments below).
"""

from __future__ import annotations

from email.message import Message

from tracking.inbound.addresses import normalize_address
from tracking.inbound.detectors.base import Detection, Finding, MessageView
from tracking.inbound.detectors.rfc3464 import parse_fields
from tracking.inbound.structure import part_text, parts_of_type, returned_headers
from tracking.models import BounceKind, Reason


def _report_part(view: MessageView) -> Message | None:
    found = parts_of_type(view.message, ("message/feedback-report",))
    return found[0] if found else None


def _returned_to(view: MessageView) -> str | None:
    original = returned_headers(view.message)
    if original is None:
        return None
    return normalize_address(original.get("To", ""))


def _complaint(recipients: list[str | None], feedback_type: str) -> Detection:
    findings = [
        Finding(recipient=recipient, reason=Reason.FEEDBACK, feedback_type=feedback_type)
        for recipient in (recipients or [None])
    ]
    return Detection(kind=BounceKind.COMPLAINT, findings=findings)


class ArfDetector:
    name = "arf"

    def detect(self, view: MessageView) -> Detection | None:
        report = _report_part(view)
        if report is not None:
            return self._standard(view, report)
        # Microsoft JMRP (Hotmail/Outlook.com feedback loop): multipart/mixed with the complained
        # message attached, the complainant in X-HmXmrOriginalRecipient — seen in arf-style
        # "complaint about message from <ip>" reports from staff@hotmail.com.
        original = returned_headers(view.message)
        if original is not None and original.get("X-HmXmrOriginalRecipient"):
            return _complaint([normalize_address(original["X-HmXmrOriginalRecipient"])], "abuse")
        # Apple Mail "unsubscribe" (X-Apple-Unsubscribe: true): the user asked to opt out; the
        # address that complains is the sender of the notice.
        if view.header("X-Apple-Unsubscribe").lower() == "true":
            return _complaint([normalize_address(view.sender)], "opt-out")
        return None

    def _standard(self, view: MessageView, report: Message) -> Detection:
        fields: dict[str, list[str]] = {}
        for line in part_text(report).splitlines():
            # Original-Rcpt-To may repeat (RFC 5965 §3.2), so collect every occurrence.
            for block in parse_fields(line):
                for name, value in block.items():
                    fields.setdefault(name, []).append(value)
        feedback_type = (fields.get("feedback-type") or ["other"])[0].strip().lower()
        recipients = [normalize_address(value) for value in fields.get("original-rcpt-to", [])]
        recipients = [address for address in recipients if address]
        if not recipients:
            removal = [normalize_address(value) for value in fields.get("removal-recipient", [])]
            recipients = [address for address in removal if address]
        if not recipients:
            returned = _returned_to(view)
            recipients = [returned] if returned else []
        return _complaint(list(dict.fromkeys(recipients)), feedback_type)


DETECTOR = ArfDetector()
