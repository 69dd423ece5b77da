"""The mail-server detectors (`tracking.inbound.detectors.mtas`) on the project's own samples.

Each sample in tests/data/bounces/mtas/ was written for these tests in the format of its MTA
(synthetic addresses, no corpus copies). Every detector must read its samples exactly, decline
the others' samples, and never report a failure for ordinary mail or an auto-reply.
"""

from __future__ import annotations

import email
from pathlib import Path

import pytest

from tracking.inbound.detectors import ORDER
from tracking.inbound.detectors.base import MessageView
from tracking.inbound.detectors.mta_text import join_reply, reply_and_status
from tracking.inbound.detectors.mtas import MTA_DETECTORS, MTA_REPORT_DETECTORS
from tracking.inbound.detectors.sendmail_transcript import read_transcript
from tracking.inbound.parse import parse_message
from tracking.models import BounceKind, Reason

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "bounces" / "mtas"
ALL_MTA = (*MTA_REPORT_DETECTORS, *MTA_DETECTORS)
F, D = BounceKind.FAILURE, BounceKind.DELAY

# sample -> (detector, kind, [(recipient, status, replycode, remote_mta, reason or None)])
# A reason is given where the format itself decides it (or the status code is unambiguous).
EXPECTED = {
    "dragonfly-01": ("dragonfly", F, [
        ("ana.lopez@client.example.org", "5.1.1", "550", "mx1.client.example.org", Reason.USERUNKNOWN),
    ]),
    "dragonfly-02": ("dragonfly", F, [
        ("accounts@no-such-domain.example", "", "", "", Reason.HOSTUNKNOWN),
    ]),
    "exim-01": ("exim", F, [
        ("paul@shop.example.net", "", "550", "mail.shop.example.net", None),
        ("team@shop.example.net", "5.2.2", "552", "mail.shop.example.net", Reason.MAILBOXFULL),
    ]),
    "exim-02": ("exim", D, [("orders@slow.example.net", "4.7.1", "451", "mx.slow.example.net", None)]),
    "exim-03": ("exim", F, [("lea@firm.example.com", "5.7.1", "550", "mx.firm.example.com", None)]),
    "exim-04": ("exim", F, [("ops@local.example.com", "", "", "", Reason.MAILERERROR)]),
    "qmail-01": ("qmail", F, [
        ("jo@partner.example.org", "5.1.1", "", "", Reason.USERUNKNOWN),
        ("compta@distant.example.com", "5.2.2", "552", "192.0.2.33", Reason.MAILBOXFULL),
    ]),
    "qmail-02": ("qmail", F, [("max@strict.example.net", "5.7.1", "553", "198.51.100.20", Reason.REJECTED)]),
    "opensmtpd-01": ("opensmtpd", F, [
        ("nina@dest.example.org", "5.1.1", "550", "", Reason.USERUNKNOWN),
        ("sam@dest.example.org", "5.2.2", "552", "", Reason.MAILBOXFULL),
    ]),
    "opensmtpd-02": ("opensmtpd", D, [("tom@slow.example.org", "4.4.2", "421", "", None)]),
    "v5sendmail-01": ("v5sendmail", F, [
        ("prof@campus.example.edu", "", "550", "mail.campus.example.edu", None),
        ("dean@gone.example.edu", "", "550", "gone.example.edu", None),
    ]),
    "sendmail-01": ("sendmail", F, [
        # "Unknown user" answered to DATA: RCPT had accepted the address, a filter refused.
        ("yuki@filter.example.jp", "5.0.0", "550", "mx.filter.example.jp", Reason.FILTERED),
    ]),
    "sendmail-02": ("sendmail", F, [
        # Final-Recipient is broken ("@gw.example.jp"): the transcript names the address.
        ("kenji@nohost.example.org", "5.1.2", "550", "gw.example.jp", Reason.HOSTUNKNOWN),
    ]),
    "mfilter-01": ("mfilter", F, [("sato@corp.example.co.jp", "5.1.1", "550", "", Reason.USERUNKNOWN)]),
    "x2-01": ("x2", F, [
        ("lin@webmail.example.com", "", "", "", None),
        ("kai@far.example.net", "4.1.9", "", "", Reason.EXPIRED),
    ]),
    "x6-01": ("x6", F, [("ella@shop.example.org", "5.1.1", "550", "mx.shop.example.org", Reason.USERUNKNOWN)]),
    "activehunter-01": ("activehunter", F, [("ines@gw.example.org", "5.1.1", "550", "", Reason.USERUNKNOWN)]),
    # "no such user" in a notice that never names the SMTP step: filtered (see mta_text)
    "apachejames-01": ("apachejames", F, [("leo@james.example.net", "", "550", "", Reason.FILTERED)]),
    "domino-01": ("domino", F, [("marc.weber@notes.example.com", "", "", "", Reason.USERUNKNOWN)]),
    "notes-01": ("notes", F, [("hugo@lotus.example.com", "", "", "", Reason.USERUNKNOWN)]),
    "imailserver-01": ("imailserver", F, [("eva@slow.example.org", "", "", "", Reason.EXPIRED)]),
    "imailserver-02": ("imailserver", F, [("rosa@strict.example.org", "5.7.1", "550", "", Reason.SPAMDETECTED)]),
    "interscanmss-01": ("interscanmss", F, [("aya@dest.example.co.jp", "5.1.1", "550", "", Reason.USERUNKNOWN)]),
    # InterScan's own sentence, no reply: its way of saying the address was refused
    "interscanmss-02": ("interscanmss", F, [("kenji.sato@dest.example.co.jp", "", "", "", Reason.USERUNKNOWN)]),
    "mailmarshal-01": ("mailmarshal", F, [("tim@dest.example.com", "5.1.1", "550", "198.51.100.7", Reason.USERUNKNOWN)]),
    "mailfoundry-01": ("mailfoundry", F, [
        ("omar@foundry.example.org", "5.2.2", "552", "mail.foundry.example.org", Reason.MAILBOXFULL),
    ]),
    # the list refused our sender: the "recipient" is the list
    "fml-01": ("fml", F, [("accounting@lists.example.org", "", "", "", Reason.REJECTED)]),
    "x1-01": ("x1", F, [("ken@isp.example.jp", "", "", "", Reason.FILTERED)]),
    "x3-01": ("x3", F, [("zoe@dest.example.com", "5.1.1", "550", "", Reason.USERUNKNOWN)]),
    "x3-02": ("x3", F, [("zoe@dest.example.com", "", "", "", Reason.EXPIRED)]),
    "x5-01": ("x5", F, [("mia@store.example.co.jp", "5.1.1", "", "mx.store.example.co.jp", Reason.USERUNKNOWN)]),
    # a report whose MIME boundaries were lost: the text's labelled blocks are read
    "messagingserver-01": ("messagingserver", F, [
        ("noe@ms.example.org", "5.2.2", "550", "mx.ms.example.org", Reason.MAILBOXFULL),
    ]),
    "postfix_text-01": ("postfix_text", F, [
        ("paul@dest.example.org", "5.1.1", "550", "mx.dest.example.org", Reason.USERUNKNOWN),
    ]),
}


