"""The sign-in users against a real DuckDB file: migration 6, sign-in, identities, management."""

from __future__ import annotations

import time

import duckdb
import pytest

from tests.actors import admin, analyst, support
from tracking.auth import users
from tracking.auth.principal import Origin
from tracking.auth.roles import Role
from tracking.errors import Forbidden, InvalidInput, NotFound
from tracking.store.connection import open_database
from tracking.store.migrations import MIGRATIONS, migrate

ACCOUNTS = ("acct-a", "acct-b")


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "suivi.duckdb")
    with database.transaction() as cursor:
        for account in ACCOUNTS:
            cursor.execute("INSERT INTO accounts VALUES (?, ?, 'Europe/Paris', 'relay', "
                           "'a@x.test', 'A', 'fr', now()::TIMESTAMP)", [account, account])
    yield database
    database.close()


def test_migration_6_keeps_existing_users_as_actor_names_that_cannot_sign_in(tmp_path):
    path = tmp_path / "old.duckdb"
    connection = duckdb.connect(str(path))
    migrate(connection, MIGRATIONS[:5])
    connection.execute("INSERT INTO users VALUES ('j.dubois', 'acct-a', 'Jacques Dubois', "
                       "'j@x.test'), ('ops.claire', NULL, 'Claire', 'c@x.test')")
    connection.execute("INSERT INTO events (id, type, occurred_at, actor, details) VALUES "
                       "('e1', 'send_requested', now()::TIMESTAMP, 'j.dubois', '{}')")
    connection.close()
    with open_database(path) as db:
        rows = db.cursor().execute("SELECT login, name, role, accounts, disabled FROM users "
                                   "ORDER BY login").fetchall()
        assert rows == [("j.dubois", "Jacques Dubois", None, ["acct-a"], False),
                        ("ops.claire", "Claire", None, None, False)]
        assert db.cursor().execute("SELECT actor, origin FROM events").fetchall() == [
            ("j.dubois", None)]
        assert users.principal_for_login(db, "j.dubois") is None
        assert not users.has_users(db)
        users.set_role(db, admin(), "j.dubois", "support")          # an admin can promote them
        principal = users.principal_for_login(db, "j.dubois")
        assert (principal.display_name, principal.role, principal.scope) == (
            "Jacques Dubois", Role.SUPPORT, frozenset({"acct-a"}))


def test_add_authenticate_and_disable(db):
    assert not users.has_users(db)
    users.add_user(db, admin(), login=" M.Lefevre ", display_name="Marie Lefèvre",
                   role="support", password="s3cret-pass", accounts=["acct-a"])
    assert users.has_users(db)
    principal = users.authenticate(db, "m.lefevre", "s3cret-pass")
    assert principal.login == "m.lefevre" and principal.display_name == "Marie Lefèvre"
    assert (principal.role, principal.scope, principal.origin) == (
        Role.SUPPORT, frozenset({"acct-a"}), Origin.CONSOLE)
    assert users.authenticate(db, "m.lefevre", "wrong-pass") is None
    assert users.authenticate(db, "nobody", "s3cret-pass") is None
    assert users.authenticate(db, "<script>", "s3cret-pass") is None
    users.set_password(db, admin(), "m.lefevre", "another-pass")
    assert users.authenticate(db, "m.lefevre", "s3cret-pass") is None
    assert users.authenticate(db, "m.lefevre", "another-pass") is not None
    users.disable_user(db, admin(), "m.lefevre")
    assert users.authenticate(db, "m.lefevre", "another-pass") is None
    assert users.principal_for_login(db, "m.lefevre") is None
    assert not users.has_users(db)
    users.disable_user(db, admin(), "m.lefevre", disabled=False)
    assert users.principal_for_login(db, "m.lefevre").role is Role.SUPPORT


