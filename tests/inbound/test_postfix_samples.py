"""The bounce reader on real Postfix DSNs (tests/data/bounces/postfix, made by
tests/tools/make_postfix_samples.py from a private Postfix + Dovecot): every recipient, status,
reply code and reason, and every correlation key, exactly as expected.json records them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracking import verp
from tracking.inbound import parse

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "bounces" / "postfix"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text())
NAMES = sorted(EXPECTED["samples"])

# The reason the classifier on `main` does not give yet for these real Postfix samples (issue 9:
# "connection refused until expiry is `expired`, never `blocked`; a delay is never a final
# reason"). The classifier is being rebuilt on the `reasons` branch; ONLY the reason assertion
# of these samples is marked (xfail when it differs) until the lead merges that branch and
# checks them together — then this set should become empty.
REASON_AWAITS_REASONS_BRANCH: frozenset[str] = frozenset()  # empty since branch `reasons`


def test_every_sample_file_is_listed() -> None:
    assert sorted(path.name for path in SAMPLES.glob("*.eml")) == NAMES
    assert len(NAMES) >= 9


@pytest.mark.parametrize("name", NAMES)
def test_postfix_sample_reads_as_recorded(name: str) -> None:
    expected = EXPECTED["samples"][name]
    result = parse.parse_message((SAMPLES / name).read_bytes())

    assert result.kind.value == expected["kind"]
    assert result.defects == ()
    got = [
        {
            "recipient": report.recipient, "action": report.action, "status": report.status,
            "replycode": report.replycode, "reason": report.reason.value,
            "hardbounce": report.hardbounce,
        }
        for report in result.recipients
    ]
    want = expected["recipients"]
    assert result.correlation.tracking_id == expected["tracking_id"]
    for key in ("envelope_id", "message_id", "verp_token"):
        if key in expected:
            assert getattr(result.correlation, key) == expected[key], key
    if name in REASON_AWAITS_REASONS_BRANCH:
        without_reason = [{k: v for k, v in row.items() if k != "reason"} for row in got]
        assert without_reason == [{k: v for k, v in row.items() if k != "reason"} for row in want]
        if got != want:  # the reason alone: see REASON_AWAITS_REASONS_BRANCH (branch `reasons`)
            pytest.xfail(f"reason {[r['reason'] for r in got]}, want {[r['reason'] for r in want]}: "
                         "awaits the classifier of branch `reasons`")
    assert got == want


@pytest.mark.parametrize("name", [n for n in NAMES if EXPECTED["samples"][n].get("verp_token")])
def test_verp_tokens_in_postfix_samples_verify(name: str) -> None:
    token = EXPECTED["samples"][name]["verp_token"]
    key = EXPECTED["verp_key"].encode()
    assert verp.verify_token(key, token) is verp.VerpCheck.VALID
    assert verp.verify_token(b"another key", token) is verp.VerpCheck.FORGED


def test_diagnostics_keep_the_servers_words() -> None:
    result = parse.parse_message((SAMPLES / "mailbox-full.eml").read_bytes())
    [report] = result.recipients
    assert "Quota exceeded" in report.diagnostic
    assert "\n" not in report.diagnostic          # folded continuation lines are unfolded


LIFETIME = {
    # sample: (kind, action, status, state the delivery is left in)
    "delayed-connection-refused.eml": ("delay", "delayed", "4.4.1", "pending"),
    "delayed-greylisted.eml": ("delay", "delayed", "4.2.0", "pending"),
    "expired-connection-refused.eml": ("failure", "failed", "4.4.1", "not_delivered"),
    "expired-greylisted.eml": ("failure", "failed", "4.2.0", "not_delivered"),
}


@pytest.mark.parametrize("name", sorted(LIFETIME))
def test_queue_lifetime_samples_leave_the_delivery_in_the_right_state(name: str) -> None:
    """Real Postfix notices with a queue lifetime of seconds (make_postfix_samples --scenarios
    lifetime): a delay keeps the delivery pending and is never `expired`; the failure when the
    lifetime ends is final."""
    from datetime import UTC, datetime

    from tracking.events import Event
    from tracking.inbound.correlate import Match, MatchMethod, MatchState, SendCandidate, Target
    from tracking.ingest import events_for
    from tracking.models import EventType
    from tracking.state import apply

    kind, action, status, state = LIFETIME[name]
    result = parse.parse_message((SAMPLES / name).read_bytes())
    [report] = result.recipients
    assert (result.kind.value, report.action, report.status) == (kind, action, status)
    if kind == "delay":
        assert report.reason.value != "expired" and not report.hardbounce
    # (the expiries' reason, `expired`, is asserted in test_postfix_sample_reads_as_recorded)
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    send = SendCandidate("s1", "d1", "a1", at, (report.recipient,))
    match = Match(MatchState.MATCHED, MatchMethod.VERP, send, (Target(0, 0),))
    [event] = events_for("rm1", result, match, at)
    current = None
    for opening in (EventType.SEND_REQUESTED, EventType.RECIPIENT_ACCEPTED):
        current = apply(current, Event(f"e-{opening}", opening, at, "test", "a1", "d1", "s1", 0)) or current
    current = apply(current, event)
    assert current is not None and current.state.value == state
    assert current.status_code == status and current.reason == str(report.reason)
