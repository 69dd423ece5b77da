"""The actions of the console and the command line: send online, mark sent, edit the send date,
change an account's settings.

Each action validates everything first and writes nothing when refused (`InvalidInput` and its
subclasses); when accepted it writes its rows and events in one transaction. Every action takes
the `Principal` it is done for and checks its role and account scope (`Forbidden`) before
writing: hiding a button in the console is not the check, this is. SMTP work is not
done here: an online send is recorded as `pending` and returns at once; the outbox worker
(`tracking.outbox`) hands it to the server.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracking.auth.principal import Principal
from tracking.auth.roles import Action
from tracking.clock import (
    Occurrence, format_local, send_date_bounds, send_date_to_utc, utc_now, zone,
)
from tracking.errors import (
    ConfigError, InvalidInput, NotFound, RefusedAction, RefusedDate, ResendTooSoon,
    SuppressedAddress,
)
from tracking.events import (
    AccountSettingsChanged, Event, MarkedSentManually, SendDateChanged, SendRequested, event_id,
)
from tracking.models import DeliveryState, DocumentStatus, EventType, RecipientRole, SendingMode
from tracking import suppression, verp
from tracking.records import Account, Delivery, Document, Send
from tracking.store import queries, suppressions, writes
from tracking.store.connection import Database
from tracking.store.ledger import record_events
from tracking.validation import check_addresses, check_sendable

RESEND_WINDOW = timedelta(days=3)
DOUBLE_CLICK_WINDOW = timedelta(seconds=10)
MAX_RECIPIENTS_PER_ROLE = 5


@dataclass(frozen=True)
class SendRequest:
    document_id: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    actor: Principal | None = None     # required: who asks for the send
    force: bool = False                 # resend within RESEND_WINDOW on purpose
    idempotency_key: str | None = None  # e.g. the console form's submission id
    override_suppression: bool = False  # send to addresses that hard-bounced before, on purpose
    corrects: str | None = None         # a resend to a corrected address: the failed one


@dataclass(frozen=True)
class SendPolicy:
    """What the service needs from the settings to record a send."""

    message_domain: str = "suivi.localhost"
    verp_key: bytes | None = None

    @classmethod
    def from_settings(cls, settings) -> SendPolicy:
        key = settings.verp_key.reveal().encode("utf-8") if settings.verp_key else None
        return cls(message_domain=settings.message_domain, verp_key=key)


@dataclass(frozen=True)
class SendReceipt:
    send_id: str
    created: bool            # False when a double click or a repeated key found an existing send


def request_send(db: Database, request: SendRequest, policy: SendPolicy,
                 *, now: datetime | None = None) -> SendReceipt:
    """Record an online send of a document: the send, its deliveries `pending`, the events."""
    return request_sends(db, [request], policy, now=now)[0]


def request_sends(db: Database, requests: list[SendRequest], policy: SendPolicy,
                  *, now: datetime | None = None) -> list[SendReceipt]:
    """Record several online sends at once (the console's "send the selection"), all or none.

    Checked in bulk, written in bulk, one transaction: if any request is refused, nothing of
    any of them is written.
    """
    now = now or utc_now()
    for request in requests:
        _require_actor(request.actor).require(Action.SEND)
    recipients = [_recipients(request) for request in requests]
    with db.transaction() as cursor:
        keys = [r.idempotency_key for r in requests if r.idempotency_key]
        known_keys = queries.sends_by_idempotency_keys(cursor, keys)
        document_ids = sorted({r.document_id for r in requests})
        found = queries.documents_with_accounts(cursor, document_ids)
        client_names = queries.client_names(
            cursor, sorted({document.client_id for document, _ in found.values()}))
        for request in requests:  # scope first: nothing about another account is answered
            if request.document_id in found:
                request.actor.require(Action.SEND, found[request.document_id][1].id)
        latest = queries.latest_online_sends(cursor, document_ids, since=now - RESEND_WINDOW)
        outcomes = _outcomes_of_recipients(cursor, requests, recipients, found)
        # A double click repeats the same recipients; another address list is another send.
        sent_to = queries.recipients_of_sends(cursor, [send.id for send in latest.values()])
        receipts: list[SendReceipt] = []
        sends: list[Send] = []
        deliveries: list[Delivery] = []
        events: list[Event] = []
        for request, addresses in zip(requests, recipients):
            previous = known_keys.get(request.idempotency_key or "")
            if previous is not None:
                receipts.append(SendReceipt(previous.id, created=False))
                continue
            if request.document_id not in found:
                raise NotFound(f"unknown document {request.document_id!r}",
                               code="unknown_document", document=request.document_id)
            document, account = found[request.document_id]
            _check_not_cancelled(document, "sent")
            _check_mode(account, policy)
            check_sendable(document, account, client_names.get(document.client_id, ""))
            online = latest.get(document.id)
            wanted = frozenset((address, str(role)) for address, role in addresses)
            if (online and now - online.requested_at <= DOUBLE_CLICK_WINDOW
                    and sent_to.get(online.id) == wanted):
                receipts.append(SendReceipt(online.id, created=False))  # a double click
                continue
            if online and not request.force:
                raise ResendTooSoon(
                    f"document {document.number} was already sent on "
                    f"{online.requested_at:%Y-%m-%d %H:%M} UTC; resending within "
                    f"{RESEND_WINDOW.days} days needs --force", document=document.number,
                    sent_at=online.requested_at, zone=account.time_zone,
                    days=RESEND_WINDOW.days)
            overridden = _check_suppression(request, account, addresses,
                                            outcomes.get(account.id, []))
            send = _new_send(request, document, account, policy, now)
            latest[document.id] = send
            sent_to[send.id] = wanted
            if request.idempotency_key:
                known_keys[request.idempotency_key] = send
            sends.append(send)
            for idx, (address, role) in enumerate(addresses):
                token = (verp.make_token(policy.verp_key, send.id, idx)
                         if account.sending_mode.tracks_delivery else None)
                deliveries.append(Delivery(DeliveryState.PENDING, now, send_id=send.id, idx=idx,
                                           address=address, role=role, verp_token=token))
                events.append(Event(
                    event_id(EventType.SEND_REQUESTED, send.id, idx), EventType.SEND_REQUESTED,
                    now, request.actor.login, account.id, document.id, send.id, idx, address,
                    SendRequested(mode=str(account.sending_mode), role=str(role),
                                  forced=request.force, corrects=request.corrects,
                                  **_override_fields(overridden, address)),
                    origin=str(request.actor.origin)))
            receipts.append(SendReceipt(send.id, created=True))
        writes.insert_sends(cursor, sends)
        writes.insert_deliveries(cursor, deliveries, sends)
        writes.set_documents_sent(cursor, [send.document_id for send in sends], now)
        record_events(cursor, events)
    return receipts


def _outcomes_of_recipients(cursor, requests: list[SendRequest],
                            recipients: list[list[tuple[str, RecipientRole]]], found: dict
                            ) -> dict[str, list[suppression.Outcome]]:
    """Every request's recipients' latest outcomes in its account, read once for the batch."""
    wanted: dict[str, list[str]] = {}
    for request, addresses in zip(requests, recipients):
        if request.document_id in found:
            account = found[request.document_id][1]
            wanted.setdefault(account.id, []).extend(a for a, _ in addresses)
    return suppressions.latest_outcomes_by_account(cursor, wanted)


def _check_suppression(request: SendRequest, account: Account,
                       addresses: list[tuple[str, RecipientRole]],
                       outcomes: list[suppression.Outcome]
                       ) -> dict[str, suppression.Suppression]:
    """Refuse a recipient that hard-bounced before (`SuppressedAddress`, the first one), unless
    the request overrides; then the overridden suppressions, by address, for the events."""
    found = suppression.blocking([a for a, _ in addresses], outcomes)
    if found and not request.override_suppression:
        first = found[0]
        raise SuppressedAddress(
            f"{first.address} bounced for good on {first.bounced_at:%Y-%m-%d %H:%M} UTC "
            f"({first.reason}); sending to it again needs --override-suppression",
            address=first.address, reason=first.reason, status_code=first.status_code or "",
            bounced_at=_iso(first.bounced_at), zone=account.time_zone,
            bounced_on=first.bounced_at, document_number=first.document_number or "")
    return {s.address: s for s in found}


def _override_fields(overridden: dict[str, suppression.Suppression], address: str) -> dict:
    """The `SendRequested` fields that record an overridden suppression of `address`."""
    found = overridden.get(address)
    if found is None:
        return {}
    return {"suppression_overridden": True, "suppressed_reason": found.reason,
            "suppressed_since": _iso(found.bounced_at)}


def _check_not_cancelled(document: Document, action: str) -> None:
    """A cancelled document is neither sent nor marked sent: it no longer exists for the client."""
    if document.status == DocumentStatus.CANCELLED:
        raise RefusedAction("document_cancelled",
                            f"document {document.number} is cancelled: it cannot be {action}",
                            number=document.number)


def _check_mode(account: Account, policy: SendPolicy) -> None:
    if account.sending_mode is SendingMode.MANUAL:
        raise InvalidInput(f"account {account.name!r} sends by hand: use mark-sent instead",
                           code="manual_account", account=account.name)
    if account.sending_mode.tracks_delivery and not policy.verp_key:
        raise ConfigError("SUIVI_VERP_KEY is not set; relay modes need it to sign bounces",
                          code="verp_key_missing")


def _new_send(request: SendRequest, document: Document, account: Account, policy: SendPolicy,
              now: datetime) -> Send:
    send_id = uuid.uuid4().hex
    return Send(send_id, document.id, account.id, account.sending_mode, now, request.actor.login,
                f"<suivi.{send_id}@{policy.message_domain}>", send_id,
                request.idempotency_key or send_id, "queued")


def mark_sent_manually(db: Database, document_id: str, actor: Principal,
                       *, now: datetime | None = None, note: str = "") -> str:
    """The user sent the document by hand (post, in person): the send date is now.

    Refused for a cancelled document (`document_cancelled`) and for one already marked sent
    (`already_marked_sent`): a second mark would log the same send twice; a later date is an
    edit of the send date.
    """
    now = now or utc_now()
    _require_actor(actor).require(Action.MARK_SENT)
    with db.transaction() as cursor:
        document, account = _document_and_account(cursor, document_id)
        actor.require(Action.MARK_SENT, account.id)
        _check_not_cancelled(document, "marked sent")
        marked = queries.latest_manual_send(cursor, document.id)
        if marked is not None:
            when = format_local(marked.requested_at, account.time_zone)
            raise RefusedAction("already_marked_sent",
                                f"document {document.number} was already marked sent on {when} "
                                f"by {marked.actor}; edit the send date instead",
                                number=document.number, when=when, actor=marked.actor)
        send_id = uuid.uuid4().hex
        writes.insert_send(cursor, Send(send_id, document.id, account.id, SendingMode.MANUAL,
                                        now, actor.login, None, None, send_id, "none"))
        writes.set_document_sent(cursor, document.id, now)
        record_events(cursor, [Event(
            event_id(EventType.MARKED_SENT_MANUALLY, send_id), EventType.MARKED_SENT_MANUALLY,
            now, actor.login, account.id, document.id, send_id,
            details=MarkedSentManually(note=note, previous_send_date=_iso(document.send_date),
                                       send_date=_iso(now)), origin=str(actor.origin),
        )])
    return send_id


def set_send_date(db: Database, document_id: str, new_value: datetime | None, actor: Principal,
                  *, zone_name: str | None = None, occurrence: Occurrence | None = None,
                  now: datetime | None = None) -> Event:
    """Set or change the document's "Date d'envoi au client" by hand.

    `new_value` is aware, or a naive wall-clock time in `zone_name` (default: the account's
    zone); `occurrence` says which one an hour repeated by a DST change means. The date must
    lie between the document's issue date and now (`RefusedDate` with its code otherwise);
    the same date again is refused as `send_date_unchanged` and writes nothing. Records old
    value, new value, actor and time of the edit; delivery events are untouched.
    """
    now = now or utc_now()
    _require_actor(actor).require(Action.EDIT_SEND_DATE)
    if zone_name is not None:
        zone(zone_name)  # refuse an unknown zone before anything else
    with db.transaction() as cursor:
        document, account = _document_and_account(cursor, document_id)
        actor.require(Action.EDIT_SEND_DATE, account.id)
        wall_zone = zone_name or account.time_zone
        new_utc = None if new_value is None else send_date_to_utc(
            new_value, wall_zone,
            send_date_bounds(document.issue_date, account.time_zone, now), occurrence)
        if _to_minute(new_utc) == _to_minute(document.send_date):
            raise RefusedDate("send_date_unchanged",
                              f"document {document.number} already has this send date; "
                              "nothing was written",
                              value=format_local(new_utc, account.time_zone) or "—")
        event = Event(
            event_id(EventType.SEND_DATE_CHANGED, document.id, _iso(document.send_date),
                     _iso(new_utc), actor.login, _iso(now)),
            EventType.SEND_DATE_CHANGED, now, actor.login, account.id, document.id,
            details=SendDateChanged(old=_iso(document.send_date), new=_iso(new_utc),
                                    zone=wall_zone), origin=str(actor.origin),
        )
        writes.set_document_send_date(cursor, document.id, new_utc)
        record_events(cursor, [event])
    return event


def change_account_settings(db: Database, account_id: str, *, time_zone: str,
                            sending_mode: SendingMode | str, actor: Principal,
                            now: datetime | None = None) -> Event:
    """Change an account's time zone and sending mode (the console's Settings page).

    The zone only changes how times are *shown*: stored values stay UTC. The mode applies to
    sends requested afterwards; existing sends and delivery states are untouched. Refused
    (nothing written) for an unknown account, zone or mode, or when nothing would change.
    """
    now = now or utc_now()
    _require_actor(actor).require(Action.EDIT_SETTINGS, account_id)
    zone(time_zone)  # InvalidInput with a clear message for a name zoneinfo does not know
    try:
        mode = SendingMode(sending_mode)
    except ValueError as err:
        known = ", ".join(m.value for m in SendingMode)
        raise InvalidInput(f"unknown sending mode {sending_mode!r} (one of {known})",
                           code="unknown_mode", mode=sending_mode) from err
    with db.transaction() as cursor:
        account = queries.get_account(cursor, account_id)
        if account is None:
            raise NotFound(f"unknown account {account_id!r}", code="unknown_account",
                           account=account_id)
        old = {"time_zone": account.time_zone, "sending_mode": str(account.sending_mode)}
        new = {"time_zone": time_zone, "sending_mode": str(mode)}
        if new == old:
            raise InvalidInput(f"account {account.name!r} already has these settings",
                               code="settings_unchanged", account=account.name)
        # `old`/`new` are the keys the history shows as "old value" / "new value".
        event = Event(
            event_id(EventType.ACCOUNT_SETTINGS_CHANGED, account.id, *old.values(),
                     *new.values(), actor.login, _iso(now)),
            EventType.ACCOUNT_SETTINGS_CHANGED, now, actor.login, account.id,
            details=AccountSettingsChanged(old=old, new=new), origin=str(actor.origin),
        )
        writes.update_account_settings(cursor, account.id, time_zone=time_zone,
                                       sending_mode=str(mode))
        record_events(cursor, [event])
    return event


def _recipients(request: SendRequest) -> list[tuple[str, RecipientRole]]:
    # Only plain spaces are trimmed: a CR, LF, tab or other control around an address is refused
    # (str.strip would silently drop it, and U+001C–U+001F with it).
    to = [a.strip(" ").lower() for a in request.to if a.strip()]
    cc = [a.strip(" ").lower() for a in request.cc if a.strip()]
    if not to:
        raise InvalidInput("a send needs at least one 'to' recipient", code="no_recipient")
    for role, addresses in (("to", to), ("cc", cc)):
        if len(addresses) > MAX_RECIPIENTS_PER_ROLE:
            raise InvalidInput(f"at most {MAX_RECIPIENTS_PER_ROLE} '{role}' recipients",
                               code="too_many_recipients", role=role,
                               limit=MAX_RECIPIENTS_PER_ROLE)
    check_addresses(to, "recipient")
    check_addresses(cc, "recipient")
    seen: set[str] = set()
    recipients = []
    for address, role in [(a, RecipientRole.TO) for a in to] + [(a, RecipientRole.CC) for a in cc]:
        if address not in seen:
            seen.add(address)
            recipients.append((address, role))
    return recipients


def _require_actor(actor: Principal | None) -> Principal:
    if not isinstance(actor, Principal) or not actor.login.strip():
        raise InvalidInput("every action names its actor (a signed-in user or --actor)",
                           code="no_actor")
    return actor


def _document_and_account(cursor, document_id: str) -> tuple[Document, Account]:
    document = queries.get_document(cursor, document_id)
    if document is None:
        raise NotFound(f"unknown document {document_id!r}", code="unknown_document",
                       document=document_id)
    account = queries.get_account(cursor, document.account_id)
    if account is None:
        raise NotFound(f"document {document.number} belongs to an unknown account",
                       code="unknown_account", account=document.account_id)
    return document, account


def _to_minute(moment: datetime | None) -> datetime | None:
    """Send dates are shown and typed to the minute: the same minute is the same date."""
    return None if moment is None else moment.replace(second=0, microsecond=0)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
