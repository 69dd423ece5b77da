"""The shared reason evidence (`tracking.reasons`): every phrase reaches its own reason, the
SMTP stage and delays are evidence, and our own SMTP replies are explained the same way."""

from __future__ import annotations

import ast
import dataclasses
import time
from pathlib import Path

import pytest

from tracking.inbound.classify import classify
from tracking.inbound.detectors.base import Finding
from tracking.models import BounceKind, Reason
from tracking.reasons import Stage, explain_reply
from tracking.reasons.phrases import EVIDENCE, PAIR_GAP, reason_from_text
from tracking.reasons.providers import REPLIES, reason_from_provider_reply
from tracking.reasons.stage import stage_of

ROOT = Path(__file__).resolve().parents[2]
R = Reason


def _pieces():
    for row in EVIDENCE:
        for phrase in row.phrases:
            yield row.reason, phrase, "phrase"
        for first, second in row.pairs:
            yield row.reason, f"{first} zz9 {second}", "pair"  # words between them
        for phrase in row.fallback:
            yield row.reason, phrase, "fallback"


@pytest.mark.parametrize(("reason", "text", "kind"), list(_pieces()), ids=lambda v: str(v)[:40])
def test_every_phrase_classifies_to_its_own_reason(reason, text, kind):
    """No phrase is shadowed by another row's (the old table read "mailbox size limit
    exceeded" as a message too big)."""
    assert reason_from_text(text) is reason
    assert reason_from_text(f"550 5.0.0 <a@example.org>: {text.upper()} (see the FAQ)") is reason


def test_no_phrase_is_written_twice():
    seen: dict[str, Reason] = {}
    for reason, text, _ in _pieces():
        assert text not in seen, f"{text!r} in {seen.get(text)} and {reason}"
        seen[text] = reason


def test_phrases_are_written_for_the_normalized_text():
    for _, text, _ in _pieces():
        assert text == " ".join(text.lower().split()), text


@pytest.mark.parametrize(("text", "reason"), [
    ("552 5.2.2 mailbox size limit exceeded", R.MAILBOXFULL),
    ("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", R.BLOCKED),
    ("mailbox is full: retry timeout exceeded", R.MAILBOXFULL),
    ("554 Transaction failed: Duplicate header 'DKIM-Signature'", R.NOTCOMPLIANTRFC),
    ("550 Your message was rejected due to example.org's DMARC policy", R.AUTHFAILURE),
    ("550 5.7.1 Connections not accepted from servers without a valid sender domain. "
     "Fix reverse DNS for 192.0.2.2", R.REQUIREPTR),
    ("procmail: Couldn't create /var/spool/mail/x: No such user", R.USERUNKNOWN),  # words only
])
def test_the_most_specific_words_win(text, reason):
    assert reason_from_text(text) is reason


def test_word_pairs_are_ordered_and_close():
    assert reason_from_text("452 The mailbox of jean.dupont@example.fr is currently full") is R.MAILBOXFULL
    assert reason_from_text("552 Boîte aux lettres du destinataire bien trop pleine") is R.MAILBOXFULL
    assert reason_from_text("full text search in your mailbox") is None  # wrong order
    assert reason_from_text("mailbox " + "x" * (PAIR_GAP + 5) + " full") is None  # too far apart


def test_localized_wordings():
    assert reason_from_text("550 5.1.1 Utilisateur inconnu") is R.USERUNKNOWN
    assert reason_from_text("552 Boîte pleine, réessayez plus tard") is R.MAILBOXFULL
    assert reason_from_text("550 Compte désactivé") is R.SUSPEND


@pytest.mark.parametrize(("text", "reason"), [
    # RFC 4954 SMTP AUTH is a security error; SPF/DKIM/DMARC is an authentication failure
    ("530 5.7.0 Authentication required", R.SECURITYERROR),
    ("535 5.7.8 Authentication credentials invalid", R.SECURITYERROR),
    ("550 5.7.1 SPF authentication failed for example.org", R.AUTHFAILURE),
    ("550 5.7.26 does not pass DMARC verification", R.AUTHFAILURE),
    # relaying refused is norelaying, even when the server suggests TLS
    ("554 5.7.1 <a@example.net>: Relay access denied", R.NORELAYING),
    # the queue gave up vs the network failing
    ("connect to mx.example.net[192.0.2.9]:25: Connection refused", R.EXPIRED),
    ("lost connection with mx.example.net[192.0.2.9] while receiving the initial server greeting",
     R.NETWORKERROR),
    # a local mailer vs the receiving system
    ("mailer error: exit code 75", R.MAILERERROR),
    ("451 4.3.0 Internal error", R.SYSTEMERROR),
    # an RFC 5322 defect is not spam, even where the server mentions spam
    ("550-5.7.1 This message is not RFC 5322 compliant, to reduce the amount of spam", R.NOTCOMPLIANTRFC),
    ("554 5.7.1 Message rejected as spam by Content Filtering", R.SPAMDETECTED),
    # where we send from vs our sender address
    ("554 5.7.1 Client host [192.0.2.1] blocked using bl.spamcop.net", R.BLOCKED),
    ("553 5.1.8 <x@example.org>: Sender address rejected: Domain not found", R.REJECTED),
    ("421 4.7.0 IP not in whitelist, poor reputation", R.BADREPUTATION),
])
def test_neighbouring_reasons_are_told_apart(text, reason):
    assert reason_from_text(text) is reason


