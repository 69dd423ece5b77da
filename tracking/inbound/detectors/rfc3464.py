"""RFC 3464 delivery status notifications, and their UTF-8 form (RFC 6533).

`multipart/report; report-type=delivery-status` with a `message/delivery-status` (or
`message/global-delivery-status`) part: one per-message block (Reporting-MTA,
Original-Envelope-Id…), then one block per recipient (Final-Recipient, Action, Status,
Diagnostic-Code, Remote-MTA…). Failures, delays and success DSNs all take this path.

Also read: a delivery-status part not inside a `multipart/report` (some gateways re-wrap the
report as `multipart/mixed`), and a report whose status part arrived as `text/plain`.
"""

from __future__ import annotations

import re
from email.message import Message

from tracking.inbound.addresses import find_addresses, normalize_address
from tracking.inbound.detectors.base import Detection, Finding, MessageView
from tracking.inbound.notice import command_in, lines_about, notice_only
from tracking.inbound.structure import part_text, parts_of_type, returned_headers, undo_surrogates
from tracking.models import BounceKind

STATUS_TYPES = frozenset(("message/delivery-status", "message/global-delivery-status"))
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9\-]{0,60})[ \t]*:[ \t]*(.*)$")
_RECIPIENT_STARTS = frozenset(("final-recipient", "original-recipient"))
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def parse_fields(text: str) -> list[dict[str, str]]:
    """`Name: value` blocks separated by blank lines -> one dict per block (lower-case names,
    folded lines joined, first occurrence wins)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text[:500000].splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current, last = {}, ""
            continue
        if line[0] in " \t" and last:
            current[last] += " " + line.strip()
            continue
        match = _FIELD.match(line)
        if match is None:
            last = ""
            continue
        name = match.group(1).lower()
        if name in current and name in _RECIPIENT_STARTS:
            # A second recipient without the blank line between blocks (seen from AOL's
            # outbound relay): a repeated recipient field starts the next block.
            blocks.append(current)
            current = {}
        elif name in current:
            last = ""  # RFC 3464 fields are single; a repeat is noise (keep the first)
            continue
        current[name] = match.group(2).strip()
        last = name
    if current:
        blocks.append(current)
    return blocks


def status_blocks(part) -> list[dict[str, str]]:
    """The parsed blocks of a delivery-status part (cached on the part: the parser reads the
    Original-Envelope-Id from it again)."""
    cached = part.__dict__.get("_suivi_blocks")
    if cached is None:
        payload = part.get_payload()
        if isinstance(payload, list) and all(isinstance(block, Message) for block in payload):
            cached = _blocks_from_messages(payload)
        else:
            cached = parse_fields(part_text(part))
        part.__dict__["_suivi_blocks"] = cached
    return cached


def _blocks_from_messages(parsed: list[Message]) -> list[dict[str, str]]:
    """The same blocks as `parse_fields`, from the header-only messages compat32 already made
    of a message/delivery-status part (one per block): no round trip through text. A block's
    body holds what compat32 did not read as headers (the later blocks of an RFC 6533 global
    report; anything after a malformed line)."""
    blocks: list[dict[str, str]] = []
    for block in parsed:
        current: dict[str, str] = {}
        for name, value in block.raw_items():
            key = name.strip().lower()
            if key in current:
                if key not in _RECIPIENT_STARTS:
                    continue  # first occurrence wins, as in parse_fields
                blocks.append(current)  # a second recipient without the blank line (see there)
                current = {}
            text = " ".join(line.strip() for line in value.splitlines()) if "\n" in value else value.strip()
            current[key] = text if text.isascii() else undo_surrogates(text)
        if current:
            blocks.append(current)
        if block.is_multipart():
            continue
        # compat32's stored payload, as parsed: `get_payload()` would first look up the transfer
        # encoding and scan for 8-bit bytes, only for us to find the block has no body at all
        raw_body = block._payload  # noqa: SLF001
        if isinstance(raw_body, str) and not raw_body.strip():
            continue  # the usual case; decoding blank text (any transfer encoding) gives nothing
        # bytes: compat32's str payload would already have turned 8-bit UTF-8 into "?"
        body = block.get_payload(decode=True)
        if isinstance(body, bytes) and body.strip():
            blocks.extend(parse_fields(undo_surrogates(body.decode("ascii", "surrogateescape"))))
    return blocks


def strip_type(value: str) -> str:
    """`smtp; 550 ...` -> `550 ...`, `dns; mx.example.com` -> `mx.example.com` (RFC 3464 §2.1.2)."""
    head, sep, rest = value.partition(";")
    if sep and head.strip() and " " not in head.strip() and len(head) < 20:
        return rest.strip()
    return value.strip()


def status_code(value: str) -> str:
    match = _STATUS.search(value)
    return match.group(0) if match else ""


def findings_from_blocks(blocks: list[dict[str, str]]) -> tuple[dict[str, str], list[Finding]]:
    """Split parsed blocks into the per-message fields and one Finding per recipient block.

    Incomplete or misshapen reports keep their per-recipient fields (RFC 3464 §2.3) with the
    recipient they belong to: fields after a stray blank line (a block naming no recipient,
    after the first recipient) complete the recipient before them; per-recipient fields
    written in the per-message block complete a report's only recipient. Without this, the
    status and reply code were read from somewhere else (the notice) or derived."""
    per_message: dict[str, str] = {}
    recipient_blocks: list[dict[str, str]] = []
    for block in blocks:
        if "final-recipient" not in block and "original-recipient" not in block:
            if not recipient_blocks:
                for name, value in block.items():
                    per_message.setdefault(name, value)
            else:
                last = recipient_blocks[-1] = dict(recipient_blocks[-1])
                for name in _PER_RECIPIENT_FIELDS:
                    if name in block:
                        last.setdefault(name, block[name])
            continue
        recipient_blocks.append(block)
    if len(recipient_blocks) == 1 and any(name in per_message for name in _PER_RECIPIENT_FIELDS):
        only = recipient_blocks[0] = dict(recipient_blocks[0])
        for name in _PER_RECIPIENT_FIELDS:
            if name in per_message:
                only.setdefault(name, per_message[name])
    findings: list[Finding] = []
    for block in recipient_blocks:
        recipient = normalize_address(block.get("final-recipient")) or normalize_address(
            block.get("original-recipient")
        )
        # X-Actual-Recipient: Sendmail's alias-expanded address; the Final one is what we sent.
        diagnostic_code = block.get("diagnostic-code", "")
        findings.append(
            Finding(
                recipient=recipient,
                action=block.get("action", "").strip().lower().split(" ")[0] if block.get("action") else "",
                status=status_code(block.get("status", "")),
                diagnostic=_diagnostic(diagnostic_code),
                remote_mta=strip_type(block.get("remote-mta", "")),
            )
        )
    return per_message, findings


# RFC 3464 §2.3.3-2.3.6: the fields that describe one recipient's delivery attempt.
_PER_RECIPIENT_FIELDS = ("action", "status", "diagnostic-code", "remote-mta")


def _diagnostic(diagnostic_code: str) -> str:
    """The Diagnostic-Code without its type, except a bare program exit status, whose type is
    the only thing that says what it is: Sendmail's "X-Unix; 71" (a local mailer's sysexits
    code) stays "X-Unix; 71" for the classifier."""
    text = strip_type(diagnostic_code)
    if text.isdigit() and diagnostic_code[:6].lower() == "x-unix":
        return f"X-Unix; {text}"
    return text


def report_kind(findings: list[Finding]) -> BounceKind:
    """failure if any recipient failed; delay if all were delayed; success if all delivered."""
    actions = {finding.action for finding in findings}
    # "deliverable": Postfix address verification (sendmail -bv) reports, RFC 3464 style.
    if actions and actions <= {"delivered", "relayed", "expanded", "deliverable"}:
        return BounceKind.SUCCESS
    if actions == {"delayed"}:
        return BounceKind.DELAY
    return BounceKind.FAILURE


def enrich_from_notice(findings: list[Finding], notice: str) -> None:
    """Fill what a thin report lacks from the human-readable part: the server's words when
    there is no Diagnostic-Code, and the SMTP command the refusal answered."""
    single = len(findings) == 1
    lowered = notice.lower()
    for finding in findings:
        about = lines_about(notice, finding.recipient or "", lowered=lowered)
        if about and finding.action not in _SUCCESS_ACTIONS and not _REFUSAL.search(about):
            # the lines naming the recipient show only replies that went well (`>>> RCPT
            # To:<…>` `<<< 250 2.1.5 Ok`): the refusal came later (at DATA), elsewhere
            about = ""
        if not finding.diagnostic:
            finding.diagnostic = about or (_refusal_reply(notice, finding) if single else "")
        if not finding.command:
            finding.command = command_in(finding.diagnostic) or command_in(about) or (
                command_in(notice) if single else ""
            )


_SUCCESS_ACTIONS = frozenset(("delivered", "relayed", "expanded", "deliverable"))
_REFUSAL = re.compile(r"(?<![\d.])[45]\d\d(?=[ \-])")
_REPLY_LINE = re.compile(r"^[<\s]*([245])\d\d[ \-]")


def _refusal_reply(notice: str, finding: Finding) -> str:
    """The server reply a thin report's recipient failed or was delayed on, from a session
    transcript in the notice: the first reply of the class its Status names (5 for a
    permanent failure, 4 for a delay…), else the first refusal (4xx/5xx); never a `2xx` for
    a recipient that was not delivered. A transcript starts with the replies that went well
    (`<<< 250 2.1.0 Sender ok`): taking the first reply read the reply code and the status
    from the wrong line."""
    success = finding.action in _SUCCESS_ACTIONS
    wanted = finding.status[:1] or ("2" if success else "4" if finding.action == "delayed" else "5")
    fallback = ""
    for line in notice[:200000].splitlines():
        match = _REPLY_LINE.match(line)
        if match is None:
            continue
        reply = line.strip().lstrip("<").strip()
        if match.group(1) == wanted:
            return reply
        if not fallback and (match.group(1) == "2") == success:
            fallback = reply
    return fallback


class Rfc3464Detector:
    name = "rfc3464"

    def detect(self, view: MessageView) -> Detection | None:
        status_parts = parts_of_type(view.message, STATUS_TYPES)
        if not status_parts and view.content_type == "multipart/report" and _reports_delivery_status(view):
            # The status part arrived as text/plain (seen from re-wrapping gateways).
            payload = view.message.get_payload()
            if isinstance(payload, list) and len(payload) >= 2 and payload[1].get_content_type() == "text/plain":
                status_parts = [payload[1]]
        if not status_parts:
            return None
        findings: list[Finding] = []
        for part in status_parts:
            findings.extend(findings_from_blocks(status_blocks(part))[1])
        if not findings:
            return _without_recipient_blocks(view)
        enrich_from_notice(findings, _notice(view))
        return Detection(kind=report_kind(findings), findings=findings)


def _notice(view: MessageView) -> str:
    """The human-readable part without a quoted original, once per message (the Sendmail and
    X5 detectors run this detector on the same view too)."""
    cached = view.__dict__.get("_suivi_notice")
    if cached is None:
        cached = view.__dict__["_suivi_notice"] = notice_only(view.body_text)
    return cached


def _reports_delivery_status(view: MessageView) -> bool:
    report_type = view.message.get_param("report-type") or ""
    if isinstance(report_type, tuple):  # RFC 2231 encoded parameter
        report_type = report_type[2]
    return "delivery-status" in str(report_type).lower()


def _without_recipient_blocks(view: MessageView) -> Detection | None:
    """A report with only its per-message block (Postfix "--- Delivery report unavailable ---"):
    the recipient is then the To of the returned original, when it names exactly one."""
    original = returned_headers(view.message)
    addresses = find_addresses(str(original.get("To", ""))) if original is not None else []
    if len(addresses) != 1:
        return None
    return Detection(
        kind=BounceKind.FAILURE,
        findings=[Finding(recipient=addresses[0])],
        authoritative=False,
        defects=["delivery-status report without a recipient block; recipient from the returned To"],
    )


DETECTOR = Rfc3464Detector()
