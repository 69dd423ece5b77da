"""Reasons, derived status codes and hard/soft (tracking.inbound.classify)."""

from __future__ import annotations

import pytest

from tracking.inbound.classify import (
    DERIVED_CODES,
    classify,
    derive_status,
    find_replycode,
    find_status,
    reason_from_text,
)
from tracking.inbound.detectors.base import Finding
from tracking.models import BounceKind, Reason, ReasonGroup


def report(diagnostic: str = "", status: str = "", action: str = "failed", kind=BounceKind.FAILURE, **extra):
    return classify(Finding(recipient="A@Example.COM", action=action, status=status, diagnostic=diagnostic, **extra), kind)


def test_specific_status_code_decides_the_reason():
    result = report("550 5.1.1 <a@example.com>: Recipient address rejected: User unknown")
    assert (result.status, result.replycode, result.reason, result.hardbounce) == ("5.1.1", "550", Reason.USERUNKNOWN, True)
    assert result.recipient == "a@example.com"


def test_generic_code_gives_way_to_the_words():
    result = report("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", status="5.7.1")
    assert result.reason is Reason.BLOCKED and not result.hardbounce


def test_mailbox_full_is_soft():
    result = report("552 5.2.2 Mailbox full", status="5.2.2")
    assert result.reason is Reason.MAILBOXFULL and not result.hardbounce


def test_missing_status_is_derived_and_flagged():
    result = report("550 no such user here")
    assert result.status == "5.0.911" and result.status_derived
    assert result.reason is Reason.USERUNKNOWN


def test_temporary_failure_derives_a_4_class_code():
    result = report("421 too many connections from your host", action="delayed", kind=BounceKind.DELAY)
    assert result.status.startswith("4.0.9") and result.status_derived
    assert not result.hardbounce


def test_user_unknown_after_data_is_a_filter_not_a_dead_address():
    result = report("550 Unknown user kijitora@example.net", command="DATA")
    assert result.reason is Reason.FILTERED and not result.hardbounce


def test_status_in_the_servers_reply_beats_a_bare_report_status():
    result = report("550 5.1.1 <a@example.com>... User Unknown", status="5.0.0")
    assert result.status == "5.1.1"


def test_replycode_of_another_class_than_the_status_is_dropped():
    assert report("554 Blocked - see https://example.net", status="4.0.0").replycode == ""


def test_numbers_that_are_not_reply_codes_are_ignored():
    assert find_replycode("host 192.0.2.250 said: queued") == ""
    assert find_replycode("542 x Rejected") == "542"  # matched in text, then…
    assert report("542 kijitora@example.com Rejected").replycode == ""  # …refused: not a reply code
    assert find_status("from 10.5.1.1 port 25") == ""
    assert find_status("said: 550 5.7.26 unauthenticated") == "5.7.26"


def test_every_reason_has_a_derived_code_of_the_convention():
    for reason, code in DERIVED_CODES.items():
        assert derive_status(reason, temporary=False) == f"5.0.{code}"
    assert derive_status(Reason.USERUNKNOWN, temporary=True) == "5.0.911"  # a dead address stays 5
    assert derive_status(Reason.EXPIRED, temporary=True) == "4.0.947"


@pytest.mark.parametrize("reason", [r for r in Reason if r.group is not ReasonGroup.ADDRESS_DEAD])
def test_a_soft_reason_is_never_called_hard(reason):
    result = classify(Finding(recipient="a@example.com", status="5.0.0", replycode="550", reason=reason), BounceKind.FAILURE)
    assert not result.hardbounce


def test_notaccept_is_hard_only_with_a_permanent_code():
    hard = classify(Finding(recipient="a@x.example", status="5.1.10", replycode="550"), BounceKind.FAILURE)
    soft = classify(Finding(recipient="a@x.example", status="4.3.2", replycode="421", reason=Reason.NOTACCEPT), BounceKind.FAILURE)
    assert hard.reason is Reason.NOTACCEPT and hard.hardbounce
    assert not soft.hardbounce


def test_text_patterns_are_case_and_whitespace_insensitive():
    assert reason_from_text("Recipient   address rejected:\n  USER UNKNOWN") is Reason.USERUNKNOWN
    assert reason_from_text("") is None


def test_multi_line_reply_codes_are_folded_out_of_the_diagnostic():
    result = report("550-5.7.1 Messages with multiple\n550-5.7.1 addresses in From: header are not accepted.")
    assert "550-5.7.1 addresses" not in result.diagnostic
    assert result.reason is Reason.NOTCOMPLIANTRFC


@pytest.mark.parametrize(
    ("diagnostic", "reason"),
    [
        # a domain without mail exchanger accepts no mail (RFC 5321 §5.1, RFC 7505)
        ("No mx record found for domain=example.org", Reason.NOTACCEPT),
        ("an MX or SRV record indicated no SMTP service", Reason.NOTACCEPT),
        # DNS TRY_AGAIN is a lookup that failed, not a domain that does not exist
        ("Name service error for domain example.com: Host not found, try again", Reason.NETWORKERROR),
        ("Name service error for name=example.com type=MX: Host not found", Reason.HOSTUNKNOWN),
        ("500 Remote server does not support TLS (state 6).", Reason.FAILEDSTARTTLS),
        ("554 INVALID IP FOR SENDING MAIL OF DOMAIN example.com", Reason.BLOCKED),
        # a spam notice that gives SPF advice is still about spam
        ("rejected due to spam classification. * Set up SPF records for your domain", Reason.SPAMDETECTED),
        # Postfix's bare refusal of the address; a stated cause wins over it
        ("550 <a@example.org>: Recipient address rejected.", Reason.USERUNKNOWN),
        ("550 <a@example.org>: Recipient address rejected: Mailbox full", Reason.MAILBOXFULL),
        ("550 <a@example.org>: Recipient address rejected: On hold", None),
    ],
)
def test_server_wordings(diagnostic, reason):
    assert reason_from_text(diagnostic) is reason


def test_a_local_delivery_agent_failure_is_a_mailer_error_even_under_a_user_code():
    result = report('procmail: Couldn\'t create "/var/spool/mail/neko" No such user', status="5.1.1")
    assert result.reason is Reason.MAILERERROR and not result.hardbounce


def test_a_bare_program_exit_status_is_a_mailer_error_unless_the_status_names_the_cause():
    assert report("X-Unix; 71", status="4.5.0", action="delayed", kind=BounceKind.DELAY).reason is Reason.MAILERERROR
    assert report("X-Unix; 77", status="5.3.0").reason is Reason.SYSTEMERROR


def test_a_transient_failure_that_names_no_cause_is_a_system_error_not_on_hold():
    assert report("451 Could not load DRD for domain (example.com)", status="4.0.0").reason is Reason.SYSTEMERROR
    assert report("550 something no rule knows", status="5.0.0").reason is Reason.ONHOLD


def test_a_host_that_does_not_exist_is_an_unknown_domain_not_an_unknown_user():
    assert report("553 mx.example.com does not exist").reason is Reason.HOSTUNKNOWN
    assert report("550 <a@example.com>: address does not exist").reason is Reason.USERUNKNOWN
    assert report("550 a@mx.example.com does not exist").reason is Reason.USERUNKNOWN
