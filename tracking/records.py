"""Plain records of the tracking core: what the store returns and the services take."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal

from tracking.models import (
    DeliveryState, DocumentKind, DocumentStatus, RecipientRole, SendingMode,
)


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    time_zone: str
    sending_mode: SendingMode
    sender_address: str
    sender_name: str
    language: str = "fr"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    account_id: str | None
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class ClientAddress:
    address: str
    role: RecipientRole = RecipientRole.TO


@dataclass(frozen=True, slots=True)
class Client:
    id: str
    account_id: str
    name: str
    addresses: tuple[ClientAddress, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    account_id: str
    client_id: str
    kind: DocumentKind
    number: str
    amount: Decimal
    currency: str
    issue_date: date
    status: DocumentStatus
    send_date: datetime | None = None   # aware UTC


@dataclass(frozen=True, slots=True)
class Send:
    id: str
    document_id: str
    account_id: str
    mode: SendingMode
    requested_at: datetime              # aware UTC
    actor: str
    message_id: str | None
    envelope_id: str | None
    idempotency_key: str
    outbox_state: str


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """Where one recipient of one send stands — the one definition of these fields.

    `tracking.state` derives it from events; the store keeps it per delivery (`deliveries`).
    The detail fields take the same-named fields of the event that last moved the delivery.
    """

    state: DeliveryState
    state_at: datetime                  # aware UTC
    reason: str | None = None
    status_code: str | None = None      # RFC 3463 enhanced status, from a DSN
    smtp_reply: str | None = None       # our SMTP server's full reply
    diagnostic: str | None = None       # the remote server's words, from a DSN
    remote_mta: str | None = None
    complained: bool = False


STATUS_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(DeliveryStatus))
# The fields an event's payload sets when it moves a delivery (by the same name).
STATUS_DETAIL_FIELDS: tuple[str, ...] = ("reason", "status_code", "smtp_reply", "diagnostic",
                                         "remote_mta")


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery(DeliveryStatus):
    """One recipient of one online send: who and where, plus its status (the fields above)."""

    send_id: str
    idx: int
    address: str
    role: RecipientRole
    verp_token: str | None
    smtp_attempts: int = 0
    in_flight: bool = False

    @property
    def status(self) -> DeliveryStatus:
        return DeliveryStatus(**{name: getattr(self, name) for name in STATUS_FIELDS})
