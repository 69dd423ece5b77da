"""Activity history: the event log with filters and exact error reasons, in words; charts;
exports."""

import streamlit as st

from tracking.export import HISTORY_COLUMNS
from tracking.labels import actor_word, word_for
from tracking.models import EventType
from ui import analysis, data, drawn
from ui.i18n import language, t
from ui.inputs import choice, choices, text
from ui.layout import start_page
from ui.period import period_and_account
from ui.tables import history_table, table

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

events = data.history_page(data.path(), since, until, tuple(str(e) for e in types), actor,
                           account, document or None, scope=who.scope)
table(history_table(events), key="history_table")
analysis.export_buttons(events, HISTORY_COLUMNS, "history")

st.subheader(t("history.charts"))
drawn = drawn.history(data.path(), since, until, account, lang, scope=who.scope)
left, right = st.columns(2)
left.markdown(f"**{t('history.activity')}**")
left.plotly_chart(drawn["activity"], key="activity")
right.markdown(f"**{t('history.rate')}**")
right.plotly_chart(drawn["rate"], key="rate")
left.markdown(f"**{t('history.delay')}**")
left.plotly_chart(drawn["delay"], key="delay")
right.markdown(f"**{t('history.domains')}**")
right.plotly_chart(drawn["domains"], key="domains")
st.markdown(f"**{t('history.reasons')}**")
st.plotly_chart(drawn["reasons"], key="reasons")
