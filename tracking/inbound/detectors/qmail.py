"""qmail-send's failure notice, and the many qmail derivatives keeping its layout (netqmail,
indimail, vpopmail hosts, Yahoo's old bounce servers):

    Hi. This is the qmail-send program at host.example.
    I'm afraid I wasn't able to deliver your message to the following addresses.
    This is a permanent error; I've given up. Sorry it didn't work out.

    <rcpt@example.org>:
    192.0.2.1 does not like recipient.
    Remote host said: 550 5.1.1 <rcpt@example.org>... User unknown
    Giving up on 192.0.2.1.

    --- Below this line is a copy of the message.

qmail writes its own status in parentheses, "(#5.1.1)", when the remote server gave none.
Some of qmail's own sentences say which SMTP step failed; those set the reason (see _PHASES).
"""

from __future__ import annotations

import re

from tracking.inbound.detectors.base import Detection, Finding, MessageView, contains_any
from tracking.inbound.detectors.mta_text import notice_text, finding, join_reply, unfold
from tracking.models import BounceKind, Reason
from tracking.reasons.phrases import precise_reason_from_text

_BANNERS = (
    "This is the qmail-send program",
    "I'm afraid I wasn't able to deliver your message",
    "we were unable to deliver your message to the following address",  # Yahoo's qmail
    "Your mail message to the following address(es) could not be delivered",  # ISP-branded
)
_COPY_MARKERS = (
    "--- Below this line is a copy", "--- Enclosed is a copy", "--- Enclosed are the original",
    "--- Original message follows",
)
_RECIPIENT_LINE = re.compile(r"^<([^>\s]{1,256}@[^>\s]{1,255})>:[ \t]*$", re.M)
_SAID = re.compile(r"[Rr]emote host (?:\S{1,255} )?said:[ \t]*")
_REMOTE = re.compile(
    r"(?:^|[ ;])(?:Connected to |remote host |Giving up on )?"
    r"([0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:]{3,45}:[0-9A-Fa-f]{1,4})"
    r"(?: does not like| failed after| but | said)",
    re.M,
)
# qmail-remote.c's own sentences name the SMTP step a refusal answered (Yahoo's qmail adds a
# "[RCPT_TO]" tag after the reply).
_STEPS = (
    ("does not like recipient.", "RCPT"), ("[RCPT_TO]", "RCPT"),
    ("failed on DATA command", "DATA"), ("failed after I sent the message", "DATA"),
    ("but sender was rejected", "MAIL"), ("but my name was rejected", "HELO"),
    ("but greeting failed", "CONNECT"),
)
_QMAIL_STATUS = re.compile(r"[(\[]#([245]\.[0-9]{1,3}\.[0-9]{1,3})[)\]]")  # "(#5.1.1)", "[#4.1.9]"
_LOCAL_FAILURE = "Unable to "
_TRAILERS = ("Giving up on ", "I'm not going to try again", "(Other MXes tried")

# qmail's own words about the SMTP step that failed (qmail-remote.c), where the remote reply
# alone would mislead: a 550 to MAIL FROM is about our sender, not about the recipient.
_PHASES: tuple[tuple[str, Reason], ...] = (
    ("but sender was rejected", Reason.REJECTED),
    ("but my name was rejected", Reason.BLOCKED),
    ("Sorry, I couldn't find any host named", Reason.HOSTUNKNOWN),
    ("Sorry, I couldn't find a mail exchanger or IP address", Reason.NOTACCEPT),
    ("Sorry, I wasn't able to establish an SMTP connection", Reason.NETWORKERROR),
)


class Qmail:
    name = "qmail"

    def detect(self, view: MessageView) -> Detection | None:
        body = notice_text(view)
        head = body[:2000]
        if not contains_any(head, _BANNERS):
            return None
        return read_notice(body, _PHASES)


def read_notice(body: str, phases: tuple[tuple[str, Reason], ...]) -> Detection | None:
    """The "<rcpt>:" blocks of a qmail-style notice, up to the returned copy."""
    for marker in _COPY_MARKERS:
        body = body.split(marker, 1)[0]
    starts = list(_RECIPIENT_LINE.finditer(body))
    if not starts:
        return None
    findings = []
    for index, start in enumerate(starts):
        stop = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        findings.append(_read_block(start.group(1), body[start.end():stop], phases))
    return Detection(BounceKind.FAILURE, findings)


def _read_block(recipient: str, block: str, phases: tuple[tuple[str, Reason], ...]) -> Finding:
    remote = _REMOTE.search(block)
    said = _SAID.search(block)
    if said:
        lines = [line for line in block[said.end():].split("\n") if not line.startswith(_TRAILERS)]
        diagnostic = join_reply(lines)
    else:
        diagnostic = unfold(block)
    result = finding(recipient, diagnostic, remote_mta=remote.group(1) if remote else "")
    if not result.status:
        own = _QMAIL_STATUS.search(block)
        result.status = own.group(1) if own else ""
    result.command = next((verb for words, verb in _STEPS if words in block), "")
    for sentence, reason in phases:
        if sentence in block:
            result.reason = reason
            result.diagnostic = unfold(block)
            break
    if (result.reason is None and not said and not result.status
            and result.diagnostic.startswith(_LOCAL_FAILURE)
            and precise_reason_from_text(result.diagnostic) is None):
        # qmail's own "Unable to …" sentence (qmail-local / qmail-send: "Unable to chdir to
        # maildir", "Unable to forward message", Yahoo's qmail "Unable to deliver message after
        # multiple retries"): the sending system failed, nobody's reply says why.
        result.reason = Reason.SYSTEMERROR
    return result
