"""Hosted providers' detectors on the project's own samples (tests/data/bounces/providers/).

Each sample is synthetic, written in its provider's format. A detector must read its samples
exactly (recipient, action, status, reply code, the reason when the format states one), and
every provider detector must decline ordinary mail, newsletters and auto-replies, which the
whole parser must never report as failures.
"""

from __future__ import annotations

import email
from pathlib import Path

import pytest

from tracking.inbound.detectors.base import MessageView
from tracking.inbound.detectors.providers import PROVIDER_DETECTORS
from tracking.inbound.parse import parse_message
from tracking.reasons.providers import provider_of, reason_from_provider_reply
from tracking.models import BounceKind, Reason

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "bounces" / "providers"
DETECTORS = {detector.name: detector for detector in PROVIDER_DETECTORS}
F, D = "failed", "delayed"

# sample -> (kind, [(recipient, action, status, replycode, reason stated by the format)])
EXPECTED: dict[str, tuple[BounceKind, list[tuple[str, str, str, str, Reason | None]]]] = {
    "amazon_ses-01": (BounceKind.FAILURE, [("erin@example.org", F, "5.1.1", "", Reason.SUPPRESSED)]),
    "amazon_ses-02": (BounceKind.COMPLAINT, [("frank@example.net", "", "", "", Reason.FEEDBACK)]),
    "amazon_ses-03": (BounceKind.SUCCESS, [("grace@example.com", "delivered", "2.0.0", "250", Reason.DELIVERED)]),
    # SES event publishing's DeliveryDelay event, inside an SNS envelope
    "amazon_ses-04": (BounceKind.DELAY, [("yolanda@slow.example.org", D, "4.4.1", "421", None)]),
    "amazon_workmail-01": (BounceKind.FAILURE, [("heidi@slow.example.org", F, "4.4.2", "421", Reason.EXPIRED)]),
    "biglobe-01": (BounceKind.FAILURE, [("yuki@biglobe.ne.jp", F, "", "", None)]),
    "exchange2003-01": (BounceKind.FAILURE, [
        ("ivan@example.com", F, "", "", Reason.USERUNKNOWN),
        ("judy@example.com", F, "5.1.1", "", Reason.USERUNKNOWN),
    ]),
    "exchange2007-01": (BounceKind.FAILURE, [
        ("mallory@example.onmicrosoft.com", F, "5.1.1", "550", None),
        ("niaj@partner.example.org", F, "5.2.2", "552", None),
    ]),
    # Exchange gave up (QUEUE.Expired): the attempt before the expiry says what failed
    "exchange2007-02": (BounceKind.FAILURE, [("oscar@branch.example.com", F, "4.4.0", "451", None)]),
    "mcafee-01": (BounceKind.FAILURE, [
        ("yvonne@example.com", F, "5.1.1", "550", None),
        # no code and no SMTP step shown: a filter's refusal cannot be ruled out
        ("zack@example.com", F, "", "550", Reason.FILTERED),
    ]),
    "ezweb-01": (BounceKind.FAILURE, [("olivia@ezweb.ne.jp", F, "", "", Reason.SUSPEND)]),
    "ezweb-02": (BounceKind.FAILURE, [("peggy@example.com", F, "5.1.1", "550", None)]),
    "gmail-01": (BounceKind.FAILURE, [("alice@example.org", F, "5.1.1", "550", None)]),
    "gmail-02": (BounceKind.DELAY, [("bob@slow.example.com", D, "4.2.2", "452", None)]),
    "gmail-03": (BounceKind.FAILURE, [("carol@unreachable.example.com", F, "", "", Reason.EXPIRED)]),
    "google_groups-01": (BounceKind.FAILURE, [("accounting@googlegroups.com", F, "", "", Reason.REJECTED)]),
    "google_workspace-01": (BounceKind.FAILURE, [("dave@example.com", F, "", "", Reason.REJECTED)]),
    "kddi-01": (BounceKind.FAILURE, [("quentin@ab0000000000.dion.ne.jp", F, "", "", None)]),
    "united_internet-01": (BounceKind.FAILURE, [
        ("rupert@example.co.uk", F, "5.1.1", "", None),
        ("sybil@example.co.uk", F, "5.2.2", "", None),
    ]),
    "united_internet-02": (BounceKind.FAILURE, [("trent@wanadoo.example.fr", F, "5.2.0", "550", None)]),
    "verizon-01": (BounceKind.FAILURE, [("5550100000@vtext.com", F, "", "550", Reason.USERUNKNOWN)]),
    "zoho-01": (BounceKind.FAILURE, [
        ("victor@example.co.jp", F, "5.1.1", "550", None),
        ("walter@example.co.jp", F, "", "421", Reason.EXPIRED),
        # no status code and Zoho never names the SMTP step: possibly a filter, not a dead address
        ("xena@example.co.jp", F, "", "550", Reason.FILTERED),
    ]),
    "zoho-02": (BounceKind.DELAY, [("xavier@example.net", D, "4.2.1", "450", None)]),
}

