"""Reading the human-readable notice of a bounce: the lines about one recipient, the SMTP
command a refusal answered. Pure helpers shared by the standard detectors and any other.

Used when a delivery-status report is thin (no Diagnostic-Code, a bare `5.0.0`): the
server's words are then usually in the text part — Postfix "host X said: 550 … (in reply to
RCPT TO command)", Sendmail's "Transcript of session follows", OpenSMTPD's
"<address>: 550 …" list.
"""

from __future__ import annotations

import re

_REPLY = re.compile(r"(?<![\d.])[245]\d\d(?=[ \-])")
# Postfix "(in reply to RCPT TO command)", "(in reply to end of DATA command)"; Sendmail
# transcript ">>> DATA" / ">>> RCPT To:<…>"; Exim "SMTP error from remote mail server after
# RCPT TO:<…>"; qmail/others "after end of data".
_COMMANDS = (
    ("in reply to end of data", "DATA"), ("in reply to data", "DATA"), ("after end of data", "DATA"),
    (">>> data", "DATA"), ("after data", "DATA"), ("in reply to rcpt to", "RCPT"),
    (">>> rcpt to", "RCPT"), ("after rcpt to", "RCPT"), ("in reply to mail from", "MAIL"),
    (">>> mail from", "MAIL"), ("after mail from", "MAIL"), ("in reply to helo", "HELO"),
    ("in reply to ehlo", "HELO"), ("after ehlo", "HELO"), ("after helo", "HELO"),
    ("after starttls", "STARTTLS"), ("in reply to starttls", "STARTTLS"),
    ("after initial connection", "CONN"), ("while connected to", ""),
)
# Every phrase of `_COMMANDS` contains one of these.
_COMMAND_WORDS = ("reply to", ">>> ", "after ", "while connected")
_ORIGINAL_MARKERS = (
    "----- original message", "------ this is a copy of the message", "--- below this line is a copy",
    "below is a copy of the original message", "----- the header of the original message",
    "original message headers", "------ original message", "--- original message",
    "unsent message below",
)


def command_in(text: str) -> str:
    """The SMTP command named in text ('' when none)."""
    lowered = text[:20000].lower()
    if not any(word in lowered for word in _COMMAND_WORDS):
        return ""  # the usual case, decided without trying every phrase
    best = (len(lowered) + 1, "")
    for phrase, command in _COMMANDS:
        position = lowered.find(phrase)
        if 0 <= position < best[0] and command:
            best = (position, command)
    return best[1]


def notice_only(text: str) -> str:
    """The notice without the quoted original that plain-text bounces append."""
    lowered = text[:200000].lower()
    cut = len(lowered)
    for marker in _ORIGINAL_MARKERS:
        position = lowered.find(marker)
        if 0 <= position < cut:
            cut = position
    return text[:cut]


def lines_about(notice: str, address: str, *, context: int = 3, lowered: str | None = None) -> str:
    """The first block of the notice that names `address` and carries an SMTP reply: the line
    with the address and up to `context` following lines (continuations, transcripts).

    Looks only at the lines where the address occurs (found with `str.find` on the lower-cased
    notice), so a long HTML notice is not split into lines for nothing."""
    if not address:
        return ""
    lowered_address = address.lower()
    lowered = notice.lower() if lowered is None else lowered  # callers asking often pass it
    if len(lowered) != len(notice) or ("\r" in notice and "\n" not in notice):
        # lower() changed lengths (rare scripts) or old Mac line ends: go line by line
        return _lines_about_by_line(notice, lowered_address, context)
    position = lowered.find(lowered_address)
    while position >= 0:
        line_start = notice.rfind("\n", 0, position) + 1
        line_end = notice.find("\n", position)
        line_end = len(notice) if line_end < 0 else line_end
        block = [notice[line_start:line_end].strip()]
        cursor = line_end + 1
        for _ in range(context):
            if cursor > len(notice):
                break
            follower_end = notice.find("\n", cursor)
            follower_end = len(notice) if follower_end < 0 else follower_end
            follower = notice[cursor:follower_end].strip()
            if not follower:
                break
            block.append(follower)
            cursor = follower_end + 1
        text = " ".join(block)
        if _REPLY.search(text):
            return text
        position = lowered.find(lowered_address, line_end)
    return ""


def _lines_about_by_line(notice: str, lowered_address: str, context: int) -> str:
    lines = notice.splitlines()
    for index, line in enumerate(lines):
        if lowered_address not in line.lower():
            continue
        block = [line.strip()]
        for follower in lines[index + 1 : index + 1 + context]:
            if not follower.strip():
                break
            block.append(follower.strip())
        text = " ".join(block)
        if _REPLY.search(text):
            return text
    return ""


def transcript_reply(notice: str) -> str:
    """The first server reply in a session transcript (Sendmail's `<<< 550 …` or a bare
    `550 5.1.1 …` line)."""
    for line in notice.splitlines():
        stripped = line.strip().lstrip("<").strip()
        if _REPLY.match(stripped):
            return stripped
    return ""
