"""Where things are inside a returned message: the notice, the report, the returned original.

Pure helpers over compat32 `Message` objects, shared by the detectors and the parser. Walking
stops at a returned original (`message/rfc822`, `text/rfc822-headers`): what the original
contains must never be read as part of the bounce (a quoted bounce inside it, for instance).
"""

from __future__ import annotations

import codecs
import re
from email._policybase import Compat32
from email.message import Message


class _TextCompat32(Compat32):
    """compat32, except that a header value holding 8-bit bytes is returned as text (UTF-8,
    else latin-1) instead of an `email.header.Header`. The stdlib's Header object is not a
    str: code that joins, matches or re-sets header values trips on it (the fuzz found
    `TypeError: ... Header found` in the boundary repair and in detectors). Everything else —
    parsing, folding, payloads — is compat32's own."""

    def header_fetch_parse(self, name, value):
        if not isinstance(value, str) or value.isascii():
            return value
        return header_text(value)


READING_POLICY = _TextCompat32()


def header_text(value: str) -> str:
    """A raw header value (8-bit bytes kept as surrogate escapes) as real text, never raising:
    UTF-8 when the bytes are UTF-8 (RFC 6532), latin-1 when they are all 8-bit escapes."""
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return value.encode("ascii", "surrogateescape").decode("latin-1")
    except UnicodeEncodeError:
        return raw.decode("utf-8", "replace")


def known_codec(charset: str) -> str:
    """The charset name if Python can decode with it, else '' (a name from the message may
    be anything: unknown, overlong, holding a NUL — codecs.lookup raises on all of those)."""
    if not charset or len(charset) > 40:
        return ""
    try:
        codecs.lookup(charset)
    except (LookupError, ValueError, TypeError):
        return ""
    return charset


RETURNED_TYPES = frozenset(
    ("message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers")
)
_MAX_DEPTH = 8  # nested multiparts deeper than this are not real bounces; stop walking


def outer_parts(message: Message) -> tuple[Message, ...]:
    """Parts of the bounce itself, depth first, the message first, not entering returned mail.
    Computed once per message: every detector asks. Only the parts below the message are
    cached on it — caching the message in its own __dict__ would make a reference cycle that
    keeps every parsed tree alive until the garbage collector runs."""
    below = message.__dict__.get("_suivi_parts_below")
    if below is None:
        below = _index_outer(message)[0]
    return (message, *below)


def outer_types(message: Message) -> tuple[str, ...]:
    """The content types of `outer_parts`, in the same order (cached too)."""
    cached = message.__dict__.get("_suivi_outer_types")
    if cached is None:
        cached = _index_outer(message)[1]
    return cached


def parts_of_type(message: Message, content_types: frozenset[str] | tuple[str, ...]) -> list[Message]:
    kinds = outer_types(message)
    for kind in kinds:  # most messages hold none of the asked types: answer without the parts
        if kind in content_types:
            return [part for part, kind in zip(outer_parts(message), kinds) if kind in content_types]
    return []


def _index_outer(message: Message) -> tuple[tuple[Message, ...], tuple[str, ...]]:
    """One walk that finds the parts and their content types together (`get_content_type`
    rescans a part's headers, so it is asked once per part), cached on the message."""
    parts: list[Message] = []
    types: list[str] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        kind = content_type_of(part)
        parts.append(part)
        types.append(kind)
        if depth >= _MAX_DEPTH or not kind.startswith("multipart/"):
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in reversed(payload) if isinstance(child, Message))
    below, kinds = tuple(parts[1:]), tuple(types)
    message.__dict__["_suivi_parts_below"], message.__dict__["_suivi_outer_types"] = below, kinds
    return below, kinds


def content_type_of(part: Message) -> str:
    """`part.get_content_type()` (compat32), read straight from the part's header list: the
    stdlib's version goes through four calls per part (get, header_fetch_parse, the surrogate
    check, _splitparam), and this runs on every part of every message. A value holding 8-bit
    bytes (surrogate escapes) is left to the stdlib (decoded by `READING_POLICY`). The length
    is compared first: most headers (a dozen Received lines…) are then passed over without
    building their lower-case name."""
    for name, value in part._headers:  # noqa: SLF001 - compat32 keeps (name, value) pairs here
        if len(name) == 12 and name.lower() == "content-type":
            if not isinstance(value, str) or not value.isascii():
                return part.get_content_type()
            kind = value.partition(";")[0].strip().lower()
            return kind if kind.count("/") == 1 else "text/plain"
    return part.get_default_type()


def _header_of(part: Message, lower_name: str, default: object) -> object:
    """`part.get(name, default)` for a lower-case name, without its per-call layers; a value
    with 8-bit bytes is left to the stdlib (decoded by `READING_POLICY`)."""
    size = len(lower_name)
    for name, value in part._headers:  # noqa: SLF001 - compat32 keeps (name, value) pairs here
        if len(name) == size and name.lower() == lower_name:
            return value if isinstance(value, str) and value.isascii() else part.get(lower_name, default)
    return default


def returned_headers(message: Message) -> Message | None:
    """The headers of the returned original, when the bounce attaches it (RFC 3464 §2).
    Cached on the message: several detectors and the correlation keys ask."""
    if "_suivi_returned" not in message.__dict__:
        message.__dict__["_suivi_returned"] = _find_returned(message)
    return message.__dict__["_suivi_returned"]


