"""Activity history: the event log with filters and exact error reasons; charts; CSV export."""

import streamlit as st

from tracking import charts
from tracking.export import frame_to_csv
from tracking.labels import word_for
from tracking.models import EventType
from ui import data
from ui.i18n import language, t
from ui.layout import start_page
from ui.period import period_and_account
from ui.widgets import local_times

who = start_page()
lang = language()
st.title(t("history.heading"))
since, until, account = period_and_account("history", scope=who.scope)
columns = st.columns(3)
types = columns[0].multiselect(t("filter.types"), list(EventType), key="history_types",
                               format_func=lambda e: word_for(EventType, e, lang))
actor = columns[1].selectbox(t("filter.actor"), [None, *data.actors(data.path(), scope=who.scope)],
                             key="history_actor",
                             format_func=lambda a: t("all") if a is None else a)
document = columns[2].text_input(t("filter.document"), key="history_document").strip()

events = data.history_page(data.path(), since, until, tuple(str(e) for e in types), actor,
                           account, document or None, scope=who.scope)
shown = local_times(events, "occurred_at").assign(
    type=[word_for(EventType, e, lang) for e in events["type"]])
st.dataframe(shown.drop(columns=["time_zone", "document_id", "details", "occurred_at"]),
             hide_index=True, key="history_table", column_config={
                 "when": st.column_config.TextColumn(t("col.when")),
                 "type": st.column_config.TextColumn(t("col.type")),
                 "document_number": st.column_config.TextColumn(t("col.document")),
                 "old_value": st.column_config.TextColumn(t("col.old")),
                 "new_value": st.column_config.TextColumn(t("col.new"))})
st.download_button(t("export"), frame_to_csv(events),
                   file_name="suivi-history.csv", mime="text/csv", key="history_csv")

st.subheader(t("history.charts"))
figures = data.history_charts(data.path(), since, until, account, scope=who.scope)
summary = data.failure_summary(data.path(), since, until, account, scope=who.scope)
left, right = st.columns(2)
left.markdown(f"**{t('history.activity')}**")
left.plotly_chart(charts.activity_per_day(figures.activity, lang), key="activity")
right.markdown(f"**{t('history.rate')}**")
right.plotly_chart(charts.failure_rate(figures.failure_rate, lang), key="rate")
left.markdown(f"**{t('history.delay')}**")
left.plotly_chart(charts.delivery_delay(figures.delivery_delay, lang), key="delay")
right.markdown(f"**{t('history.domains')}**")
right.plotly_chart(charts.failures_by(summary.by_domain.head(10), "domain", lang), key="domains")
st.markdown(f"**{t('history.reasons')}**")
st.plotly_chart(charts.failures_by(summary.by_reason, "reason", lang), key="reasons")
