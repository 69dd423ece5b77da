"""The bounce reader's entry point: raw bytes of one message -> one `ParseResult`.

Pure and total: no I/O, never raises. Parses with the stdlib `email` package in its compat32
policy (about ten times faster than `policy.default` on bounces, measured by
`python -m tracking bench parse`), runs the detectors in `detectors.ORDER` (first
authoritative answer wins), classifies each finding (`classify`), and gathers the keys that
tie the bounce to our send (DESIGN §6.4). A multipart whose boundary parameter does not match
its body is repaired first (recorded as a defect). `split_mailbox` cuts a file saved as an mbox
into its messages (the CLI and the corpus scorer use it; a mailbox fetch gives one message).

Hostile input is data (issue 9): NUL bytes are read as spaces, the work per message is bounded
before parsing (`limits`: size, parts, nesting, header and blank lines, recipients; a cut is a
defect), and 8-bit header values are read as text (`structure.READING_POLICY`), never as the
stdlib's `Header` objects that code expecting strings tripped on. An exception caught by
`parse_message` is a bug of ours: the mutation fuzzer (tests/inbound/mutation_fuzz.py) looks
for them.

Speed matters (issue 3: at least half the stdlib parser's own rate): the detectors share the
cached views of `MessageView` and `structure`, and nothing cached on a message refers back to
it (a reference cycle would keep every parsed tree alive until the garbage collector runs).
"""

from __future__ import annotations

import re
from dataclasses import replace
from email.feedparser import FeedParser
from email.message import Message

from tracking.inbound.addresses import normalize_address
from tracking.inbound.classify import classify
from tracking.inbound.detectors import ORDER, Detection, MessageView
from tracking.inbound.detectors.rfc3464 import STATUS_TYPES, status_blocks
from tracking.inbound.limits import MAX_DIAGNOSTIC_CHARS, MAX_KEY_CHARS, bound_input, bound_recipients
from tracking.inbound.result import Correlation, ParseResult, RecipientReport
from tracking.inbound.structure import READING_POLICY, parts_of_type, returned_headers
from tracking.models import BounceKind

TRACKING_HEADER = "X-Suivi-Tracking"
# Our VERP return path: bounces+<token>@<domain> (outbound composes it; DESIGN §6.4).
_VERP_LOCAL = re.compile(r"(?:^|[<\s,;:])bounces\+([A-Za-z0-9._=\-]{1,200})@", re.IGNORECASE)
_DELIVERY_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")


# An mbox "From_" separator line (RFC 4155): "From sender@host Thu Apr 29 23:34:45 2015". Saved
# mailboxes sometimes hold several bounces in one file (seen: a Postfix success-DSN pair).
_MBOX_FROM = re.compile(
    rb"^From \S{1,256} {1,3}[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]?\d \d\d:\d\d(?::\d\d)? \d{4}", re.MULTILINE
)


def split_mailbox(raw: bytes) -> list[bytes]:
    """The messages of a file: one, unless it is an mbox (starts with a From_ line) holding
    several, split at each From_ line that follows a blank line. Never raises."""
    if not raw.startswith(b"From ") or _MBOX_FROM.match(raw) is None:
        return [raw]
    starts = [0] + [
        match.start() for match in _MBOX_FROM.finditer(raw, 1)
        if raw.endswith((b"\n\n", b"\r\n\r\n"), 0, match.start())
    ]
    return [raw[start:end] for start, end in zip(starts, starts[1:] + [len(raw)], strict=True)]


def parse_message(raw: bytes, *, delivered_to: str = "") -> ParseResult:
    """Read one message from the bounce mailbox. Never raises: what cannot be read is
    `BounceKind.UNDECODABLE` with the defect."""
    try:
        return _parse(raw, delivered_to)
    except Exception as err:  # noqa: BLE001 - the parser's promise: one bad message stops nothing
        return ParseResult(
            kind=BounceKind.UNDECODABLE,
            defects=(f"parser failure: {type(err).__name__}: {str(err)[:200]}",),
            correlation=Correlation(verp_token=_verp_token(delivered_to)),
        )


