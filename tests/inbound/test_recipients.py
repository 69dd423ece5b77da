"""Recipient addresses as reports write them, and the status / reply code of thin reports.

Address forms from RFC 3464 §2.3.1-2 (`address-type ; generic-address`), RFC 5321 §4.1.2
(source routes), RFC 5322 §3.4 (display names, comments), RFC 6533 §3 (`utf-8` addresses
with `\\x{HEX}`); a local part with `+` or `=` (a VERP, SRS or BATV address) is kept as is.
"""

from __future__ import annotations

import pytest

from tracking.inbound.addresses import find_addresses, normalize_address
from tracking.inbound.parse import parse_message
from tracking.models import BounceKind


@pytest.mark.parametrize("field, expected", [
    ("rfc822; jean@example.fr", "jean@example.fr"),
    ("RFC822;Jean.Dupont@Example.FR", "jean.dupont@example.fr"),
    ("rfc822 ; <jean@example.fr>", "jean@example.fr"),
    # RFC 5321 source routes (A-d-l): the mailbox is after the colon
    ("rfc822; <@mx1.example.net:jean@example.fr>", "jean@example.fr"),
    ("rfc822; @relay.example,@mx.example.net:jean@example.fr", "jean@example.fr"),
    # VERP / SRS / BATV-looking local parts are somebody's real address
    ("rfc822; list-bounces+jean=example.fr@lists.example.org", "list-bounces+jean=example.fr@lists.example.org"),
    ("rfc822; srs0=hh=tt=example.com=jean@forwarder.example", "srs0=hh=tt=example.com=jean@forwarder.example"),
    ("rfc822; prvs=0123abcdef=jean@example.fr", "prvs=0123abcdef=jean@example.fr"),
    ("rfc822; jean+factures@example.fr", "jean+factures@example.fr"),
    ("rfc822; user%other.example@relay.example", "user%other.example@relay.example"),
    # display names and comments (RFC 5322)
    ('rfc822; "Dupont, Jean (compta)" <jean@example.fr>', "jean@example.fr"),
    ('rfc822; "Dupont <ancien@example.fr>" <jean@example.fr>', "jean@example.fr"),
    ("rfc822; jean@example.fr (Jean Dupont <autre@example.org>)", "jean@example.fr"),
    ("rfc822; jean(commentaire)@example.fr", "jean@example.fr"),
    ('rfc822; "a (b)"@example.fr', '"a (b)"@example.fr'),
    ('rfc822; "neko....nyaan"@example.org', '"neko....nyaan"@example.org'),
    # RFC 6533 utf-8 addresses, raw or with \x{HEX}
    ("utf-8; j\\x{E9}r\\x{F4}me@example.fr", "jérôme@example.fr"),
    ("utf-8; jérôme@exämple.fr", "jérôme@exämple.fr"),
    ("rfc822; jean@[192.0.2.1]", "jean@[192.0.2.1]"),
    ("rfc822; jean@example.fr.", "jean@example.fr"),
    ("rfc822; <>", None),
    ("x400; /C=FR/O=Example/S=Dupont/", None),
    ("", None),
])
def test_address_forms(field, expected):
    assert normalize_address(field) == expected


def test_free_text_keeps_verp_looking_addresses_whole():
    text = "<list-bounces+jean=example.fr@lists.example.org>: host mx said: 550 no\n<@relay:b@example.org>"
    assert find_addresses(text) == ["list-bounces+jean=example.fr@lists.example.org", "b@example.org"]


def dsn(blocks: str, notice: str = "Delivery failed.") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.net\nSubject: Returned mail\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain\n\n{notice}\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        f"{blocks}\n--B--\n"
    ).encode("utf-8")


