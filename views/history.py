"""Activity history: the event log with filters and exact error reasons, in words; charts;
exports."""

import streamlit as st

from tracking.export import HISTORY_COLUMNS
from tracking.labels import actor_word, word_for
from tracking.models import EventType
from ui import analysis, data, drawn
from ui.i18n import language, t
from ui.inputs import choice, choices, section, tabs, text
from ui.layout import start_page
from ui.period import period_and_account
from ui.tables import table

who = start_page()
lang = language()
st.title(t("history.heading"))
since, until, account = period_and_account("history", scope=who.scope)
columns = st.columns(3)
types = choices(t("filter.types"), list(EventType), key="history_types", container=columns[0],
                format_func=lambda e: word_for(EventType, e, lang))
actor = choice(t("filter.actor"), data.actors(data.path(), scope=who.scope), key="history_actor",
               everything=True, container=columns[1],
               format_func=lambda login: actor_word(login, None, lang) or login)
document = text(t("filter.document"), key="history_document", container=columns[2],
                placeholder=t("input.document_example")).strip()

types = tuple(str(e) for e in types)
events = data.history_page(data.path(), since, until, types, actor, account, document or None,
                           scope=who.scope)
table(drawn.history_log(data.path(), since, until, types, actor, account, document or None, lang,
                        scope=who.scope), key="history_table")
analysis.export_buttons(events, HISTORY_COLUMNS, "history")

# The charts are drawn once their section is opened, and then only the open tab's (lazy tabs,
# as on the Failures page). Drawn with the page, the Plotly chart held back the whole page in
# Chromium: React reveals lazily loaded elements together, and Plotly's 4.7 MB script was the
# last to load, so the table waited for it — on the 10k demo the table showed 1.1–1.2 s after
# navigation with the chart, 0.64–0.74 s without (script run 40–70 ms either way).
charts = section(t("history.charts"), key="history_charts")
if charts.open:
    with charts:
        for name, tab in zip(drawn.HISTORY_CHARTS,
                             tabs(drawn.HISTORY_CHARTS, prefix="history", key="history_tab")):
            if tab.open:
                with tab:
                    st.plotly_chart(drawn.history(data.path(), since, until, account, lang,
                                                  name, scope=who.scope), key=name)
