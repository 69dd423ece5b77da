"""SUIVI_AUTH=oidc through AppTest: the identity Streamlit's st.user would carry is matched to
the users table (subject, then email); a groups claim maps to a role only when configured, and
never lets an unknown identity in. The real provider round trip: test_browser_modes.py."""

from __future__ import annotations

import pytest

import ui.auth
from tests.console.conftest import console_app, shared_database
from tracking.auth.principal import Principal
from tracking.auth.roles import Role
from tracking.auth.users import add_user


@pytest.fixture
def oidc(console_db, monkeypatch):
    monkeypatch.setenv("SUIVI_AUTH", "oidc")
    add_user(shared_database(console_db), Principal.cli("tests"), login="lea",
             display_name="Léa Idp", role=Role.ANALYST, password=None,
             email="lea@example.test", subject="sub-lea")

    def identity(claims: dict | None) -> None:
        monkeypatch.setattr(ui.auth, "oidc_identity", lambda: claims)
        monkeypatch.setattr(ui.auth, "request_cookies", lambda: {})

    return identity


def sidebar_identity(app) -> str:
    return " ".join(e.value for e in app.sidebar.text)


def test_signed_out_shows_the_provider_button_and_no_data(oidc, repo_root):
    oidc(None)
    app = console_app(repo_root).run()
    assert [b.label for b in app.button] == ["Se connecter"]
    assert not app.dataframe and not app.get("html")  # no password form in OIDC mode


@pytest.mark.parametrize("claims", [
    {"sub": "sub-lea", "email": "someone-else@example.test"},   # by subject
    {"sub": "unknown-sub", "email": "lea@example.test"},        # by email
])
def test_a_known_identity_gets_the_table_role(oidc, repo_root, claims):
    oidc(claims)
    app = console_app(repo_root).run()
    assert app.title[0].value == "Documents"
    assert "Léa Idp (lea) · analyste" in sidebar_identity(app)


def test_a_groups_claim_sets_the_role_only_when_mapped(oidc, repo_root, monkeypatch):
    oidc({"sub": "sub-lea", "groups": ["helpdesk", "staff"]})
    monkeypatch.setenv("SUIVI_OIDC_GROUP_ROLES", "helpdesk=support")
    app = console_app(repo_root).run()
    assert "(lea) · support" in sidebar_identity(app)
    monkeypatch.setenv("SUIVI_OIDC_GROUP_ROLES", "other=admin")
    app = console_app(repo_root).run()
    assert "(lea) · analyste" in sidebar_identity(app)


def test_an_unknown_identity_gets_no_access_even_in_a_mapped_group(oidc, repo_root,
                                                                   monkeypatch):
    monkeypatch.setenv("SUIVI_OIDC_GROUP_ROLES", "helpdesk=admin")
    oidc({"sub": "nobody", "email": "nobody@example.test", "groups": ["helpdesk"]})
    app = console_app(repo_root).run()
    assert any(e.value.startswith("Pas d'accès") for e in app.error)
    assert not app.dataframe and "Documents" not in [t.value for t in app.title]
