"""Roles and what each may do (issue 8): analyst reads, support acts on documents, admin also
changes account settings and users. Reading and exporting need no action."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ANALYST = "analyst"
    SUPPORT = "support"
    ADMIN = "admin"


class Action(StrEnum):
    SEND = "send"                          # send, resend
    MARK_SENT = "mark_sent"
    EDIT_SEND_DATE = "edit_send_date"
    HANDLE_RETURNED = "handle_returned"    # attach / dismiss / apply returned messages
    EDIT_SETTINGS = "edit_settings"        # account zone and mode
    MANAGE_USERS = "manage_users"


_SUPPORT = frozenset({Action.SEND, Action.MARK_SENT, Action.EDIT_SEND_DATE,
                      Action.HANDLE_RETURNED})
_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.ANALYST: frozenset(),
    Role.SUPPORT: _SUPPORT,
    Role.ADMIN: _SUPPORT | {Action.EDIT_SETTINGS, Action.MANAGE_USERS},
}


def role_allows(role: Role, action: Action) -> bool:
    return Action(action) in _ALLOWED[Role(role)]
