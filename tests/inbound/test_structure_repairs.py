"""Bounces whose structure is off but readable: an mbox of several messages, a boundary that does
not match its parameter, recipient blocks without the blank line between them, a bounce
forwarded inline by a person. Samples in tests/data/bounces/standard/ (written for the project).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tracking.inbound.notice import lines_about
from tracking.inbound.parse import parse_message, split_mailbox
from tracking.models import BounceKind, Reason

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "data" / "bounces" / "standard"


def read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_an_mbox_file_splits_into_its_messages_at_from_lines_after_a_blank_line():
    messages = split_mailbox(read("mbox-two-success-dsns.eml"))
    assert len(messages) == 2
    results = [parse_message(message) for message in messages]
    assert [r.recipients[0].recipient for r in results] == ["achats@client.example.org", "paie@client.example.org"]
    assert [r.correlation.verp_token for r in results] == ["s45r1.Zx9Yw8", "s45r2.Vu7Ts6"]
    assert all(r.kind is BounceKind.SUCCESS for r in results)


def test_split_mailbox_leaves_ordinary_messages_and_quoted_from_lines_alone():
    single = read("dsn-success.eml")
    assert split_mailbox(single) == [single]
    # a "From " line inside a body (no blank line before it) is text, not a new message
    body = b"From MAILER-DAEMON  Wed Mar  4 09:00:01 2026\nSubject: x\n\nhello\nFrom here on Wed Mar  4 09:00:01 2026\n"
    assert split_mailbox(body) == [body]
    # CRLF mailboxes split too
    assert len(split_mailbox(read("mbox-two-success-dsns.eml").replace(b"\n", b"\r\n"))) == 2


def test_cli_numbers_the_messages_of_an_mbox_file():
    completed = subprocess.run(
        [sys.executable, "-m", "tracking", "parse", "--jsonl", str(SAMPLES / "mbox-two-success-dsns.eml")],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=60,
    )
    records = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [(r["message"], r["index"], r["recipient"]) for r in records] == [
        (1, 1, "achats@client.example.org"),
        (2, 1, "paie@client.example.org"),
    ]


def test_a_boundary_that_does_not_match_its_parameter_is_found_in_the_body():
    result = parse_message(read("dsn-boundary-mismatch.eml"))
    assert result.kind is BounceKind.FAILURE
    assert result.detector == "rfc3464"  # the report itself was read, not a text guess
    (report,) = result.recipients
    assert report.recipient == "factures@client.example.org"
    assert (report.status, report.reason) == ("5.2.2", Reason.MAILBOXFULL)
    assert any("boundary" in defect for defect in result.defects)


def test_recipient_blocks_without_a_blank_line_between_them_are_two_recipients():
    result = parse_message(read("dsn-blocks-without-blank-line.eml"))
    got = {(r.recipient, r.status, r.reason) for r in result.recipients}
    assert got == {
        ("compta@client.example.org", "5.2.2", Reason.MAILBOXFULL),
        ("ancien@client.example.org", "5.1.1", Reason.USERUNKNOWN),
    }


def test_a_bounce_forwarded_inline_is_read_from_its_quoted_report_fields():
    result = parse_message(read("forwarded-bounce-quoted.eml"))
    assert result.kind is BounceKind.FAILURE
    (report,) = result.recipients
    # the failed address, not the person who forwarded it nor the one it was addressed to
    assert report.recipient == "direction@client.example.org"
    assert (report.status, report.reason, report.hardbounce) == ("5.1.1", Reason.USERUNKNOWN, True)


def test_lines_about_finds_the_reply_near_the_address_whatever_the_line_ends():
    notice = "Intro\n\n<a@b.example>: host mx[192.0.2.1] said:\n    550 5.1.1 unknown\n\nFooter <a@b.example>\n"
    expected = "<a@b.example>: host mx[192.0.2.1] said: 550 5.1.1 unknown"
    assert lines_about(notice, "A@B.example") == expected
    assert lines_about(notice.replace("\n", "\r\n"), "a@b.example") == expected
    assert lines_about(notice.replace("\n", "\r"), "a@b.example") == expected  # old Mac line ends
    assert lines_about(notice, "c@d.example") == ""


_MBOX_PIECES = [b"From a@b Wed Mar  4 09:00:01 2026\n", b"\n", b"\r\n", b"x: y\n", b"From \n", b"body\n"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_MBOX_PIECES), max_size=40))
def test_split_mailbox_never_loses_or_invents_bytes(pieces):
    raw = b"".join(pieces)
    parts = split_mailbox(raw)
    assert b"".join(parts) == raw
    assert len(parts) == 1 or all(part.startswith(b"From ") for part in parts)


def test_a_plain_notice_of_an_unknown_gateway_names_the_failed_address_not_the_sender():
    result = parse_message(read("plain-notice-unknown-gateway.eml"))
    assert result.kind is BounceKind.FAILURE and result.detector == "plaintext"
    (report,) = result.recipients
    assert report.recipient == "tresorerie@client.example.org"  # not our return path, not postmaster
    assert (report.status, report.replycode, report.reason) == ("5.1.1", "550", Reason.USERUNKNOWN)
    assert result.correlation.verp_token == "s48r1.Hh5Gg4"


def test_an_8bit_notice_is_decoded_with_its_declared_charset():
    raw = (
        b"From: MAILER-DAEMON@relais.example.fr\nTo: bounces+s49r1.Ab1@suivi.example.com\nSubject: Non remis\n"
        b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
        b"Bo\xeete pleine pour <compta@client.example.org> : 552 5.2.2 quota d\xe9pass\xe9\n"
    )
    (report,) = parse_message(raw).recipients
    assert report.diagnostic == "552 5.2.2 quota d\u00e9pass\u00e9"
    assert report.reason is Reason.MAILBOXFULL


def test_parsing_leaves_no_reference_cycles_behind():
    """Every parsed tree is freed as soon as its result is: a cache that refers back to its
    message would keep trees alive until the garbage collector runs (memory and speed)."""
    import gc

    samples = [path.read_bytes() for path in sorted(SAMPLES.glob("*.eml"))]
    gc.collect()
    gc.disable()
    try:
        for raw in samples:
            parse_message(raw)
        assert gc.collect() == 0
    finally:
        gc.enable()
