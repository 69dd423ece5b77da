"""The sign-in gate and role gating of the console, through AppTest on a real demo database.

AppTest cannot send cookies or headers, so `ui.auth.request_cookies` / `request_headers` /
`client_address` stand in for the browser (conftest.sign_in); everything behind them — the
signature check, the users table, the role and scope checks — is the real code. The browser
tests (test_browser_auth.py) drive the same gate through a real server and Chromium.
"""

from __future__ import annotations

import pytest

import ui.auth
from tests.console.conftest import console_app, session_cookie, shared_database, sign_in
from tracking.auth.principal import Principal
from tracking.auth.roles import Role
from tracking.auth.session import sign_session
from tracking.auth.users import disable_user
from tracking.errors import Forbidden
from ui.auth_routes import session_secret


def everything_shown(app) -> str:
    """Every text the run put on the page (main and sidebar), to search for leaks."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info",
                 "error", "success", "warning", "code"):
        parts += [str(getattr(e, "value", "")) for e in getattr(app, kind)]
    parts += [e.value.to_csv() for e in app.dataframe]
    parts += [e.proto.body for e in app.get("html")]
    return "\n".join(parts)


def some_document(path, account: str | None = None, *, other_than: str | None = None):
    cursor = shared_database(path).cursor()
    row = cursor.execute(
        """SELECT id, number, account_id FROM documents
           WHERE (? IS NULL OR account_id = ?) AND (? IS NULL OR account_id <> ?)
           ORDER BY issue_date DESC, id LIMIT 1""",
        [account, account, other_than, other_than]).fetchone()
    return row


def accounts_of(path, login: str) -> list[str]:
    return shared_database(path).cursor().execute(
        "SELECT accounts FROM users WHERE login = ?", [login]).fetchone()[0]


def test_nothing_of_the_data_before_sign_in(console_db, repo_root, monkeypatch):
    sign_in(monkeypatch, console_db, None)
    _, number, _ = some_document(console_db)
    app = console_app(repo_root, doc=some_document(console_db)[0]).run()
    shown = everything_shown(app)
    assert 'action="/signin"' in shown and 'type="password"' in shown
    assert number not in shown and not app.dataframe
    # A page asked for directly: the gate never registered it, and its file is not
    # auto-discovered (views/, not pages/), so the router answers with the sign-in form. (The
    # page itself would stop too when nobody is signed in: the second lock.)
    for page in ("views/documents.py", "views/document.py", "views/history.py",
                 "views/settings.py", "views/overview.py"):
        app = console_app(repo_root, doc=some_document(console_db)[0]).run()
        app.switch_page(page).run()
        assert not app.exception
        shown = everything_shown(app)
        assert 'action="/signin"' in shown, page
        assert number not in shown and not app.dataframe, page
        assert [title.value for title in app.title] == ["Suivi — connexion"], page


def test_a_failed_sign_in_says_so_the_same_way(console_db, repo_root, monkeypatch):
    sign_in(monkeypatch, console_db, None)
    app = console_app(repo_root, signin="failed").run()
    assert [e.value for e in app.error] == ["Identifiant ou mot de passe incorrect."]


@pytest.mark.parametrize("forge", ["other secret", "tampered login", "expired", "garbage"])
def test_a_forged_or_stale_cookie_is_refused(console_db, repo_root, monkeypatch, forge):
    from datetime import timedelta

    from tracking.clock import utc_now

    genuine = session_cookie(console_db, "analyst")
    cookie = {
        "other secret": sign_session("admin", b"x" * 32),
        "tampered login": "YWRtaW4" + genuine[genuine.index("."):],  # "admin" + analyst's MAC
        "expired": sign_session("admin", session_secret(shared_database(console_db)),
                                now=utc_now() - timedelta(days=2)),
        "garbage": "admin",
    }[forge]
    monkeypatch.setattr(ui.auth, "request_cookies", lambda: {"suivi_session": cookie})
    app = console_app(repo_root).run()
    assert 'action="/signin"' in everything_shown(app)
    assert not app.dataframe


def test_signed_in_shows_who_and_a_same_tab_sign_out_link(console_db, repo_root, monkeypatch):
    sign_in(monkeypatch, console_db, "analyst")
    app = console_app(repo_root).run()
    assert app.title[0].value == "Documents"
    assert any("(analyst) · analyste" in e.value for e in app.sidebar.text)
    assert 'href="/signout" target="_self"' in everything_shown(app)
    assert not [w for w in app.sidebar.text_input if w.key == "actor"]  # the actor box is gone


def test_a_disabled_user_is_signed_out_at_the_next_run(console_db, repo_root, monkeypatch):
    sign_in(monkeypatch, console_db, "support")
    assert console_app(repo_root).run().title[0].value == "Documents"
    disable_user(shared_database(console_db), Principal.cli("tests"), "support")
    app = console_app(repo_root).run()
    assert 'action="/signin"' in everything_shown(app)


def test_an_analyst_gets_no_action_and_the_core_refuses_a_forged_one(console_db, repo_root,
                                                                    monkeypatch):
    from tracking import service

    sign_in(monkeypatch, console_db, "analyst")
    document_id, _, _ = some_document(console_db)
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    assert not app.exception
    assert app.get("plotly_chart") or app.markdown  # the page itself did render
    assert not app.get("form") and not app.button  # no send, mark, date or attach control
    assert any(i.value == "Lecture seule : votre rôle ne permet aucune action ici."
               for i in app.info)
    settings = console_app(repo_root).run()
    settings.switch_page("views/settings.py").run()
    assert not [b for b in settings.button if b.key and b.key.startswith("save_settings")]
    assert not settings.get("expander")

    analyst = Principal("analyst", "Analyst", Role.ANALYST)
    before = shared_database(console_db).cursor().execute("SELECT count(*) FROM events").fetchone()
    with pytest.raises(Forbidden):
        service.mark_sent_manually(shared_database(console_db), document_id, analyst, note="x")
    after = shared_database(console_db).cursor().execute("SELECT count(*) FROM events").fetchone()
    assert before == after


def test_support_gets_actions_but_not_settings_edits(console_db, repo_root, monkeypatch):
    sign_in(monkeypatch, console_db, "support")
    app = console_app(repo_root).run()
    app.switch_page("views/settings.py").run()
    assert not app.exception
    assert not app.get("expander")
    sign_in(monkeypatch, console_db, "admin")
    app = console_app(repo_root).run()
    app.switch_page("views/settings.py").run()
    assert app.get("expander")


def test_a_limited_user_sees_only_their_accounts(console_db, repo_root, monkeypatch):
    sign_in(monkeypatch, console_db, "support.dubois")
    (mine,) = accounts_of(console_db, "support.dubois")
    other_id, other_number, other_account = some_document(console_db, other_than=mine)
    own_id, own_number, _ = some_document(console_db, mine)

    app = console_app(repo_root).run()
    table = [m.value for m in app.html if "suivi-documents" in m.value][0]
    assert own_number in table or "suivi-table" in table
    assert other_number not in table
    app.text_input(key="doc_search").input(other_number).run()
    assert other_number not in everything_shown(app)
    assert any(i.value == "Aucun document ne correspond." for i in app.info)

    page = console_app(repo_root, doc=other_id).run().switch_page("views/document.py").run()
    assert other_number not in everything_shown(page)
    page = console_app(repo_root, doc=own_id).run().switch_page("views/document.py").run()
    assert own_number in page.title[0].value.replace("\\", "")

    for target in ("views/failures.py", "views/history.py"):
        app = console_app(repo_root).run()
        app.switch_page(target).run()
        assert not app.exception
        shown = everything_shown(app)
        assert other_account not in shown.replace("\\", "") or other_account == mine
        for frame in app.dataframe:
            if "document_number" in frame.value:
                numbers = set(frame.value["document_number"].dropna())
                assert other_number not in numbers


def test_a_database_without_users_refuses_to_start_and_says_how(console_db, repo_root):
    cursor = shared_database(console_db).cursor()
    cursor.execute("DELETE FROM store_facts")  # not a demo any more
    cursor.execute("UPDATE users SET role = NULL")  # nobody can sign in
    app = console_app(repo_root).run()
    assert not app.exception
    assert any("Aucun utilisateur" in e.value for e in app.error)
    assert any(c.value.startswith("python -m tracking users add admin") and
               c.value.endswith(f"--role admin --db {console_db}") for c in app.code)
    assert not app.dataframe



def test_a_refusal_from_the_core_is_worded_for_the_user():
    from streamlit.testing.v1 import AppTest

    def page():
        from tracking.errors import Forbidden, InvalidInput
        from ui.layout import error

        error(Forbidden("'ana' (analyst) may not mark sent", code="role"))
        error(Forbidden("'bob' may not act on account 'acct-x'", code="account"))
        error(InvalidInput("no document [x](http://h/)"))

    app = AppTest.from_function(page).run()
    assert [e.value for e in app.error][:2] == [
        "Refusé : votre rôle ne permet pas cette action, rien n'a été enregistré.",
        "Refusé : ce compte ne vous est pas ouvert, rien n'a été enregistré."]
    # A code without words: said in French, the core's English apart, as text (st.code)
    assert app.error[2].value.startswith("Refusé, rien n'a été enregistré.")
    assert "no document" not in app.error[2].value
    assert [c.value for c in app.code] == ["no document [x](http://h/)"]
