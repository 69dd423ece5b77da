"""xtext (RFC 3461 §4): how ENVID and ORCPT values travel in SMTP parameters.

Printable ASCII 33..126 except `+` and `=` stands for itself; everything else is `+XX` (upper-case
hex of the octet). Non-ASCII addresses are carried as their UTF-8 octets, which is what an
RFC 3461 server decodes back; RFC 6533's `utf-8` address type is not used.
"""

from __future__ import annotations

import re

_ENCODED = re.compile(r"\+([0-9A-Fa-f]{2})")
_VERBATIM = re.compile(r"[!-*,-<>-~]*")   # 33..126 less '+' (43) and '=' (61)


def xtext_encode(text: str) -> str:
    if _VERBATIM.fullmatch(text):   # the usual address or send id: nothing to escape
        return text
    out = []
    for octet in text.encode("utf-8"):
        if 33 <= octet <= 126 and octet not in (0x2B, 0x3D):  # '+' and '='
            out.append(chr(octet))
        else:
            out.append(f"+{octet:02X}")
    return "".join(out)


def xtext_decode(text: str) -> str:
    """Lenient: a `+` not followed by two hex digits is kept as is (malformed input is data)."""
    raw = bytearray()
    position = 0
    for match in _ENCODED.finditer(text):
        raw += text[position : match.start()].encode("utf-8", "surrogateescape")
        raw.append(int(match.group(1), 16))
        position = match.end()
    raw += text[position:].encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "replace")
