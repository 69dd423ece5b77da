"""The demo's sign-in users: one per role and a support user limited to one account."""

from __future__ import annotations

from tracking.auth import users
from tracking.auth.roles import Role
from tracking.auth.users import DEMO_LIMITED_USER, DEMO_USERS
from tracking.store.connection import open_database
from tracking.store.facts import is_demo


def test_every_demo_user_signs_in_with_the_readme_password(demo_db):
    path, _summary = demo_db
    with open_database(path) as db:
        assert is_demo(db.cursor()) and users.has_users(db)
        assert {role for role, _ in DEMO_USERS.values()} == set(Role)
        for login, (role, password) in DEMO_USERS.items():
            principal = users.authenticate(db, login, password)
            assert principal is not None and principal.role is role, login
            assert users.authenticate(db, login, password + "x") is None
        limited_login, account = DEMO_LIMITED_USER
        assert users.principal_for_login(db, limited_login).scope == frozenset({account})
        assert users.principal_for_login(db, "admin").scope is None
        known = {row[0] for row in db.cursor().execute("SELECT id FROM accounts").fetchall()}
        assert account in known


def test_the_readme_prints_the_demo_logins_and_passwords(repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    for login, (role, password) in DEMO_USERS.items():
        assert f"| `{login}` | `{password}` | {role}" in readme, login