def _parse(raw: bytes, delivered_to: str) -> ParseResult:
    if not isinstance(raw, (bytes, bytearray)):
        # text given by a caller: its 8-bit escapes back to bytes; a lone surrogate that is no
        # escape (U+D800…) cannot be encoded at all and is replaced
        text = str(raw)
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = text.encode("utf-8", "replace")
    raw = bytes(raw)
    if b"\r\n" in raw:
        # IMAP hands messages over with CRLF line ends (RFC 3501); the detectors read lines
        # split on LF (measured: six provider detectors missed their own samples in CRLF)
        raw = raw.replace(b"\r\n", b"\n")
    defects: list[str] = []
    if b"\0" in raw:
        # RFC 5322 §2.2/§3.5 forbid NUL anywhere in a message; left in, it reaches C-level
        # APIs (codec lookups, str.encode) that refuse it ("embedded null character").
        raw = raw.replace(b"\0", b" ")
        defects.append("NUL bytes in the message (forbidden by RFC 5322) read as spaces")
    raw, cut = bound_input(raw)
    defects.extend(cut)
    message = _compat32_parse(raw)
    defects.extend(_describe(defect) for defect in message.defects)
    if _repair_boundary(message):
        defects.append("multipart boundary parameter does not match the body; split on the boundary found there")
    view = MessageView(message, bytes(raw))
    detection, detector_name = _detect(view)
    subject, sender = _safe(lambda: view.subject), _safe(lambda: view.sender)
    if detection is None:
        kind = BounceKind.NOT_A_BOUNCE if _has_headers(message) else BounceKind.UNDECODABLE
        if kind is BounceKind.UNDECODABLE:
            defects.append("no message headers found")
        return ParseResult(
            kind=kind,
            correlation=_correlation(view, delivered_to, ()),
            defects=tuple(defects),
            subject=subject,
            sender=sender,
        )
    defects.extend(detection.defects)
    detection.findings = bound_recipients(detection.findings, defects)
    reports = tuple(_classify_all(detection))
    return ParseResult(
        kind=detection.kind,
        recipients=reports,
        correlation=_correlation(view, delivered_to, reports),
        defects=tuple(defects),
        detector=detector_name,
        subject=subject,
        sender=sender,
    )


def _compat32_parse(raw: bytes) -> Message:
    """Exactly `email.message_from_bytes(raw)` (compat32), without its file-like detour: the
    stdlib's Parser reads the text back out of a StringIO in 8 KB chunks before feeding the
    same FeedParser; feeding it the whole text at once builds the same tree a little faster."""
    parser = FeedParser(policy=READING_POLICY)
    parser.feed(raw.decode("ascii", "surrogateescape"))
    return parser.close()


def _detect(view: MessageView) -> tuple[Detection | None, str]:
    """First authoritative answer wins; a non-authoritative one is kept only as a fallback."""
    fallback: tuple[Detection | None, str] = (None, "")
    for detector in ORDER:
        detection = detector.detect(view)
        if detection is None:
            continue
        if detection.authoritative:
            return detection, detector.name
        if fallback[0] is None or (not fallback[0].findings and detection.findings):
            fallback = (detection, detector.name)
    return fallback


def _classify_all(detection: Detection) -> list[RecipientReport]:
    reports = [classify(finding, detection.kind) for finding in detection.findings]
    return [
        replace(report, diagnostic=report.diagnostic[:MAX_DIAGNOSTIC_CHARS] + " …")
        if len(report.diagnostic) > MAX_DIAGNOSTIC_CHARS else report
        for report in reports
    ]


def _repair_boundary(message: Message) -> bool:
    """A multipart whose declared boundary never occurs (anonymisers and broken relays rewrite
    one and not the other — seen in an Orange DSN) is left by compat32 as one text blob: look
    for the delimiter actually used (a `--X` line that also closes as `--X--`, RFC 2046 §5.1.1)
    and split on it. Returns True when the message was repaired in place."""
    if message.is_multipart() or message.get_content_maintype() != "multipart":
        return False
    payload = message.get_payload()
    if not isinstance(payload, str):
        return False
    boundary = _boundary_in(payload[:500000])
    if not boundary:
        return False
    try:
        body = payload.encode("ascii", "surrogateescape")  # compat32 keeps 8-bit bytes as escapes
    except UnicodeEncodeError:
        body = payload.encode("utf-8", "surrogateescape")
    header = b'Content-Type: multipart/mixed; boundary="' + boundary.encode("ascii") + b'"\n\n'
    wrapper = _compat32_parse(header + body)
    parts = wrapper.get_payload()
    if not wrapper.is_multipart() or not parts:
        return False
    message.set_payload(parts)
    _set_boundary(message, boundary)
    return True


