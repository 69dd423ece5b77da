"""Tying a returned message to the send and recipients it is about (DESIGN §6.4) — pure.

In order of trust, first answer wins:
1. the signed VERP token of the address the bounce came to: verified with the key; a token
   that is present but does not verify (altered, forged, truncated) makes the message
   *suspicious* — recorded, never applied, and no weaker key is tried, because a forger can
   copy our Message-ID or ENVID as easily as a token;
2. `Original-Envelope-Id` (our ENVID, the send id — every relay on the way sees it);
3. the original `Message-ID` in the returned headers;
4. our `X-Suivi-Tracking` header in the returned headers;
5. a reported recipient address with a send to it shortly before — low confidence, flagged.
A message none of these ties to a send is *unmatched* and waits for a human.

Only (1) is *authenticated*: keys 2-4 travel with the message (its envelope or its headers) to
every server and recipient on the way, and (5) is public, so anyone can write a report carrying
them (issue 9). A message tied by them is *proposed*: it names a send and recipients, but
changes nothing until support applies it.

The store looks candidates up in bulk for a batch (`lookup_keys` says which); `correlate` only
compares values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from tracking.inbound.result import ParseResult
from tracking.models import BounceKind
from tracking.verp import VerpCheck, parse_token, verify_token

ADDRESS_WINDOW = timedelta(days=14)   # DSN retries last ~5 days; late bounces a little longer


class MatchState(StrEnum):
    MATCHED = "matched"           # authenticated (valid VERP token) or tied by hand: applied
    PROPOSED = "proposed"         # tied by a key anyone can copy: "à vérifier", applied by hand
    UNMATCHED = "unmatched"
    SUSPICIOUS = "suspicious"
    IGNORED = "ignored"           # ordinary mail, or dismissed by hand


class MatchMethod(StrEnum):
    VERP = "verp"
    ENVID = "envid"
    MESSAGE_ID = "message_id"
    HEADER = "header"
    ADDRESS_WINDOW = "address_window"
    MANUAL = "manual"

    @property
    def confidence(self) -> str:
        if self in (MatchMethod.VERP, MatchMethod.MANUAL):
            return "high"
        return "low" if self is MatchMethod.ADDRESS_WINDOW else "medium"


@dataclass(frozen=True, slots=True)
class SendCandidate:
    send_id: str
    document_id: str
    account_id: str
    requested_at: datetime
    addresses: tuple[str, ...]        # by recipient index, lower-cased


@dataclass(frozen=True, slots=True)
class Candidates:
    """What the store found for a batch's keys."""

    sends: Mapping[str, SendCandidate] = field(default_factory=dict)      # send id / envelope id
    by_message_id: Mapping[str, str] = field(default_factory=dict)        # Message-ID -> send id
    by_address: Mapping[str, tuple[tuple[str, datetime], ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Target:
    idx: int                          # recipient index in the send
    report: int | None                # index into ParseResult.recipients; None: message level


@dataclass(frozen=True, slots=True)
class Match:
    state: MatchState
    method: MatchMethod | None = None
    send: SendCandidate | None = None
    targets: tuple[Target, ...] = ()
    note: str = ""
    verp: VerpCheck | None = None


@dataclass(frozen=True, slots=True)
class LookupKeys:
    send_ids: frozenset[str]
    message_ids: frozenset[str]
    addresses: frozenset[str]


def lookup_keys(results: list[ParseResult], *, addresses: bool = True) -> LookupKeys:
    send_ids: set[str] = set()
    message_ids: set[str] = set()
    found_addresses: set[str] = set()
    for result in results:
        found = result.correlation
        parsed = parse_token(found.verp_token) if found.verp_token else None
        if parsed:
            send_ids.add(parsed[0])
        send_ids.update(key for key in (found.envelope_id.strip(), found.tracking_id.strip()) if key)
        if found.message_id:
            message_ids.add(normalize_message_id(found.message_id))
        if addresses:
            found_addresses.update(r.recipient for r in result.recipients if r.recipient)
            found_addresses.update(found.original_recipients)
    return LookupKeys(frozenset(send_ids), frozenset(message_ids), frozenset(found_addresses))


def correlate(result: ParseResult, candidates: Candidates, *, verp_key: bytes | None,
              received_at: datetime, window: timedelta = ADDRESS_WINDOW) -> Match:
    if result.kind is BounceKind.NOT_A_BOUNCE:
        return Match(MatchState.IGNORED, note="not a bounce")
    found = result.correlation
    if found.verp_token:
        return _by_verp(result, candidates, verp_key)
    for method, send_id in (
        (MatchMethod.ENVID, found.envelope_id.strip()),
        (MatchMethod.MESSAGE_ID,
         candidates.by_message_id.get(normalize_message_id(found.message_id), "")),
        (MatchMethod.HEADER, found.tracking_id.strip()),
    ):
        send = candidates.sends.get(send_id) if send_id else None
        if send is not None:
            return _proposed(_with_targets(result, send, method))
    return _proposed(_by_address(result, candidates, received_at, window))


def _proposed(match: Match) -> Match:
    """A token-less match names its send and recipients but is only a proposal (issue 9)."""
    if match.state is not MatchState.MATCHED:
        return match
    return Match(MatchState.PROPOSED, match.method, match.send, match.targets, match.note,
                 match.verp)


def normalize_message_id(value: str) -> str:
    value = "".join(value.split())
    if value and not value.startswith("<"):
        value = f"<{value}>"
    return value


def _by_verp(result: ParseResult, candidates: Candidates, key: bytes | None) -> Match:
    token = result.correlation.verp_token
    if not key:
        return Match(MatchState.UNMATCHED, note="VERP token found but no key configured to "
                     "verify it")
    check = verify_token(key, token)
    if check is not VerpCheck.VALID:
        return Match(MatchState.SUSPICIOUS, note=f"VERP token {token!r} is {check}", verp=check)
    send_id, idx, _mac = parse_token(token)
    send = candidates.sends.get(send_id)
    if send is None or idx >= len(send.addresses):
        return Match(MatchState.UNMATCHED, note=f"valid VERP token for unknown send {send_id} "
                     f"recipient {idx}", verp=check)
    address = send.addresses[idx]
    reports = [i for i, r in enumerate(result.recipients) if r.recipient == address]
    # The token names the recipient: a DSN for a rewritten address (alias, forwarding) still
    # concerns it, so fall back to the first report rather than dropping the message.
    if not reports and result.recipients:
        reports = [0]
    targets = tuple(Target(idx, i) for i in reports) or (Target(idx, None),)
    return Match(MatchState.MATCHED, MatchMethod.VERP, send, targets, verp=check)


def _with_targets(result: ParseResult, send: SendCandidate, method: MatchMethod) -> Match:
    position = {address: idx for idx, address in enumerate(send.addresses)}
    targets: list[Target] = []
    originals = result.correlation.original_recipients
    for i, report in enumerate(result.recipients):
        idx = position.get(report.recipient or "")
        if idx is None and len(originals) == len(result.recipients):
            idx = position.get(originals[i])      # Original-Recipient (our ORCPT) in the same block
        if idx is None and len(send.addresses) == 1 and len(result.recipients) == 1:
            idx = 0
        if idx is not None:
            targets.append(Target(idx, i))
    if not result.recipients:
        # Auto-replies and some complaints name no recipient: their sender is the recipient.
        idx = position.get((result.sender or "").lower())
        if idx is None and len(send.addresses) == 1:
            idx = 0
        if idx is not None:
            targets.append(Target(idx, None))
    if not targets:
        named = ", ".join(r.recipient or "?" for r in result.recipients) or result.sender or "?"
        return Match(MatchState.UNMATCHED, method, send,
                     note=f"send {send.send_id} found by {method}, but {named} is not one of "
                     "its recipients")
    return Match(MatchState.MATCHED, method, send, tuple(targets))


def _by_address(result: ParseResult, candidates: Candidates, received_at: datetime,
                window: timedelta) -> Match:
    for report in result.recipients:
        sends = candidates.by_address.get(report.recipient or "", ())
        recent = [(at, send_id) for send_id, at in sends
                  if received_at - window <= at <= received_at + timedelta(minutes=5)]
        if recent:
            send = candidates.sends.get(max(recent)[1])
            if send is not None:
                match = _with_targets(result, send, MatchMethod.ADDRESS_WINDOW)
                if match.state is MatchState.MATCHED:
                    return Match(match.state, match.method, match.send, match.targets,
                                 note="matched on the recipient address and time only")
    return Match(MatchState.UNMATCHED, note="no key ties it to a send")
