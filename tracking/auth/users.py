"""The sign-in users: who may sign in, as whom, and their management by an admin.

SQL lives in `tracking.store.users`. A user with no role (the actor names migrated from before
sign-in) or a disabled user never gets a `Principal`. Management needs `Action.MANAGE_USERS`, and
an admin limited to some accounts can only grant those accounts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from tracking.auth.passwords import burn_verification, hash_password, verify_password
from tracking.auth.principal import Origin, Principal
from tracking.auth.roles import Action, Role
from tracking.errors import Forbidden, InvalidInput, NotFound
from tracking.store import users as store
from tracking.store.users import StoredUser

# Logins end up in every event and in the history: short, plain, no markup possible.
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
MAX_DISPLAY_NAME = 100
MIN_PASSWORD = 8  # NIST SP 800-63B §5.1.1.2: at least 8 characters for a chosen password

# Demo users seeded by the demo generator and printed by the README: login -> (role, password).
# `support.dubois` sees one account only (the scoping demo): DEMO_LIMITED_USER's account.
DEMO_USERS: dict[str, tuple[Role, str]] = {
    "admin": (Role.ADMIN, "admin-demo"),
    "support": (Role.SUPPORT, "support-demo"),
    "analyst": (Role.ANALYST, "analyst-demo"),
    "support.dubois": (Role.SUPPORT, "dubois-demo"),
}
DEMO_LIMITED_USER = ("support.dubois", "acct-dubois")   # login, the one account it sees


def authenticate(db, login: str, password: str) -> Principal | None:
    """The principal for a right login and password; None otherwise, at the same cost."""
    login = normalise_login(login)
    user = store.get_by_login(db.cursor(), login) if _LOGIN.fullmatch(login) else None
    if user is None or user.password_hash is None:
        burn_verification(password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    return _principal(user)


def principal_for_login(db, login: str) -> Principal | None:
    """After a signed cookie or a trusted proxy header: the user as stored now (a role change or
    a disable takes effect at the next request)."""
    login = normalise_login(login)
    if not _LOGIN.fullmatch(login):
        return None
    return _principal(store.get_by_login(db.cursor(), login))


def principal_for_identity(db, *, email: str | None, subject: str | None,
                           groups: Iterable[str] = (),
                           group_roles: Mapping[str, Role] | None = None) -> Principal | None:
    """An OIDC identity: matched by subject, else by email (one user only); unknown: None.

    When `group_roles` (from settings) maps one of `groups` to a role, the highest such role
    replaces the stored one; the user must still exist in the table.
    """
    cursor = db.cursor()
    user = store.find_by_subject(cursor, subject) if subject else None
    if user is None and email:
        matches = store.find_by_email(cursor, email.strip())
        user = matches[0] if len(matches) == 1 else None
    principal = _principal(user)
    if principal is None or not group_roles:
        return principal
    mapped = [Role(group_roles[g]) for g in groups if g in group_roles]
    if not mapped:
        return principal
    best = max(mapped, key=list(Role).index)
    return Principal(principal.login, principal.display_name, best, principal.accounts,
                     principal.origin)


def has_users(db) -> bool:
    """Whether anyone can sign in (a role, not disabled)."""
    return store.count_sign_in_users(db.cursor()) > 0


def add_user(db, actor: Principal, *, login: str, display_name: str, role: Role | str,
             password: str | None, email: str | None = None, subject: str | None = None,
             accounts: Iterable[str] | None = None) -> None:
    actor.require(Action.MANAGE_USERS)
    login = _checked_login(login)
    display_name = _checked_display_name(display_name)
    role = _checked_role(role)
    password_hash = None if password is None else _hash(password)
    with db.transaction() as cursor:
        scope = _checked_accounts(cursor, actor, accounts)
        if store.get_by_login(cursor, login) is not None:
            raise InvalidInput(f"login {login!r} is already taken")
        store.insert(cursor, login=login, display_name=display_name, role=str(role),
                     password_hash=password_hash, email=(email or "").strip() or None,
                     subject=(subject or "").strip() or None, accounts=scope)


def set_role(db, actor: Principal, login: str, role: Role | str) -> None:
    actor.require(Action.MANAGE_USERS)
    role = _checked_role(role)
    with db.transaction() as cursor:
        user = _managed_user(cursor, actor, login)
        if user.role == Role.ADMIN and role != Role.ADMIN and not user.disabled:
            _keep_an_admin(cursor, user)
        store.update(cursor, user.login, role=str(role))


def set_password(db, actor: Principal, login: str, password: str) -> None:
    actor.require(Action.MANAGE_USERS)
    password_hash = _hash(password)
    with db.transaction() as cursor:
        user = _managed_user(cursor, actor, login)
        store.update(cursor, user.login, password_hash=password_hash)


def set_accounts(db, actor: Principal, login: str, accounts: Iterable[str] | None) -> None:
    actor.require(Action.MANAGE_USERS)
    with db.transaction() as cursor:
        user = _managed_user(cursor, actor, login)
        store.update(cursor, user.login, accounts=_checked_accounts(cursor, actor, accounts))


def disable_user(db, actor: Principal, login: str, *, disabled: bool = True) -> None:
    actor.require(Action.MANAGE_USERS)
    with db.transaction() as cursor:
        user = _managed_user(cursor, actor, login)
        if disabled and user.role == Role.ADMIN and not user.disabled:
            _keep_an_admin(cursor, user)
        store.update(cursor, user.login, disabled=disabled)


def list_users(db, actor: Principal) -> list[StoredUser]:
    actor.require(Action.MANAGE_USERS)
    return store.list_all(db.cursor())


def normalise_login(login: str) -> str:
    return (login or "").strip().lower()


def _principal(user: StoredUser | None) -> Principal | None:
    if user is None or user.role is None or user.disabled:
        return None
    accounts = None if user.accounts is None else frozenset(user.accounts)
    return Principal(user.login, user.display_name or user.login, Role(user.role), accounts,
                     Origin.CONSOLE)


def _checked_login(login: str) -> str:
    normal = normalise_login(login)
    if not _LOGIN.fullmatch(normal):
        raise InvalidInput(f"invalid login {login[:80]!r}: 1 to 64 characters among a-z, 0-9, "
                           "'.', '_', '-', '@', starting with a letter or digit")
    return normal


def _checked_display_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_DISPLAY_NAME or any(ord(c) < 32 or c in "<>" for c in name):
        raise InvalidInput(f"a display name is 1 to {MAX_DISPLAY_NAME} characters, "
                           "without control characters or '<' '>'")
    return name


def _checked_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as err:
        raise InvalidInput(f"unknown role {role!r} (one of {', '.join(Role)})") from err


def _hash(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD} characters")
    return hash_password(password)


def _checked_accounts(cursor, actor: Principal,
                      accounts: Iterable[str] | None) -> tuple[str, ...] | None:
    if accounts is None:
        if actor.accounts is not None:
            raise Forbidden("you can only grant the accounts you see yourself",
                            code="account", login=actor.login)
        return None
    wanted = sorted({a.strip() for a in accounts if a and a.strip()})
    if not wanted:
        raise InvalidInput("name at least one account, or none for every account")
    unknown = sorted(set(wanted) - store.existing_accounts(cursor, wanted))
    if unknown:
        raise NotFound(f"unknown account(s): {', '.join(unknown)}")
    outside = [a for a in wanted if not actor.sees(a)]
    if outside:
        raise Forbidden(f"you can only grant the accounts you see yourself: {', '.join(outside)}",
                        code="account", login=actor.login, account=", ".join(outside))
    return tuple(wanted)


def _managed_user(cursor, actor: Principal, login: str) -> StoredUser:
    user = store.get_by_login(cursor, normalise_login(login))
    if user is None:
        raise NotFound(f"unknown user {login[:80]!r}")
    if actor.accounts is not None and (
            user.accounts is None or not set(user.accounts) <= actor.accounts):
        raise Forbidden(f"{user.login!r} sees accounts you do not manage",
                        code="account", login=actor.login)
    return user


def _keep_an_admin(cursor, user: StoredUser) -> None:
    if store.count_admins(cursor) <= 1:
        raise InvalidInput(f"{user.login!r} is the last admin who can sign in; "
                           "make someone else admin first")