def test_oidc_identity_by_subject_or_unique_email_and_group_roles(db):
    users.add_user(db, admin(), login="ana", display_name="Ana", role="analyst", password=None,
                   email="Ana@Example.test", subject="sub-123")
    assert users.principal_for_identity(db, email=None, subject="sub-123").login == "ana"
    assert users.principal_for_identity(db, email="ana@example.TEST", subject=None).login == "ana"
    assert users.principal_for_identity(db, email="who@example.test", subject="sub-9") is None
    assert users.authenticate(db, "ana", "") is None        # no password: no password sign-in
    mapped = users.principal_for_identity(db, email=None, subject="sub-123",
                                          groups=["suivi-support", "other"],
                                          group_roles={"suivi-support": Role.SUPPORT})
    assert mapped.role is Role.SUPPORT
    # two users share an email: the email alone is not enough to choose
    users.add_user(db, admin(), login="ana2", display_name="Ana bis", role="admin",
                   password=None, email="ana@example.test")
    assert users.principal_for_identity(db, email="ana@example.test", subject=None) is None


@pytest.mark.parametrize("fields, error, message", [
    ({"login": "x" * 65}, InvalidInput, "invalid login"),
    ({"login": "<script>"}, InvalidInput, "invalid login"),
    ({"login": ""}, InvalidInput, "invalid login"),
    ({"display_name": ""}, InvalidInput, "display name"),
    ({"display_name": "<img src=x>"}, InvalidInput, "display name"),
    ({"display_name": "x" * 101}, InvalidInput, "display name"),
    ({"role": "root"}, InvalidInput, "unknown role"),
    ({"password": "short"}, InvalidInput, "at least 8"),
    ({"accounts": ["acct-zz"]}, NotFound, "unknown account"),
    ({"accounts": []}, InvalidInput, "at least one account"),
    ({"login": "taken"}, InvalidInput, "already taken"),
])
def test_bad_user_is_refused_and_nothing_written(db, fields, error, message):
    users.add_user(db, admin(), login="taken", display_name="T", role="admin", password=None)
    before = users.list_users(db, admin())
    values = {"login": "new.user", "display_name": "New", "role": "support",
              "password": "long-enough", **fields}
    with pytest.raises(error, match=message):
        users.add_user(db, admin(), **values)
    assert users.list_users(db, admin()) == before


def test_only_admins_manage_users_and_a_scoped_admin_only_within_its_accounts(db):
    for actor in (analyst(), support()):
        with pytest.raises(Forbidden):
            users.add_user(db, actor, login="x", display_name="X", role="analyst", password=None)
        with pytest.raises(Forbidden):
            users.list_users(db, actor)
    scoped = admin("boss.a", accounts=["acct-a"])
    with pytest.raises(Forbidden):      # every account is more than it sees
        users.add_user(db, scoped, login="x", display_name="X", role="analyst", password=None)
    with pytest.raises(Forbidden):
        users.add_user(db, scoped, login="x", display_name="X", role="analyst", password=None,
                       accounts=["acct-b"])
    users.add_user(db, scoped, login="x", display_name="X", role="analyst", password=None,
                   accounts=["acct-a"])
    users.add_user(db, admin(), login="everything", display_name="E", role="analyst",
                   password=None)
    with pytest.raises(Forbidden):
        users.set_role(db, scoped, "everything", "admin")


def test_the_last_admin_cannot_be_demoted_or_disabled(db):
    users.add_user(db, admin(), login="root", display_name="Root", role="admin",
                   password="long-enough")
    with pytest.raises(InvalidInput, match="last admin"):
        users.set_role(db, admin(), "root", "support")
    with pytest.raises(InvalidInput, match="last admin"):
        users.disable_user(db, admin(), "root")
    users.add_user(db, admin(), login="root2", display_name="Root 2", role="admin",
                   password="long-enough")
    users.disable_user(db, admin(), "root")
    assert users.principal_for_login(db, "root") is None
    with pytest.raises(NotFound):
        users.set_role(db, admin(), "ghost", "admin")


def _median_seconds(action, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return sorted(times)[rounds // 2]


def test_an_unknown_login_costs_a_password_verification_too(db):
    """No login enumeration by timing: without the dummy verification an unknown login answers
    ~100x faster than a wrong password; the bound leaves room for a loaded machine."""
    users.add_user(db, admin(), login="known", display_name="K", role="analyst",
                   password="long-enough")
    wrong_password = _median_seconds(lambda: users.authenticate(db, "known", "not-it-at-all"))
    unknown_login = _median_seconds(lambda: users.authenticate(db, "unknown", "not-it-at-all"))
    assert unknown_login > 0.3 * wrong_password
