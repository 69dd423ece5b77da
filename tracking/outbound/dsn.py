"""Builders for the three kinds of returned mail the sandbox plays back. Pure: values in, messages out.

- `delivery_status_notification`: RFC 3464 `multipart/report; report-type=delivery-status` —
  a human-readable part, the `message/delivery-status` fields (per message: Reporting-MTA,
  Original-Envelope-Id, Arrival-Date; per recipient: Original-Recipient, Final-Recipient, Action,
  Status, Remote-MTA, Diagnostic-Code, Last-Attempt-Date, Will-Retry-Until), then the returned
  original — `text/rfc822-headers` for RET=HDRS and for success reports, `message/rfc822`
  otherwise (RFC 3461 §4.3, RFC 3462).
- `auto_reply`: an RFC 3834 response — `Auto-Submitted: auto-replied`, `In-Reply-To` and
  `References` naming the original, subject prefixed "Auto:" (§3.1.5).
- `abuse_report`: an RFC 5965 ARF report — `multipart/report; report-type=feedback-report`
  with `Feedback-Type`, `User-Agent`, `Version: 1`, `Original-Mail-From`, `Original-Rcpt-To`,
  `Arrival-Date`, `Source-IP`, `Reported-Domain`, then the original.

Messages are written with `\\n` line ends, as a Maildir stores them.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

# '\n' line ends and RFC 2047 headers; report fields are short, so they are written unfolded
# (within RFC 5322's 998 octets) rather than refolded mid-value.
MAILBOX_POLICY = policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class RecipientStatus:
    final_recipient: str
    action: str                      # failed | delayed | delivered | relayed | expanded
    status: str                      # enhanced status code, "5.1.1"
    original_recipient: str = ""     # from ORCPT, "" when the sender gave none
    diagnostic: str = ""             # the remote server's reply, "550 5.1.1 <a@b>: User unknown"
    remote_mta: str = ""
    last_attempt: datetime | None = None
    will_retry_until: datetime | None = None


_SUBJECTS = {
    "failed": "Undelivered Mail Returned to Sender",
    "delayed": "Delayed Mail (still being retried)",
    "delivered": "Successful Mail Delivery Report",
    "relayed": "Successful Mail Delivery Report",
}

_EXPLANATIONS = {
    "failed": "Your message could not be delivered to one or more recipients; it will not be "
              "retried. The report below gives the reason for each.",
    "delayed": "Your message could not be delivered yet to one or more recipients. Delivery "
               "is still being attempted; you do not need to send it again.",
    "delivered": "Your message was delivered to the mailbox of the recipients listed below, "
                 "as you asked with a delivery status notification request.",
    "relayed": "Your message was handed on to a system that does not report delivery.",
}


def delivery_status_notification(
    *,
    reporting_mta: str,
    to: str,
    recipients: list[RecipientStatus],
    original: bytes,
    headers_only: bool,
    envelope_id: str,
    arrival: datetime,
    date: datetime,
    message_id: str,
) -> Message:
    """One RFC 3464 report about `recipients` (all with the same action) of `original`."""
    action = recipients[0].action
    report = MIMEMultipart("report", report_type="delivery-status")
    _top_headers(
        report,
        sender=f"Mail Delivery System <MAILER-DAEMON@{reporting_mta}>",
        to=to,
        subject=_SUBJECTS.get(action, "Delivery Status Notification"),
        date=date,
        message_id=message_id,
    )
    lines = [f"This is the mail system at host {reporting_mta}.", "", _EXPLANATIONS.get(action, "")]
    for recipient in recipients:
        lines += ["", f"<{recipient.final_recipient}>: {recipient.diagnostic or recipient.status}"]
    report.attach(MIMEText("\n".join(lines) + "\n", "plain", "us-ascii"))

    per_message = Message()
    per_message["Reporting-MTA"] = f"dns; {reporting_mta}"
    if envelope_id:
        per_message["Original-Envelope-Id"] = envelope_id
    per_message["Arrival-Date"] = format_datetime(arrival)
    blocks = [per_message] + [_recipient_block(recipient) for recipient in recipients]
    status = Message()
    status["Content-Type"] = "message/delivery-status"
    status["Content-Description"] = "Delivery report"
    status.set_payload(blocks)
    report.attach(status)

    # A success report never needs the content back; RET=HDRS asks for headers only.
    report.attach(_returned_original(original, headers_only or action in ("delivered", "relayed")))
    return report


def auto_reply(
    *,
    original: bytes,
    responder: str,
    to: str,
    date: datetime,
    message_id: str,
    language: str = "fr",
) -> Message:
    """An RFC 3834 vacation reply from `responder` to the original's return path `to`."""
    parsed = email.message_from_bytes(original, policy=MAILBOX_POLICY)
    subject = str(parsed.get("Subject", "")).strip()
    english = language.startswith("en")
    body = (
        "I am out of the office until next Monday, with limited access to email.\n"
        "Your message will be read on my return.\n"
        if english else
        "Je suis absent(e) du bureau jusqu'à lundi prochain, avec un accès limité à mes emails.\n"
        "Votre message sera lu à mon retour.\n"
    )
    reply = MIMEText(body, "plain", "utf-8")
    _top_headers(
        reply,
        sender=responder,
        to=to,
        subject=f"Auto: {subject}" if subject else "Auto: " + ("Out of office" if english else "Absence"),
        date=date,
        message_id=message_id,
    )
    original_id = str(parsed.get("Message-ID", "")).strip()
    if original_id:
        reply["In-Reply-To"] = original_id
        reply["References"] = original_id
    return reply


