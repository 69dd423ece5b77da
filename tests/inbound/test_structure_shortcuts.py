"""The parser's shortcuts around the stdlib (`structure.content_type_of`, the header reads of
`decode_part`) must answer exactly what compat32 answers, on the odd values too: they exist
only to skip the stdlib's call layers on every part of every message."""

from __future__ import annotations

from email import message_from_bytes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracking.inbound.detectors.base import contains_any
from tracking.inbound.structure import content_type_of, decode_part

CONTENT_TYPES = [
    None,                                         # absent: the default type
    "text/plain",
    "TEXT/HTML; charset=UTF-8",                   # case and parameters
    "  multipart/report ;report-type=delivery-status; boundary=\"b\"",
    "text",                                       # no slash: compat32 says text/plain
    "a/b/c",                                      # two slashes: text/plain too
    "message/delivery-status (comment)",
    "text/plain; charset=\"iso-8859-1\"",
]


def _message(content_type: str | None, extra: bytes = b"") -> bytes:
    header = b"" if content_type is None else b"Content-Type: " + content_type.encode() + b"\n"
    return b"From: a@example.org\n" + extra + header + b"\nbody\n"


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_content_type_of_matches_the_stdlib(content_type):
    message = message_from_bytes(_message(content_type))
    assert content_type_of(message) == message.get_content_type()


def test_content_type_of_with_8bit_bytes_in_the_value_matches_the_stdlib():
    message = message_from_bytes(_message(None, b"Content-Type: text/pl\xe9in; charset=x\n"))
    assert content_type_of(message) == message.get_content_type()


def test_content_type_of_in_a_digest_defaults_to_message_rfc822():
    raw = (
        b"Content-Type: multipart/digest; boundary=\"d\"\n\n--d\n\nSubject: inner\n\nhi\n--d--\n"
    )
    part = message_from_bytes(raw).get_payload()[0]
    assert part.get_content_type() == "message/rfc822"
    assert content_type_of(part) == "message/rfc822"


def test_content_type_of_reads_the_first_of_repeated_headers():
    message = message_from_bytes(_message("text/html", b"Content-Type: text/csv\n"))
    assert content_type_of(message) == message.get_content_type() == "text/csv"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x17F, blacklist_categories=("Cs",)), max_size=60))
def test_content_type_of_matches_the_stdlib_on_any_value(value):
    # one line of any text, sent as UTF-8: 8-bit bytes reach the value as surrogate escapes
    header = b"Content-Type: " + " ".join(value.split()).encode("utf-8") + b"\n"
    message = message_from_bytes(_message(None, header))
    assert content_type_of(message) == message.get_content_type()


def test_decode_part_reads_the_transfer_encoding_and_charset_headers():
    raw = (
        b"From: a@example.org\nContent-Type: text/plain; charset=ISO-8859-1\n"
        b"Content-Transfer-Encoding: Quoted-Printable\n\nd=E9j=E0 vu\n"
    )
    assert decode_part(message_from_bytes(raw)).strip() == "déjà vu"


def test_contains_any():
    assert contains_any("mailer-daemon@google.com", ("@gmail.com", "@google.com"))
    assert not contains_any("postmaster@example.org", ("@gmail.com", "@google.com"))
    assert not contains_any("anything", ())
