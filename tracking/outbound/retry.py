"""Retries with bounded exponential backoff: only what is still transient is tried again.

An attempt settles some recipients (accepted, or refused for good with a 5xx) and leaves others
transient (a 4xx, or a connection lost before their turn). The next attempt sends only to the
transient ones. When the attempts run out, each of those gets a final outcome that is not
accepted, still marked `transient=True`, and carries the last error — the caller records it as
`not_sent` with that reason (DESIGN §4).

`PermanentSendError` (TLS verification, AUTH refused) is not retried: it propagates at once,
with `completed` holding the outcomes already settled (recipients accepted by an earlier attempt).

Server faults — the outbound server itself could not take the message (unreachable, timed out,
dropped, TLS or AUTH failure, `421` service closing) — are nobody's answer about a recipient:
retrying them within seconds rarely helps, so `deliver_with_retries` stops at the first one and
the outbox defers those recipients (`deferral_delay`, growing with each claim) instead of ending
them, until `SUIVI_OUTBOUND_MAX_AGE`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tracking.config import RetrySettings
from tracking.errors import PermanentSendError, TransientSendError
from tracking.outbound.compose import ComposedMessage
from tracking.outbound.smtp import (
    SERVICE_CLOSING, CannotConnect, ConnectionLost, RecipientOutcome,
)

# `RecipientOutcome.stage` values that say the server, not the recipient, was the problem.
SERVER_FAULT_STAGES = frozenset({"connect", "dropped", "tls", "auth", "config"})
# … and those where trying again within seconds is pointless: no connection could be opened.
# A connection dropped mid-way is retried at once (a fresh connection often works).
_NO_QUICK_RETRY = frozenset({"connect", "tls", "auth", "config"})


def is_server_fault(outcome: RecipientOutcome) -> bool:
    """Nobody answered about this recipient: the outbound server could not take the message."""
    return outcome.transient and (outcome.stage in SERVER_FAULT_STAGES
                                  or outcome.code == SERVICE_CLOSING)


def _no_quick_retry(outcome: RecipientOutcome) -> bool:
    return outcome.transient and (outcome.stage in _NO_QUICK_RETRY
                                  or outcome.code == SERVICE_CLOSING)


def fault_kind(outcome: RecipientOutcome) -> str:
    """`unreachable`, `dropped`, `tls`, `auth`, `config` or `closing` (a 421) — for wording."""
    if outcome.code == SERVICE_CLOSING:
        return "closing"
    return "unreachable" if outcome.stage == "connect" else outcome.stage


class Transport(Protocol):
    def deliver(self, composed: ComposedMessage) -> list[RecipientOutcome]: ...


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("at least one attempt")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("delays must satisfy 0 <= base_delay <= max_delay")

    @classmethod
    def from_settings(cls, settings: RetrySettings) -> RetryPolicy:
        return cls(settings.attempts, settings.base_delay, settings.max_delay)

    def deferral_delay(self, claims: int) -> float:
        """Wait before handing a server-faulted delivery over again after its n-th claim:
        base·2^(n-1), capped at max_delay — no jitter needed, the whole outbox waits together."""
        return min(self.max_delay, self.base_delay * 2.0 ** min(max(claims - 1, 0), 30))

    def delay(self, failed_attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Wait after the n-th failed attempt (1-based): base·2^(n-1), capped, with equal jitter.

        Jitter keeps many senders deferred by the same server from coming back in lockstep; the
        lower half stays fixed so a retry never comes back immediately.
        """
        ceiling = min(self.max_delay, self.base_delay * 2 ** (failed_attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2


AttemptFailed = Callable[[int, list[RecipientOutcome], float], None]
"""`on_attempt_failed(attempt, transient_outcomes, delay_before_next)` — called only when a retry
follows, e.g. to record a `send_attempt_failed` event."""


def deliver_with_retries(
    transport: Transport,
    composed: ComposedMessage,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_attempt_failed: AttemptFailed | None = None,
    rand: Callable[[], float] = random.random,
) -> list[RecipientOutcome]:
    """One final outcome per recipient of `composed`, in the order of its envelopes."""
    order = [recipient.index for recipient in composed.recipients]
    final: dict[int, RecipientOutcome] = {}
    last: dict[int, RecipientOutcome] = {}
    pending = set(order)
    for attempt in range(1, policy.attempts + 1):
        try:
            outcomes = _attempt(transport, composed.restricted_to(pending))
        except PermanentSendError as err:
            # Recipients settled by earlier attempts stay settled: the caller records them as
            # such and only the rest as refused by the configuration error.
            err.completed = tuple(final.values()) + tuple(getattr(err, "completed", ()))  # type: ignore[attr-defined]
            raise
        for outcome in outcomes:
            if outcome.transient:
                last[outcome.recipient.index] = outcome
            else:
                final[outcome.recipient.index] = outcome
        pending = {index for index in pending if index not in final}
        if not pending or all(_no_quick_retry(last[index]) for index in pending):
            break  # done, or the server itself is the problem: the caller defers, not us
        if attempt < policy.attempts:
            delay = policy.delay(attempt, rand)
            if on_attempt_failed is not None:
                on_attempt_failed(attempt, [last[index] for index in order if index in pending], delay)
            sleep(delay)
    for index in pending:
        final[index] = last[index]   # not accepted, transient=True, the last error as reason
    return [final[index] for index in order]


def _attempt(transport: Transport, composed: ComposedMessage) -> list[RecipientOutcome]:
    """Outcomes of one attempt; a lost connection leaves its unsettled recipients transient."""
    try:
        return transport.deliver(composed)
    except TransientSendError as err:
        completed = err.completed if isinstance(err, ConnectionLost) else ()
        settled = {outcome.recipient.index for outcome in completed}
        reason = str(err) or type(err).__name__
        stage = "connect" if isinstance(err, CannotConnect) else "dropped"
        return list(completed) + [
            RecipientOutcome(recipient, accepted=False, code=0, reply=reason, transient=True,
                             stage=stage)
            for recipient in composed.recipients
            if recipient.index not in settled
        ]
