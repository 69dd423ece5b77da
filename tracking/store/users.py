"""SQL of the sign-in table `users` (migration 6). The rules live in `tracking.auth.users`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from tracking.clock import utc_now_naive

Cursor = duckdb.DuckDBPyConnection


@dataclass(frozen=True, slots=True)
class StoredUser:
    login: str
    display_name: str
    role: str | None                    # None: an actor name only, cannot sign in
    password_hash: str | None
    disabled: bool
    accounts: tuple[str, ...] | None    # None: every account
    email: str | None
    oidc_subject: str | None
    created_at: datetime | None
    updated_at: datetime | None


_COLUMNS = ("login, name, role, password_hash, disabled, accounts, email, oidc_subject, "
            "created_at, updated_at")


def _user(row) -> StoredUser | None:
    if row is None:
        return None
    login, name, role, password_hash, disabled, accounts, *rest = row
    return StoredUser(login, name, role, password_hash, bool(disabled),
                      None if accounts is None else tuple(accounts), *rest)


def get_by_login(cursor: Cursor, login: str) -> StoredUser | None:
    return _user(cursor.execute(f"SELECT {_COLUMNS} FROM users WHERE login = ?",
                                [login]).fetchone())


def find_by_subject(cursor: Cursor, subject: str) -> StoredUser | None:
    return _user(cursor.execute(
        f"SELECT {_COLUMNS} FROM users WHERE oidc_subject = ? ORDER BY login LIMIT 1",
        [subject]).fetchone())


def find_by_email(cursor: Cursor, email: str) -> list[StoredUser]:
    rows = cursor.execute(
        f"SELECT {_COLUMNS} FROM users WHERE lower(email) = lower(?) ORDER BY login",
        [email]).fetchall()
    return [_user(row) for row in rows]


def count_sign_in_users(cursor: Cursor) -> int:
    """Users who could sign in: a role and not disabled."""
    return cursor.execute(
        "SELECT count(*) FROM users WHERE role IS NOT NULL AND NOT disabled").fetchone()[0]


def count_admins(cursor: Cursor) -> int:
    return cursor.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled").fetchone()[0]


def list_all(cursor: Cursor) -> list[StoredUser]:
    return [_user(row) for row in cursor.execute(
        f"SELECT {_COLUMNS} FROM users ORDER BY login").fetchall()]


def insert(cursor: Cursor, *, login: str, display_name: str, role: str,
           password_hash: str | None, email: str | None, subject: str | None,
           accounts: tuple[str, ...] | None, now: datetime | None = None) -> None:
    now = now or utc_now_naive()   # naive UTC; the demo passes its own present
    cursor.execute(
        """INSERT INTO users (id, account_id, name, email, login, role, password_hash, disabled,
                              accounts, oidc_subject, created_at, updated_at)
           VALUES (?, NULL, ?, ?, ?, ?, ?, FALSE, ?, ?, ?, ?)""",
        [login, display_name, email, login, role, password_hash,
         None if accounts is None else list(accounts), subject, now, now])


def update(cursor: Cursor, login: str, **values) -> None:
    """Set the given columns (names from this module's callers, never from input)."""
    allowed = {"role", "password_hash", "disabled", "accounts", "name", "email", "oidc_subject"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not a user column: {sorted(unknown)}")
    if "accounts" in values and values["accounts"] is not None:
        values["accounts"] = list(values["accounts"])
    columns = sorted(values)
    assignments = ", ".join(f"{column} = ?" for column in columns)
    cursor.execute(f"UPDATE users SET {assignments}, updated_at = ? WHERE login = ?",
                   [*(values[c] for c in columns), utc_now_naive(), login])


def existing_accounts(cursor: Cursor, account_ids: list[str]) -> set[str]:
    rows = cursor.execute("SELECT id FROM accounts WHERE id = ANY(?::VARCHAR[])",
                          [account_ids]).fetchall()
    return {row[0] for row in rows}
