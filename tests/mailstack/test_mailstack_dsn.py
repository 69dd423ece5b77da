"""The private Postfix + Dovecot produce the real DSNs the tracking core depends on.

Each test sends from its own fresh mailbox, so the DSNs it waits for are its own even though the
stack is shared by the session. RFC 3461 (DSN SMTP extension) and RFC 3464 (report format).
"""

from __future__ import annotations

import email
import email.policy
import imaplib
from email.message import EmailMessage, Message

import pytest

from tests.mailstack import DOMAIN, MailStack, delivery_status


def _message(sender: str, to: str, subject: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("Please find your invoice attached.\n")
    return message.as_bytes(policy=email.policy.SMTP)


def _report_parts(raw: bytes) -> list[Message]:
    report = email.message_from_bytes(raw)
    assert report.get_content_type() == "multipart/report", raw[:500]
    assert report.get_param("report-type") == "delivery-status"
    return report.get_payload()


def _one_dsn(stack: MailStack, box: str) -> bytes:
    [raw] = stack.wait_for_messages(box, 1)
    return raw


def test_unknown_user_gives_an_rfc3464_failure(mailstack: MailStack) -> None:
    box = mailstack.new_mailbox()
    sender = mailstack.address(box)
    mailstack.send(sender, ["nosuchuser@localhost.test"],
                   _message(sender, "nosuchuser@localhost.test", "Invoice 1", "<inv1@suivi.test>"))

    raw = _one_dsn(mailstack, box)
    parts = _report_parts(raw)
    assert [part.get_content_type() for part in parts] == [
        "text/plain", "message/delivery-status", "message/rfc822"]   # no RET: full message back
    assert email.message_from_bytes(raw)["Subject"] == "Undelivered Mail Returned to Sender"
    per_message, [recipient] = delivery_status(raw)
    assert per_message["reporting-mta"] == "dns; mx.localhost.test"
    assert recipient["final-recipient"] == "rfc822; nosuchuser@localhost.test"
    assert recipient["action"] == "failed"
    assert recipient["status"] == "5.1.1"
    assert recipient["diagnostic-code"].startswith("smtp; 550 5.1.1"), recipient
    assert "<inv1@suivi.test>" in parts[2].as_string()


def test_over_quota_user_gives_a_5_2_2_failure(mailstack: MailStack) -> None:
    box = mailstack.new_mailbox()
    sender = mailstack.address(box)
    mailstack.send(sender, {"full@localhost.test": ("NOTIFY=FAILURE",)},
                   _message(sender, "full@localhost.test", "Invoice 2", "<inv2@suivi.test>"))

    _, [recipient] = delivery_status(_one_dsn(mailstack, box))
    assert recipient["action"] == "failed"
    assert recipient["status"] == "5.2.2"
    assert "552 5.2.2" in recipient["diagnostic-code"]
    assert "Quota exceeded" in recipient["diagnostic-code"]


def test_tempfail_quota_user_gives_a_delayed_dsn(mailstack: MailStack) -> None:
    box = mailstack.new_mailbox()
    sender = mailstack.address(box)
    queue_id = mailstack.send(
        sender, {"tempfull@localhost.test": ("NOTIFY=DELAY,FAILURE",)},
        _message(sender, "tempfull@localhost.test", "Invoice 3", "<inv3@suivi.test>"))
    try:
        raw = _one_dsn(mailstack, box)
    finally:
        # Deferred mail would retry for the rest of the session.
        mailstack.delete_queued(queue_id)

    assert email.message_from_bytes(raw)["Subject"] == "Delayed Mail (still being retried)"
    _, [recipient] = delivery_status(raw)
    assert recipient["action"] == "delayed"
    assert recipient["status"] == "4.2.2"
    assert "452 4.2.2" in recipient["diagnostic-code"]
    assert "will-retry-until" in recipient


def test_success_dsn_echoes_envid_and_orcpt(mailstack: MailStack) -> None:
    box = mailstack.new_mailbox()
    sender = mailstack.address(box)
    mailstack.send(
        sender,
        {"alice@localhost.test": ("NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Alice.Billing@example.org")},
        _message(sender, "alice@localhost.test", "Invoice 4", "<inv4@suivi.test>"),
        mail_options=("RET=HDRS", "ENVID=send-42.r0"),
    )

    raw = _one_dsn(mailstack, box)
    parts = _report_parts(raw)
    assert email.message_from_bytes(raw)["Subject"] == "Successful Mail Delivery Report"
    assert parts[2].get_content_type() == "text/rfc822-headers"      # RET=HDRS honoured
    per_message, [recipient] = delivery_status(raw)
    assert per_message["original-envelope-id"] == "send-42.r0"
    assert recipient["original-recipient"] == "rfc822;Alice.Billing@example.org"
    assert recipient["action"] == "delivered"                           # not "relayed"
    assert recipient["status"] == "2.0.0"
    assert mailstack.wait_for_messages("alice", 1), "the message itself reached alice"


def test_notify_never_gives_no_dsn(mailstack: MailStack) -> None:
    box = mailstack.new_mailbox()
    sender = mailstack.address(box)
    queue_id = mailstack.send(
        sender, {"nobody-here@localhost.test": ("NOTIFY=NEVER",)},
        _message(sender, "nobody-here@localhost.test", "Invoice 5", "<inv5@suivi.test>"))

    mailstack.wait_until_done(queue_id)          # every DSN it caused would be logged by now
    log = mailstack.maillog()
    [delivery] = [line for line in log.splitlines()
                  if f"{queue_id}: to=<nobody-here@localhost.test>" in line]
    assert "dsn=5.1.1, status=bounced" in delivery
    assert f"{queue_id}: sender non-delivery notification" not in log
    assert mailstack.fetch_all(box) == []


def test_verp_return_path_reaches_the_base_mailbox(mailstack: MailStack) -> None:
    box = mailstack.new_mailbox()
    verp_sender = f"{box}+s42r1.c0ffee@{DOMAIN}"
    mailstack.send(verp_sender, ["ghost@localhost.test"],
                   _message(verp_sender, "ghost@localhost.test", "Invoice 6", "<inv6@suivi.test>"))

    raw = _one_dsn(mailstack, box)
    # The token survives where the inbound side reads it from.
    assert email.message_from_bytes(raw)["Delivered-To"] == verp_sender
    assert email.message_from_bytes(raw)["To"] == verp_sender


def test_postfix_records_the_dsn_parameters_it_received(mailstack: MailStack) -> None:
    sender = mailstack.address(mailstack.new_mailbox())
    queue_id = mailstack.send(
        sender,
        {
            "hold-a@localhost.test": ("NOTIFY=SUCCESS,FAILURE,DELAY", "ORCPT=rfc822;A@example.org"),
            "hold-b@localhost.test": ("NOTIFY=NEVER",),
        },
        _message(sender, "hold-a@localhost.test", "Invoice 7", "<inv7@suivi.test>"),
        mail_options=("RET=HDRS", "ENVID=send-7"),
    )
    try:
        mailstack.wait_for_queue("hold", 1)
        [envelope] = [env for env in mailstack.queued_envelopes() if env.queue_id == queue_id]
    finally:
        mailstack.delete_queued(queue_id)

    assert (envelope.sender, envelope.envelope_id, envelope.ret) == (sender, "send-7", "HDRS")
    first, second = envelope.recipients
    assert first.address == "hold-a@localhost.test"
    assert first.orcpt == "rfc822;A@example.org"
    assert first.notify == {"SUCCESS", "FAILURE", "DELAY"}
    assert second.notify == {"NEVER"}


@pytest.mark.parametrize("user", ["bounces", "alice", "full", "tempfull"])
def test_default_users_can_log_in(mailstack: MailStack, user: str) -> None:
    with mailstack.imap(user) as connection:
        assert connection.state == "SELECTED"


def test_a_wrong_password_is_refused(mailstack: MailStack) -> None:
    connection = imaplib.IMAP4("127.0.0.1", mailstack.imap_port, timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            connection.login("bounces", "not-the-password")
    finally:
        connection.logout()
