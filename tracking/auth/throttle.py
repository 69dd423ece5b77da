"""A growing delay after repeated failed sign-ins, per login and per client address.

In memory, per process (OWASP authentication cheat sheet: slow attempts down rather than lock
accounts, which would let anyone lock a colleague out). The first failures cost nothing; then
each further failure doubles the wait up to a cap. Failures are forgotten after `forget_after`
seconds without one. A success clears the login's count, not the client's (otherwise one valid
account would reset the counter of a client guessing at others).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class LoginThrottle:
    def __init__(self, *, free_failures: int = 3, base_delay: float = 1.0,
                 max_delay: float = 30.0, forget_after: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._free = free_failures
        self._base = base_delay
        self._max = max_delay
        self._forget = forget_after
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}  # key -> (count, last)

    def delay_for(self, login: str, client: str | None) -> float:
        """Seconds to wait before answering this attempt."""
        with self._lock:
            count = max(self._count(key) for key in _keys(login, client))
        extra = count - self._free
        return 0.0 if extra < 0 else min(self._base * 2 ** extra, self._max)

    def failed(self, login: str, client: str | None) -> None:
        with self._lock:
            now = self._clock()
            for key in _keys(login, client):
                self._failures[key] = (self._count(key) + 1, now)

    def succeeded(self, login: str, client: str | None) -> None:
        with self._lock:
            self._failures.pop(("login", _norm(login)), None)

    def _count(self, key: tuple[str, str]) -> int:
        count, last = self._failures.get(key, (0, 0.0))
        if count and self._clock() - last > self._forget:
            del self._failures[key]
            return 0
        return count


def _norm(login: str) -> str:
    return (login or "").strip().lower()


def _keys(login: str, client: str | None) -> list[tuple[str, str]]:
    keys = [("login", _norm(login))]
    if client:
        keys.append(("client", client))
    return keys
