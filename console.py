"""Suivi console — the router only: pages are listed here, each lives in pages/."""

import streamlit as st

from ui.i18n import t

st.set_page_config(page_title="Suivi", page_icon="✉️", layout="wide")

pages = [
    st.Page("pages/overview.py", title=t("overview.title"), icon="📨", default=True),
]
st.navigation(pages).run()