def test_report_recipients_in_every_form_come_out_right():
    blocks = "\n".join(
        f"Final-Recipient: {field}\nAction: failed\nStatus: 5.1.1\n"
        for field in ("rfc822; <@mx1.example.net:jean@example.fr>",
                      "rfc822; list-bounces+marie=example.org@lists.example.org",
                      'rfc822; "Paul (compta)" <Paul@Example.org> (ancien)')
    ) + "\nOriginal-Recipient: rfc822; orcpt+2Bonly@example.org\nAction: failed\nStatus: 5.1.1\n"
    result = parse_message(dsn(blocks))
    assert [r.recipient for r in result.recipients] == [
        "jean@example.fr", "list-bounces+marie=example.org@lists.example.org", "paul@example.org",
        "orcpt+2bonly@example.org",  # a block without Final-Recipient: the Original one, as written
    ]


def transcript(refusal: str) -> str:
    """A Sendmail-style session where the recipient was accepted and the message refused at
    DATA: the lines naming the recipient carry only `250` replies."""
    return (
        "----- Transcript of session follows -----\n... while talking to mx.example.org.:\n"
        ">>> MAIL From:<bounces+s1@suivi.example.com> SIZE=1234\n<<< 250 2.1.0 Sender ok\n"
        ">>> RCPT To:<jean@example.org>\n<<< 250 2.1.5 Recipient ok\n>>> DATA\n"
        f"<<< 354 Enter mail, end with \".\" on a line by itself\n>>> .\n<<< {refusal}\n"
    )


@pytest.mark.parametrize("action, status, refusal, want_status, want_reply", [
    ("failed", "", "554 5.7.1 Message refused as spam", "5.7.1", "554"),
    ("failed", "5.7.1", "554 5.7.1 Message refused as spam", "5.7.1", "554"),
    ("delayed", "", "451 4.3.0 Temporary local problem", "4.3.0", "451"),
])
def test_thin_report_takes_the_reply_the_recipient_was_refused_with(action, status, refusal, want_status, want_reply):
    """No Diagnostic-Code: the server's words come from the transcript — the refusal, not the
    `250 2.1.5 Recipient ok` next to the recipient's address, nor the `250 2.1.0 Sender ok`
    that opens the session."""
    block = f"Final-Recipient: rfc822; jean@example.org\nAction: {action}\n" + (f"Status: {status}\n" if status else "")
    (report,) = parse_message(dsn(block, transcript(refusal))).recipients
    assert (report.status, report.replycode) == (want_status, want_reply)
    assert report.diagnostic == refusal


def test_thin_report_with_a_success_transcript_only_keeps_no_refusal_code():
    notice = "<<< 250 2.0.0 Ok: queued as 1234"
    (report,) = parse_message(dsn("Final-Recipient: rfc822; jean@example.org\nAction: failed\n", notice)).recipients
    assert report.replycode == ""  # a 250 is not what refused a failed recipient
    assert parse_message(dsn("Final-Recipient: rfc822; jean@example.org\nAction: failed\n", notice)).kind is BounceKind.FAILURE


def test_fields_after_a_stray_blank_line_stay_with_their_recipient():
    blocks = (
        "Final-Recipient: rfc822; jean@example.org\nAction: failed\n\n"
        "Status: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n\n"
        "Final-Recipient: rfc822; marie@example.org\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 No such user\n"
    )
    jean, marie = parse_message(dsn(blocks, notice="Delivery failed.")).recipients
    assert (jean.recipient, jean.status, jean.replycode) == ("jean@example.org", "5.2.2", "552")
    assert (marie.recipient, marie.status, marie.replycode) == ("marie@example.org", "5.1.1", "550")


def test_per_recipient_fields_in_the_per_message_block_complete_the_only_recipient():
    raw = dsn("Final-Recipient: rfc822; jean@example.org\nAction: failed\n").replace(
        b"Reporting-MTA: dns; mx.example.net\n",
        b"Reporting-MTA: dns; mx.example.net\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n",
    )
    (report,) = parse_message(raw).recipients
    assert (report.status, report.replycode, report.diagnostic) == ("5.1.1", "550", "550 5.1.1 User unknown")
