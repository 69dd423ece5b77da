"""The standard formats on the project's own samples (tests/data/bounces/standard/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracking.inbound.parse import parse_message
from tracking.models import BounceKind, Reason

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "bounces" / "standard"


def parse(name: str):
    return parse_message((SAMPLES / name).read_bytes())


def test_rfc3464_failure_reads_recipient_codes_reason_and_every_correlation_key():
    result = parse("dsn-failure-userunknown.eml")
    assert result.kind is BounceKind.FAILURE
    assert result.detector == "rfc3464"
    (report,) = result.recipients
    assert report.recipient == "compta@client.example.org"  # lower-cased from Compta@Client…
    assert (report.status, report.status_derived, report.replycode) == ("5.1.1", False, "550")
    assert report.reason is Reason.USERUNKNOWN and report.hardbounce
    assert report.remote_mta == "mx1.client.example.org"
    assert "User unknown in virtual mailbox table" in report.diagnostic
    keys = result.correlation
    assert keys.verp_token == "s42r1.AbCdEf0123"
    assert keys.envelope_id == "s42-doc-2026-0117"
    assert keys.message_id == "<doc-2026-0117.s42@suivi.example.com>"
    assert keys.tracking_id == "s42-doc-2026-0117"
    assert keys.original_recipients == ("compta@client.example.org",)


def test_delay_is_a_delay_and_never_hard():
    result = parse("dsn-delay.eml")
    assert result.kind is BounceKind.DELAY
    (report,) = result.recipients
    assert report.action == "delayed" and report.status == "4.4.1"
    assert not report.hardbounce
    assert report.reason.group.value == "transient"


def test_success_dsn_is_delivered():
    result = parse("dsn-success.eml")
    assert result.kind is BounceKind.SUCCESS
    (report,) = result.recipients
    assert report.reason is Reason.DELIVERED and not report.hardbounce
    assert report.recipient == "direction@client.example.org"


def test_global_dsn_rfc6533_keeps_utf8_addresses_and_words():
    result = parse("global-dsn-utf8.eml")
    assert result.kind is BounceKind.FAILURE
    (report,) = result.recipients
    assert report.recipient == "josé@société.example"
    assert report.reason is Reason.MAILBOXFULL and not report.hardbounce
    assert "Boîte pleine" in report.diagnostic


def test_arf_report_is_a_complaint_with_feedback_type():
    result = parse("arf-abuse.eml")
    assert result.kind is BounceKind.COMPLAINT
    (report,) = result.recipients
    assert report.recipient == "plaignant@isp.example.net"
    assert report.reason is Reason.FEEDBACK and report.feedback_type == "abuse"
    assert not report.hardbounce
    assert result.correlation.tracking_id == "s46-doc-2026-0120"


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("autoreply-vacation.eml", "marie.durand@client.example.org"),
        ("autoreply-outlook-subject.eml", "paul.martin@client.example.org"),
    ],
)
def test_autoreplies_are_vacation_never_failure(name, address):
    result = parse(name)
    assert result.kind is BounceKind.AUTOREPLY
    (report,) = result.recipients
    assert report.recipient == address
    assert report.reason is Reason.VACATION and not report.hardbounce


@pytest.mark.parametrize("name", ["negative-ordinary.eml", "negative-newsletter.eml"])
def test_ordinary_mail_is_not_a_bounce(name):
    result = parse(name)
    assert result.kind is BounceKind.NOT_A_BOUNCE
    assert result.recipients == ()


def test_dsn_with_auto_submitted_is_still_read_as_a_dsn():
    # Postfix DSNs carry "Auto-Submitted: auto-replied" (RFC 3834 §5): not a vacation.
    raw = (SAMPLES / "dsn-failure-userunknown.eml").read_bytes()
    assert b"Auto-Submitted: auto-replied" in raw
    assert parse_message(raw).kind is BounceKind.FAILURE


def test_delivered_to_argument_gives_the_verp_token():
    raw = (SAMPLES / "negative-ordinary.eml").read_bytes()
    result = parse_message(raw, delivered_to="bounces+s9r3.XyZ@suivi.example.com")
    assert result.correlation.verp_token == "s9r3.XyZ"