def _set_boundary(message: Message, boundary: str) -> None:
    """Record the boundary found in the Content-Type, keeping the type and its other
    parameters (report-type…); a value compat32 cannot re-parameterize (8-bit, broken
    quoting) is replaced by a plain one of the same type."""
    try:
        message.set_param("boundary", boundary)
    except Exception:  # noqa: BLE001 - the header is damaged; only the structure matters now
        kind = message.get_content_type()
        del message["Content-Type"]
        message["Content-Type"] = f'{kind}; boundary="{boundary}"'


def _boundary_in(text: str) -> str:
    for line in text.splitlines():
        if not line.startswith("--") or len(line) > 74:  # RFC 2046: boundaries are <= 70 chars
            continue
        candidate = line[2:].rstrip()
        if candidate.endswith("--") or not any(c.isalnum() for c in candidate):
            continue
        if candidate.isascii() and f"\n--{candidate}--" in text:
            return candidate
    return ""


def _correlation(view: MessageView, delivered_to: str, reports: tuple[RecipientReport, ...]) -> Correlation:
    message = view.message
    token = _verp_token(delivered_to)
    if not token:
        for name in _DELIVERY_HEADERS:
            for value in view.raw_headers(name):
                token = _verp_token(" ".join(value.split()))
                if token:
                    break
            if token:
                break
    envelope_id, original_recipients = _report_keys(message)
    original = returned_headers(message)
    message_id = tracking_id = ""
    if original is not None:
        message_id, tracking_id = _first_of(original, "message-id", TRACKING_HEADER.lower())
    if not tracking_id:
        tracking_id = view.header(TRACKING_HEADER)
    if not original_recipients:
        original_recipients = tuple(dict.fromkeys(r.recipient for r in reports if r.recipient))
    return Correlation(
        verp_token=token[:MAX_KEY_CHARS],
        envelope_id=envelope_id[:MAX_KEY_CHARS],
        message_id=message_id[:MAX_KEY_CHARS],
        tracking_id=tracking_id[:MAX_KEY_CHARS],
        original_recipients=original_recipients,
    )


def _first_of(headers: Message, *names: str) -> list[str]:
    """The first value of each (lower-case) header name, unfolded, '' when absent: one pass
    over a returned original's headers, which often carry a dozen Received lines."""
    found = [""] * len(names)
    for name, value in headers.raw_items():
        key = name.lower()
        if key in names and not found[names.index(key)]:
            found[names.index(key)] = " ".join(str(headers.policy.header_fetch_parse(name, value)).split())
    return found


def _verp_token(address: str) -> str:
    if "bounces+" not in address[:2000].lower():
        return ""
    match = _VERP_LOCAL.search(" " + address[:2000])
    return match.group(1) if match else ""


def _report_keys(message: Message) -> tuple[str, tuple[str, ...]]:
    """Original-Envelope-Id (RFC 3464 §2.2.1) and Original-Recipient fields (§2.3.1)."""
    envelope_id = ""
    recipients: list[str] = []
    for part in parts_of_type(message, STATUS_TYPES):
        for block in status_blocks(part):
            envelope_id = envelope_id or block.get("original-envelope-id", "").strip()
            address = normalize_address(block.get("original-recipient"))
            if address and address not in recipients:
                recipients.append(address)
    return envelope_id, tuple(recipients)


def _has_headers(message: Message) -> bool:
    return len(message.keys()) > 0


def _describe(defect: object) -> str:
    return type(defect).__name__


def _safe(read) -> str:
    try:
        return read()
    except Exception:  # noqa: BLE001 - a header that cannot be decoded is just empty
        return ""