def test_words_are_read_in_linear_time():
    hostile = "mailbox " * 20000 + "fu"
    start = time.perf_counter()
    reason_from_text(hostile)
    assert time.perf_counter() - start < 0.5


# --- the SMTP stage ---------------------------------------------------------------------------

def _failed(diagnostic: str, command: str = "", status: str = "", action: str = "failed",
            kind: BounceKind = BounceKind.FAILURE):
    return classify(Finding(recipient="a@example.org", action=action, status=status,
                            diagnostic=diagnostic, command=command), kind)


@pytest.mark.parametrize(("command", "reason"), [
    ("RCPT", R.USERUNKNOWN), ("DATA", R.FILTERED), ("MAIL", R.REJECTED), ("", R.USERUNKNOWN),
])
def test_the_stage_decides_what_an_unknown_user_means(command, reason):
    assert _failed("550 Unknown user jean@example.org", command).reason is reason


def test_stage_names_of_reports_and_of_our_outbox():
    assert stage_of("rcpt") is Stage.RCPT
    assert stage_of("end of DATA") is Stage.DATA
    assert stage_of("MAIL FROM:") is Stage.MAIL
    assert stage_of("EHLO") is Stage.HELO
    assert stage_of("connect") is Stage.CONNECT
    assert stage_of("compose") is None and stage_of("") is None


def test_a_refusal_at_the_greeting_without_words_is_our_host_being_refused():
    assert explain_reply("554 mx.example.net", "connect").reason is R.BLOCKED
    assert explain_reply("554 mx.example.net", "rcpt").reason is R.ONHOLD


@pytest.mark.parametrize(("diagnostic", "command", "status", "reason"), [
    # vague words at the greeting or the hello: the host we connect from is refused
    ("550 Access refused, access denied for you", "CONNECT", "", R.BLOCKED),
    ("554 access denied", "HELO", "", R.BLOCKED),
    # in answer to MAIL FROM the vague words stand: our sender was refused
    ("550 5.7.1 Access denied", "MAIL", "5.7.1", R.REJECTED),
    # beside a generic X.7.x code, the code names the kind of refusal
    ("550 5.7.1 <b@example.net>... Access denied (rule 12)", "RCPT", "5.7.1", R.SECURITYERROR),
    ("550 5.7.0 Access denied", "", "5.7.0", R.SECURITYERROR),
    # precise words still beat the generic code and the stage
    ("550 5.7.1 Access denied: client host blocked using bl.example.org", "RCPT", "5.7.1", R.BLOCKED),
    ("554 5.7.1 No PTR record found for 192.0.2.3", "CONNECT", "5.7.1", R.REQUIREPTR),
])
def test_vague_words_give_way_to_the_stage_and_the_code(diagnostic, command, status, reason):
    assert _failed(diagnostic, command, status).reason is reason


@pytest.mark.parametrize(("command", "reason"), [
    ("", R.SUSPEND),          # X.2.1 "mailbox disabled": nothing shows the address was refused
    ("RCPT", R.USERUNKNOWN),  # refused at RCPT: the stock words about the address stand
    ("DATA", R.FILTERED),     # after DATA the address existed: the content was refused
])
def test_mailbox_disabled_code_beside_stock_user_unknown_words(command, reason):
    assert _failed("550 5.2.1 <jean@example.org>... User Unknown", command, "5.2.1").reason is reason


def test_a_receiver_that_cannot_verify_our_host_name_requires_a_ptr():
    report = _failed("450 service permits 1 unverifiable sending IPs - relay.example.com is not "
                     "192.0.2.44", action="delayed", kind=BounceKind.DELAY)
    assert (report.reason, report.status) == (R.REQUIREPTR, "4.0.973")


# --- delays are delays ------------------------------------------------------------------------

def test_greylisting_delay_is_a_delay_reason_never_expired():
    report = _failed("450 4.2.0 <a@example.org>: Recipient address rejected: Greylisted, see "
                     "http://postgrey.schweikert.ch/", action="delayed", status="4.2.0",
                     kind=BounceKind.DELAY)
    assert report.reason is R.SPEEDING and not report.hardbounce


