"""What may go into a message header or an SMTP envelope — pure checks, no I/O.

A value that ends up in a header (document number, account and sender names, client name,
subject) or on an SMTP command line (addresses) must not carry a character that ends the line or
that a server or mail client reads as a control: CR or LF would split a header or an SMTP
command (header or command injection), NUL truncates in C code, ESC/DEL and the other C0/C1
controls are not text, and U+2028/U+2029 are line breaks for Python's `str.splitlines` and for
some clients. Addresses follow RFC 5321 §4.5.3.1: a local part of at most 64 octets, a path of at
most 256 octets including the angle brackets, so an address of at most 254.

Every refusal is a `RefusedValue` with a code and parameters (STYLE habit 15); the message text
is English for logs, the console words the code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tracking.errors import RefusedValue
from tracking.records import Account, Document

MAX_LOCAL_PART_OCTETS = 64      # RFC 5321 §4.5.3.1.1
MAX_ADDRESS_OCTETS = 254        # RFC 5321 §4.5.3.1.3: a 256-octet path less "<" and ">"

# A deliberately plain shape: one @, no spaces or list separators, a dot in the domain. Servers
# judge the rest.
_ADDRESS = re.compile(r"[^@\s<>\"',;\\]+@[^@\s<>\"',;\\]+\.[^@\s<>\"',;\\]+")
# Unicode category Cc — C0 (U+0000–U+001F: CR, LF, TAB, NUL, ESC…), DEL and C1 (U+0080–U+009F)
# — plus the two line separators, as one compiled class: a per-character Python loop over
# `unicodedata.category` was a visible share of composing a message (`bench send`).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def unsafe_character(value: str) -> str | None:
    """The first character of `value` a header or an SMTP line must not carry, or None."""
    found = _UNSAFE.search(value)
    return None if found is None else found.group()


def check_header_text(value: str | None, field: str) -> None:
    """Refuse a control character or line separator in a value bound for a header."""
    if not value:
        return
    character = unsafe_character(value)
    if character is not None:
        raise RefusedValue(
            "control_character", f"{field} contains the control character "
            f"{_codepoint(character)}; it cannot go into a message header",
            field=field, character=_codepoint(character))


def check_address(address: str, field: str) -> None:
    """Refuse an address with a control character, longer than RFC 5321 allows, or malformed."""
    check_header_text(address, field)
    local_part = address.rpartition("@")[0]
    local_octets = len(local_part.encode("utf-8"))
    if local_octets > MAX_LOCAL_PART_OCTETS:
        raise RefusedValue(
            "local_part_too_long", f"{field} {_shortened(address)}: the part before @ has "
            f"{local_octets} octets, at most {MAX_LOCAL_PART_OCTETS} are allowed",
            field=field, octets=local_octets, limit=MAX_LOCAL_PART_OCTETS)
    octets = len(address.encode("utf-8"))
    if octets > MAX_ADDRESS_OCTETS:
        raise RefusedValue(
            "address_too_long", f"{field} {_shortened(address)}: {octets} octets, "
            f"at most {MAX_ADDRESS_OCTETS} are allowed",
            field=field, octets=octets, limit=MAX_ADDRESS_OCTETS)
    if not _ADDRESS.fullmatch(address):
        raise RefusedValue("malformed_address", f"not an email address: {address}",
                           field=field, address=address)


def check_addresses(addresses: Iterable[str], field: str) -> None:
    for address in addresses:
        check_address(address, field)


def check_sendable(document: Document, account: Account, client_name: str) -> None:
    """Refuse a document whose header-bound fields cannot go into a message as they are.

    The subject is built from the kind, the number and the account name, so checking those
    checks it; the account's sender address goes into From, Reply-To and MAIL FROM.
    """
    check_header_text(document.number, "document_number")
    check_header_text(account.name, "account_name")
    check_header_text(account.sender_name, "sender_name")
    check_header_text(client_name, "client_name")
    check_address(account.sender_address, "sender_address")


def _codepoint(character: str) -> str:
    return f"U+{ord(character):04X}"


def _shortened(address: str) -> str:
    shown = address if len(address) <= 80 else address[:60] + "…" + address[-15:]
    return repr(shown)
