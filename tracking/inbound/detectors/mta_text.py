"""Reading the plain-text notices mail servers write: SMTP replies, status codes, addresses.

Shared by the detectors in `mtas.py`. Every pattern here is bounded: no nested quantifiers,
character classes with explicit upper bounds where a line can be long, so an adversarial
notice costs linear time.
"""

from __future__ import annotations

import re
from email.message import Message

from tracking.inbound.detectors.base import Finding, MessageView, decode_payload
from tracking.inbound.structure import content_type_of
from tracking.models import Reason
from tracking.reasons.codes import reason_from_status
from tracking.reasons.phrases import reason_from_text

# An SMTP reply code (RFC 5321 §4.2) optionally followed by an enhanced status code (RFC 3463),
# not part of an IP address or a longer number: "550 5.1.1 <a@b>...", "host [192.0.2.1]: 550".
_REPLY = re.compile(r"(?<![\w.\-])([245][0-5][0-9])(?:[ \-]+([245]\.[0-9]{1,3}\.[0-9]{1,3}))?(?![\w.])")
_STATUS = re.compile(r"(?<![\w.])([245]\.[0-9]{1,3}\.[0-9]{1,3})(?![\w.]|\.[0-9])")
# A continuation line of a multi-line reply: "550-5.7.26 text" (RFC 5321 §4.2.1).
_CONTINUATION = re.compile(r"^([245][0-9][0-9])[ \-](?:[245]\.[0-9]{1,3}\.[0-9]{1,3} ?)?")
_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]{1,256}@[A-Za-z0-9][A-Za-z0-9.\-]{0,252}")
_SPACES = re.compile(r"\s+")


def notice_text(view: MessageView) -> str:
    """The human-readable notice with LF line endings (some servers send CRLF inside parts).

    A multipart whose boundary was lost (a relay broke the folded Content-Type: seen in
    Messaging Server and Apache James notices) has its text as one string payload: read that.
    """
    cached = view.__dict__.get("_notice_text")  # parser core: asked by every MTA detector, computed once
    if cached is not None:
        return cached
    text = view.body_text
    if not text.strip():
        text = next((_raw_text(part) for part in view.parts if _raw_text(part).strip()), "")
    cached = view.__dict__["_notice_text"] = text.replace("\r\n", "\n")
    return cached


def _raw_text(part: Message) -> str:
    if part.get_content_maintype() != "multipart":
        return ""
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""


def unfold(text: str) -> str:
    """All whitespace runs (newlines too) as one space, trimmed."""
    return _SPACES.sub(" ", text).strip()


def join_reply(lines: list[str]) -> str:
    """A multi-line SMTP reply as one line: the code and status once, then the texts.

    "550-5.7.26 Unauthenticated…", "550 5.7.26 https://…" -> "550 5.7.26 Unauthenticated… https://…"
    """
    stripped = [line.strip() for line in lines if line.strip()]
    if not stripped:
        return ""
    first = _CONTINUATION.match(stripped[0])
    if first is None:
        return unfold(" ".join(stripped))
    head = stripped[0][: first.end()].replace("-", " ", 1).strip()
    texts = [stripped[0][first.end():]]
    for line in stripped[1:]:
        match = _CONTINUATION.match(line)
        texts.append(line[match.end():] if match and match.group(1) == first.group(1) else line)
    return unfold(head + " " + " ".join(texts))


def reply_and_status(text: str) -> tuple[str, str]:
    """The first SMTP reply code in `text` and the enhanced status next to it (or anywhere)."""
    replycode, status = "", ""
    match = _REPLY.search(text)
    if match:
        replycode, status = match.group(1), match.group(2) or ""
    if not status:
        found = _STATUS.search(text)
        status = found.group(1) if found else ""
    if replycode and status and replycode[0] != status[0]:
        status = ""  # "250 … 5.1.1" is not one reply: keep the code, let the classifier derive
    return replycode, status


def address_in(text: str) -> str:
    """The first e-mail address in `text`, lower-cased, '' when there is none."""
    match = _ADDRESS.search(text)
    return match.group(0).strip(".").lower() if match else ""


def finding(
    recipient: str | None,
    diagnostic: str,
    *,
    action: str = "failed",
    remote_mta: str = "",
    replycode: str = "",
    status: str = "",
) -> Finding:
    """A Finding whose reply code and status are read from the diagnostic unless given."""
    diagnostic = unfold(diagnostic)
    found_reply, found_status = reply_and_status(diagnostic)
    return Finding(
        recipient=recipient.lower() if recipient else None,
        action=action,
        status=status or found_status,
        replycode=replycode or found_reply,
        diagnostic=diagnostic,
        remote_mta=remote_mta,
    )


def between(text: str, start: str, ends: tuple[str, ...]) -> str:
    """The text after the first `start` up to the first of `ends` (or the end); '' without start."""
    begin = text.find(start)
    if begin < 0:
        return ""
    begin += len(start)
    stop = len(text)
    for end in ends:
        found = text.find(end, begin)
        if 0 <= found < stop:
            stop = found
    return text[begin:stop]


def returned_header(message: Message, name: str, body: str = "", marker: str = "") -> str:
    """A header of the returned original: from its message/rfc822 or text/rfc822-headers part,
    else from the text after `marker` in the notice body (plain-text bounces quote it inline).
    """
    for part in message.walk():
        ctype = content_type_of(part)
        if ctype == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            if isinstance(inner, Message) and inner.get(name):
                return unfold(str(inner.get(name)))
        elif ctype == "text/rfc822-headers":
            found = _header_in_text(decode_payload(part), name)
            if found:
                return found
    if marker and marker in body:
        return _header_in_text(body.split(marker, 1)[1], name)
    return ""


def _header_in_text(text: str, name: str) -> str:
    prefix = name.lower() + ":"
    for line in text.lstrip("\n").split("\n", 200)[:200]:
        if not line.strip():
            break
        if line.lower().startswith(prefix):
            return unfold(line[len(prefix):])
    return ""


def delivery_status_blocks(message: Message) -> list[dict[str, str]]:
    """The per-recipient field blocks of a message/delivery-status part (RFC 3464 §2.3), field
    names lower-cased, values unfolded; [] when the message has none. Used by detectors whose
    software sends a report but whose text part says more (Exim, Sendmail).
    """
    for part in message.walk():
        if content_type_of(part) != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks: list[Message] = payload if isinstance(payload, list) else []
        found = []
        for block in blocks[1:]:
            fields = {key.lower(): unfold(str(value)) for key, value in block.items()}
            if fields:
                found.append(fields)
        return found
    return []


def strip_type(value: str) -> str:
    """'rfc822; a@b' -> 'a@b', 'smtp; 550 …' -> '550 …' (RFC 3464 typed fields)."""
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()


def filtered_when_step_unknown(found: Finding) -> None:
    """For notices that never show the SMTP exchange: an "unknown user" they quote cannot be
    told apart from a recipient-side filter refusing at DATA, unless the status code itself
    says "bad mailbox" (x.1.x). sisimai files these as `filtered`; so do we. Seen in X1, X2,
    Active!Hunter, Apache James and Messaging Server notices.
    """
    if found.reason is not None or found.command:
        return
    if reason_from_text(found.diagnostic) is not Reason.USERUNKNOWN:
        return
    if reason_from_status(found.status) is not Reason.USERUNKNOWN:
        found.reason = Reason.FILTERED
