"""Names from the database reach the page as the characters stored, never as Markdown: a
client named like an image link loads nothing, an account name makes no bold or colour."""

from __future__ import annotations

import streamlit as st

from tests.console.conftest import (
    FORMULA_NUMBER, MARKDOWN_ACCOUNT, MARKDOWN_CLIENT, console_app, make_markdown_names,
)
from ui.text import WORD_JOINER, markdown_text

MARKDOWN_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "info", "error",
                     "success", "warning")


def markdown_shown(app) -> list[str]:
    values = [str(e.value) for kind in MARKDOWN_ELEMENTS for e in getattr(app, kind)]
    return values + [e.label for e in app.get("expander")]


def unescaped(text: str, shown: list[str]) -> bool:
    return any(text in value for value in shown)


def test_markdown_text_escapes_every_punctuation_and_folds_lines():
    assert markdown_text("![x](http://h/p.png)") == (r"\!\[x\]\(http" + WORD_JOINER
                                                    + r"\:\/\/h\/p\.png\)")
    assert markdown_text("a@b.fr www.c.fr") == (f"a{WORD_JOINER}\\@b\\.fr "
                                                f"www{WORD_JOINER}\\.c\\.fr")
    assert markdown_text("a\n\nb\r\nc") == "a b c"
    assert markdown_text(None) == "" and markdown_text(float("nan")) == ""
    assert markdown_text("Dubois & fils") == r"Dubois \& fils"


def test_names_from_the_database_are_not_markdown_on_the_document_page(console_db, repo_root,
                                                                        monkeypatch):
    document_id = make_markdown_names(console_db)
    st.cache_data.clear()
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    assert not app.exception
    shown = markdown_shown(app)
    assert app.title[0].value.endswith(markdown_text(FORMULA_NUMBER))
    assert markdown_text(MARKDOWN_CLIENT) in app.caption[0].value
    assert markdown_text(MARKDOWN_ACCOUNT) in app.caption[0].value
    for raw in ("![x](http", "[pay](http", "**Nord**", ":red[", FORMULA_NUMBER):
        assert not unescaped(raw, shown), raw


def test_names_in_the_documents_table_are_escaped_html(console_db, repo_root):
    make_markdown_names(console_db)
    st.cache_data.clear()
    app = console_app(repo_root).run()
    app.text_input(key="doc_search").input("HYPERLINK").run()
    (table,) = [m.value for m in app.html if "suivi-documents" in m.value]
    assert "&lt;b&gt;b&lt;/b&gt;" in table and "<b>b</b>" not in table
    assert "=HYPERLINK(&quot;http://127.0.0.1:9/&quot;,&quot;F-1&quot;)" in table
    assert "\n" not in table  # one HTML block: no blank line hands the rest to Markdown


def test_account_names_on_the_settings_page_are_plain(console_db, repo_root, monkeypatch):
    from tests.console.conftest import sign_in

    make_markdown_names(console_db)
    st.cache_data.clear()
    sign_in(monkeypatch, console_db, "admin")
    app = console_app(repo_root).run()
    app.switch_page("views/settings.py").run()
    assert not app.exception
    assert any(e.label.startswith(markdown_text(MARKDOWN_ACCOUNT)) for e in app.get("expander"))
    assert not unescaped("**Nord**", markdown_shown(app))


def test_chart_labels_from_the_database_are_not_plotly_markup():
    import pandas as pd

    from tracking import charts

    frame = pd.DataFrame({"account": ['<a href="http://127.0.0.1:9/">Nord</a>', "A & B"],
                          "failures": [3, 1], "rate": [0.1, 0.2]})
    figure = charts.failures_by(frame, "account")
    labels = [label for trace in figure.data for label in trace.y]
    assert sorted(labels) == ["&lt;a href=\"http://127.0.0.1:9/\"&gt;Nord&lt;/a&gt;",
                              "A &amp; B"]
