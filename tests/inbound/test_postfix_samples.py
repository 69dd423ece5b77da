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
    assert got == expected["recipients"]
    assert result.correlation.tracking_id == expected["tracking_id"]
    for key in ("envelope_id", "message_id", "verp_token"):
        if key in expected:
            assert getattr(result.correlation, key) == expected[key], key


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
