"""Bounded work per message, output linear in the input (issue 9).

Hostile shapes are cut short with a defect saying so; real messages are never cut.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.inbound import mutation_fuzz
from tracking.inbound import limits
from tracking.inbound.parse import parse_message
from tracking.models import BounceKind

REPO = Path(__file__).resolve().parents[2]
SAMPLES = mutation_fuzz.sources()  # the project's samples, and the shared corpus when present
LIMIT = "reading limit reached"


def dsn(blocks: str, *, extra_headers: str = "", tail: str = "") -> bytes:
    return (
        "From: MAILER-DAEMON@example.net\nSubject: Undelivered Mail\nMIME-Version: 1.0\n" + extra_headers +
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nDelivery failed.\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n"
        "Original-Envelope-Id: s42\n\n"
        f"{blocks}\n{tail}--B--\n"
    ).encode()


def block(i: int) -> str:
    return (f"Final-Recipient: rfc822; user{i}@example.org\nOriginal-Recipient: rfc822; user{i}@example.org\n"
            "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n")


def parse_timed(raw: bytes):
    started = time.perf_counter()
    result = parse_message(raw)
    return result, time.perf_counter() - started


def limit_defects(result) -> list[str]:
    return [d for d in result.defects if d.startswith(LIMIT)]


def test_two_hundred_thousand_flat_parts_are_cut_short_and_the_report_still_read():
    raw = dsn(block(1), tail="--B\nContent-Type: text/plain\n\nx\n" * 200_000)
    result, elapsed = parse_timed(raw)
    assert elapsed < 2.0, f"{elapsed:.2f}s"  # 8.8 s before the limit
    assert [r.recipient for r in result.recipients] == ["user1@example.org"]
    assert any("MIME part delimiters" in d for d in limit_defects(result)), result.defects


NESTED_MULTIPARTS = "MIME-Version: 1.0\n" + "".join(
    f'Content-Type: multipart/mixed; boundary="b{d}"\n\n--b{d}\n' for d in range(3_000)
) + "Content-Type: text/plain\n\nhello\n"
NESTED_MESSAGES = "Content-Type: message/rfc822\n\n" * 3_000 + "Subject: x\n\nhello\n"


@pytest.mark.parametrize("raw", [
    NESTED_MULTIPARTS.encode(),
    NESTED_MESSAGES.encode(),                                   # no delimiter lines at all
    NESTED_MESSAGES.upper().replace("\n", "\r\n").encode(),   # as IMAP hands it, upper case
    NESTED_MESSAGES.replace("\n", "\r").encode(),               # old Mac line ends: bare CRs
], ids=["multiparts", "messages", "messages-crlf-upper", "messages-bare-cr"])
def test_deep_nesting_is_cut_short_instead_of_exhausting_the_recursion_limit(raw):
    result, elapsed = parse_timed(raw)
    assert not [d for d in result.defects if d.startswith("parser failure")], result.defects
    assert any("250 multipart or message parts" in d for d in limit_defects(result)), result.defects
    assert elapsed < 2.0


def test_flat_parts_with_bare_cr_line_ends_are_bounded_too():
    raw = dsn(block(1), tail="--B\nContent-Type: text/plain\n\nx\n" * 200_000).replace(b"\n", b"\r")
    result, elapsed = parse_timed(raw)
    assert elapsed < 2.0 and limit_defects(result)
    assert [r.recipient for r in result.recipients] == ["user1@example.org"]


def test_a_huge_header_block_is_cut_and_the_body_still_read():
    raw = dsn(block(1), extra_headers="X-Filler: v\n" * 100_000)
    result, elapsed = parse_timed(raw)
    assert [r.recipient for r in result.recipients] == ["user1@example.org"]
    assert any("header lines" in d for d in limit_defects(result))
    assert elapsed < 2.0


def test_recipients_beyond_the_limit_are_dropped_with_a_defect(monkeypatch):
    monkeypatch.setattr(limits, "MAX_RECIPIENTS", 50)
    result = parse_message(dsn("\n".join(block(i) for i in range(120))))
    assert [r.recipient for r in result.recipients] == [f"user{i}@example.org" for i in range(50)]
    assert any("the first 50 of 120 kept" in d for d in limit_defects(result))


def test_many_recipients_are_all_kept_below_the_limit_in_bounded_time():
    count = 3_000
    result, elapsed = parse_timed(dsn("\n".join(block(i) for i in range(count))))
    assert len(result.recipients) == count and not limit_defects(result)
    assert elapsed < 3.0


def test_a_diagnostic_is_bounded():
    result = parse_message(dsn(block(1).replace("no such user", "no such user " + "x" * 50_000)))
    assert len(result.recipients[0].diagnostic) <= limits.MAX_DIAGNOSTIC_CHARS + 2


def test_real_messages_are_never_cut():
    for path in SAMPLES:
        result = parse_message(path.read_bytes())
        assert not limit_defects(result), path.name


@pytest.mark.parametrize("cut_as_crlf", [False, True])
def test_a_large_message_with_many_body_lines_keeps_its_header(cut_as_crlf):
    """The header-line limit counts the header block only (LF or CRLF line ends)."""
    raw = dsn(block(1), tail="--B\nContent-Type: text/plain\n\n" + "line\n" * 20_000)
    if cut_as_crlf:
        raw = raw.replace(b"\n", b"\r\n")
    result = parse_message(raw)
    assert result.kind is BounceKind.FAILURE and not limit_defects(result)


# ---- parse --jsonl: one line per recipient, each carrying its own recipient only ------------

def jsonl_output(tmp_path: Path, count: int) -> bytes:
    path = tmp_path / f"dsn-{count}.eml"
    path.write_bytes(dsn("\n".join(block(i) for i in range(count))))
    completed = subprocess.run(
        [sys.executable, "-m", "tracking", "parse", str(path), "--jsonl"],
        cwd=REPO, capture_output=True, timeout=120, check=True,
    )
    return completed.stdout


def test_jsonl_output_is_linear_in_the_number_of_recipients(tmp_path):
    small, large = jsonl_output(tmp_path, 100), jsonl_output(tmp_path, 1_000)
    lines = [json.loads(line) for line in large.splitlines()]
    assert len(lines) == 1_000
    # before: every line repeated the 1,000 Original-Recipient addresses (quadratic size)
    assert len(large) / len(small) < 10.5, (len(small), len(large))
    for index, line in enumerate(lines):
        assert line["recipient"] == f"user{index}@example.org"
        assert line["correlation"] == {"envelope_id": "s42", "original_recipients": [line["recipient"]]}
