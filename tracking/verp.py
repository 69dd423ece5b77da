"""The signed VERP return path: `bounces+<token>@<bounce domain>`, one per recipient of a send.

A bounce is delivered to the envelope sender, so the address it arrives at says which send and
which recipient it is about — the most trusted correlation key (DESIGN §6.4). The token is signed
so nobody can forge a bounce that flips a delivery to `not_delivered`.

Token: `<send id>-<recipient index, base 36>-<mac>`, where mac is the first 80 bits of
HMAC-SHA256(key, "suivi-verp-v1" NUL send id NUL index), in lower-case base32 without padding.

- Only lower-case letters, digits and `-`: local parts may be lower-cased in transit (some MTAs
  and mailbox servers fold case), and `+`, `=` or `/` would need quoting or xtext.
- 80 bits is the truncation floor RFC 2104 §5 recommends, and keeps the local part within the
  64 octets of RFC 5321 §4.5.3.1.1 for send ids up to 36 characters (a UUID).
- The send id may itself contain `-` (a UUID does): the token is split from the right.
"""

from __future__ import annotations

import base64
import hmac
import re
from enum import StrEnum

VERP_PREFIX = "bounces"
MAC_LENGTH = 16                    # base32 characters = 80 bits
MAX_LOCAL_PART = 64                # RFC 5321 §4.5.3.1.1
_SEND_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_INDEX = re.compile(r"[0-9a-z]{1,4}")
_MAC = re.compile(rf"[a-z2-7]{{{MAC_LENGTH}}}")
_DOMAIN_SEPARATOR = b"suivi-verp-v1"


class VerpCheck(StrEnum):
    VALID = "valid"
    FORGED = "forged"          # well-formed, but the signature does not match: record, never apply
    MALFORMED = "malformed"    # not one of our tokens at all


def make_token(key: bytes, send_id: str, index: int) -> str:
    """The token for recipient `index` of `send_id`. Raises ValueError on ids we cannot carry."""
    if not key:
        raise ValueError("an empty VERP key signs nothing")
    if not _SEND_ID.fullmatch(send_id):
        raise ValueError(f"send id must be lower-case letters, digits and '-': {send_id!r}")
    if index < 0:
        raise ValueError(f"recipient index must be >= 0: {index}")
    index_text = _base36(index)
    return f"{send_id}-{index_text}-{_mac(key, send_id, index_text)}"


def parse_token(token: str) -> tuple[str, int, str] | None:
    """`(send_id, index, mac)` from a token's shape alone, or None when it is not one of ours."""
    token = token.strip().lower()
    parts = token.rsplit("-", 2)
    if len(parts) != 3:
        return None
    send_id, index_text, mac = parts
    if not (_SEND_ID.fullmatch(send_id) and _INDEX.fullmatch(index_text) and _MAC.fullmatch(mac)):
        return None
    index = int(index_text, 36)
    if _base36(index) != index_text:
        return None  # "01" for 1: one token per recipient, no aliases
    return send_id, index, mac


def verify_token(key: bytes, token: str) -> VerpCheck:
    parsed = parse_token(token)
    if parsed is None:
        return VerpCheck.MALFORMED
    send_id, index, mac = parsed
    expected = _mac(key, send_id, _base36(index))
    # Constant time, so the signature cannot be guessed byte by byte from response times.
    if hmac.compare_digest(expected.encode("ascii"), mac.encode("ascii")):
        return VerpCheck.VALID
    return VerpCheck.FORGED


def verp_address(key: bytes, send_id: str, index: int, bounce_domain: str) -> str:
    """`bounces+<token>@<bounce_domain>`; ValueError when the local part would exceed 64 octets."""
    local_part = f"{VERP_PREFIX}+{make_token(key, send_id, index)}"
    if len(local_part) > MAX_LOCAL_PART:
        raise ValueError(f"send id too long for a VERP local part ({len(local_part)} > 64)")
    return f"{local_part}@{bounce_domain.lower()}"


def token_from_address(address: str) -> str | None:
    """The token of `bounces+<token>@…` (any case, brackets allowed), or None."""
    address = address.strip().strip("<>").strip()
    local_part, at, _domain = address.rpartition("@")
    if not at:
        return None
    prefix, plus, token = local_part.partition("+")
    if not plus or prefix.lower() != VERP_PREFIX or not token:
        return None
    return token.lower()


def _mac(key: bytes, send_id: str, index_text: str) -> str:
    message = b"\0".join((_DOMAIN_SEPARATOR, send_id.encode("ascii"), index_text.encode("ascii")))
    # the one-shot C HMAC: the same digest as hmac.new(...).digest() without building an HMAC
    # object (two per message on the send path: the delivery's token, then the return path)
    digest = hmac.digest(key, message, "sha256")
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
        if number == 0:
            return text
