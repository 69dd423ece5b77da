"""Plain records of the tracking core: what the store returns and the services take."""

from __future__ import annotations

from dataclasses import dataclass
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
class Delivery:
    send_id: str
    idx: int
    address: str
    role: RecipientRole
    verp_token: str | None
    state: DeliveryState
    state_at: datetime
    reason: str | None = None
    status_code: str | None = None
    smtp_reply: str | None = None
    diagnostic: str | None = None
    remote_mta: str | None = None
    complained: bool = False
    smtp_attempts: int = 0
    in_flight: bool = False