# What the whole parser reports for the samples, where the provider's format or words decide.
FINAL_REASONS: dict[str, list[tuple[str, Reason, bool]]] = {
    "amazon_ses-01": [("erin@example.org", Reason.SUPPRESSED, False)],
    "biglobe-01": [("yuki@biglobe.ne.jp", Reason.MAILBOXFULL, False)],
    "exchange2003-01": [("ivan@example.com", Reason.USERUNKNOWN, True), ("judy@example.com", Reason.USERUNKNOWN, True)],
    "exchange2007-01": [("mallory@example.onmicrosoft.com", Reason.USERUNKNOWN, True), ("niaj@partner.example.org", Reason.MAILBOXFULL, False)],
    "exchange2007-02": [("oscar@branch.example.com", Reason.EXPIRED, False)],
    "ezweb-01": [("olivia@ezweb.ne.jp", Reason.SUSPEND, False)],
    "mcafee-01": [("yvonne@example.com", Reason.USERUNKNOWN, True), ("zack@example.com", Reason.FILTERED, False)],
    "google_groups-01": [("accounting@googlegroups.com", Reason.REJECTED, False)],
    "united_internet-02": [("trent@wanadoo.example.fr", Reason.SPAMDETECTED, False)],
    "verizon-01": [("5550100000@vtext.com", Reason.USERUNKNOWN, True)],
}

NEGATIVES = sorted(path.stem for path in SAMPLES.glob("negative-*.eml"))


def _view(name: str) -> MessageView:
    raw = (SAMPLES / f"{name}.eml").read_bytes()
    return MessageView(email.message_from_bytes(raw), raw)


def test_every_provider_detector_has_samples():
    covered = {name.rsplit("-", 1)[0] for name in EXPECTED}
    assert covered == set(DETECTORS)
    assert sorted(path.stem for path in SAMPLES.glob("*.eml") if not path.stem.startswith("negative-")) == sorted(EXPECTED)


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_detector_reads_its_sample(sample):
    detector = DETECTORS[sample.rsplit("-", 1)[0]]
    kind, recipients = EXPECTED[sample]
    detection = detector.detect(_view(sample))
    assert detection is not None, f"{detector.name} declined its own sample"
    assert detection.kind is kind
    got = [(f.recipient, f.action, f.status, f.replycode, f.reason) for f in detection.findings]
    assert got == recipients
    assert all(f.diagnostic for f in detection.findings if kind is not BounceKind.COMPLAINT)


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_other_provider_detectors_decline_the_sample(sample):
    """Strong signals only: no detector but the sample's own answers for it."""
    own = sample.rsplit("-", 1)[0]
    view = _view(sample)
    answered = [name for name, detector in DETECTORS.items() if name != own and detector.detect(view)]
    assert answered == []


