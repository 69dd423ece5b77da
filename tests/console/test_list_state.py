"""The list's filters live in the URL and come back through "← Retour à la liste"; the language
choice follows the user from page to page (AppTest on a real demo database)."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

from tests.console.conftest import console_app
from tests.console.test_pages import documents_html


def first_document_link(app) -> str:
    return unescape(re.search(r'<a href="(document\?[^"]+)"', documents_html(app)).group(1))


def test_a_filtered_list_link_carries_its_filters_there_and_back(console_db, repo_root):
    # The URL a filtered list has (Streamlit's binding writes it as the widgets change; the
    # browser test clicks them): the list starts from it.
    wanted = {"doc_failures": "true", "doc_kind": "Facture", "lang": "fr"}
    app = console_app(repo_root, **wanted).run()
    assert not app.exception
    assert app.toggle(key="doc_failures").value is True
    assert app.selectbox(key="doc_kind").value == "invoice"
    link = parse_qs(urlsplit(first_document_link(app)).query)
    assert {k: v[0] for k, v in link.items() if k != "doc"} == wanted

    # The list opened with those parameters (the back link's) shows the same rows.
    again = console_app(repo_root, **wanted).run()
    assert documents_html(again) == documents_html(app)


def test_the_back_link_carries_the_lists_parameters_only():
    # The document page's back link is built from `carried()`; a cold deep link to the
    # document page goes through the router in the browser test (AppTest starts every
    # session on the default page, whose bound widgets then own these parameters).
    def script() -> None:
        import streamlit as st

        from ui.list_state import carried

        st.json(carried())

    app = AppTest.from_function(script)
    for key, value in {"doc": "d1", "doc_kind": "Facture", "doc_failures": "true",
                       "doc_search": "", "lang": "en", "other": "x"}.items():
        app.query_params[key] = value
    app.run()
    assert json.loads(app.json[0].value) == {"doc_kind": "Facture", "doc_failures": "true"}


def test_parameters_matching_no_option_are_ignored(console_db, repo_root):
    app = console_app(repo_root, doc_kind="no-such-kind", doc_account="acct-elsewhere",
                      doc_page="x", doc_failures="yes").run()
    assert not app.exception
    assert app.selectbox(key="doc_kind").value is None
    assert app.selectbox(key="doc_account").value is None
    assert app.toggle(key="doc_failures").value is False
    assert documents_html(app).count("<tr>") == 51    # the first page of the whole list


def test_the_language_choice_follows_across_pages(console_db, repo_root):
    app = console_app(repo_root, lang="fr").run()
    app.radio(key="language_picker").set_value("en").run()
    assert app.title[0].value == "Documents" and app.query_params["lang"] == "en"
    for page, title in (("views/settings.py", "Settings"),
                        ("views/history.py", "Activity history"),
                        ("views/documents.py", "Documents")):
        app.switch_page(page).run()
        assert not app.exception
        assert app.title[0].value == title
        assert app.radio(key="language_picker").value == "en"
        assert app.query_params["lang"] == "en"   # a stale lang=fr does not win
    app.radio(key="language_picker").set_value("fr").run()
    app.switch_page("views/settings.py").run()
    assert app.title[0].value == "Paramètres"


def test_a_link_opens_in_its_language(console_db, repo_root):
    app = console_app(repo_root, lang="en").run()
    app.switch_page("views/settings.py").run()
    assert app.title[0].value == "Settings"
    assert app.radio(key="language_picker").value == "en"