def abuse_report(
    *,
    original: bytes,
    reporter: str,
    to: str,
    original_mail_from: str,
    original_rcpt_to: str,
    arrival: datetime,
    source_ip: str,
    reported_domain: str,
    user_agent: str,
    date: datetime,
    message_id: str,
    feedback_type: str = "abuse",
) -> Message:
    """An RFC 5965 feedback report: the recipient marked `original` as spam."""
    report = MIMEMultipart("report", report_type="feedback-report")
    _top_headers(
        report,
        sender=reporter,
        to=to,
        subject=f"Abuse report for a message sent to {original_rcpt_to}",
        date=date,
        message_id=message_id,
    )
    report.attach(MIMEText(
        f"This is an email abuse report for a message received from IP {source_ip} on "
        f"{format_datetime(arrival)}.\nThe recipient marked it as unwanted (spam).\n",
        "plain", "us-ascii",
    ))
    feedback = Message()
    feedback["Content-Type"] = "message/feedback-report"
    fields = [
        ("Feedback-Type", feedback_type),
        ("User-Agent", user_agent),
        ("Version", "1"),
        ("Original-Mail-From", f"<{original_mail_from}>"),
        ("Original-Rcpt-To", f"<{original_rcpt_to}>"),
        ("Arrival-Date", format_datetime(arrival)),
        ("Source-IP", source_ip),
        ("Reported-Domain", reported_domain),
    ]
    feedback.set_payload("".join(f"{name}: {value}\n" for name, value in fields))
    report.attach(feedback)
    report.attach(_returned_original(original, headers_only=False))
    return report


def as_mailbox_bytes(message: Message, *, delivered_to: str) -> bytes:
    """The message as a delivery agent stores it: Return-Path and Delivered-To prepended.

    Returned mail travels with a null return path (RFC 3464 §2, RFC 3834 §3.3), so no reply to
    it can loop back.
    """
    body = message.as_bytes(policy=MAILBOX_POLICY)
    trace = f"Return-Path: <>\nDelivered-To: {delivered_to}\n".encode("ascii", "replace")
    return trace + body


def _top_headers(message: Message, *, sender: str, to: str, subject: str, date: datetime,
                 message_id: str) -> None:
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    # RFC 3834 §5: responses and reports are auto-replied, so they never trigger a reply.
    message["Auto-Submitted"] = "auto-replied"


def _recipient_block(recipient: RecipientStatus) -> Message:
    block = Message()
    if recipient.original_recipient:
        block["Original-Recipient"] = _typed(recipient.original_recipient)
    block["Final-Recipient"] = f"rfc822; {recipient.final_recipient}"
    block["Action"] = recipient.action
    block["Status"] = recipient.status
    if recipient.remote_mta:
        block["Remote-MTA"] = f"dns; {recipient.remote_mta}"
    if recipient.diagnostic:
        block["Diagnostic-Code"] = f"smtp; {recipient.diagnostic}"
    if recipient.last_attempt is not None:
        block["Last-Attempt-Date"] = format_datetime(recipient.last_attempt)
    if recipient.will_retry_until is not None:
        block["Will-Retry-Until"] = format_datetime(recipient.will_retry_until)
    return block


def _typed(address: str) -> str:
    """ORCPT arrives as `rfc822;a@b`; a bare address is given the rfc822 type."""
    kind, semicolon, value = address.partition(";")
    return f"{kind.strip()}; {value.strip()}" if semicolon else f"rfc822; {address.strip()}"


def _returned_original(original: bytes, headers_only: bool) -> Message:
    text = original.replace(b"\r\n", b"\n")
    if headers_only:
        headers = text.split(b"\n\n", 1)[0].decode("utf-8", "replace") + "\n"
        part = Message()
        part["Content-Type"] = "text/rfc822-headers"
        part["Content-Description"] = "Headers of the original message"
        part.set_payload(headers)
        return part
    part = Message()
    part["Content-Type"] = "message/rfc822"
    part["Content-Description"] = "The original message"
    part.set_payload([email.message_from_bytes(text)])
    return part
