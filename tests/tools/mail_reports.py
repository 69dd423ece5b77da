"""Reading what the mail servers produced, for assertions: RFC 3464 delivery-status fields of a
DSN, and the envelope Postfix stored for a queued message (`postcat -e`).

Small readers for tests; the project's own bounce parser lives in `tracking.inbound`.
"""

from __future__ import annotations

import email
from dataclasses import dataclass


# Postfix's dsn_mask.h bits, as `postcat -e` prints them in notify_flags / ret_flags.
_NOTIFY_BITS = {1: "NEVER", 2: "SUCCESS", 4: "FAILURE", 8: "DELAY"}
_RET_BITS = {1: "FULL", 2: "HDRS"}


@dataclass(frozen=True, slots=True)
class QueuedRecipient:
    address: str
    orcpt: str = ""                       # as received, e.g. "rfc822;Hold.Me@example.org"
    notify: frozenset[str] = frozenset()  # {"SUCCESS", "FAILURE"…}; empty when none was given


@dataclass(frozen=True, slots=True)
class QueuedEnvelope:
    queue_id: str
    sender: str
    envelope_id: str                      # ENVID
    ret: str                              # "FULL", "HDRS" or ""
    recipients: tuple[QueuedRecipient, ...]


def parse_postcat_envelope(queue_id: str, postcat_output: str) -> QueuedEnvelope:
    """Read `postcat -e`: a recipient's DSN attributes come just before its `recipient:` line."""
    sender = envelope_id = ret = ""
    recipients: list[QueuedRecipient] = []
    pending: dict[str, str] = {}
    for line in postcat_output.splitlines():
        name, _, value = line.partition(": ")
        if name == "named_attribute":
            key, _, value = value.partition("=")
            if key == "envelope_id":
                envelope_id = value
            elif key == "ret_flags":
                ret = _flag_names(int(value), _RET_BITS)[0] if int(value) else ""
            elif key in ("notify_flags", "dsn_orig_rcpt"):
                pending[key] = value
        elif name == "sender":
            sender = value
        elif name == "recipient":
            notify = int(pending.get("notify_flags", "0"))
            recipients.append(QueuedRecipient(
                value, pending.get("dsn_orig_rcpt", ""), frozenset(_flag_names(notify, _NOTIFY_BITS))
            ))
            pending = {}
    return QueuedEnvelope(queue_id, sender, envelope_id, ret, tuple(recipients))


def _flag_names(mask: int, names: dict[int, str]) -> list[str]:
    return [name for bit, name in names.items() if mask & bit]


def delivery_status(raw: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The RFC 3464 fields of a DSN: (per-message fields, one dict per recipient), names lower-cased."""
    message = email.message_from_bytes(raw)
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            fields = [
                {name.lower(): " ".join(str(value).split()) for name, value in block.items()}
                for block in blocks
            ]
            return (fields[0] if fields else {}), fields[1:]
    return {}, []
