"""Sendmail's "Transcript of session follows" section, shared by the Sendmail detectors.

Written by every Sendmail since V5 (and by its imitators); what it looks like:

    ... while talking to mx.example.org.:        (V5: "While talking to mx.example.org:")
    >>> RCPT To:<rcpt@example.org>
    <<< 550 5.1.1 <rcpt@example.org>... User unknown
    550 5.1.1 <rcpt@example.org>... User unknown
    554 <other@example.net>... 550 Host unknown (Authoritative answer from name server)
    550 example.net (smtp)... 550 Host unknown   <- a host line, about no single recipient
    <late@example.com>... Deferred: Connection refused by mx.example.com.

A recipient line's own text is the diagnostic when it carries a reply ("550 Host unknown");
otherwise the remote server's last "<<<" reply in the same conversation is, since Sendmail's
own line then only says "Remote protocol error" or repeats it. The command that drew the
reply (">>> DATA") is kept: it changes what a "user unknown" means. A "<<<" reply with no
">>>" command before it in its conversation answered no command: it is the server's greeting
(RFC 5321 §3.1, "554 … no SMTP service here"), so the stage is the connection.

The reply code: the remote server's ("<<< 550 …"), unless it is a syntax-class code (RFC 5321
§4.2.1 "x0z", 500-504: the server did not parse what it was sent) while Sendmail's own line for
the recipient gives its verdict ("554 <rcpt>... Remote protocol error"): that one then says
more about the recipient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracking.inbound.detectors.base import Finding
from tracking.inbound.detectors.mta_text import finding, join_reply, reply_and_status

_TALKING = re.compile(r"^(?:\.\.\. )?[Ww]hile talking to ([^\s:]{1,255})\.?:")
_RECIPIENT = re.compile(
    r"^(?:([245][0-9][0-9])(?: [245]\.[0-9]{1,3}\.[0-9]{1,3})? )?"
    r"<([^>\s]{1,256}@[^>\s]{1,255})>\.\.\. ?(.{0,2000})$"
)
_HOST_LINE = re.compile(r"^[245][0-9][0-9] ([^\s()]{1,255}) \((?:e?smtp|tcp)\)\.\.\.")  # "550 host (smtp)..."
_CODE_LINE = re.compile(r"^[245][0-9][0-9][ \-]")
GREETING = "CONNECT"  # the stage of a reply that answered no command
_SYNTAX_CLASS = re.compile(r"^[45]0[0-4]$")


@dataclass(slots=True)
class TranscriptEntry:
    finding: Finding
    command: str = ""          # the SMTP command the remote server was answering, "" if unknown


def read_transcript(text: str) -> list[TranscriptEntry]:
    """One entry per recipient named in the transcript, in order, each address once."""
    entries: dict[str, TranscriptEntry] = {}
    host, command, replies = "", "", []
    for raw_line in text.split("\n"):
        line = raw_line.strip()
        talking = _TALKING.match(line)
        if talking:
            host, command, replies = talking.group(1).rstrip("."), "", []
            continue
        if line.startswith("<<< "):
            replies.append(line[4:])
            continue
        if line.startswith(">>> "):
            command, replies = line[4:], []
            continue
        host_line = _HOST_LINE.match(line)
        if host_line:  # V5: the host tried for the recipient lines that follow
            if host_line.group(1).rstrip(".") != host:
                host, command, replies = host_line.group(1).rstrip("."), "", []
            continue
        match = _RECIPIENT.match(line)
        if match is None:
            continue
        address = match.group(2).lower()
        if address in entries:
            continue
        own_text = match.group(3)
        if reply_and_status(own_text)[0] or not replies:
            diagnostic = own_text if reply_and_status(own_text)[0] or not match.group(1) else line
        else:
            diagnostic = join_reply(replies)
        result = finding(address, diagnostic, remote_mta=host)
        own_code = match.group(1)
        if own_code and (not result.replycode or _SYNTAX_CLASS.match(result.replycode)):
            result.replycode = own_code
        entries[address] = TranscriptEntry(result, (command or GREETING) if replies else "")
        replies = []
    return list(entries.values())


def orphan_reply(text: str) -> TranscriptEntry | None:
    """The conversation's reply when the transcript names no recipient (one-recipient
    notices: ">>> DATA", "<<< 550 Unknown user …"), or its first reply-code line."""
    command, replies, first_code_line = "", [], ""
    for raw_line in text.split("\n"):
        line = raw_line.strip()
        if line.startswith(">>> "):
            command, replies = line[4:], []
        elif line.startswith("<<< "):
            replies.append(line[4:])
        elif not first_code_line and _CODE_LINE.match(line):
            first_code_line = line
        if replies and not line.startswith("<<< "):
            break
    if replies:
        return TranscriptEntry(finding(None, join_reply(replies)), command or GREETING)
    if first_code_line:
        return TranscriptEntry(finding(None, first_code_line))
    return None