def _view(name: str) -> MessageView:
    raw = (SAMPLES / f"{name}.eml").read_bytes()
    return MessageView(email.message_from_bytes(raw), raw)


def test_every_sample_has_expectations_and_every_detector_has_a_sample():
    on_disk = {path.stem for path in SAMPLES.glob("*.eml")}
    assert on_disk == set(EXPECTED)
    names = {detector.name for detector in ALL_MTA}
    assert names == {detector for detector, _, _ in EXPECTED.values()}
    assert len(names) == len(ALL_MTA)  # no two detectors share a name


def test_mta_detectors_are_in_the_parser_order():
    order = list(ORDER)
    for detector in ALL_MTA:
        assert detector in order
    rfc3464_at = [d.name for d in order].index("rfc3464")
    for detector in MTA_REPORT_DETECTORS:
        assert order.index(detector) < rfc3464_at


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detector_reads_its_sample(name):
    detector_name, kind, rows = EXPECTED[name]
    detector = next(d for d in ALL_MTA if d.name == detector_name)
    detection = detector.detect(_view(name))
    assert detection is not None, f"{detector_name} declined its own sample"
    assert detection.kind is kind
    got = [(f.recipient, f.status, f.replycode, f.remote_mta) for f in detection.findings]
    assert got == [row[:4] for row in rows]
    assert all(f.diagnostic for f in detection.findings)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parser_takes_the_detector_answer_and_classifies(name):
    detector_name, kind, rows = EXPECTED[name]
    result = parse_message((SAMPLES / f"{name}.eml").read_bytes())
    assert result.detector == detector_name
    assert result.kind is kind
    assert [report.recipient for report in result.recipients] == [row[0] for row in rows]
    for report, row in zip(result.recipients, rows, strict=True):
        if row[4] is not None:
            assert report.reason is row[4], report
        if kind is D:
            assert not report.hardbounce  # a delay is never a hard bounce


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_other_detectors_decline_the_sample(name):
    owner = EXPECTED[name][0]
    view = _view(name)
    for detector in ALL_MTA:
        if detector.name != owner:
            assert detector.detect(view) is None, f"{detector.name} claimed {name}"


