"""Amazon SES event notifications e-mailed through Amazon SNS ("AWS Notification Message").

The body is JSON (docs.aws.amazon.com/ses/latest/dg/notification-contents.html), either the SES
notification itself or an SNS envelope whose `Message` field holds it as a string:

    {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent",
      "bouncedRecipients": [{"emailAddress": "a@b", "action": "failed", "status": "5.1.1",
                             "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
      "reportingMTA": "dsn; a27-23.smtp-out.us-west-2.amazonses.com"}, "mail": {…}}

`Complaint` notifications are complaints (feedback type from `complaintFeedbackType`),
`Delivery` notifications are success reports, and the `DeliveryDelay` events of SES event
publishing (`deliveryDelay.delayedRecipients`, same fields) are delays. Mail relays fold the long JSON line at ~990
characters with "!\\n " (seen in every sample, 2016), which is undone before decoding.
SES's DSNs (multipart/report from MAILER-DAEMON@…amazonses.com) take the RFC 3464 path.
"""

from __future__ import annotations

import json

from tracking.inbound.detectors.base import Detection, Finding, MessageView
from tracking.inbound.detectors.mta_text import reply_and_status, strip_type, unfold
from tracking.models import BounceKind, Reason

_MAX_JSON = 2_000_000  # SES caps a notification far below this; larger bodies are not ours


class AmazonSES:
    name = "amazon_ses"

    def detect(self, view: MessageView) -> Detection | None:
        sender = view.sender_lower
        if "amazonaws.com" not in sender and not view.header("x-amz-sns-message-id"):
            return None
        notification = _notification(view.body_text)
        if notification is None:
            return None
        kind = notification.get("notificationType") or notification.get("eventType")
        if kind == "Bounce":
            bounce = _dict(notification.get("bounce"))
            reason = _SUBTYPE_REASONS.get(str(bounce.get("bounceSubType") or ""))
            return _failed(bounce, bounce.get("bouncedRecipients"), reason, BounceKind.FAILURE)
        if kind == "DeliveryDelay":
            delay = _dict(notification.get("deliveryDelay"))
            reason = _DELAY_REASONS.get(str(delay.get("delayType") or ""))
            return _failed(delay, delay.get("delayedRecipients"), reason, BounceKind.DELAY)
        if kind == "Complaint":
            return _complaint(_dict(notification.get("complaint")))
        if kind == "Delivery":
            return _delivery(_dict(notification.get("delivery")))
        return None


def _notification(body: str) -> dict | None:
    text = body.replace("!\n ", "").strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start or end - start > _MAX_JSON:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("Message"), str):  # the SNS envelope
        try:
            data = json.loads(data["Message"])
        except ValueError:
            return None
    return data if isinstance(data, dict) else None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


# bounceSubType values that state the reason themselves (SES notification-contents page);
# "General" and "Undetermined" leave it to the diagnostic.
_SUBTYPE_REASONS = {
    "NoEmail": Reason.USERUNKNOWN,
    "Suppressed": Reason.SUPPRESSED,
    "OnAccountSuppressionList": Reason.SUPPRESSED,
    "MailboxFull": Reason.MAILBOXFULL,
    "MessageTooLarge": Reason.MESGTOOBIG,
    "ContentRejected": Reason.CONTENTERROR,
    "AttachmentRejected": Reason.CONTENTERROR,
}


# delayType values that state the reason (SES event-publishing contents page); the others
# (TransientCommunicationFailure, RecipientServerError…) leave it to the diagnostic.
_DELAY_REASONS = {"MailboxFull": Reason.MAILBOXFULL, "SpamDetected": Reason.SPAMDETECTED}


def _failed(event: dict, recipients: object, reason: Reason | None, kind: BounceKind) -> Detection | None:
    remote_mta = strip_type(str(event.get("remoteMtaIp") or ""))
    default_action = "delayed" if kind is BounceKind.DELAY else "failed"
    findings = []
    for item in recipients if isinstance(recipients, list) else ():
        if not isinstance(item, dict) or not item.get("emailAddress"):
            continue
        diagnostic = strip_type(unfold(str(item.get("diagnosticCode") or "")))
        replycode, status = reply_and_status(diagnostic)
        findings.append(
            Finding(
                str(item["emailAddress"]).lower(),
                str(item.get("action") or default_action),
                status=str(item.get("status") or status),
                replycode=replycode,
                diagnostic=diagnostic,
                remote_mta=remote_mta,
                reason=reason,
            )
        )
    return Detection(kind, findings) if findings else None


def _complaint(complaint: dict) -> Detection | None:
    feedback_type = str(complaint.get("complaintFeedbackType") or "")
    findings = [
        Finding(
            str(item["emailAddress"]).lower(),
            reason=Reason.FEEDBACK,
            feedback_type=feedback_type,
            diagnostic=str(complaint.get("userAgent") or ""),
        )
        for item in complaint.get("complainedRecipients") or ()
        if isinstance(item, dict) and item.get("emailAddress")
    ]
    return Detection(BounceKind.COMPLAINT, findings) if findings else None


def _delivery(delivery: dict) -> Detection | None:
    response = unfold(str(delivery.get("smtpResponse") or ""))
    replycode, status = reply_and_status(response)
    findings = [
        Finding(
            str(address).lower(),
            "delivered",
            status=status,
            replycode=replycode,
            diagnostic=response,
            remote_mta=str(delivery.get("remoteMtaIp") or ""),
            reason=Reason.DELIVERED,
        )
        for address in delivery.get("recipients") or ()
        if isinstance(address, str) and "@" in address
    ]
    return Detection(BounceKind.SUCCESS, findings) if findings else None
