"""Ingestion of the sandbox's Maildir (real aiosmtpd recipient side, real RFC 3464 DSNs), the
correlation order of DESIGN §6.4 (only a valid token applies; the other keys propose), and
support's manual attach / dismiss."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.actors import support
from tests.ingest.conftest import run_sandbox_send as _run
from tests.ingest.conftest import sandbox_state as _state
from tracking.errors import InvalidInput
from tracking.inbound.correlate import (
    Candidates, MatchMethod, MatchState, SendCandidate, correlate,
)
from tracking.inbound.maildir import MaildirMailbox
from tracking.inbound.result import Correlation, ParseResult, RecipientReport
from tracking.ingest import IngestPolicy, ingest_available
from tracking.models import BounceKind, Reason
from tracking.returned_actions import attach_bounce, dismiss_bounce
from tracking.store import inbound

# Ingestion's store contract: the sandbox round trips run on DuckDB and on PostgreSQL.
pytestmark = pytest.mark.engines("duckdb", "postgres")


def test_sandbox_maildir_round_trip_and_manual_attach(sandbox_world) -> None:
    db, settings, documents, maildir = sandbox_world
    send_id = _run(db, settings, documents, 0, ("unknown@client.test", "late@client.test"),
                   ("defer@client.test", "complain@client.test"))
    source = MaildirMailbox(maildir)
    policy = IngestPolicy.from_settings(settings)
    stats = ingest_available(db, source, policy)
    assert stats.by_state == {"matched": stats.stored} and stats.stored >= 6
    assert _state(db, send_id, 0)[:2] == ("not_delivered", "userunknown")
    assert _state(db, send_id, 1)[:2] == ("not_delivered", "userunknown")   # late, after delivered
    assert _state(db, send_id, 2)[0] == "delivered"                          # delayed, then delivered
    assert _state(db, send_id, 3) == ("delivered", "delivered", True)       # complaint: flag only
    assert ingest_available(db, source, policy).messages == 0               # entries remembered

    # A bounce with none of our keys, saved by hand into the Maildir: unmatched.
    (maildir / "new" / "1.manual.host").write_bytes(
        b"From: MAILER-DAEMON@mx.example\nTo: someone@atelier.test\nSubject: failure notice\n\n"
        b"<gone@client.test>: 550 5.1.1 mailbox does not exist\n")
    assert ingest_available(db, source, policy).by_state == {"unmatched": 1}
    [queued] = inbound.unmatched_queue(db.cursor())
    other = _run(db, settings, documents, 1, ("gone@client.test",))
    assert _state(db, other, 0)[0] == "sent"
    events = attach_bounce(db, queued["id"], other, "gone@client.test", support("support"))
    assert [e.type for e in events][0] == "bounce_attached"
    assert _state(db, other, 0)[0] == "not_delivered"
    assert inbound.unmatched_queue(db.cursor()) == []
    with pytest.raises(InvalidInput):
        attach_bounce(db, queued["id"], other, "gone@client.test", support("support"))  # already matched
    with pytest.raises(InvalidInput):
        dismiss_bounce(db, queued["id"], support("support"))


def test_dismissed_message_leaves_the_queue(sandbox_world) -> None:
    db, settings, _documents, maildir = sandbox_world
    (maildir / "new").mkdir(parents=True, exist_ok=True)
    (maildir / "new" / "2.spam.host").write_bytes(b"\xff\xfe not a message\n")
    stats = ingest_available(db, MaildirMailbox(maildir), IngestPolicy.from_settings(settings))
    assert stats.stored == 1
    [queued] = inbound.unmatched_queue(db.cursor())
    assert queued["kind"] == "undecodable" and "no message headers" in queued["defects"]
    dismiss_bounce(db, queued["id"], support("support"), note="junk")
    assert inbound.unmatched_queue(db.cursor()) == []
    row = db.cursor().execute("SELECT action, actor, note FROM returned_message_handling"
                              ).fetchone()
    assert row == ("dismissed", "support", "junk")


# -- correlation order (pure) -------------------------------------------------------------------

_AT = datetime(2026, 11, 28, 10, tzinfo=UTC)
_SEND = SendCandidate("s1", "d1", "a1", _AT - timedelta(days=1), ("x@client.test", "y@client.test"))


def _result(correlation: Correlation, recipient: str = "y@client.test") -> ParseResult:
    report = RecipientReport(recipient, "failed", "5.1.1", False, "550", Reason.USERUNKNOWN, True,
                             "550 5.1.1 unknown")
    return ParseResult(BounceKind.FAILURE, (report,), correlation)


@pytest.mark.parametrize("correlation, method", [
    (Correlation(envelope_id="s1"), MatchMethod.ENVID),
    (Correlation(message_id="<suivi.s1@atelier.test>"), MatchMethod.MESSAGE_ID),
    (Correlation(tracking_id="s1"), MatchMethod.HEADER),
    (Correlation(), MatchMethod.ADDRESS_WINDOW),
])
def test_keys_in_order_of_trust_only_propose(correlation, method) -> None:
    candidates = Candidates({"s1": _SEND}, {"<suivi.s1@atelier.test>": "s1"},
                            {"y@client.test": (("s1", _SEND.requested_at),)})
    match = correlate(_result(correlation), candidates, verp_key=b"k", received_at=_AT)
    assert (match.state, match.method, [t.idx for t in match.targets]) == (
        MatchState.PROPOSED, method, [1])


def test_address_outside_the_window_stays_unmatched() -> None:
    old = _AT - timedelta(days=60)
    candidates = Candidates({"s1": _SEND}, {}, {"y@client.test": (("s1", old),)})
    assert correlate(_result(Correlation()), candidates, verp_key=b"k",
                     received_at=_AT).state is MatchState.UNMATCHED


def test_bad_token_wins_over_good_weaker_keys() -> None:
    # A forger can copy our ENVID as easily as a token: a bad token is suspicious, full stop.
    correlation = Correlation(verp_token="s1-1-aaaaaaaaaaaaaaaa", envelope_id="s1")
    match = correlate(_result(correlation), Candidates({"s1": _SEND}), verp_key=b"k",
                      received_at=_AT)
    assert match.state is MatchState.SUSPICIOUS and match.send is None


def test_envid_match_with_a_stranger_recipient_is_unmatched() -> None:
    match = correlate(_result(Correlation(envelope_id="s1"), "z@elsewhere.test"),
                      Candidates({"s1": _SEND}), verp_key=b"k", received_at=_AT)
    assert match.state is MatchState.UNMATCHED and match.send is _SEND