ORDINARY = b"""From: Claire <claire@client.example.org>
To: billing@invoices.example.com
Subject: Re: Invoice 2024-0117
Date: Mon, 15 Jan 2024 12:00:00 +0100

Thanks. This message was created automatically by mail delivery software? No, by me.
<billing@invoices.example.com>:
Remote host said: 550 5.1.1 nothing to see
"""

AUTOREPLY = b"""From: Claire <claire@client.example.org>
To: billing@invoices.example.com
Subject: Out of office: Invoice 2024-0117
Auto-Submitted: auto-replied
Date: Mon, 15 Jan 2024 12:00:00 +0100

I am away until Monday. Hi. This is the qmail-send program? No, a vacation notice.
"""

NEWSLETTER = b"""From: News <news@shop.example.net>
To: billing@invoices.example.com
Subject: Delivery status notification: our new shipping options
Date: Mon, 15 Jan 2024 12:00:00 +0100
Content-Type: text/plain

Hi!  Read about our delivery options. Returned mail: see transcript for details.
"""


@pytest.mark.parametrize("raw", [ORDINARY, AUTOREPLY, NEWSLETTER], ids=["ordinary", "autoreply", "newsletter"])
def test_no_mta_detector_claims_ordinary_mail(raw):
    view = MessageView(email.message_from_bytes(raw), raw)
    for detector in ALL_MTA:
        assert detector.detect(view) is None, detector.name
    assert parse_message(raw).kind is not BounceKind.FAILURE


def test_join_reply_keeps_code_and_status_once():
    lines = ["550-5.7.26 Unauthenticated email is not accepted", "550-5.7.26 due to DMARC.", "550 5.7.26 See help"]
    assert join_reply(lines) == "550 5.7.26 Unauthenticated email is not accepted due to DMARC. See help"


@pytest.mark.parametrize(("text", "expected"), [
    ("host mx [192.0.2.1]: 550 5.1.1 <a@b.example>... User unknown", ("550", "5.1.1")),
    ("remote host 192.0.2.32 said: 550 Unknown user (#5.5.0)", ("550", "5.5.0")),
    ("571 No PTR record for 203.0.113.22", ("", "")),      # 571 is not an SMTP reply code
    ("250 ok, but 5.1.1 later", ("250", "")),              # a status of another class is not its own
])
def test_reply_and_status(text, expected):
    assert reply_and_status(text) == expected


