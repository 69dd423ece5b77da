"""The Failures and History pages as an analyst reads them (AppTest, real demo file): French
labels for reasons, states, modes and events; no raw code, `nan` or `None` anywhere a person
reads — chart bars and legends, tables and their headers, figures; rates with denominators."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest

from tests.console.conftest import console_app
from tracking.models import DeliveryState, EventType, Reason, SendingMode
from tracking.store import delivery_counts
from tracking.store.connection import open_database

RAW_REPLY = "550 5.7.1 legacy raw server line stored as a reason"
# Codes a person must never read as such (the vocabularies' stored values).
CODES = {str(v) for enum in (Reason, DeliveryState, SendingMode, EventType) for v in enum}
NOT_TEXT = {"nan", "None", "NaN", "NaT", "null", "undefined"}
# Column names of the queries: must not reach a French table header.
QUERY_COLUMNS = {"actor", "actor_name", "recipient", "smtp_reply", "reply_code", "diagnostic",
                 "status_code", "reason", "state", "state_at", "mode", "type", "occurred_at",
                 "requested_at", "document_number", "old_value", "new_value", "remote_mta",
                 "account", "time_zone", "document_id", "details", "when"}


@pytest.fixture
def odd_reasons(console_db):
    """Two failed recipients whose reason is a raw server line and nothing at all, as older
    versions stored them: each must land on its labelled catch-all."""
    with open_database(console_db) as db:
        cursor = db.cursor()
        rows = cursor.execute(
            """SELECT x.send_id, x.idx FROM deliveries x JOIN sends s ON s.id = x.send_id
               WHERE x.state IN ('not_delivered', 'not_sent')
               ORDER BY s.requested_at DESC LIMIT 2""").fetchall()
        for (send_id, idx), reason in zip(rows, (RAW_REPLY, None)):
            cursor.execute("UPDATE deliveries SET reason = ? WHERE send_id = ? AND idx = ?",
                           [reason, send_id, idx])
        # Written behind the store, as an older version left it: recount the rollup the
        # aggregates read.
        delivery_counts.rebuild(cursor)
    return console_db


def bar_tables(app) -> list[str]:
    """The HTML of the Failures page's breakdowns (`ui.bars`) shown by the last run."""
    return [element.proto.body for element in app.get("html")
            if "suivi-failure-bars" in element.proto.body]


def bar_texts(table: str) -> list[str]:
    """What a reader sees of a breakdown: its headers, cells, bars' hints and legend."""
    texts = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", table)
    texts += re.findall(r'title="([^"]*)"', table)
    texts += re.findall(r'suivi-swatch"[^>]*></span>([^<]*)', table)
    return [html.unescape(text) for text in texts if text]


def chart_texts(app) -> list[str]:
    """What a reader sees of each chart: trace names, category labels, axis titles; and of
    each breakdown drawn as a table with bars."""
    texts = [text for table in bar_tables(app) for text in bar_texts(table)]
    for chart in app.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for trace in spec["data"]:
            texts.append(str(trace.get("name", "")))
            for axis in ("x", "y"):
                values = trace.get(axis)
                if isinstance(values, list):   # numbers come encoded (`bdata`), not as a list
                    texts += [v for v in values if isinstance(v, str)]
        layout = spec["layout"]
        for axis in ("xaxis", "yaxis"):
            texts.append(str(layout.get(axis, {}).get("title", {}).get("text", "")))
    return [t for t in texts if t]


FAILURE_TABS = ("failures.by_group", "failures.by_reason", "failures.by_domain", "failures.by_mode",
                "failures.by_account", "failures.over_time")


HISTORY_TABS = ("history.activity", "history.rate", "history.delay", "history.domains",
                "history.reasons")


def every_tab_chart_texts(app, lang: str = "fr", tabs=FAILURE_TABS,
                          state_key: str = "failures_tab") -> list[str]:
    """The Failures and History pages build only the open tab's chart: open each tab in turn."""
    from ui.i18n import LABELS

    texts = []
    for key in tabs:
        app.session_state[state_key] = LABELS[key][lang]
        app.run()
        assert not app.exception
        texts += chart_texts(app)
    return texts


def open_tab(app, key: str):
    from ui.i18n import LABELS

    app.session_state["failures_tab"] = LABELS[key]["fr"]
    return app.run()


