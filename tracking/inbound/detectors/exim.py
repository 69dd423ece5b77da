"""Exim's bounce and delay warnings (the default `bounce_message_text` / `warn_message_file`).

Seen in Exim 4.x, and in services running it (Mail.ru, MXLogic, cPanel hosts):

    This message was created automatically by mail delivery software.

    A message that you sent could not be delivered to one or more of its
    recipients. This is a permanent error. The following address(es) failed:

      rcpt@example.org                                   <- two spaces: one recipient
        SMTP error from remote mail server after RCPT TO:<rcpt@example.org>:
        host mx.example.org [192.0.2.1]: 550 5.1.1 User unknown   <- four spaces: its details

Exim 4.8x+ may wrap this in a multipart/report ("-eximdsn-" boundary) whose Status is often a
bare 5.0.0: the text part is read first, the report only fills what the text lacks. Exim also
sets `X-Failed-Recipients`, used when the recipient line is not an address ("save to …").
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, Finding, MessageView, contains_any
from tracking.inbound.detectors.mta_text import (
    notice_text, filtered_when_step_unknown,
    address_in, delivery_status_blocks, finding, join_reply, strip_type, unfold,
)
from tracking.models import BounceKind, Reason
from tracking.reasons.codes import derive_status
from tracking.reasons.phrases import reason_from_text

_BANNERS = (
    "This message was created automatically by mail delivery software",
    "This message was created automatically by the SMTP relay",  # smarthost-branded variant
)
# Where the recipient list ends: the returned copy, or the delay notice's closing paragraph.
_END = re.compile(
    r"^(?:------ |--- |Included is a copy|No action is required|"
    r"The following text was generated|Reporting-MTA:|--[^\s]{0,200}$)",
    re.M,
)
_LIST_INTRO = re.compile(
    r"(?:address(?:\(es\))? failed:|following address failed:|"
    r"has not yet been delivered (?:is|are):)[ \t]*\n",
)
_HOST = re.compile(r"^host (\S{1,255}) \[[0-9A-Fa-f:.]{2,45}\]:?[ \t]*")
_SMTP_ERROR = re.compile(r"^(?:Delay reason: )?SMTP error from remote mail server after ([^\n]{0,400}?):[ \t]*$")
# Exim names the step that failed; as SMTP verbs for `Finding.command` (classify.py uses it).
# Exim's transport (smtp.c) writes "after initial connection" for a refusal of its greeting,
# "after EHLO <name>" / "after HELO …" for one of its hello, "after pipelined MAIL FROM:…".
_STEPS = (
    ("MAIL FROM", "MAIL"), ("RCPT TO", "RCPT"), ("end of data", "DATA"), ("DATA", "DATA"),
    ("pipelined MAIL FROM", "MAIL"), ("pipelined RCPT TO", "RCPT"), ("pipelined DATA", "DATA"),
    ("initial connection", "CONNECT"), ("EHLO", "HELO"), ("HELO", "HELO"),
)
_INLINE = re.compile(r"^<([^>\s]{1,256}@[^>\s]{1,255})>:\s*(.*)$")  # MXLogic: "<rcpt>: 550 …"
# Exim's own words when its retry rules ran out for every host (retry.c): the queue lifetime
# expired, whatever the last attempt said.
_GAVE_UP = (
    "all hosts have been failing for a long time",
    "retry time not reached for any host after a long failure period",
)
_RETRY_TIMEOUT = "retry timeout exceeded"  # Exim's suffix when a retry rule's timeout ran out
_GENERATED = re.compile(r"^\(?(?:ultimately )?generated (?:from|by) (\S{1,256})")


class Exim:
    name = "exim"

    def detect(self, view: MessageView) -> Detection | None:
        body = notice_text(view)
        head = body[:4000]  # parser core: sliced once, not once per banner
        if not contains_any(head, _BANNERS):  # Mail.Ru puts Russian first
            return None
        intro = _LIST_INTRO.search(body)
        if intro is None:
            return None
        listing = body[intro.end():]
        end = _END.search(listing)
        listing = listing[: end.start()] if end else listing
        delayed = "has not yet been delivered" in intro.group(0)
        findings = _read_listing(listing, "delayed" if delayed else "failed")
        if not findings:
            return None
        _fill_from_headers(findings, view)
        _fill_from_report(findings, view)
        _keep_temporary_class(findings)
        return Detection(BounceKind.DELAY if delayed else BounceKind.FAILURE, findings)


def _read_listing(listing: str, action: str) -> list[Finding]:
    """Split the indented listing into recipient blocks and read each one."""
    blocks: list[tuple[str, list[str]]] = []
    for line in listing.split("\n"):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        starts_block = indent <= 2 and not _HOST.match(text) and not text.startswith("(")
        if blocks and text.strip("<>").lower() == address_in(blocks[-1][0]):
            starts_block = False  # MXLogic repeats the address on its own line after the reply
        if starts_block or not blocks:
            blocks.append((text, []))
        else:
            blocks[-1][1].append(text)
    return [_read_block(head, details, action) for head, details in blocks]


def _read_block(head: str, details: list[str], action: str) -> Finding:
    inline = _INLINE.match(head)
    if inline:
        found = finding(inline.group(1), inline.group(2), action=action)
        filtered_when_step_unknown(found)  # MXLogic's one-line form never names the SMTP step
        return found
    recipient = head if "@" in head and " " not in head else ""
    remote_mta, reply_lines, generated, command = "", [], "", ""
    for text in details:
        step = _SMTP_ERROR.match(text)
        if step:
            command = next((verb for words, verb in _STEPS if step.group(1).startswith(words)), "")
            continue
        host = _HOST.match(text)
        if host:
            remote_mta = host.group(1)
            text = text[host.end():]
        made = _GENERATED.match(text)
        if made:
            generated = generated or made.group(1).rstrip(")")
            continue
        if text:
            reply_lines.append(text.removeprefix("Delay reason: "))
    diagnostic = join_reply(reply_lines)
    if not recipient and not head.startswith(("pipe to", "save to", "file ")):
        recipient = address_in(head)
    result = finding(recipient or generated or None, diagnostic, action=action, remote_mta=remote_mta)
    result.command = command
    if any(words in diagnostic for words in _GAVE_UP):
        result.reason = Reason.EXPIRED
    if head.startswith("pipe to |"):
        # The failed delivery was to a local command (Exim "pipe to |…"): a mailer error.
        result.reason = Reason.MAILERERROR
    result.diagnostic = result.diagnostic or unfold(head)
    return result


def _fill_from_headers(findings: list[Finding], view: MessageView) -> None:
    """Addresses the listing did not show come from `X-Failed-Recipients` (same order)."""
    failed = [a.strip() for a in view.header("X-Failed-Recipients").split(",") if a.strip()]
    for index, found in enumerate(findings):
        if found.recipient and "@" in found.recipient:
            continue
        if index < len(failed):
            found.recipient = failed[index].lower()
        elif len(failed) == 1:
            found.recipient = failed[0].lower()


def _fill_from_report(findings: list[Finding], view: MessageView) -> None:
    """Exim's own multipart/report: its Status where the text showed none, and Remote-MTA."""
    if "multipart/report" != view.content_type:
        return
    for found, block in zip(findings, delivery_status_blocks(view.message), strict=False):
        if not found.status:
            found.status = block.get("status", "")
        if not found.remote_mta and block.get("remote-mta"):
            found.remote_mta = strip_type(block["remote-mta"])


def _keep_temporary_class(findings: list[Finding]) -> None:
    """Exim gave up after retrying temporary errors: a code derived for it keeps their class 4
    (sisimai's convention: "mailbox is full: retry timeout exceeded" -> 4.0.922)."""
    for found in findings:
        if found.status or not (found.reason is Reason.EXPIRED or _RETRY_TIMEOUT in found.diagnostic):
            continue
        found.status = derive_status(found.reason or reason_from_text(found.diagnostic) or Reason.EXPIRED, True)
