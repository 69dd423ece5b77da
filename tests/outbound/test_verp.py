"""The signed VERP return path: round trip, forgery, tampering, and address safety."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking.verp import (
    VerpCheck,
    make_token,
    parse_token,
    token_from_address,
    verify_token,
    verp_address,
)

KEY = b"k" * 32
SEND_ID = str(uuid.UUID("0f9a2c3e-1111-4222-8333-444455556666"))


def test_token_round_trips_and_verifies() -> None:
    token = make_token(KEY, SEND_ID, 3)
    send_id, index, _mac = parse_token(token)
    assert (send_id, index) == (SEND_ID, 3)
    assert verify_token(KEY, token) is VerpCheck.VALID


def test_token_from_another_key_is_forged() -> None:
    assert verify_token(b"another key", make_token(KEY, SEND_ID, 0)) is VerpCheck.FORGED


@pytest.mark.parametrize("part", ["send_id", "index", "mac"])
def test_any_altered_part_is_forged(part: str) -> None:
    send_id, index, mac = parse_token(make_token(KEY, SEND_ID, 1))
    if part == "send_id":
        send_id = send_id[:-1] + ("7" if send_id[-1] != "7" else "8")
    elif part == "index":
        index = 2
    else:
        mac = mac[:-1] + ("a" if mac[-1] != "a" else "b")
    altered = f"{send_id}-{index}-{mac}"
    assert parse_token(altered) is not None
    assert verify_token(KEY, altered) is VerpCheck.FORGED


@pytest.mark.parametrize("token", [
    "", "bounces", "abc", "s1-0", "s1-0-short", "s1-0-" + "1" * 16,  # '1' is not base32
    "S1 -0-" + "a" * 16, "s1-01-" + "a" * 16,  # non-canonical index: no aliases
    "-0-" + "a" * 16, "s1--" + "a" * 16,
])
def test_malformed_tokens(token: str) -> None:
    assert verify_token(KEY, token) is VerpCheck.MALFORMED


def test_verification_survives_case_folding_in_transit() -> None:
    address = verp_address(KEY, SEND_ID, 2, "Bounces.Example.COM")
    token = token_from_address(f"<{address.upper()}>")
    assert token is not None
    assert verify_token(KEY, token) is VerpCheck.VALID
    assert parse_token(token)[:2] == (SEND_ID, 2)


def test_address_fits_rfc5321_local_part_for_a_uuid() -> None:
    address = verp_address(KEY, SEND_ID, 9, "bounces.suivi.example")
    local_part = address.rpartition("@")[0]
    assert local_part.startswith("bounces+")
    assert len(local_part) <= 64


def test_send_id_that_would_not_survive_transit_is_refused() -> None:
    with pytest.raises(ValueError):
        make_token(KEY, "Send-ID-With-Capitals", 0)
    with pytest.raises(ValueError):
        make_token(KEY, "a+b", 0)
    with pytest.raises(ValueError):
        make_token(b"", "s1", 0)
    with pytest.raises(ValueError):
        verp_address(KEY, "x" * 50, 0, "b.example")


@pytest.mark.parametrize("address, expected", [
    ("bounces+abc-0-xyz@b.example", "abc-0-xyz"),
    ("BOUNCES+ABC@b.example", "abc"),
    ("bounces@b.example", None),
    ("postmaster+abc@b.example", None),
    ("bounces+@b.example", None),
    ("not an address", None),
])
def test_token_from_address(address: str, expected: str | None) -> None:
    assert token_from_address(address) == expected


@given(
    send_id=st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?", fullmatch=True),
    index=st.integers(min_value=0, max_value=1000),
)
def test_every_token_is_address_safe_and_valid(send_id: str, index: int) -> None:
    token = make_token(KEY, send_id, index)
    assert re.fullmatch(r"[a-z0-9-]+", token)
    assert parse_token(token)[:2] == (send_id, index)
    assert verify_token(KEY, token) is VerpCheck.VALID
