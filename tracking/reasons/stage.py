"""The SMTP stage a server refused at: part of the evidence for the reason.

RFC 5321 §3: a session is the greeting (CONNECT), EHLO/HELO, MAIL FROM, RCPT TO, then DATA and
its final dot. The same words mean different things at different stages: "user unknown" in
answer to RCPT names the recipient; after DATA the recipient existed at RCPT time, so what was
refused is the content or the sender (sisimai reads it as `filtered`); in answer to MAIL it
names our sender (`rejected`); a refusal at the greeting or at HELO is about the host we
connect from (`blocked`).
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    CONNECT = "CONNECT"
    HELO = "HELO"
    MAIL = "MAIL"
    RCPT = "RCPT"
    DATA = "DATA"


# Words each stage goes by in reports and in our own outbox ("connect", "rcpt", "data" —
# tracking.outbound.smtp; Sendmail ">>> RCPT To:"; Postfix "in reply to end of DATA command";
# Exim "after RCPT TO:"; the RFC 5321 command names; EHLO/LHLO are the greeting's HELO).
_NAMES: dict[str, Stage] = {
    "connect": Stage.CONNECT, "conn": Stage.CONNECT, "greeting": Stage.CONNECT,
    "banner": Stage.CONNECT, "initial": Stage.CONNECT,
    "helo": Stage.HELO, "ehlo": Stage.HELO, "lhlo": Stage.HELO, "starttls": Stage.HELO,
    "auth": Stage.HELO,
    "mail": Stage.MAIL, "mail from": Stage.MAIL,
    "rcpt": Stage.RCPT, "rcpt to": Stage.RCPT,
    "data": Stage.DATA, "end of data": Stage.DATA, "bdat": Stage.DATA, ".": Stage.DATA,
}


def stage_of(name: str | Stage | None) -> Stage | None:
    """The stage a command name or an outbox stage stands for (None when unknown)."""
    if not name:
        return None
    if isinstance(name, Stage):
        return name
    key = " ".join(name.strip().lower().rstrip(":").split())
    return _NAMES.get(key) or _NAMES.get(key.split(" ", 1)[0])
