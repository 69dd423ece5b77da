"""Where things are inside a returned message: the notice, the report, the returned original.

Pure helpers over compat32 `Message` objects, shared by the detectors and the parser. Walking
stops at a returned original (`message/rfc822`, `text/rfc822-headers`): what the original
contains must never be read as part of the bounce (a quoted bounce inside it, for instance).
"""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_string
from email.message import Message


RETURNED_TYPES = frozenset(
    ("message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers")
)
_MAX_DEPTH = 8  # nested multiparts deeper than this are not real bounces; stop walking


def outer_parts(message: Message) -> Iterator[Message]:
    """Leaf and container parts of the bounce itself, depth first, not entering returned mail."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        yield part
        if part.get_content_type() in RETURNED_TYPES or depth >= _MAX_DEPTH:
            continue
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend((child, depth + 1) for child in reversed(payload) if isinstance(child, Message))


def returned_headers(message: Message) -> Message | None:
    """The headers of the returned original, when the bounce attaches it (RFC 3464 §2)."""
    for part in outer_parts(message):
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
            if isinstance(payload, str) and payload.strip():
                return _parse_text(payload)
        elif content_type in ("text/rfc822-headers", "message/global-headers"):
            return _parse_text(decode_part(part))
    return None


def _parse_text(text: str) -> Message | None:
    try:
        return message_from_string(text.lstrip()[:200000])
    except Exception:  # noqa: BLE001 - a broken returned original is only a missing key
        return None


def part_text(part: Message) -> str:
    """A leaf part's text, decoded; a compat32 delivery-status part (list of header blocks) is
    turned back into its `Name: value` lines, one blank line between blocks."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = []
        for block in payload:
            if isinstance(block, Message):
                blocks.append("\n".join(f"{name}: {value}" for name, value in block.items()))
        return "\n\n".join(blocks)
    return decode_part(part)


def decode_part(part: Message) -> str:
    """A leaf part's payload as text: transfer-decoded, then charset-decoded, never raising.

    (The same rule as `detectors.base.decode_payload`, kept here so this module does not import
    the detectors package, which imports it.)"""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - compat32 can trip on broken encodings; fall back to raw
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, ValueError):
        return payload.decode("latin-1", errors="replace")
