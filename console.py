"""Suivi console — the router: the sign-in gate first, then the pages, each in pages/.

Served by `streamlit run serve.py`, which adds the sign-in routes beside this script."""

import streamlit as st

from ui.auth import gate
from ui.i18n import t

st.set_page_config(page_title="Suivi", page_icon="✉️", layout="wide")
gate()  # stops here, with the sign-in form or a refusal, unless someone is signed in

pages = [
    st.Page("pages/documents.py", title=t("page.documents"), icon=":material/description:", default=True),
    st.Page("pages/document.py", title=t("page.document"), icon=":material/find_in_page:", url_path="document"),
    st.Page("pages/failures.py", title=t("page.failures"), icon=":material/warning:", url_path="failures"),
    st.Page("pages/history.py", title=t("page.history"), icon=":material/history:", url_path="history"),
    st.Page("pages/mailbox.py", title=t("page.mailbox"), icon=":material/inbox:", url_path="mailbox"),
    st.Page("pages/overview.py", title=t("overview.title"), icon=":material/dashboard:", url_path="overview"),
    st.Page("pages/settings.py", title=t("page.settings"), icon=":material/settings:", url_path="settings"),
]
st.navigation(pages).run()