@pytest.mark.parametrize("sample", sorted(FINAL_REASONS))
def test_parser_reports_the_providers_reason(sample):
    result = parse_message((SAMPLES / f"{sample}.eml").read_bytes())
    got = [(r.recipient, r.reason, r.hardbounce) for r in result.recipients]
    assert got == FINAL_REASONS[sample]


@pytest.mark.parametrize("sample", NEGATIVES)
def test_negatives_are_declined_and_never_failures(sample):
    view = _view(sample)
    assert [name for name, detector in DETECTORS.items() if detector.detect(view)] == []
    result = parse_message((SAMPLES / f"{sample}.eml").read_bytes())
    assert result.kind not in (BounceKind.FAILURE, BounceKind.DELAY)
    assert not any(report.hardbounce for report in result.recipients)


def test_exchange_report_with_a_single_attempt_is_left_to_the_standard_path():
    raw = (SAMPLES / "exchange2007-02.eml").read_bytes()
    older_attempt = raw[raw.index(b"3/7/2023 6:02:11 AM") : raw.index(b"Original message headers:")]
    single = raw.replace(older_attempt, b"\n")
    assert DETECTORS["exchange2007"].detect(MessageView(email.message_from_bytes(single), single)) is None
    assert parse_message(single).detector == "rfc3464"


def test_ses_json_folded_by_relays_is_rejoined():
    """The "!\\n " fold inside a JSON string must not break decoding (amazon_ses-01 has one)."""
    assert b"!\n " in (SAMPLES / "amazon_ses-01.eml").read_bytes()
    assert DETECTORS["amazon_ses"].detect(_view("amazon_ses-01")) is not None


def test_truncated_ses_json_is_declined():
    raw = (SAMPLES / "amazon_ses-03.eml").read_bytes()
    cut = raw[: raw.index(b'"recipients"')]
    assert DETECTORS["amazon_ses"].detect(MessageView(email.message_from_bytes(cut), cut)) is None


# --- provider reply texts ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "remote_mta", "reason"),
    [
        ("550-5.2.1 The email account that you tried to reach is disabled. x1si - gsmtp", "aspmx.l.google.com", Reason.SUSPEND),
        ("550-5.1.1 The email account that you tried to reach does not exist.", "", Reason.USERUNKNOWN),
        ("550 5.7.606 Access denied, banned sending IP [192.0.2.1].", "x.mail.protection.outlook.com", Reason.BLOCKED),
        ("451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation.", "", Reason.BADREPUTATION),
        ("550 5.5.0 Le compte du destinataire est bloque. The recipient account is blocked. LPN007_426", "", Reason.SUSPEND),
        ("550 5.1.1 RCP-P2 http://postmaster.facebook.com/response_codes Refused due to recipient preferences", "", Reason.FILTERED),
        ("550 5.1.0 <x@example.net> sender rejected. AUP#In-1310", "", Reason.TOOMANYCONN),
        ("550 : User unknown", "lsean.ezweb.ne.jp", Reason.FILTERED),
        ("550 <a@au.com>: User unknown", "msmx.au.com", Reason.USERUNKNOWN),
        ("550 Unknown user a@docomo.ne.jp", "mfsmax.docomo.ne.jp", Reason.REJECTED),
        ("The number of messages in recipient's mailbox exceeded the local limit.", "", Reason.MAILBOXFULL),
        ("450-4.2.1 The user you are trying to contact is receiving mail too quickly.", "aspmx.l.google.com", Reason.SPEEDING),
        ("550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.", "", Reason.BLOCKED),
        ("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints", "", Reason.BADREPUTATION),
        ("550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.", "", Reason.BLOCKED),
        ("550-5.7.1 The IP you're using to send mail is not authorized to send email directly to our servers.", "", Reason.BLOCKED),
        ("550 5.5.0 Adresse destinataire invalide. LPN007_416", "", Reason.USERUNKNOWN),
        ("550 5.5.0 Refus. LPN007_4160", "", None),  # a token, not a prefix
        ("421 Service refuse. OFR_999 [999]", "smtp-in.orange.fr", Reason.BLOCKED),
    ],
)
def test_provider_reply_reasons(text, remote_mta, reason):
    assert reason_from_provider_reply(text, remote_mta) is reason


