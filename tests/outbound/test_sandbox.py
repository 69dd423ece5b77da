"""The sandbox recipient server: each address convention returns the right message to the Maildir.

Messages are read back with the stdlib `email` package only, so these tests check the formats
(RFC 3464 / 3834 / 5965) independently of the project's own bounce parser.
"""

from __future__ import annotations

import mailbox
import re
import smtplib
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest

from tests.outbound.servers import VERP_KEY, composed
from tracking.config import SmtpSettings, TlsMode
from tracking.models import SendingMode
from tracking.outbound.sandbox import Behaviour, SandboxServer, behaviour_for
from tracking.outbound.smtp import RecipientOutcome, SmtpTransport
from tracking.verp import VerpCheck, token_from_address, verify_token

SEND_ID = "5a4d-b0c5"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path / "mail") as server:
        yield server


def send(sandbox: SandboxServer, *addresses: str, mode: SendingMode = SendingMode.RELAY) -> list[RecipientOutcome]:
    settings = SmtpSettings(host="127.0.0.1", port=sandbox.port, tls=TlsMode.NONE, timeout=5)
    with SmtpTransport(settings) as transport:
        return transport.deliver(composed(*addresses, mode=mode, send_id=SEND_ID))


def returned(sandbox: SandboxServer) -> list[Message]:
    """Everything in the Maildir, oldest first (by the time in the Maildir names)."""
    box = mailbox.Maildir(sandbox.maildir, create=False)
    files = sorted(Path(sandbox.maildir, "new").iterdir(), key=_delivery_time)
    assert len(files) == len(box)
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in files]


def _delivery_time(path: Path) -> tuple[int, int]:
    # stdlib Maildir names: "<seconds>.M<microseconds>P<pid>Q<count>.<host>"
    match = re.match(r"(\d+)\.M(\d+)P", path.name)
    assert match, path.name
    return int(match.group(1)), int(match.group(2))


def report_parts(message: Message) -> tuple[Message, list[Message], Message]:
    """(per-message fields, per-recipient fields, returned original) of an RFC 3464 report."""
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    human, status, original = message.get_payload()
    assert human.get_content_type() == "text/plain"
    assert status.get_content_type() == "message/delivery-status"
    per_message, *per_recipient = status.get_payload()
    return per_message, per_recipient, original


def assert_addressed_to_verp(message: Message, index: int = 0) -> None:
    assert message["Return-Path"] == "<>"
    token = token_from_address(message["Delivered-To"])
    assert verify_token(VERP_KEY, token) is VerpCheck.VALID
    assert token.startswith(f"{SEND_ID}-{index}-")
    assert message["To"] == message["Delivered-To"]
    assert message["Auto-Submitted"] == "auto-replied"


def assert_headers_returned(original: Message) -> None:
    assert original.get_content_type() == "text/rfc822-headers"   # RET=HDRS
    headers = original.get_payload()
    assert f"X-Suivi-Tracking: {SEND_ID}" in headers
    assert f"Message-ID: <suivi.{SEND_ID}@suivi.example>" in headers


@pytest.mark.parametrize("address, status, words", [
    ("unknown-jean@client.example", "5.1.1", "User unknown"),
    ("jean@nxdomain.invalid", "5.1.2", "Domain not found"),
    ("full-jean@client.example", "5.2.2", "Mailbox full"),
    ("blocked-jean@client.example", "5.7.1", "blocked"),
    ("spam-jean@client.example", "5.7.1", "spam content"),
])
def test_failures_return_one_rfc3464_report(sandbox: SandboxServer, address: str, status: str, words: str) -> None:
    [outcome] = send(sandbox, address)
    assert outcome.accepted  # the relay took it; the failure comes back afterwards
    [message] = returned(sandbox)
    assert_addressed_to_verp(message)
    assert message["Subject"] == "Undelivered Mail Returned to Sender"
    per_message, [recipient], original = report_parts(message)
    assert per_message["Original-Envelope-Id"] == SEND_ID
    assert per_message["Reporting-MTA"] == "dns; sandbox.suivi.localhost"
    assert recipient["Final-Recipient"] == f"rfc822; {address}"
    assert recipient["Original-Recipient"] == f"rfc822; {address}"
    assert (recipient["Action"], recipient["Status"]) == ("failed", status)
    assert re.match(rf"smtp; 5\d\d {re.escape(status)} ", recipient["Diagnostic-Code"])
    assert words in recipient["Diagnostic-Code"]
    # a missing domain has no mail exchanger to name
    assert (recipient["Remote-MTA"] is None) == address.endswith(".invalid")
    assert_headers_returned(original)


