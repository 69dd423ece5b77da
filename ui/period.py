"""The period and account pickers the analysis pages share (UTC days, end exclusive)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from ui import data
from ui.i18n import t

DEFAULT_DAYS = 90


def period_and_account(prefix: str, *, scope: frozenset[str] | None = None
                       ) -> tuple[dt.datetime, dt.datetime, str | None]:
    """Naive UTC [since, until) from two date pickers, and an account (None = all those in
    `scope`, the signed-in user's accounts)."""
    today = dt.datetime.now(dt.UTC).date()
    accounts = data.accounts(data.path(), scope=scope)
    names = dict(zip(accounts["id"], accounts["name"]))
    columns = st.columns(3)
    since = columns[0].date_input(t("filter.since"), today - dt.timedelta(days=DEFAULT_DAYS),
                                  key=f"{prefix}_since", format="DD/MM/YYYY")
    until = columns[1].date_input(t("filter.until"), today, key=f"{prefix}_until",
                                  format="DD/MM/YYYY")
    account = columns[2].selectbox(t("filter.account"), [None, *names], key=f"{prefix}_account",
                                   format_func=lambda a: t("all") if a is None else names[a])
    start = dt.datetime.combine(since, dt.time())
    end = dt.datetime.combine(until, dt.time()) + dt.timedelta(days=1)
    return start, end, account
