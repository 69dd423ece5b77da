"""Principals for tests: who an action is done for, by role (console origin)."""

from __future__ import annotations

from tracking.auth.principal import Principal
from tracking.auth.roles import Role


def analyst(login: str = "ana", accounts=None) -> Principal:
    return Principal(login, login.title(), Role.ANALYST, _scope(accounts))


def support(login: str = "alice", accounts=None) -> Principal:
    return Principal(login, login.title(), Role.SUPPORT, _scope(accounts))


def admin(login: str = "carol", accounts=None) -> Principal:
    return Principal(login, login.title(), Role.ADMIN, _scope(accounts))


def _scope(accounts) -> frozenset[str] | None:
    return None if accounts is None else frozenset(accounts)
