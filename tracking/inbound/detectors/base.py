"""The one interface every bounce detector implements, and the message view they all read.

A detector looks at one message and either declines (`None`) or answers with a `Detection`:
the kind of message and one `Finding` per recipient, with the raw fields the format shows.
Reasons, derived status codes and hard/soft are filled in afterwards by the classifier, unless
the format itself states the reason (then the detector sets `Finding.reason`).

Detectors are tried in the explicit order of `tracking.inbound.detectors.ORDER`; the first
*authoritative* answer wins and nothing is merged (flufl.bounce's lesson: merging partial
answers picks up addresses from quoted originals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from functools import cached_property
from typing import Protocol

from tracking.inbound.structure import decode_part, outer_parts, outer_types
from tracking.models import BounceKind, Reason


@dataclass(slots=True)
class Finding:
    """One recipient as a detector saw it; empty strings where the format shows nothing."""

    recipient: str | None
    action: str = ""
    status: str = ""
    replycode: str = ""
    diagnostic: str = ""
    remote_mta: str = ""
    reason: Reason | None = None      # only when the format itself says why
    feedback_type: str = ""
    command: str = ""                 # SMTP command the refusal answered (RCPT, DATA…), if shown
    # True/False when the format itself calls the failure temporary or permanent (Gmail's
    # "Technical details of temporary failure"); None leaves it to the reply and its words.
    temporary: bool | None = None


@dataclass(slots=True)
class Detection:
    kind: BounceKind
    findings: list[Finding] = field(default_factory=list)
    authoritative: bool = True
    defects: list[str] = field(default_factory=list)


class Detector(Protocol):
    name: str

    def detect(self, view: MessageView) -> Detection | None: ...


class MessageView:
    """Read-only, lazily computed views of one parsed message, shared by all detectors.

    Built once per message by the parser (compat32 `Message`, which is ~10x faster than
    `policy.default` on bounces); every property is computed at most once.
    """

    def __init__(self, message: Message, raw: bytes = b"") -> None:
        self.message = message
        self.raw = raw
        self._header_texts: dict[str, str] = {}

    def header(self, name: str) -> str:
        """A top-level header as text, unfolded, '' when absent; never raises. Each name is
        read once per message: the detectors ask for Subject and From again and again."""
        key = name.lower()
        text = self._header_texts.get(key)
        if text is None:
            values = self._raw_values.get(key)
            text = " ".join(_fetch(self.message, name, values[0]).split()) if values else ""
            self._header_texts[key] = text
        return text

    def raw_headers(self, name: str) -> list[str]:
        """Every occurrence of a top-level header as the message holds it (folded, 8-bit bytes
        as surrogate escapes): for scanning, when decoding would be wasted work."""
        return self._raw_values.get(name.lower(), [])

    def headers(self, name: str) -> list[str]:
        """Every occurrence of a top-level header, as text, unfolded, in message order."""
        fetch = self.message.policy.header_fetch_parse
        return [" ".join(str(fetch(name, value)).split()) for value in self._raw_values.get(name.lower(), ())]

    @cached_property
    def _raw_values(self) -> dict[str, list[str]]:
        """Raw values of each top-level header, by lower-cased name: built in one pass,
        because every detector asks for a few headers and `Message.get` rescans them all."""
        values: dict[str, list[str]] = {}
        for name, value in self.message.raw_items():
            key = name.lower()
            if key in values:
                values[key].append(value)
            else:
                values[key] = [value]  # setdefault would build a list for every header
        return values

    @cached_property
    def subject(self) -> str:
        return self.header("Subject")

    @cached_property
    def sender(self) -> str:
        return self.header("From")

    @cached_property
    def sender_lower(self) -> str:
        """The From header lower-cased, once: a dozen detectors decline on it before any work
        (each used to lower-case it again, some once per sender they know)."""
        return self.sender.lower()

    @cached_property
    def content_type(self) -> str:
        return outer_types(self.message)[0]  # computed once with the parts (structure.py)

    @cached_property
    def boundary(self) -> str:
        """The top-level multipart boundary ('' when none): `get_boundary` re-parses every
        Content-Type parameter on each call, and appliances that sign their boundary are
        recognised by it (Active!Hunter, InterScan)."""
        return self.message.get_boundary() or ""

    @cached_property
    def parts(self) -> tuple[Message, ...]:
        """Every part in depth-first order, the message itself first."""
        return tuple(self.message.walk())

    @cached_property
    def body_text(self) -> str:
        """The human-readable notice: the first text/plain part outside any returned message,
        decoded with its charset (errors replaced); the whole decoded body for single-part mail.
        """
        return _first_text(self.message)


def _fetch(message: Message, name: str, value: str) -> str:
    """A raw header value as compat32's `get` gives it, as text: an ASCII value is returned as
    is (the policy's fetch only rewrites values holding 8-bit bytes, into a Header)."""
    if isinstance(value, str) and value.isascii():
        return value
    return str(message.policy.header_fetch_parse(name, value))


def contains_any(text: str, needles: tuple[str, ...]) -> bool:
    """`any(needle in text for needle in needles)` without a generator per call: the entry
    tests of most detectors are this, run on every message."""
    for needle in needles:
        if needle in text:
            return True
    return False


def _first_text(message: Message) -> str:
    # The bounce's own parts, already listed with their types (`structure.outer_parts`).
    for part, kind in zip(outer_parts(message), outer_types(message)):
        if kind.startswith("multipart/"):
            continue
        if kind in ("message/rfc822", "text/rfc822-headers"):
            break
        if kind in ("text/plain", "text/html") or part is message:
            return decode_payload(part)
    return ""


def decode_payload(part: Message) -> str:
    """A leaf part's payload as text: transfer-decoded, then charset-decoded, never raising."""
    return decode_part(part)