def test_default_address_gets_a_success_report(sandbox: SandboxServer) -> None:
    send(sandbox, "jean@client.example")
    [message] = returned(sandbox)
    assert_addressed_to_verp(message)
    per_message, [recipient], original = report_parts(message)
    assert (recipient["Action"], recipient["Status"]) == ("delivered", "2.0.0")
    assert recipient["Remote-MTA"] == "dns; mx.client.example"
    assert_headers_returned(original)


def test_each_recipient_reports_to_its_own_return_path(sandbox: SandboxServer) -> None:
    send(sandbox, "jean@client.example", "unknown-paul@client.example")
    by_index = {token_from_address(m["Delivered-To"]).split("-")[-2]: m for m in returned(sandbox)}
    assert report_parts(by_index["0"])[1][0]["Action"] == "delivered"
    assert report_parts(by_index["1"])[1][0]["Action"] == "failed"


def test_defer_then_deliver(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "mail", deferred_delivery_after=0.2) as sandbox:
        send(sandbox, "defer-jean@client.example")
        [delay] = returned(sandbox)           # the success comes only after the delay
        deadline = time.monotonic() + 5
        while sandbox.stored < 2 and time.monotonic() < deadline:
            time.sleep(0.02)                  # waiting for a condition, bounded
        delay_again, success = returned(sandbox)
    _, [delayed], _ = report_parts(delay)
    assert delay["Subject"] == "Delayed Mail (still being retried)"
    assert (delayed["Action"], delayed["Status"]) == ("delayed", "4.2.0")
    assert "Greylisted" in delayed["Diagnostic-Code"]
    assert delayed["Will-Retry-Until"] is not None
    assert delay_again["Message-ID"] == delay["Message-ID"]
    assert report_parts(success)[1][0]["Action"] == "delivered"


def test_late_bounce_comes_after_the_success_report(sandbox: SandboxServer) -> None:
    send(sandbox, "late-jean@client.example")
    success, failure = returned(sandbox)
    assert report_parts(success)[1][0]["Action"] == "delivered"
    assert report_parts(failure)[1][0]["Status"] == "5.1.1"


def test_auto_reply_is_an_rfc3834_response(sandbox: SandboxServer) -> None:
    send(sandbox, "autoreply-jean@client.example")
    success, reply = returned(sandbox)
    assert report_parts(success)[1][0]["Action"] == "delivered"
    assert_addressed_to_verp(reply)
    assert reply.get_content_type() == "text/plain"
    assert reply["From"] == "autoreply-jean@client.example"
    assert reply["In-Reply-To"] == reply["References"] == f"<suivi.{SEND_ID}@suivi.example>"
    assert reply["Subject"].startswith("Auto: Facture FV 2026/11/0042")
    assert "absent" in reply.get_content()   # the document was in French


def test_complaint_is_an_rfc5965_report(sandbox: SandboxServer) -> None:
    send(sandbox, "complain-jean@client.example")
    _success, report = returned(sandbox)
    assert_addressed_to_verp(report)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "feedback-report"
    human, feedback, original = report.get_payload()
    assert feedback.get_content_type() == "message/feedback-report"
    # the stdlib parses a message/* part it does not know as an embedded message of headers
    [fields] = feedback.get_payload()
    assert fields["Feedback-Type"] == "abuse"
    assert fields["Version"] == "1"
    assert fields["Original-Rcpt-To"] == "<complain-jean@client.example>"
    assert fields["Reported-Domain"] == "suivi.example"   # the From domain of a relay send
    assert original.get_content_type() == "message/rfc822"
    assert original.get_payload()[0]["X-Suivi-Tracking"] == SEND_ID


def test_smtp_time_refusals_return_nothing(sandbox: SandboxServer) -> None:
    rejected, deferred = send(sandbox, "reject-jean@client.example", "tempfail-jean@client.example",
                              mode=SendingMode.SMTP)
    assert (rejected.accepted, rejected.code, rejected.transient) == (False, 550, False)
    assert (deferred.accepted, deferred.code, deferred.transient) == (False, 451, True)
    assert returned(sandbox) == []
    assert sandbox.received == 0


