"""French throughout (issue 12): every page rendered in French has no raw code, no `None` or
`nan`, no identifier or English column name, none of Streamlit's own English; numbers, percents
and plurals the French way; the core's errors worded in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.console.conftest import console_app, make_unmatched, shared_database
from tests.console.page_text import findings
from tracking.errors import (
    Forbidden, InvalidInput, NotFound, RefusedValue, ResendTooSoon, SuiviError,
)
from ui import errors
from ui.i18n import LABELS, NARROW_NBSP, count, label, number, percent

NB = NARROW_NBSP


def _failing_document(path) -> str:
    return shared_database(path).cursor().execute(
        """SELECT s.document_id FROM deliveries x JOIN sends s ON s.id = x.send_id
           WHERE x.state = 'not_delivered' ORDER BY s.requested_at DESC LIMIT 1""").fetchone()[0]


PAGES = [
    "documents",
    "document",
    "failures",   # the short reason labels and the charts' French labels (analyst) are in
    "history",
    "mailbox",
    "overview",
    "settings",
]


@pytest.mark.parametrize("page", PAGES)
def test_no_page_in_french_shows_a_code_none_nan_or_english(console_db, repo_root, page):
    make_unmatched(console_db)          # the Mailbox page's queue is not empty
    app = console_app(repo_root, doc=_failing_document(console_db)).run()
    if page != "documents":
        app.switch_page(f"views/{page}.py").run()
    assert not app.exception, app.exception
    assert app.title, "the page shows nothing"
    found = findings(app)
    assert not found, "\n".join(map(str, found))


def test_the_page_reader_finds_what_it_must():
    """The guard itself: an English column, a raw code and a None in a table are found."""
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd
        import streamlit as st

        st.title("Essai")
        st.dataframe(pd.DataFrame({"recipient": ["a@b.test"], "État": ["not_delivered"],
                                   "Raison": [None]}))
        st.multiselect("Types", ["a", "b"])
        st.markdown("Raison : mailboxfull, 3 nan")
        st.caption("watcher.state")

    problems = " | ".join(map(str, findings(AppTest.from_function(page).run())))
    for expected in ("identifier as column name: 'recipient'", "'not_delivered'",
                     "missing value shown as 'None'", "no placeholder", "Select all",
                     "raw code 'mailboxfull'", "missing value shown as 'nan'",
                     "label key shown (no label): 'watcher.state'"):
        assert expected in problems, problems


# --- numbers, percentages, plurals ---------------------------------------------------------

@pytest.mark.parametrize("value, decimals, lang, expected", [
    (2096.41, 2, "fr", f"2{NB}096,41"), (2096.41, 2, "en", "2,096.41"),
    (1234567, 0, "fr", f"1{NB}234{NB}567"), (1234567, 0, "en", "1,234,567"),
    (12, 0, "fr", "12"), (-1500.5, 1, "fr", f"-1{NB}500,5"), (None, 0, "fr", ""),
    (float("nan"), 2, "fr", ""),
])
def test_numbers_are_written_the_languages_way(value, decimals, lang, expected):
    assert number(value, decimals, lang) == expected


@pytest.mark.parametrize("ratio, lang, expected", [
    (0.1079, "fr", f"10,8{NB}%"), (0.1079, "en", "10.8%"), (0.0, "fr", f"0,0{NB}%"),
    (1.0, "fr", f"100,0{NB}%"), (None, "fr", ""),
])
def test_percentages_are_written_the_languages_way(ratio, lang, expected):
    assert percent(ratio, 1, lang) == expected


@pytest.mark.parametrize("n, lang, expected", [
    (0, "fr", "0 document"), (1, "fr", "1 document"), (2, "fr", "2 documents"),
    (2096, "fr", f"2{NB}096 documents"), (0, "en", "0 documents"), (1, "en", "1 document"),
    (1000, "en", "1,000 documents"),
])
def test_counted_nouns_agree(n, lang, expected):
    assert count(n, "document", "documents", lang) == expected


def test_no_label_leaves_its_plural_in_parentheses():
    """"44 adresse(s) à corriger" on the Failures page: a count is agreed (`tn`), not hedged."""
    hedged = {key: text for key, words in LABELS.items() for text in words.values()
              if re.search(r"\w\((?:s|es|x)\)", text)}
    assert not hedged
    assert label("suppressed.count.one", "fr").format(count=1) == "1 adresse à corriger"
    assert label("analysis.pages.many", "en").format(page=1, pages=2, count=40) == (
        "Page 1 of 2 — 40 distinct replies")


# --- the core's errors in words ---------------------------------------------------------------

def _raised_codes() -> set[str]:
    """Every code the core names where it raises (`code="…"`, `RefusedValue("…")` and every
    other `Refused…("…")` class, a subclass's `super().__init__("…")`)."""
    root = Path(__file__).resolve().parents[2] / "tracking"
    codes: set[str] = set()
    for source in root.rglob("*.py"):
        text = source.read_text()
        codes |= set(re.findall(r'\bcode="([a-z_]+)"', text))
        codes |= set(re.findall(r'\bRefused\w*\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'super\(\).__init__\(\s*"([a-z_]+)"', text))
    return codes


def test_every_code_the_core_raises_has_words_in_both_languages():
    codes = _raised_codes()
    assert {"malformed_date", "resend_too_soon", "recipient_mismatch", "role"} <= codes | {
        ResendTooSoon.code}
    missing = sorted(c for c in codes | {ResendTooSoon.code} if c not in errors.TEMPLATES)
    assert not missing, f"codes without words: {missing}"
    for code, (french, english) in errors.TEMPLATES.items():
        assert french != english and "--" not in french + english, code


def test_resend_too_soon_names_the_checkbox_and_a_local_date_not_the_command_line():
    err = ResendTooSoon("document FV-1 was already sent …; … needs --force", document="FV-1",
                        sent_at=dt.datetime(2026, 11, 28, 13, 32, tzinfo=dt.UTC),
                        zone="Europe/Paris", days=3)
    french, english = errors.sentence(err, "fr"), errors.sentence(err, "en")
    assert french.replace("\\", "") == (  # (Markdown escapes)
                      "Refusé, rien n'a été enregistré : le document FV-1 a déjà été envoyé "
                      "le 28/11/2026 14:32 CET. Pour le renvoyer moins de 3 jours après, cochez "
                      "« Renvoyer même si envoyé il y a moins de 3 jours ».")
    assert "--force" not in french + english and "Resend even if sent" in english


@pytest.mark.parametrize("err, french", [
    (InvalidInput("malformed date '1/2'", code="malformed_date", text="1/2"),
     "Refusé, rien n'a été enregistré : ` 1/2 ` n'est pas une date : écrivez JJ/MM/AAAA HH:MM."),
    (InvalidInput("at most 5 'cc' recipients", code="too_many_recipients", role="cc", limit=5),
     "Refusé, rien n'a été enregistré : 5 destinataires « Cc » au plus."),
    (RefusedValue("local_part_too_long", "…", field="recipient", octets=1200, limit=64),
     f"Refusé, rien n'a été enregistré : « adresse du destinataire » a 1{NB}200 octets avant "
     "le @ ; 64 au plus sont permis."),
    (Forbidden("'ana' may not mark sent", code="role", role="analyst"),
     "Refusé : votre rôle ne permet pas cette action, rien n'a été enregistré."),
])
def test_errors_are_worded_with_their_values_as_text(err, french):
    assert errors.sentence(err, "fr") == french


def test_a_reason_param_is_said_in_words():
    err = RefusedValue("suppressed", "…", address="jean@client.test", reason="userunknown",
                       bounced_on="28/11/2026 14:32 CET", document_number="FV 1")
    worded = errors.sentence(err, "fr")
    assert "` jean@client.test `" in worded and "userunknown" not in worded
    assert "L'adresse n'existe pas chez le destinataire" in worded


def test_a_value_from_input_cannot_become_markup_or_close_its_code_span():
    err = InvalidInput("…", code="malformed_date", text="``[x](http://h/)")
    worded = errors.sentence(err, "fr")
    assert "``` ``[x](http://h/) ```" in worded


@pytest.mark.parametrize("err", [
    NotFound("unknown thing"), SuiviError("boom"), ValueError("x"),
    InvalidInput("…", code="malformed_date"),         # a param the sentence needs is missing
])
def test_errors_without_words_are_not_guessed(err):
    assert errors.sentence(err, "fr") is None


def test_the_mailbox_watcher_state_is_said_in_words():
    """Not `running True`, `needs_attention False`: what it reads, its state, when, what failed."""
    from streamlit.testing.v1 import AppTest

    def page():
        import datetime as dt

        from tracking.ingest_watch import MailboxStatus
        from ui.mailbox_view import watcher_status
        from ui.tables import table

        moment = dt.datetime(2026, 11, 28, 13, 32, tzinfo=dt.UTC)
        table(watcher_status(MailboxStatus(
            source="imap://bounces@mail.test/INBOX", running=True, connected=False,
            last_message_at=moment, last_check_at=moment, backlog=1234, ingested=2,
            last_error="login refused", needs_attention=True)), key="watcher")

    app = AppTest.from_function(page).run()
    assert not findings(app), findings(app)
    rows = dict(app.dataframe[0].value.itertuples(index=False))
    assert rows["État"].startswith("Refusée : corrigez les réglages")
    assert rows["Dernier message reçu le"] == "28/11/2026 14:32 CET"
    assert rows["Messages en attente de lecture"] == f"1{NB}234"
    assert rows["Prochain essai le"] == ""
    assert not {"True", "False", "None"} & set(rows.values())


def test_an_open_section_stays_open_in_the_other_language(console_db, repo_root):
    """Streamlit names an expander's state after its label too: a switch of language shut the
    addresses to correct (and History's charts, tests/console/test_speed.py) the reader had
    opened."""
    app = console_app(repo_root).run().switch_page("views/failures.py").run()
    app.session_state["suppressed_open"] = True
    app.run()
    assert [f for f in app.dataframe if "Correction probable" in f.value.columns]
    app.sidebar.radio[0].set_value("en").run()
    assert not app.exception
    assert [f for f in app.dataframe if "Likely correction" in f.value.columns]
    assert "Addresses to correct" in [e.label for e in app.expander]


def test_the_open_tab_stays_open_in_the_other_language(console_db, repo_root):
    app = console_app(repo_root).run().switch_page("views/failures.py").run()
    app.session_state["failures_tab"] = LABELS["failures.over_time"]["fr"]
    app.run()
    assert len(app.get("plotly_chart")) == 1                     # failures per day, drawn
    app.sidebar.radio[0].set_value("en").run()
    assert not app.exception
    assert app.session_state["failures_tab"] == LABELS["failures.over_time"]["en"]
    assert len(app.get("plotly_chart")) == 1                     # not back on the first tab
    assert not [e for e in app.get("html") if "suivi-failure-bars" in e.proto.body]