def test_generic_texts_need_the_providers_host():
    # "Unknown user" means a filter only at NTT DoCoMo; elsewhere the classifier decides.
    assert reason_from_provider_reply("550 Unknown user a@example.org", "mx.example.org") is None
    assert reason_from_provider_reply("550 <a@example.org>: User unknown", "mx.example.org") is None
    assert reason_from_provider_reply("", "aspmx.l.google.com") is None


def test_google_dns_failure_is_hostunknown_only_when_permanent():
    text = "DNS Error: 1234 DNS type 'mx' lookup of nx.example responded with code NXDOMAIN"
    assert reason_from_provider_reply(text, "", permanent=True) is Reason.HOSTUNKNOWN
    assert reason_from_provider_reply(text, "") is Reason.NETWORKERROR


def test_reply_rows_are_written_for_the_lowered_text():
    """The text is lower-cased once; a row with an upper-case literal could never match."""
    import re

    from tracking.reasons.providers import REPLIES

    for row in REPLIES:
        assert row.phrases and all(phrase == phrase.lower() for phrase in row.phrases), row
        if row.pattern is not None:
            assert re.search(r"(?<!\\)[A-Z]", row.pattern.pattern) is None, row
            assert not row.pattern.flags & re.IGNORECASE, row


def test_provider_of_reads_typed_and_annotated_remote_mta():
    assert provider_of("dns; gmail-smtp-in.l.google.com") == "google"
    assert provider_of("dns; lsean.ezweb.ne.jp. (27.85.176.228, the server for the domain)") == "kddi"
    assert provider_of("mx.example.org") == ""


def test_provider_replies_stay_linear_on_adversarial_text():
    import time

    text = "550 " + "a" * 200_000 + " :" * 50_000
    started = time.perf_counter()
    assert reason_from_provider_reply(text, "mfsmax.docomo.ne.jp") is None
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(("heading", "status"), [
    ("Technical details of temporary failure:\n", "4.0.947"),  # Google's own heading decides
    ("", "5.0.947"),  # no heading, no reply code: nothing calls it temporary
])
def test_gmail_delay_code_class_follows_googles_heading(heading, status):
    raw = (
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        "Subject: Delivery Status Notification (Delay)\nContent-Type: text/plain\n\n"
        "Delivery to the following recipient has been delayed:\n\n"
        "     dora@far.example.org\n\n"
        "Message will be retried for 2 more day(s)\n\n"
        f"{heading}"
        "\n----- Original message -----\n\nSubject: Relance\n\nBonjour\n"
    ).encode()
    result = parse_message(raw)
    assert result.kind is BounceKind.DELAY
    assert [(r.recipient, r.reason, r.status, r.hardbounce) for r in result.recipients] == [
        ("dora@far.example.org", Reason.EXPIRED, status, False)]


def test_gmx_keeps_the_command_it_was_refused_at():
    raw = (
        "From: Mail Delivery System <mailer-daemon@gmx.net>\n"
        "Subject: Mail delivery failed: returning message to sender\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of\n"
        "its recipients. This is a permanent error. The following address\n"
        "failed:\n\n"
        '"hugo@example.org":\n'
        "SMTP error from remote server after RCPT command:\n"
        "host: mx.example.org\n"
        "5.2.1 <hugo@example.org>... User Unknown\n\n"
        "--- The header of the original message is following. ---\n\nSubject: Facture\n"
    ).encode()
    result = parse_message(raw)
    assert [(r.recipient, r.reason) for r in result.recipients] == [("hugo@example.org", Reason.USERUNKNOWN)]