def test_greylisted_until_the_queue_gave_up_is_expired():
    report = _failed("450 4.2.0 <a@example.org>: Recipient address rejected: Greylisted",
                     status="4.2.0")
    assert report.reason is R.EXPIRED and not report.hardbounce


def test_delay_for_a_host_refusing_connections_is_a_network_error():
    report = _failed("connect to mx.example.net[192.0.2.9]:25: Connection refused",
                     action="delayed", status="4.4.1", kind=BounceKind.DELAY)
    assert report.reason is R.NETWORKERROR


def test_connection_refused_until_the_queue_expires_is_expired_not_blocked():
    report = _failed("connect to mx.example.net[192.0.2.9]:25: Connection refused", status="4.4.1")
    assert (report.reason, report.status) == (R.EXPIRED, "4.4.1")
    timed_out = _failed("connect to mx.example.net[192.0.2.9]:25: Connection timed out", status="5.4.7")
    assert timed_out.reason is R.EXPIRED


def test_delay_with_a_temporarily_full_mailbox_keeps_the_words():
    report = _failed("452 4.2.2 <a@example.org>: Mailbox full, try again later", action="delayed",
                     status="4.2.2", kind=BounceKind.DELAY)
    assert report.reason is R.MAILBOXFULL and not report.hardbounce


@pytest.mark.parametrize(("diagnostic", "status"), [
    # the derived code's class is what the reply says, the notice's kind stays `delay`
    ("Network error on destination MXs", "5.0.944"),
    ("451 Could not connect to mx.example.org", "4.0.944"),
    ("Host mx.example.org is temporarily unreachable: network error", "4.0.944"),
])
def test_a_delay_derives_its_code_class_from_the_reply(diagnostic, status):
    report = _failed(diagnostic, action="delayed", kind=BounceKind.DELAY)
    assert (report.reason, report.status, report.status_derived, report.hardbounce) == (
        R.NETWORKERROR, status, True, False)


def test_a_format_that_calls_the_failure_temporary_decides_the_class():
    finding = Finding(recipient="a@example.org", action="delayed", diagnostic="Network error",
                      temporary=True)
    assert classify(finding, BounceKind.DELAY).status == "4.0.944"
    finding.temporary = False
    assert classify(finding, BounceKind.DELAY).status == "5.0.944"


# --- our own SMTP replies ---------------------------------------------------------------------

def test_explain_reply_reads_our_handoff_like_a_returned_message():
    why = explain_reply("550 5.1.1 <jean@example.org>: Recipient address rejected: User unknown", "rcpt")
    assert (why.reason, why.status, why.replycode, why.status_derived, why.temporary) == (
        R.USERUNKNOWN, "5.1.1", "550", False, False)
    assert why.stage is Stage.RCPT and why.explained
    with pytest.raises(dataclasses.FrozenInstanceError):
        why.reason = R.ONHOLD  # type: ignore[misc]


def test_explain_reply_without_enhanced_code_derives_one():
    why = explain_reply("552 Message size exceeds fixed limit", "data")
    assert (why.reason, why.status, why.status_derived) == (R.MESGTOOBIG, "5.0.934", True)


def test_explain_reply_keeps_temporary_replies_temporary():
    why = explain_reply("451 4.3.0 <a@example.org>: Temporary lookup failure", "rcpt")
    assert why.temporary and why.reason is R.SYSTEMERROR and why.status == "4.3.0"
    unreachable = explain_reply("cannot connect to smtp.example.net:587: timed out", "connect")
    assert unreachable.reason is R.NETWORKERROR and unreachable.temporary
    assert unreachable.replycode == "" and unreachable.status == "4.0.944"


def test_explain_reply_says_when_nothing_is_known():
    assert not explain_reply("", "rcpt").explained
    assert explain_reply("", "rcpt").reason is R.UNDEFINED
    vague = explain_reply("550 nope", "rcpt")
    assert vague.reason is R.ONHOLD and not vague.explained and vague.reply == "550 nope"


def test_explain_reply_takes_the_code_given_apart():
    why = explain_reply("Recipient address rejected: User unknown", "rcpt", code=550)
    assert why.replycode == "550" and why.reason is R.USERUNKNOWN
    assert explain_reply("x", code=999).replycode == ""


