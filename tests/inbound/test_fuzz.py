"""Bad input never breaks the parser: it returns a well-formed result, quickly.

Property tests (hypothesis) over generated structures and mutated real bytes, plus the
specific hostile shapes of issue 3: truncation, wrong/unknown charsets, 8-bit headers,
missing boundaries, nested reports, huge headers and lines, a 20 MB attachment, garbage.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.inbound import mutation_fuzz
from tracking.inbound.parse import parse_message
from tracking.inbound.result import ParseResult
from tracking.models import BounceKind, Reason

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "data" / "bounces" / "standard").glob("*.eml"))
SAMPLE_BYTES = [path.read_bytes() for path in SAMPLES]


def assert_well_formed(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert isinstance(result.kind, BounceKind)
    assert all(isinstance(defect, str) for defect in result.defects)
    for report in result.recipients:
        assert isinstance(report.reason, Reason)
        assert report.recipient is None or report.recipient == report.recipient.lower()
        assert not (report.hardbounce and report.reason.group.value != "address_dead")
    if result.kind is BounceKind.UNDECODABLE:
        assert result.defects, "an undecodable message must say why"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_binary_garbage(raw):
    assert_well_formed(parse_message(raw))


@settings(max_examples=150, deadline=None)
@given(
    sample=st.sampled_from(SAMPLE_BYTES),
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=20),
)
def test_truncated_and_mutated_samples(sample, cut, flips):
    data = bytearray(sample[: int(len(sample) * cut)])
    for where, value in flips:
        if data:
            data[int(where * (len(data) - 1))] = value
    assert_well_formed(parse_message(bytes(data)))


_HEADER_NAMES = st.sampled_from(
    ["Content-Type", "Final-Recipient", "Action", "Status", "Diagnostic-Code", "Subject", "From",
     "Auto-Submitted", "Content-Transfer-Encoding", "Feedback-Type", "Original-Rcpt-To"]
)


@settings(max_examples=150, deadline=None)
@given(
    headers=st.lists(st.tuples(_HEADER_NAMES, st.text(max_size=200)), max_size=12),
    body=st.text(max_size=2000),
    charset=st.sampled_from(["utf-8", "x-unknown-charset", "iso-2022-jp", "", "utf-7", "latin-1"]),
)
def test_generated_reports(headers, body, charset):
    lines = ["MIME-Version: 1.0",
             f'Content-Type: multipart/report; report-type=delivery-status; boundary="B"']
    lines += [f"{name}: {value}".replace("\r", " ").replace("\n", " ") for name, value in headers]
    text = "\n".join(lines) + (
        f"\n\n--B\nContent-Type: text/plain; charset={charset}\n\n{body}\n"
        f"--B\nContent-Type: message/delivery-status\n\n{body}\n--B--\n"
    )
    assert_well_formed(parse_message(text.encode("utf-8", "surrogatepass")))


def report(recipient_block: str, *, boundary: str = "B", closing: bool = True, charset: str = "us-ascii") -> bytes:
    end = f"--{boundary}--\n" if closing else ""
    return (
        "From: MAILER-DAEMON@example.net\nSubject: Undelivered Mail\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n\n'
        f"--{boundary}\nContent-Type: text/plain; charset={charset}\n\nFailed.\n\n"
        f"--{boundary}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        f"{recipient_block}\n{end}"
    ).encode("utf-8", "surrogateescape")


BLOCK = "Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user"


def test_missing_closing_boundary_still_reads_the_report():
    result = parse_message(report(BLOCK, closing=False))
    assert result.kind is BounceKind.FAILURE
    assert result.recipients[0].reason is Reason.USERUNKNOWN


def test_unknown_charset_and_8bit_headers_do_not_break_reading():
    raw = report(BLOCK, charset="x-no-such-charset").replace(
        b"Subject: Undelivered Mail", b"Subject: \xe9chec de remise \xff\xfe"
    )
    result = parse_message(raw)
    assert result.kind is BounceKind.FAILURE and result.recipients[0].recipient == "a@example.org"


def test_boundary_never_used_in_the_body():
    raw = report(BLOCK).replace(b"--B", b"--C")
    assert_well_formed(parse_message(raw))


def test_nested_report_inside_the_returned_message_is_not_read_as_ours():
    inner = report(BLOCK.replace("a@example.org", "quoted@elsewhere.example")).decode()
    raw = (
        "From: MAILER-DAEMON@example.net\nSubject: Undelivered Mail\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="OUT"\n\n'
        "--OUT\nContent-Type: text/plain\n\nFailed.\n\n"
        "--OUT\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        "Final-Recipient: rfc822; ours@example.org\nAction: failed\nStatus: 5.2.2\n\n"
        f"--OUT\nContent-Type: message/rfc822\n\n{inner}\n--OUT--\n"
    ).encode()
    result = parse_message(raw)
    assert [r.recipient for r in result.recipients] == ["ours@example.org"]


def test_deeply_nested_multiparts_are_bounded():
    raw = "MIME-Version: 1.0\n"
    for depth in range(200):
        raw += f'Content-Type: multipart/mixed; boundary="b{depth}"\n\n--b{depth}\n'
    raw += "Content-Type: text/plain\n\nhello\n"
    assert_well_formed(parse_message(raw.encode()))


def test_undecodable_when_there_are_no_headers_at_all():
    result = parse_message(b"\x00\x01\x02 not a message \xff" * 10)
    assert_well_formed(result)
    assert result.kind in (BounceKind.UNDECODABLE, BounceKind.NOT_A_BOUNCE)
    assert parse_message(b"").kind is BounceKind.UNDECODABLE


@pytest.mark.slow
def test_huge_header_and_adversarial_long_lines_finish_in_bounded_time():
    # Shapes that make backtracking regexes explode: long runs of address characters, dots,
    # digits and whitespace with no terminator, in headers and in the diagnostic.
    hostile = ["a" * 200_000, "." * 200_000, "5." * 100_000, "550-" * 50_000, "a@" * 100_000,
               " \t" * 100_000, "x" * 100_000 + "@" + "y." * 50_000]
    for filler in hostile:
        block = f"Final-Recipient: rfc822; {filler}\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; {filler}"
        raw = report(block).replace(b"Subject: Undelivered Mail", f"Subject: {filler}".encode())
        started = time.perf_counter()
        result = parse_message(raw)
        elapsed = time.perf_counter() - started
        assert_well_formed(result)
        assert elapsed < 2.0, f"{elapsed:.2f}s on a {len(raw)}-byte message ({filler[:10]!r}…)"


@pytest.mark.slow
def test_twenty_megabyte_attachment_is_read_in_bounded_time():
    attachment = ("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" * 2 + "\n") * 280_000  # ~20 MB base64
    raw = report(BLOCK).replace(
        b"--B--\n",
        b"--B\nContent-Type: message/rfc822\n\nSubject: facture\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="I"\n\n--I\nContent-Type: application/pdf\n'
        b"Content-Transfer-Encoding: base64\n\n" + attachment.encode() + b"--I--\n--B--\n",
    )
    assert len(raw) > 20_000_000
    started = time.perf_counter()
    result = parse_message(raw)
    assert time.perf_counter() - started < 15.0
    assert result.kind is BounceKind.FAILURE and result.recipients[0].recipient == "a@example.org"


def test_mutation_fuzz_finds_no_internal_error_and_keeps_untouched_recipients():
    """A small deterministic run of `tests/inbound/mutation_fuzz.py` over the project's samples
    and, when present, the shared corpus (a larger run: `python -m tests.inbound.mutation_fuzz`)."""
    problems, counts = mutation_fuzz.run(budget=1_500, seed=20261202)
    assert sum(counts.values()) == 1_500
    assert sum(n for name, n in counts.items() if name.startswith("local-")) > 100  # the recipient check ran
    assert not problems, "\n".join(f"{p.source} {p.mutation} seed={p.seed}: {p.what}" for p in problems[:20])


@pytest.mark.parametrize("old, new", [
    # 8-bit bytes in a Content-Type without a usable boundary parameter: compat32 hands back an
    # `email.header.Header`, and the boundary repair raised `TypeError: … Header found`
    (b'report-type=delivery-status; boundary="B"', b'report-type=delivery-status; bound\xe9ry="B"'),
    # a charset parameter holding a NUL on an 8-bit part: "embedded null character"
    (b"Content-Type: text/plain; charset=us-ascii", b'Content-Type: text/plain; charset="us\x00ascii"'),
    # an RFC 2231 charset (compat32 returns a tuple) on an 8-bit part
    (b"Content-Type: text/plain; charset=us-ascii", b"Content-Type: text/plain; charset*=utf-8''%e9"),
])
def test_internal_errors_found_by_the_fuzz_are_gone(old, new):
    raw = report(BLOCK).replace(old, new).replace(b"Failed.", b"\xe9chec de remise")
    assert new in raw
    result = parse_message(raw)
    assert not [d for d in result.defects if d.startswith("parser failure")], result.defects
    assert [r.recipient for r in result.recipients] == ["a@example.org"]


def test_eight_bit_header_values_read_as_text_not_header_objects():
    raw = report(BLOCK).replace(b"Subject: Undelivered Mail", "Subject: Échec de remise".encode())
    result = parse_message(raw)
    assert result.subject == "Échec de remise"


def test_text_input_with_a_lone_surrogate_is_read_not_failed():
    result = parse_message(report(BLOCK).decode().replace("Undelivered", "Undeli\ud800vered"))
    assert not [d for d in result.defects if d.startswith("parser failure")], result.defects
    assert [r.recipient for r in result.recipients] == ["a@example.org"]
