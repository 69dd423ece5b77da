"""The demo's sign-in users: one per role, plus a support user who sees one account only.

Their logins and passwords are `tracking.auth.users.DEMO_USERS` (printed by the README). The
argon2id hashes cost ~0.1-0.4 s each, so they are computed once per process and reused by every
demo generated in it (the tests build several).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from tracking.auth.passwords import hash_password
from tracking.auth.users import DEMO_LIMITED_USER, DEMO_USERS
from tracking.store import users as store

_DISPLAY_NAMES = {
    "admin": "Admin (démo)",
    "support": "Support (démo)",
    "analyst": "Analyste (démo)",
    "support.dubois": "Support Atelier Dubois (démo)",
}


@cache
def _hashes() -> dict[str, str]:
    return {login: hash_password(password) for login, (_, password) in DEMO_USERS.items()}


def insert_demo_users(cursor, now_micros: int) -> None:
    """At the demo's present, so the same seed and present give the same database."""
    now = datetime(1970, 1, 1) + timedelta(microseconds=now_micros)
    limited_login, limited_account = DEMO_LIMITED_USER
    for login, (role, _) in DEMO_USERS.items():
        store.insert(cursor, login=login, display_name=_DISPLAY_NAMES.get(login, login),
                     role=str(role), password_hash=_hashes()[login],
                     email=f"{login}@suivi.localhost", subject=None,
                     accounts=(limited_account,) if login == limited_login else None, now=now)
