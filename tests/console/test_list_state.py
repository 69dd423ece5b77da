"""The list's filters live in the URL and come back through "← Retour à la liste"; the language
choice follows the user from page to page (AppTest on a real demo database)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from tests.console.conftest import console_app
from tests.console.test_pages import documents_html


def first_document_link(app) -> str:
    return unescape(re.search(r'<a href="(document\?[^"]+)"', documents_html(app)).group(1))


def test_filters_go_to_the_url_and_come_back_through_the_back_link(console_db, repo_root):
    app = console_app(repo_root).run()
    app.toggle(key="doc_failures").set_value(True).run()
    app.selectbox(key="doc_kind").set_value("invoice").run()
    assert {k: app.query_params[k] for k in ("failures", "kind")} == {"failures": "1",
                                                                    "kind": "invoice"}
    link = parse_qs(urlsplit(first_document_link(app)).query)
    assert (link["failures"], link["kind"], link["lang"]) == (["1"], ["invoice"], ["fr"])

    # The link opens the document page in a new session: its back link carries the filters.
    page = console_app(repo_root, **{k: v[0] for k, v in link.items()}).run()
    page.switch_page("pages/document.py").run()
    [back] = page.get("page_link")
    assert back.proto.label == "← Retour à la liste"
    carried = parse_qs(back.proto.query_string)
    assert (carried["failures"], carried["kind"]) == (["1"], ["invoice"])
    assert "doc" not in carried

    # The list opened with those parameters starts filtered, as it was left.
    back_to_list = console_app(repo_root, **{k: v[0] for k, v in carried.items()}).run()
    assert not back_to_list.exception
    assert back_to_list.toggle(key="doc_failures").value is True
    assert back_to_list.selectbox(key="doc_kind").value == "invoice"
    assert documents_html(back_to_list) == documents_html(app)


def test_defaults_leave_no_trace_and_bad_parameters_are_ignored(console_db, repo_root):
    app = console_app(repo_root, kind="no-such-kind", account="acct-elsewhere", page="x",
                      failures="yes").run()
    assert not app.exception
    assert app.selectbox(key="doc_kind").value is None
    assert app.selectbox(key="doc_account").value is None
    assert app.toggle(key="doc_failures").value is False
    assert not {"kind", "account", "page", "failures"} & set(app.query_params)


def test_the_language_choice_follows_across_pages(console_db, repo_root):
    app = console_app(repo_root, lang="fr").run()
    app.radio(key="language_picker").set_value("en").run()
    assert app.title[0].value == "Documents" and app.query_params["lang"] == "en"
    for page, title in (("pages/settings.py", "Settings"),
                        ("pages/history.py", "Activity history"),
                        ("pages/documents.py", "Documents")):
        app.switch_page(page).run()
        assert not app.exception
        assert app.title[0].value == title
        assert app.radio(key="language_picker").value == "en"
        assert app.query_params["lang"] == "en"   # a stale lang=fr does not win
    app.radio(key="language_picker").set_value("fr").run()
    app.switch_page("pages/settings.py").run()
    assert app.title[0].value == "Paramètres"


def test_a_link_opens_in_its_language(console_db, repo_root):
    app = console_app(repo_root, lang="en").run()
    app.switch_page("pages/settings.py").run()
    assert app.title[0].value == "Settings"
    assert app.radio(key="language_picker").value == "en"