def table_texts(app) -> tuple[list[str], list[str]]:
    headers, cells = [], []
    for frame in app.dataframe:
        headers += [str(c) for c in frame.value.columns]
        # A missing cell is drawn blank (ui.tables.table's placeholder), not as "None"/"nan".
        cells += [str(v) for v in frame.value.to_numpy().ravel() if not pd.isna(v)]
    return headers, cells


def shown_texts(app) -> list[str]:
    return ([m.label for m in app.metric] + [m.value for m in app.metric]
            + [str(m.delta) for m in app.metric if m.delta] + [c.value for c in app.caption]
            + [m.value for m in app.markdown])


def assert_reads_as_words(app) -> None:
    assert not app.exception
    charts = chart_texts(app)
    headers, cells = table_texts(app)
    for text in charts + cells + shown_texts(app):
        assert text not in CODES, f"raw code shown: {text!r}"
        assert text not in NOT_TEXT, f"missing value shown as {text!r}"
    assert not set(headers) & QUERY_COLUMNS, set(headers) & QUERY_COLUMNS


def test_failures_page_reads_in_french_with_labelled_catch_alls(odd_reasons, repo_root):
    app = console_app(repo_root).run().switch_page("views/failures.py").run()
    assert_reads_as_words(app)
    charts = every_tab_chart_texts(app)
    for text in charts:
        assert text not in CODES and text not in NOT_TEXT, text
    assert "Destinataire inconnu" in charts                  # userunknown, in words
    assert "Autre réponse du serveur" in charts and "Raison non indiquée" in charts
    assert RAW_REPLY not in charts                           # raw lines only in the drill-down
    assert "Relais Suivi" in charts                          # modes in words
    by_reason = bar_tables(open_tab(app, "failures.by_reason"))[0]
    assert by_reason.count("<tr>") - 1 <= len(Reason) + 2               # bounded (+ the head)
    # Rates with their denominators and the previous period.
    assert [m.label for m in app.metric][:2] == ["Taux d'échec", "Taux de réception"]
    assert any(re.match(r"[\d\u202f]+ échecs? sur [\d\u202f]+ destinataires? ; avant :", c.value)
               for c in app.caption)
    assert any(c.value.startswith("Comparé à la période précédente") for c in app.caption)


def test_the_raw_replies_of_one_reason_are_in_the_drill_down(odd_reasons, repo_root):
    app = open_tab(console_app(repo_root).run().switch_page("views/failures.py").run(),
                   "failures.by_reason")
    app.selectbox(key="replies_reason").set_value("_other").run()
    replies = next(d.value for d in app.dataframe if "Réponse du serveur" in d.value.columns)
    assert replies["Raison"].tolist() == ["Autre réponse du serveur"]
    assert replies["Destinataires"].tolist() == [1]
    assert any(c.value.startswith("Page 1 sur 1") for c in app.caption)


def test_history_page_reads_in_french(odd_reasons, repo_root):
    app = console_app(repo_root).run().switch_page("views/history.py").run()
    assert_reads_as_words(app)
    headers, cells = table_texts(app)
    assert {"Quand", "Type", "Acteur", "Destinataire", "Raison"} <= set(headers)
    assert "Non réceptionné" in cells and not app.get("plotly_chart")   # charts closed
    app.session_state["history_charts"] = True
    assert "Réceptionné" in chart_texts(app.run())
    charts = every_tab_chart_texts(app, tabs=HISTORY_TABS, state_key="history_tab")
    for text in charts:
        assert text not in CODES and text not in NOT_TEXT, text
    assert "Destinataire inconnu" in charts and RAW_REPLY not in charts   # "Raisons" tab


def test_english_is_switchable(odd_reasons, repo_root):
    app = console_app(repo_root).run().switch_page("views/failures.py").run()
    app.sidebar.radio[0].set_value("en").run()
    assert not app.exception
    assert "Unknown recipient" in every_tab_chart_texts(app, "en")
    assert [m.label for m in app.metric][:2] == ["Failure rate", "Delivery rate"]


def test_the_demo_mailbox_page_shows_the_sandbox_rules(console_db, repo_root):
    from tracking.outbound.sandbox_rules import RULES

    app = console_app(repo_root).run().switch_page("views/mailbox.py").run()
    assert not app.exception
    assert not any("Adresse (exemple)" in d.value.columns for d in app.dataframe)  # closed
    app.session_state["sandbox_rules_open"] = True
    app.run()
    rules = next(d.value for d in app.dataframe if "Adresse (exemple)" in d.value.columns)
    assert rules["Adresse (exemple)"].tolist() == [rule.example for rule in RULES]
    assert "Non réceptionné" in rules["État affiché"].tolist()