def test_transcript_ties_each_recipient_to_its_reply_and_command():
    entries = read_transcript(
        "... while talking to mx.example.org.:\n>>> DATA\n<<< 554 5.7.1 Spam\n"
        "554 5.7.1 <a@example.org>... Service unavailable\n"
        "550 other.example.net (smtp)... 550 Host unknown\n"
        "554 <b@other.example.net>... 550 Host unknown\n"
    )
    assert [(e.finding.recipient, e.finding.replycode, e.finding.remote_mta, e.command) for e in entries] == [
        ("a@example.org", "554", "mx.example.org", "DATA"),
        ("b@other.example.net", "550", "other.example.net", ""),
    ]


def test_long_adversarial_lines_finish_quickly():
    import time

    filler = "550-5.1.1 " + "a@" * 200_000 + "\n"
    raw = (
        b"From: MAILER-DAEMON@x.example\nSubject: failure notice\n\n"
        b"Hi. This is the qmail-send program at x.example.\n\n<a@b.example>:\n"
        + filler.encode() * 3
    )
    started = time.perf_counter()
    view = MessageView(email.message_from_bytes(raw), raw)
    for detector in ALL_MTA:
        detector.detect(view)
    assert time.perf_counter() - started < 2.0


def _exim_notice(step: str, reply: str) -> bytes:
    return (
        "From: Mail Delivery System <Mailer-Daemon@relay.example.com>\n"
        "Subject: Mail delivery failed: returning message to sender\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        "  paul@shop.example.net\n"
        "    host mx.shop.example.net [192.0.2.40]\n"
        f"    SMTP error from remote mail server after {step}:\n"
        f"    {reply}\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        "Subject: Facture F-2024-0042\n\nBonjour\n"
    ).encode()


@pytest.mark.parametrize(("step", "reply", "reason"), [
    # Exim names the step it was refused at; before any address, our host is refused
    ("initial connection", "550 Access denied - go elsewhere", Reason.BLOCKED),
    ("EHLO relay.example.com", "554 Access denied", Reason.BLOCKED),
    ("MAIL FROM:<bounces@invoices.example.com> SIZE=2048", "550 Access denied", Reason.REJECTED),
    ("pipelined RCPT TO:<paul@shop.example.net>", "550 No such user here", Reason.USERUNKNOWN),
])
def test_exim_names_the_smtp_step_it_was_refused_at(step, reply, reason):
    result = parse_message(_exim_notice(step, reply))
    assert [(r.recipient, r.reason) for r in result.recipients] == [("paul@shop.example.net", reason)]


def test_transcript_reply_before_any_command_is_the_greeting():
    entries = read_transcript(
        "... while talking to mx1.example.org.:\n"
        "<<< 554 mx1.example.org - we do not talk to 192.0.2.7\n"
        "554 5.0.0 <c@example.org>... Service unavailable\n"
    )
    assert [(e.finding.recipient, e.command) for e in entries] == [("c@example.org", "CONNECT")]


def test_transcript_syntax_class_reply_gives_way_to_sendmails_own_code():
    entries = read_transcript(
        "While talking to mx.example.org:\n"
        ">>> MAIL From:<facturation@invoices.example.com>\n"
        "<<< 501 <facturation@invoices.example.com>... refused, sender host listed at bl.example\n"
        "554 <d@example.org>... Remote protocol error\n"
        "While talking to mx.example.net:\n"
        ">>> RCPT To:<e@example.net>\n"
        "<<< 550 <e@example.net>... User unknown\n"
        "554 <e@example.net>... Remote protocol error\n"
    )
    assert [(e.finding.recipient, e.finding.replycode, e.command) for e in entries] == [
        ("d@example.org", "554", "MAIL From:<facturation@invoices.example.com>"),
        ("e@example.net", "550", "RCPT To:<e@example.net>"),  # a 550 is the server's own verdict
    ]