def test_without_notify_only_failures_come_back_with_the_full_message(sandbox: SandboxServer) -> None:
    send(sandbox, "jean@client.example", "unknown-paul@client.example", mode=SendingMode.SMTP)
    [message] = returned(sandbox)  # no success report: nobody asked for one
    assert message["Delivered-To"] == "factures@acme.example"
    per_message, [recipient], original = report_parts(message)
    assert per_message["Original-Envelope-Id"] is None
    assert recipient["Original-Recipient"] is None
    assert recipient["Final-Recipient"] == "rfc822; unknown-paul@client.example"
    assert original.get_content_type() == "message/rfc822"   # no RET: the full message


def test_bounce_domain_keeps_the_customers_mail_out_of_our_mailbox(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "mail", bounce_domain="bounces.suivi.example") as sandbox:
        send(sandbox, "unknown-paul@client.example", mode=SendingMode.SMTP)
        send(sandbox, "unknown-paul@client.example", mode=SendingMode.RELAY)
        assert (sandbox.dropped, sandbox.stored) == (1, 1)
        [message] = returned(sandbox)
    assert message["Delivered-To"].endswith("@bounces.suivi.example")


@pytest.mark.parametrize("notify, ret, expected", [
    ("NEVER", "HDRS", []),
    ("FAILURE", "HDRS", []),                       # delivered, and no success was asked for
    ("SUCCESS", "FULL", ["text/rfc822-headers"]),  # success reports return headers only
])
def test_notify_and_ret_are_honoured(sandbox: SandboxServer, notify: str, ret: str, expected: list[str]) -> None:
    with smtplib.SMTP("127.0.0.1", sandbox.port, timeout=5) as client:
        client.ehlo()
        assert client.has_extn("dsn")
        client.mail("sender@acme.example", [f"RET={ret}", "ENVID=e1"])
        client.rcpt("jean@client.example", [f"NOTIFY={notify}"])
        client.data(b"Subject: t\r\nMessage-ID: <t@acme.example>\r\n\r\nbody\r\n")
    assert [report_parts(m)[2].get_content_type() for m in returned(sandbox)] == expected


def test_ret_full_returns_the_whole_failed_message(sandbox: SandboxServer) -> None:
    with smtplib.SMTP("127.0.0.1", sandbox.port, timeout=5) as client:
        client.ehlo()
        client.mail("sender@acme.example", ["RET=FULL", "ENVID=Mixed+2BCase"])
        client.rcpt("unknown-x@client.example", ["NOTIFY=FAILURE", "ORCPT=rfc822;Unknown-X@Client.Example"])
        client.data(b"Subject: t\r\nMessage-ID: <t@acme.example>\r\n\r\nthe body\r\n")
    [message] = returned(sandbox)
    per_message, [recipient], original = report_parts(message)
    assert per_message["Original-Envelope-Id"] == "Mixed+Case"   # decoded, case kept
    assert recipient["Original-Recipient"] == "rfc822; Unknown-X@Client.Example"
    assert original.get_content_type() == "message/rfc822"
    assert original.get_payload()[0].get_payload().strip() == "the body"


def test_null_return_path_gets_nothing_back(sandbox: SandboxServer) -> None:
    with smtplib.SMTP("127.0.0.1", sandbox.port, timeout=5) as client:
        client.sendmail("<>", ["unknown-x@client.example"], b"Subject: t\r\n\r\nbody\r\n")
    assert returned(sandbox) == []


@pytest.mark.parametrize("address, behaviour", [
    ("Unknown-Jean@Client.Example", Behaviour.UNKNOWN_USER),
    ("unknown@client.example", Behaviour.UNKNOWN_USER),
    ("unknownjean@client.example", Behaviour.DELIVER),
    ("vacation-x@client.example", Behaviour.AUTO_REPLY),
    ("x@sub.nowhere.invalid", Behaviour.NO_SUCH_DOMAIN),
    ("<reject-1@client.example>", Behaviour.REJECT),
])
def test_behaviour_by_address(address: str, behaviour: Behaviour) -> None:
    assert behaviour_for(address) is behaviour
