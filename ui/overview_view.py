"""The Overview page's parts in words: counts as the language writes numbers, recipients by
state, the latest events on their account's clock, and where to go next."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tracking.labels import word_for
from tracking.models import DeliveryState
from tracking.store import queries
from tracking.store.scope import Scope
from ui import data
from ui.i18n import language, number, t
from ui.tables import actor_names, labelled, on_account_clock, table, vocabulary_words

_RECENT = {"occurred_at": "col.when", "zone": "col.zone", "type": "col.type",
           "actor_name": "col.actor", "document_number": "col.document",
           "recipient": "col.recipient"}
# The other pages, as the navigation names them (console.py).
_PAGES = (("views/documents.py", "page.documents"), ("views/failures.py", "page.failures"),
          ("views/history.py", "page.history"), ("views/mailbox.py", "page.mailbox"))


# A minute old at most, and forgotten after an action (`ui.data.forget` clears every cached
# read): counting the failing documents reads every failed send's document, 0.2 s on the 1M
# demo on a quiet machine and seconds on a loaded one, on each visit before.
@st.cache_data(ttl=60, show_spinner=False)
def counts(db_path: str, *, scope: Scope = None) -> queries.Overview:
    return queries.overview(data._cursor(db_path), scope=scope)


def metrics(overview) -> None:
    columns = st.columns(3)
    columns[0].metric(t("overview.documents"), number(overview.documents))
    columns[1].metric(t("overview.sends"), number(overview.sends))
    columns[2].metric(t("overview.failures"), number(overview.failing_documents))


def by_state(frame: pd.DataFrame) -> None:
    lang = language()
    table(labelled(frame, {"state": "col.state", "count": "col.count"},
                   {"state": lambda s: word_for(DeliveryState, s, lang),
                    "count": lambda n: number(n)}), key="by_state")


def recent(events: pd.DataFrame) -> None:
    """The latest events: local time with the zone, the event in words, who by name (the
    system in words, as on the History page: the raw login `system` showed here)."""
    shown = on_account_clock(events, ["occurred_at"]).assign(
        actor_name=actor_names(events, language()))
    table(labelled(shown, _RECENT, vocabulary_words()), key="recent")


def pages() -> None:
    """Links to the pages that hold the detail."""
    columns = st.columns(len(_PAGES))
    for column, (page, label) in zip(columns, _PAGES):
        column.page_link(page, label=t(label))