def test_v5_sendmail_keeps_the_stage_of_each_recipient():
    raw = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\n"
        "Subject: Returned mail: User unknown\nContent-Type: text/plain\n\n"
        "   ----- Transcript of session follows -----\n"
        "While talking to mx.example.org:\n"
        ">>> DATA\n"
        "<<< 550 Unknown user f@example.org\n"
        "554 <f@example.org>... Remote protocol error\n"
        "While talking to mx.example.net:\n"
        ">>> RCPT To:<g@example.net>\n"
        "<<< 550 Unknown user g@example.net\n"
        "550 <g@example.net>... User unknown\n\n"
        "   ----- Unsent message follows -----\nSubject: Facture\n\nBonjour\n"
    ).encode()
    result = parse_message(raw)
    assert [(r.recipient, r.reason) for r in result.recipients] == [
        ("f@example.org", Reason.FILTERED),      # refused after DATA: the content, not the address
        ("g@example.net", Reason.USERUNKNOWN),
    ]


def _qmail_notice(block: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\n"
        "Hi. This is the qmail-send program at mx.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<lucie@example.net>:\n{block}\n\n"
        "--- Below this line is a copy of the message.\n\nSubject: Facture\n\nBonjour\n"
    ).encode()


@pytest.mark.parametrize(("block", "reason"), [
    # qmail's own "Unable to …": the sending system failed
    ("Unable to chdir to maildir. (#4.3.0)", Reason.SYSTEMERROR),  # its own code says it too
    ("Unable to forward message: temporary error writing the queue, giving up.", Reason.SYSTEMERROR),
    ("Unable to deliver message after multiple retries, giving up.", Reason.SYSTEMERROR),
    # precise words in it still decide
    ("Unable to deliver: this mailbox is full", Reason.MAILBOXFULL),
    # a remote server's reply is never qmail's own failure
    ("192.0.2.8 does not like recipient.\nRemote host said: 550 Unable to deliver: no such user here\n"
     "Giving up on 192.0.2.8.", Reason.USERUNKNOWN),
])
def test_qmail_own_unable_to_sentence_is_a_system_error(block, reason):
    result = parse_message(_qmail_notice(block))
    assert [(r.recipient, r.reason) for r in result.recipients] == [("lucie@example.net", reason)]


@pytest.mark.parametrize(("block", "command"), [
    ("192.0.2.8 does not like recipient.\nRemote host said: 550 5.2.1 <lucie@example.net>... "
     "User Unknown\nGiving up on 192.0.2.8.", "RCPT"),
    ("Remote host said:\n550 5.2.1 <lucie@example.net>... User Unknown\n[RCPT_TO]", "RCPT"),
    ("192.0.2.8 failed after I sent the message.\nRemote host said: 554 5.2.1 Unknown user",
     "DATA"),
    ("Connected to 192.0.2.8 but sender was rejected.\nRemote host said: 553 sorry", "MAIL"),
])
def test_qmail_sentences_name_the_smtp_step(block, command):
    from tracking.inbound.detectors.qmail import Qmail

    raw = _qmail_notice(block)
    found = Qmail().detect(MessageView(email.message_from_bytes(raw), raw)).findings
    assert [(f.recipient, f.command) for f in found] == [("lucie@example.net", command)]


def test_dragonfly_keeps_the_command_it_was_refused_at():
    raw = (
        "From: MAILER-DAEMON@dma.example.com\nSubject: Mail delivery failed\n\n"
        "This is the DragonFly Mail Agent v0.13 at dma.example.com.\n\n"
        "There was an error delivering your mail to <noe@example.org>.\n\n"
        "mx.example.org [192.0.2.25] did not like our RCPT TO:\n"
        "550 5.2.1 <noe@example.org>: Recipient address rejected: User unknown\n\n"
        "Original message follows.\n\nSubject: Facture\n\nBonjour\n"
    ).encode()
    result = parse_message(raw)
    # at RCPT, X.2.1 beside "User unknown" is the address refused, not a disabled mailbox
    assert [(r.recipient, r.reason, r.status) for r in result.recipients] == [
        ("noe@example.org", Reason.USERUNKNOWN, "5.2.1")]
