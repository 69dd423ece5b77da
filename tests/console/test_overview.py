"""The console's placeholder page through Streamlit's AppTest, on a real DuckDB file."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.actors import support
from tests.console.conftest import copy_demo, sign_in
from tests.core.conftest import seed
from tracking.auth.principal import Principal
from tracking.auth.roles import Role
from tracking.auth.users import add_user
from tracking.models import SendingMode
from tracking.service import SendPolicy, SendRequest, request_send
from tracking.store.connection import open_database


@pytest.fixture
def console_db(tmp_path, monkeypatch):
    path = tmp_path / "console.duckdb"
    db = open_database(path)
    documents = seed(db)
    request_send(db, SendRequest(documents[SendingMode.RELAY][0], ("a@client.test",),
                                 actor=support("alice")), SendPolicy(verp_key=b"k"))
    add_user(db, Principal.cli("tests"), login="ana", display_name="Ana", role=Role.ANALYST,
             password="ana-password")
    db.close()
    monkeypatch.setenv("SUIVI_DB", str(path))
    monkeypatch.setenv("SUIVI_WORKERS", "0")
    # Not a demo database: the session secret must come from the environment.
    monkeypatch.setenv("SUIVI_COOKIE_SECRET", "overview-test-secret-0123456789abcdef")
    sign_in(monkeypatch, path, "ana")
    return path


def test_overview_shows_counts_in_french_then_english(console_db, repo_root):
    app = AppTest.from_file(str(repo_root / "console.py"), default_timeout=30).run()
    app.switch_page("views/overview.py").run()
    assert not app.exception
    assert app.title[0].value == "Suivi des envois de documents"
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics == {"Documents": "12", "Envois": "1", "Échecs (dernier envoi)": "0"}
    assert "En cours" in app.dataframe[0].value.iloc[:, 0].tolist()
    app.sidebar.radio[0].set_value("en").run()
    assert app.title[0].value == "Document sending tracker"
    assert "In progress" in app.dataframe[0].value.iloc[:, 0].tolist()


def test_the_latest_events_name_the_system_in_words(demo_template, tmp_path, monkeypatch,
                                                    repo_root):
    """The Overview's latest events said `system` where the History page says which worker."""
    import streamlit as st

    path = copy_demo(demo_template, tmp_path)
    for name, value in (("SUIVI_DB", str(path)), ("SUIVI_WORKERS", "0"),
                        ("SUIVI_TRANSPORT", "sandbox"),
                        ("SUIVI_SANDBOX_MAILDIR", str(tmp_path / "sandbox-mail"))):
        monkeypatch.setenv(name, value)
    st.cache_data.clear()
    st.cache_resource.clear()
    sign_in(monkeypatch, path, "support")
    app = AppTest.from_file(str(repo_root / "console.py"), default_timeout=30).run()
    app.switch_page("views/overview.py").run()
    assert not app.exception
    actors = app.dataframe[1].value["Acteur"].tolist()
    assert "system" not in actors
    assert any(a.startswith("Système (") for a in actors), actors