# --- provider tables --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "remote", "reason"), [
    # GoDaddy's bounceback codes
    ("550 sender.example From: Domain is invalid. Provide a valid From: IB506", "", R.REJECTED),
    ("554 Connection refused. This IP has a poor reputation on Cloudmark Sender Intelligence "
     "(CSI). IB103", "", R.BADREPUTATION),
    ("552 Virus infected message rejected. IB705", "", R.VIRUSDETECTED),
    # Mimecast's documented replies
    ("550 Envelope blocked - User Entry - https://community.mimecast.com", "", R.REJECTED),
    ("553 This route requires encryption (TLS)", "", R.SECURITYERROR),
    # Tencent QQ
    ("550 Mailbox not found. http://service.mail.qq.com/", "mx3.qq.com", R.USERUNKNOWN),
    ("550 Ip frequency limited. http://service.mail.qq.com/", "", R.SPEEDING),
    # NTT DoCoMo's filter answer quoted by a relay that does not name DoCoMo
    ("Other mail system problem 'Unknown user k@docomo.ne.jp'", "", R.FILTERED),
    # iCloud, Proofpoint, Yahoo, Zoho, MessageLabs
    ("550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.2.1", "", R.BLOCKED),
    ("421 4.7.1 Messages to x@icloud.com deferred due to excessive volume.", "", R.SPEEDING),
    ("550 5.1.1 <x@icloud.com>: inactive email address", "mx01.mail.icloud.com", R.USERUNKNOWN),
    ("554 delivery error: dd x@yahoo.com is no longer valid.", "mta7.am0.yahoodns.net", R.SUSPEND),
    ("554 5.7.7 Email policy violation detected", "mx.zoho.com", R.POLICYVIOLATION),
    ("501 Connection rejected by policy [7.7] 20805", "", R.BADREPUTATION),
    ("553 sorry, your envelope sender is in my badmailfrom list", "", R.REJECTED),
    # Google Workspace / Gmail sender guidelines
    ("550-5.7.26 The MAIL FROM domain [x] has an SPF record with a hard fail policy (-all)", "",
     R.AUTHFAILURE),
    ("421-4.7.0 IP not in whitelist for RCPT domain, closing connection.", "", R.BLOCKED),
    ("550-5.7.0 Mail relay denied [192.0.2.1]. Invalid credentials for relay", "", R.NORELAYING),
    # Exchange Online
    ("451 4.7.500 Server busy. Access denied, please try again later. (AS9815)", "", R.BLOCKED),
    ("550 5.7.513 Service unavailable, Client host [192.0.2.1] blocked by example.org using "
     "Customer Block list (AS16012607)", "", R.BLOCKED),
])

def test_provider_replies(text, remote, reason):
    assert reason_from_provider_reply(text, remote) is reason


def test_host_scoped_rows_need_the_providers_host():
    assert reason_from_provider_reply("550 5.1.1 <x@example.org>: inactive email address") is None
    assert reason_from_provider_reply("554 x is no longer valid.", "mx.example.net") is None


@pytest.mark.parametrize(("text", "reason"), [
    ("550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]", R.USERUNKNOWN),
    ("552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]", R.MAILBOXFULL),
    ("550 5.5.0 Boite du destinataire archivee. Archived recipient. LPN007_420", R.SUSPEND),
    ("501 5.1.0 Emetteur invalide. Invalid Sender. OFR004_405 [405]", R.REJECTED),
    ("421 Trop de connexions, veuillez verifier votre configuration. LPN105-104", R.TOOMANYCONN),
    ("Message refuse, verification DMARC en echec LPN007_517", R.AUTHFAILURE),
])
def test_orange_and_la_poste_codes_name_the_cause(text, reason):
    assert reason_from_provider_reply(text) is reason


def test_orange_codes_that_only_say_try_later_leave_it_to_the_words():
    assert reason_from_provider_reply("421 Veuillez essayer plus tard. LPN003_109") is None


def test_godaddy_code_needs_its_own_token():
    assert reason_from_provider_reply("550 message id FIB5060 rejected") is None


def test_every_provider_row_names_a_known_provider():
    from tracking.reasons.providers import PROVIDER_DOMAINS
    written = {row.provider for row in REPLIES if row.host_scoped}
    assert written <= set(PROVIDER_DOMAINS)


# --- structure ------------------------------------------------------------------------------

def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at top level) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, id(node) in top))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, id(node) in top) for alias in node.names)
    return found


def test_reasons_package_is_neutral_and_imported_at_top_level():
    for path in sorted((ROOT / "tracking" / "reasons").glob("*.py")):
        for module, top in _imports(path):
            assert not module.startswith(("tracking.inbound", "tracking.outbound")), (path, module)
            assert top, f"function-level import of {module} in {path.name}"


def test_classifier_and_detectors_import_reasons_at_top_level():
    paths = [ROOT / "tracking" / "inbound" / "classify.py",
             *sorted((ROOT / "tracking" / "inbound" / "detectors").glob("*.py"))]
    for path in paths:
        for module, top in _imports(path):
            if module.startswith(("tracking.reasons", "tracking.inbound.classify")):
                assert top, f"function-level import of {module} in {path.name}"
