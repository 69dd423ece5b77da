"""The suppression check: an address that hard-bounced before is not sent to again silently.

Mail services keep such a list for the same reason (another send to a dead address hurts the
sender's reputation and reaches nobody). Here the list is derived, never stored: for each
address of an account, its latest final outcome (delivered, sent, or failed — pending does not
count). When that outcome is a hard bounce (`Reason.is_hard`: user unknown, host unknown, has
moved, notaccept with a 5xx code) or the provider's own suppression list (`suppressed`), the
address is suppressed until a later send to it succeeds. Support can override, explicitly; the
service records the override in the send event.

Pure: the store (`tracking.store.suppressions`) reads the outcomes, this decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tracking.models import DeliveryState, Reason

FAILED = (DeliveryState.NOT_SENT, DeliveryState.NOT_DELIVERED)
# The reasons that can make an address suppressed (the store filters on them in SQL; whether
# `notaccept` counts depends on its code, decided by `is_suppressing`).
SUPPRESSING_REASONS: tuple[Reason, ...] = (
    Reason.USERUNKNOWN, Reason.HOSTUNKNOWN, Reason.HASMOVED, Reason.NOTACCEPT, Reason.SUPPRESSED)


@dataclass(frozen=True)
class Outcome:
    """The latest final outcome of sends to one address in one account."""

    address: str              # lower-cased
    state: str                # DeliveryState
    reason: str | None
    status_code: str | None
    at: datetime              # when that state was reached (UTC)
    document_number: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class Suppression:
    """Why sending to `address` again is refused unless overridden."""

    address: str
    reason: str               # Reason
    status_code: str | None
    bounced_at: datetime      # UTC
    document_number: str | None = None


def is_suppressing(state: str, reason: str | None, status_code: str | None) -> bool:
    """Does this final outcome make the address suppressed?"""
    if state not in FAILED or not reason:
        return False
    try:
        known = Reason(reason)
    except ValueError:
        return False   # a raw reply stored by an older version: not enough to refuse a send
    return known is Reason.SUPPRESSED or known.is_hard(status_code)


def suppressions(outcomes: Iterable[Outcome]) -> list[Suppression]:
    """The outcomes that suppress their address, in the order given."""
    return [Suppression(o.address, str(o.reason), o.status_code, o.at, o.document_number)
            for o in outcomes if is_suppressing(o.state, o.reason, o.status_code)]


def blocking(addresses: Iterable[str], outcomes: Iterable[Outcome]) -> list[Suppression]:
    """The suppressions among `addresses` (compared lower-case), in the order of `addresses`."""
    found = {s.address: s for s in suppressions(outcomes)}
    return [found[a.lower()] for a in dict.fromkeys(addresses) if a.lower() in found]


def still_suppressed(candidates):
    """The rows of `tracking.store.suppressions.suppressed_candidates` (a DataFrame with
    `state`, `reason`, `status_code`) that `is_suppressing` keeps."""
    keep = [is_suppressing(state, reason, code) for state, reason, code in
            zip(candidates["state"], candidates["reason"], candidates["status_code"])]
    return candidates[keep].reset_index(drop=True)
