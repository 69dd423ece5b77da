"""How the outbound SMTP server is doing, as the sender last saw it — for every console page.

The outbox reports each handoff: a server that answered (whatever it said about recipients) is
`up`; one that could not take the message (unreachable, TLS, AUTH refused, 421) is `down`, with
the kind of fault, the raw error, and since when. "Since" is the first failure of the current
run of failures, so a page can say "serveur d'envoi injoignable depuis 10:42".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

from tracking.clock import utc_now


@dataclass(frozen=True)
class OutboundHealth:
    state: str = "unknown"          # unknown (nothing sent yet) | up | down
    since: datetime | None = None   # aware UTC: when it entered this state
    fault: str | None = None        # down only: unreachable | tls | auth | config | closing
    detail: str | None = None       # down only: the raw error or reply
    waiting: int = 0                # deliveries waiting for the server to come back
    checked_at: datetime | None = None

    @property
    def down(self) -> bool:
        return self.state == "down"


class HealthTracker:
    """Thread-safe holder: the sender thread writes, any page thread reads.

    While the server keeps answering, each handoff only moves the time of the last answer
    (`answered`, once a message); the snapshot is rebuilt when read. Rebuilding the frozen
    `OutboundHealth` at every message was ~5 % of the SMTP thread's time in the send bench."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._health = OutboundHealth()
        self._answered_at: datetime | None = None   # a later answer `_health` does not show yet

    def get(self) -> OutboundHealth:
        with self._lock:
            return self._current()

    def answered(self) -> None:
        now = utc_now()
        with self._lock:
            if self._health.state == "up":
                self._answered_at = now
                return
            health = self._current()
            self._health = OutboundHealth("up", now, checked_at=now, waiting=health.waiting)

    def failed(self, fault: str, detail: str) -> None:
        now = utc_now()
        with self._lock:
            health = self._current()
            since = health.since if health.state == "down" else now
            self._health = replace(health, state="down", since=since, fault=fault, detail=detail,
                                   checked_at=now)

    def set_waiting(self, count: int) -> None:
        with self._lock:
            self._health = replace(self._current(), waiting=count)

    def _current(self) -> OutboundHealth:
        """The health with the last answer folded in (holding the lock)."""
        if self._answered_at is not None:
            self._health = replace(self._health, checked_at=self._answered_at)
            self._answered_at = None
        return self._health
