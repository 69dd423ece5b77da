"""Overview: what the database holds, recipients by state, the latest events."""

import streamlit as st

from tracking.store import queries
from ui import data
from ui import overview_view as view
from ui.i18n import colon, t
from ui.layout import start_page
from ui.resources import database
from ui.text import markdown_text

who = start_page()
db = database()
overview = view.counts(data.path(), scope=who.scope)

st.title(t("overview.heading"))
st.caption(f"{t('overview.database')}{colon()}{markdown_text(db.path)}")
view.metrics(overview)
view.pages()

st.subheader(t("overview.by_state"))
view.by_state(overview.by_state)

st.subheader(t("overview.recent"))
view.recent(queries.history(db.cursor(), limit=20, scope=who.scope))
