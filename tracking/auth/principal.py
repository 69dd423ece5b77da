"""The person (or process) an action is done for, as the core sees it.

The console builds one from the signed-in user, the command line from `--actor` (the operator's
own shell), background work uses `SYSTEM`. Every core action calls `require` before writing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tracking.auth.roles import Action, Role, role_allows
from tracking.errors import Forbidden


class Origin(StrEnum):
    CONSOLE = "console"
    CLI = "cli"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Principal:
    login: str
    display_name: str
    role: Role
    accounts: frozenset[str] | None = None   # None: every account
    origin: Origin = Origin.CONSOLE

    def may(self, action: Action) -> bool:
        return role_allows(self.role, action)

    def sees(self, account_id: str) -> bool:
        return self.accounts is None or account_id in self.accounts

    def require(self, action: Action, account_id: str | None = None) -> None:
        """Raise `Forbidden` unless this role may do `action` (on `account_id`, when given)."""
        if not self.may(action):
            raise Forbidden(
                f"{self.login!r} ({self.role}) may not {Action(action).value.replace('_', ' ')}",
                code="role", login=self.login, role=str(self.role), action=str(action))
        if account_id is not None and not self.sees(account_id):
            raise Forbidden(
                f"{self.login!r} may not act on account {account_id!r}",
                code="account", login=self.login, account=account_id, action=str(action))

    @classmethod
    def cli(cls, actor: str) -> Principal:
        """The operator's own shell: admin on every account, recorded as given, origin `cli`."""
        return cls(login=actor, display_name=actor, role=Role.ADMIN, accounts=None,
                   origin=Origin.CLI)

    @property
    def scope(self) -> frozenset[str] | None:
        """The accounts console queries are limited to (None: all)."""
        return self.accounts


# Background work (outbox, mailbox watcher, demo generation) acts as the system.
SYSTEM = Principal(login="system", display_name="system", role=Role.ADMIN, origin=Origin.SYSTEM)
