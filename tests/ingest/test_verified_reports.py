"""Reports are verified before they count (issue 9): forged reports on a real send.

A real send goes through the sandbox (real aiosmtpd, real SMTP client); forged reports are built
with the project's RFC 3464 builder, carrying one key each that every recipient can see or guess
(ENVID, Message-ID, our header, the address), or a tampered / foreign VERP token, and are read by
the real ingestion from a Maildir. None moves a delivery; the token-less ones become proposals
support can apply (audited) or reject.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.actors import support
from tests.ingest.conftest import VERP_KEY
from tests.ingest.conftest import run_sandbox_send as send
from tests.ingest.conftest import sandbox_state as state
from tests.outbound.servers import SEND_DATE, make_document, recipients
from tracking.errors import InvalidInput
from tracking.inbound.correlate import Candidates, MatchState, SendCandidate, correlate
from tracking.inbound.maildir import MaildirMailbox
from tracking.inbound.result import Correlation, ParseResult, RecipientReport
from tracking.ingest import IngestPolicy, ingest_available
from tracking.models import BounceKind, Reason, SendingMode
from tracking.outbound import dsn
from tracking.outbound.compose import TRACKING_HEADER, compose
from tracking.outbound.dsn import RecipientStatus
from tracking.verp import (
    VerpCheck, make_token, parse_token, token_from_address, verify_token, verp_address,
)
from tracking.returned_actions import (
    MismatchConfirmation, RecipientMismatch, apply_proposal, attach_bounce, dismiss_bounce,
    reject_proposal, reported_recipients,
)
from tracking.store import inbound, proposals

ADDRESS = "jean.dupont@client.test"      # the sandbox delivers it and reports success


def _send_keys(db, send_id: str) -> dict:
    message_id, envelope_id = db.cursor().execute(
        "SELECT message_id, envelope_id FROM sends WHERE id = ?", [send_id]).fetchone()
    return {"message_id": message_id, "envelope_id": envelope_id}


def forged(*, action: str, to: str, envelope_id: str = "", message_id: str = "",
           tracking: str = "", recipient: str = ADDRESS, seq: int = 0) -> bytes:
    """A report as an outsider would write it, with only the keys given."""
    status, diagnostic = {"failed": ("5.1.1", "550 5.1.1 ce que le faussaire veut"),
                          "delivered": ("2.0.0", "250 2.0.0 Ok")}[action]
    original = f"From: compta@atelier.test\nTo: {recipient}\nSubject: Facture\n"
    if message_id:
        original += f"Message-ID: {message_id}\n"
    if tracking:
        original += f"X-Suivi-Tracking: {tracking}\n"
    moment = datetime.now(UTC) - timedelta(minutes=1)
    message = dsn.delivery_status_notification(
        reporting_mta="mx.forger.test", to=to,
        recipients=[RecipientStatus(recipient, action, status, f"rfc822;{recipient}", diagnostic,
                                    "mx.forger.test", moment)],
        original=(original + "\nBonjour\n").encode(), headers_only=True,
        envelope_id=envelope_id, arrival=moment, date=moment,
        message_id=f"<forged{seq}.{action}@mx.forger.test>")
    return dsn.as_mailbox_bytes(message, delivered_to=to)


def _forgeries(keys: dict, send_id: str, action: str, domain: str) -> dict[str, bytes]:
    plain = "support@atelier.test"
    return {
        "envid": forged(action=action, to=plain, envelope_id=keys["envelope_id"], seq=1),
        "message_id": forged(action=action, to=plain, message_id=keys["message_id"], seq=2),
        "header": forged(action=action, to=plain, tracking=keys["envelope_id"], seq=3),
        "address_window": forged(action=action, to=plain, seq=4),
        "tampered": forged(action=action, envelope_id=keys["envelope_id"], seq=5,
                           to=_tampered(verp_address(VERP_KEY.encode(), send_id, 0, domain))),
        "foreign": forged(action=action, envelope_id=keys["envelope_id"], seq=6,
                          to=f"bounces+{make_token(b'not our key', send_id, 0)}@{domain}"),
    }


def _tampered(address: str) -> str:
    """The same VERP address with the last character of its signature changed."""
    local, _, domain = address.rpartition("@")
    return f"{local[:-1]}{'b' if local[-1] == 'a' else 'a'}@{domain}"


def _drop(maildir, messages: dict[str, bytes], tag: str) -> None:
    (maildir / "new").mkdir(parents=True, exist_ok=True)
    (maildir / "cur").mkdir(parents=True, exist_ok=True)
    (maildir / "tmp").mkdir(parents=True, exist_ok=True)
    for name, raw in messages.items():
        (maildir / "new" / f"{tag}.{name}.forger").write_bytes(raw)


def _events(db, send_id: str, event_type: str) -> list[dict]:
    rows = db.cursor().execute(
        "SELECT actor, recipient_idx, details FROM events WHERE send_id = ? AND type = ? "
        "ORDER BY seq", [send_id, event_type]).fetchall()
    return [{"actor": a, "idx": i, "details": json.loads(d)} for a, i, d in rows]


@pytest.mark.parametrize("action, before", [("delivered", "sent"), ("failed", "delivered")])
def test_forged_reports_change_nothing(sandbox_world, tmp_path, action, before) -> None:
    """Envoyé must not turn Réceptionné, nor Réceptionné turn Non réceptionné, on a forgery."""
    db, settings, documents, sandbox_mail = sandbox_world
    send_id = send(db, settings, documents, 0, (ADDRESS,))
    policy = IngestPolicy.from_settings(settings)
    if before == "delivered":   # the sandbox's own report carries the signed token: applied
        assert ingest_available(db, MaildirMailbox(sandbox_mail), policy).by_state == {
            "matched": 1}
    assert state(db, send_id, 0)[0] == before

    forgeries = tmp_path / "forged"
    _drop(forgeries, _forgeries(_send_keys(db, send_id), send_id, action, settings.bounce_domain),
          action)
    stats = ingest_available(db, MaildirMailbox(forgeries), policy)

    assert state(db, send_id, 0)[0] == before
    assert stats.by_state == {"proposed": 4, "suspicious": 2}
    queue = proposals.open_queue(db.cursor())
    assert sorted(queue["match_method"]) == ["address_window", "envid", "header", "message_id"]
    assert set(queue["send_id"]) == {send_id} and set(queue["recipient"]) == {ADDRESS}
    expected = {"delivered": "dsn_delivered", "failed": "dsn_failed"}[action]
    assert set(queue["event_type"]) == {expected}
    if action == "failed":
        assert set(queue["diagnostic"]) == {"550 5.1.1 ce que le faussaire veut"}
    suspicious = db.cursor().execute(
        "SELECT count(*) FROM events WHERE type = 'bounce_suspicious'").fetchone()[0]
    assert suspicious == 2
    assert _events(db, send_id, expected) == []
    # The same mailbox read again (a rescan) creates nothing twice.
    for entry in (forgeries / "cur").iterdir():
        entry.rename(forgeries / "new" / entry.name.split(":")[0])
    again = ingest_available(db, MaildirMailbox(tmp_path / "forged"), policy)
    assert len(proposals.open_queue(db.cursor())) == 4
    assert again.proposals == 0


def test_applying_a_proposal_moves_the_state_and_names_the_actor(sandbox_world, tmp_path) -> None:
    db, settings, documents, _sandbox_mail = sandbox_world
    send_id = send(db, settings, documents, 0, (ADDRESS,))
    keys = _send_keys(db, send_id)
    _drop(tmp_path / "in", {"envid": forged(action="failed", to="x@atelier.test",
                                            envelope_id=keys["envelope_id"]),
                            "header": forged(action="delivered", to="x@atelier.test",
                                             tracking=keys["envelope_id"], seq=9)}, "t")
    ingest_available(db, MaildirMailbox(tmp_path / "in"), IngestPolicy.from_settings(settings))
    queue = proposals.open_queue(db.cursor()).set_index("event_type")
    success, failure = queue.at["dsn_delivered", "id"], queue.at["dsn_failed", "id"]

    with pytest.raises(InvalidInput):
        apply_proposal(db, success, "  ")                       # nobody named: nothing written
    assert state(db, send_id, 0)[0] == "sent"
    recorded = apply_proposal(db, success, support("sophie"), note="confirmé par le client")
    assert [e.type for e in recorded] == ["proposal_applied", "dsn_delivered"]
    assert state(db, send_id, 0)[0] == "delivered"
    [applied] = _events(db, send_id, "proposal_applied")
    assert applied["actor"] == "sophie" and applied["details"]["proposal_id"] == success
    assert applied["details"]["match_method"] == "header"
    assert applied["details"]["would_record"] == "dsn_delivered"
    [delivered] = _events(db, send_id, "dsn_delivered")
    assert delivered["actor"] == "sophie" and delivered["details"]["verified_by"] == "sophie"
    with pytest.raises(InvalidInput, match="already applied by sophie"):
        apply_proposal(db, success, support("sophie"))

    reject_proposal(db, failure, support("marc"), note="faux rapport")
    assert state(db, send_id, 0)[0] == "delivered"
    [rejected] = _events(db, send_id, "proposal_rejected")
    assert rejected["actor"] == "marc" and rejected["details"]["note"] == "faux rapport"
    assert proposals.open_queue(db.cursor()).empty
    settled = dict(db.cursor().execute(
        "SELECT match_method, match_state FROM returned_messages").fetchall())
    assert settled == {"header": "matched", "envid": "ignored"}


def _snapshot(db) -> tuple:
    cursor = db.cursor()
    return (cursor.execute("SELECT count(*) FROM events").fetchone(),
            cursor.execute("SELECT send_id, idx, state FROM deliveries ORDER BY ALL").fetchall(),
            cursor.execute("SELECT * FROM returned_message_handling").fetchall(),
            cursor.execute("SELECT id, match_state FROM returned_messages ORDER BY id").fetchall())


def test_attach_checks_the_recipient_by_address(sandbox_world) -> None:
    """Issue 9: a bounce for jean.nouveau@ attached to "recipient n° 1" overwrote another
    recipient's Réceptionné. Now the recipient is chosen by address and a mismatch needs a
    confirmation naming both addresses."""
    db, settings, documents, maildir = sandbox_world
    send_id = send(db, settings, documents, 0, ("marie@client.test", "paul@client.test"))
    ingest_available(db, MaildirMailbox(maildir), IngestPolicy.from_settings(settings))
    assert [state(db, send_id, i)[0] for i in (0, 1)] == ["delivered", "delivered"]
    (maildir / "new" / "9.jean.host").write_bytes(
        b"From: MAILER-DAEMON@mx.example\nTo: someone@atelier.test\nSubject: failure notice\n\n"
        b"<jean.nouveau@client.test>: 550 5.1.1 mailbox does not exist\n")
    ingest_available(db, MaildirMailbox(maildir), IngestPolicy.from_settings(settings))
    [queued] = inbound.unmatched_queue(db.cursor())
    assert reported_recipients(db, queued["id"]) == ("jean.nouveau@client.test",)
    before = _snapshot(db)

    with pytest.raises(RecipientMismatch) as refused:
        attach_bounce(db, queued["id"], send_id, "marie@client.test", support("support"))
    assert (refused.value.reported, refused.value.chosen) == (
        "jean.nouveau@client.test", "marie@client.test")
    with pytest.raises(RecipientMismatch):       # a confirmation for another pair does not count
        attach_bounce(db, queued["id"], send_id, "marie@client.test", support("support"),
                      confirmation=MismatchConfirmation("jean.nouveau@client.test",
                                                        "paul@client.test"))
    with pytest.raises(InvalidInput, match="not a recipient"):
        attach_bounce(db, queued["id"], send_id, "jean.nouveau@client.test", support("support"))
    assert _snapshot(db) == before                               # nothing written

    recorded = attach_bounce(
        db, queued["id"], send_id, "Marie@client.test", support("support"),
        confirmation=MismatchConfirmation("jean.nouveau@client.test", "marie@client.test"))
    assert [e.type for e in recorded] == ["bounce_attached", "dsn_failed"]
    [attached] = _events(db, send_id, "bounce_attached")
    assert attached["idx"] == 0 and attached["actor"] == "support"
    assert attached["details"]["recipient_mismatch_confirmed"] == {
        "reported": "jean.nouveau@client.test", "chosen": "marie@client.test"}
    assert [state(db, send_id, i)[0] for i in (0, 1)] == ["not_delivered", "delivered"]


def test_a_keyless_bounce_for_a_recipient_is_proposed_for_that_recipient(sandbox_world) -> None:
    db, settings, documents, maildir = sandbox_world
    send_id = send(db, settings, documents, 0, ("marie@client.test", "paul@client.test"))
    (maildir / "new").mkdir(parents=True, exist_ok=True)
    (maildir / "new" / "9.paul.host").write_bytes(
        b"From: MAILER-DAEMON@mx.example\nTo: someone@atelier.test\nSubject: failure notice\n\n"
        b"<paul@client.test>: 550 5.1.1 mailbox does not exist\n")
    # Read with the sandbox's own signed reports: both delivered, paul's bounce only proposed.
    ingest_available(db, MaildirMailbox(maildir), IngestPolicy.from_settings(settings))
    assert [state(db, send_id, i)[0] for i in (0, 1)] == ["delivered", "delivered"]
    queue = proposals.open_queue(db.cursor())
    [pid] = queue[queue["recipient"] == "paul@client.test"]["id"]
    assert list(queue["match_method"]) == ["address_window"]
    [recorded] = [e for e in apply_proposal(db, pid, support("support")) if e.type == "dsn_failed"]
    assert recorded.recipient_idx == 1 and state(db, send_id, 1)[0] == "not_delivered"
    assert state(db, send_id, 0)[0] == "delivered"


def test_dismissing_is_an_event(sandbox_world) -> None:
    db, settings, _documents, maildir = sandbox_world
    (maildir / "new").mkdir(parents=True, exist_ok=True)
    (maildir / "new" / "3.junk.host").write_bytes(b"\xff\xfe not a message\n")
    ingest_available(db, MaildirMailbox(maildir), IngestPolicy.from_settings(settings))
    [queued] = inbound.unmatched_queue(db.cursor())
    [event] = dismiss_bounce(db, queued["id"], support("support"), note="junk")
    assert (event.type, event.actor, event.details.note) == ("bounce_dismissed", "support",
                                                                "junk")
    assert db.cursor().execute("SELECT count(*) FROM events WHERE type = 'bounce_dismissed'"
                               ).fetchone()[0] == 1


# -- what a recipient sees cannot be turned into an applicable report ---------------------------

def test_public_keys_of_a_composed_send_yield_no_valid_token() -> None:
    """ENVID, X-Suivi-Tracking and Message-ID are what every relay and recipient sees; a
    recipient also sees its OWN signed return path. None of it signs a report about another
    recipient: the MAC needs the key, and a token names exactly one recipient."""
    key, send_id = VERP_KEY.encode(), "0f3c9a5e7d2b4c61a8e9f0b1c2d3e4f5"
    composed = compose(make_document(), recipients("a@client.test", "b@client.test"),
                       send_id=send_id, mode=SendingMode.RELAY, message_domain="atelier.test",
                       bounce_domain="bounces.atelier.test", verp_key=key, date=SEND_DATE)
    first, second = composed.envelopes
    envid = next(o for o in first.mail_options if o.startswith("ENVID="))[len("ENVID="):]
    public = (envid, composed.message[TRACKING_HEADER], composed.message_id)
    own_token = token_from_address(first.mail_from)            # what a@ sees as Return-Path
    assert verify_token(key, own_token) is VerpCheck.VALID
    _sid, _idx, own_mac = parse_token(own_token)

    for value in public:                                        # not tokens at all
        assert verify_token(key, value.strip("<>")) is VerpCheck.MALFORMED
    guesses = [f"{send_id}-1-{own_mac}"]                        # a@'s signature on b@'s index
    guesses += [f"{send_id}-1-{_b32(hashlib.sha256(v.encode()).digest())}" for v in public]
    for guess in guesses:
        assert verify_token(key, guess) is VerpCheck.FORGED
    assert token_from_address(second.mail_from) not in guesses

    # a@'s own valid token on a report naming b@ concerns a@ only, never b@.
    candidate = SendCandidate(send_id, "doc", "acct", SEND_DATE,
                              ("a@client.test", "b@client.test"))
    report = ParseResult(BounceKind.FAILURE, (RecipientReport(
        "b@client.test", "failed", "5.1.1", False, "550", Reason.USERUNKNOWN, True, "550"),),
        Correlation(verp_token=own_token, envelope_id=envid))
    match = correlate(report, Candidates({send_id: candidate}), verp_key=key,
                      received_at=SEND_DATE)
    assert match.state is MatchState.MATCHED and [t.idx for t in match.targets] == [0]


def _b32(digest: bytes) -> str:
    return base64.b32encode(digest[:10]).decode().lower()
