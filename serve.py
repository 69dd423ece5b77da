"""What `streamlit run serve.py` (the `make console` target) serves: the console script
(`console.py`) and, beside it, the built-in sign-in routes that set and clear the HttpOnly
session cookie (a Streamlit script cannot)."""

import streamlit as st

from ui.auth_routes import routes

app = st.App("console.py", routes=routes())