def _find_returned(message: Message) -> Message | None:
    for part, content_type in zip(outer_parts(message), outer_types(message)):
        if content_type in ("message/rfc822", "message/global"):
            payload = part._payload  # noqa: SLF001 - see _part_text
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
            if isinstance(payload, str) and payload.strip():
                return _parse_text(decode_part(part))
        elif content_type in ("text/rfc822-headers", "message/global-headers"):
            return _parse_text(decode_part(part))
    return None


def _parse_text(text: str) -> Message | None:
    """Header lines (text/rfc822-headers, or a returned original left as text) -> a compat32
    Message holding those headers only; a hand loop, several times cheaper than the parser."""
    message = Message(policy=READING_POLICY)
    name = ""
    value_lines: list[str] = []
    for line in text.lstrip()[:200000].splitlines():
        if not line.strip():
            break  # end of the header block
        if line[0] in " \t" and name:
            value_lines.append(line)
            continue
        if name:
            message.set_raw(name, "\n".join(value_lines))
        head, sep, rest = line.partition(":")
        if not sep or not head or " " in head.strip():
            name, value_lines = "", []
            continue
        name, value_lines = head.strip(), [rest.strip()]
    if name:
        message.set_raw(name, "\n".join(value_lines))
    return message if len(message) else None


def part_text(part: Message) -> str:
    """A leaf part's text, decoded; a compat32 delivery-status part (list of header blocks) is
    turned back into its `Name: value` lines, one blank line between blocks."""
    cached = part.__dict__.get("_suivi_text")
    if cached is None:
        cached = _part_text(part)
        part.__dict__["_suivi_text"] = cached
    return cached


def _part_text(part: Message) -> str:
    # the stored payload: compat32's `get_payload()` would decode an 8-bit str payload with
    # the part's charset parameter unchecked (a NUL or RFC 2231 tuple there raises)
    payload = part._payload  # noqa: SLF001
    if isinstance(payload, list):
        # compat32 splits message/delivery-status into one header-only Message per block; a
        # message/global-delivery-status (RFC 6533) is parsed as one message whose body holds
        # the blocks after the first. Both are turned back into text.
        blocks = []
        for block in payload:
            if isinstance(block, Message):
                # raw values: folded lines kept, 8-bit bytes as surrogates (undone below)
                blocks.append("\n".join(f"{name}: {value}" for name, value in block.raw_items()))
                if not block.is_multipart():
                    body = block.get_payload(decode=True)  # bytes: 8-bit kept for UTF-8 below
                    if isinstance(body, bytes) and body.strip():
                        blocks.append(body.decode("ascii", "surrogateescape"))
        return undo_surrogates("\n\n".join(blocks))
    return decode_part(part)


def undo_surrogates(text: str) -> str:
    """compat32 keeps raw 8-bit header bytes as surrogate escapes; RFC 6533 reports are UTF-8
    (latin-1 is the fallback for the old 8-bit servers that sent anything else)."""
    try:
        raw = text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return text  # already real text (non-ASCII characters that are not escapes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def decode_part(part: Message) -> str:
    """A leaf part's payload as text: transfer-decoded, then charset-decoded, never raising.

    Identity transfer encodings (7bit, 8bit, binary: most notices) are decoded here directly;
    quoted-printable, base64 and the rest go through the stdlib. The charset is read with one
    bounded regex rather than `get_content_charset` (which parses every parameter)."""
    raw = part._payload  # noqa: SLF001 - an ASCII str payload is what `get_payload()` returns as is
    charset = _charset_of(part)
    if not isinstance(raw, str):
        return ""
    if not raw.isascii():
        # 8-bit text (surrogate escapes): decoded with the part's charset, as compat32's
        # `get_payload()` does — but with a checked codec name (compat32 lets a charset
        # parameter holding a NUL raise ValueError from the codec lookup).
        raw = raw.encode("utf-8", "surrogateescape").decode(known_codec(charset) or "ascii", "replace")
    encoding = str(_header_of(part, "content-transfer-encoding", "")).strip().lower()
    plain_ascii = raw.isascii() and "\x1b" not in raw and not charset.startswith(_WIDE_CHARSETS)
    if plain_ascii and encoding in _IDENTITY_ENCODINGS:
        return raw  # ASCII text reads the same in every ASCII-based charset
    # 8-bit text (which compat32's str payload has already decoded, with "?" for what its
    # charset could not read), escape-based charsets (ISO-2022-JP), transfer encodings: bytes.
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - compat32 can trip on broken encodings; fall back to raw
        return raw
    if not isinstance(payload, bytes):
        return raw
    codec = known_codec(charset) if charset else "utf-8"
    try:
        return payload.decode(codec or "latin-1", errors="replace")
    except (LookupError, ValueError, UnicodeError):  # a codec that fails its own input (utf-7…)
        return payload.decode("latin-1", errors="replace")


_IDENTITY_ENCODINGS = frozenset(("", "7bit", "8bit", "binary"))
# Charsets in which ASCII bytes do not stand for ASCII text.
_WIDE_CHARSETS = ("utf-16", "utf-32", "utf-7", "ucs-2", "ucs2", "utf16", "utf32")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:\-]{1,40})""", re.IGNORECASE)


def _charset_of(part: Message) -> str:
    content_type = _header_of(part, "content-type", None)
    if content_type is None:
        return ""
    match = _CHARSET.search(str(content_type)[:2000])
    return match.group(1).lower() if match else ""
