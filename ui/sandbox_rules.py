"""The sandbox's address rules on the demo's Mailbox page: how to make a send bounce, defer or
auto-reply (the same table as the README, from `tracking.outbound.sandbox_rules.RULES`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tracking.outbound.sandbox_rules import rules_table
from tracking.runtime import transport_kind
from ui.i18n import language, t
from ui.inputs import section


def sandbox_rules() -> None:
    """Shown only when the console sends through the sandbox (the demo)."""
    if transport_kind() != "sandbox":
        return
    # Drawn only once opened: a closed expander's table is still built by the browser (a data
    # grid, hidden), above the page's own tables, at every visit.
    opened = section(t("sandbox.rules"), key="sandbox_rules_open")
    with opened:
        st.caption(t("sandbox.how"))
        if opened.open:
            st.dataframe(pd.DataFrame(rules_table(language())), hide_index=True,
                         key="sandbox_rules")
