"""Suivi console — the router: the sign-in gate first, then the pages, each in views/.

Served by `streamlit run serve.py`, which adds the sign-in routes beside this script. The page
files live in `views/`, not `pages/`: Streamlit auto-discovers a folder named `pages` beside the
main script, and until `st.navigation` had run once in the process a cold deep link
(/failures?…) was answered from that folder — the raw file-name list in the sidebar, and the
page run without this router's gate."""

import streamlit as st

from ui.auth import gate
from ui.i18n import t

st.set_page_config(page_title="Suivi", page_icon="✉️", layout="wide")
gate()  # stops here, with the sign-in form or a refusal, unless someone is signed in

pages = [
    st.Page("views/documents.py", title=t("page.documents"), icon=":material/description:", default=True),
    st.Page("views/document.py", title=t("page.document"), icon=":material/find_in_page:", url_path="document"),
    st.Page("views/failures.py", title=t("page.failures"), icon=":material/warning:", url_path="failures"),
    st.Page("views/history.py", title=t("page.history"), icon=":material/history:", url_path="history"),
    st.Page("views/mailbox.py", title=t("page.mailbox"), icon=":material/inbox:", url_path="mailbox"),
    st.Page("views/overview.py", title=t("overview.title"), icon=":material/dashboard:", url_path="overview"),
    st.Page("views/settings.py", title=t("page.settings"), icon=":material/settings:", url_path="settings"),
]
st.navigation(pages).run()
