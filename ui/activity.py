"""The activity history as Paramètres > Historique des activités shows it: the latest events,
each failure with its exact reason — our words for it, then the server's own code, reply and
diagnostic, shown as text (st.dataframe never renders Markdown or HTML).

The History page keeps its own fuller view (filters, charts, export); this one answers
support's question "why did it fail?" from where the seed says to look.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tracking.auth.principal import Principal
from tracking.labels import actor_word, explain_reason, word_for
from tracking.models import EventType
from ui import data
from ui.i18n import language, t
from ui.period import period_and_account
from ui.tables import moments_by_row, on_account_clock, table, time_format, zone_column

# The events that say something went wrong, and why.
FAILURE_TYPES = (EventType.SEND_ATTEMPT_FAILED, EventType.RECIPIENT_REFUSED,
                 EventType.SEND_INTERRUPTED, EventType.DSN_DELAYED, EventType.DSN_FAILED,
                 EventType.COMPLAINT_RECEIVED, EventType.BOUNCE_SUSPICIOUS)
# Shown column -> label key, in order; every cell but the time is text ("" when empty, never
# None); `zone` only when the events are on several accounts' clocks (ui.tables.on_account_clock).
COLUMNS = {"when": "col.when_local", "zone": "col.zone", "type": "col.type",
           "actor": "col.actor", "document_number": "col.document", "recipient": "col.recipient",
           "reason": "col.reason",
           "status_code": "col.code", "server_reply": "activity.server_reply",
           "diagnostic": "col.diagnostic", "old_value": "col.old", "new_value": "col.new"}


def activity_history(who: Principal, *, key: str = "activity") -> None:
    """Period and account pickers, "failures only", and the events with their reasons."""
    lang = language()
    since, until, account = period_and_account(key, scope=who.scope)
    failures_only = st.toggle(t("activity.failures_only"), key=f"{key}_failures")
    types = tuple(str(e) for e in FAILURE_TYPES) if failures_only else ()
    events = data.history_page(data.path(), since, until, types, None, account, None,
                               scope=who.scope)
    if events.empty:
        st.caption(t("activity.none"))
        return
    rows = activity_rows(events, lang)
    labels = {name: st.column_config.TextColumn(t(label)) for name, label in COLUMNS.items()}
    labels["when"] = st.column_config.DatetimeColumn(t(COLUMNS["when"]),
                                                     format=time_format(rows["when"]))
    labels["zone"] = zone_column(t(COLUMNS["zone"]))
    table(rows, key=f"{key}_table", column_config=labels)


def activity_rows(events: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The history query's rows as shown: the moment on its account's clock, words for types
    and reasons in plain words, the server's reply as it came, empty cells empty."""
    reply = events["smtp_reply"].where(events["smtp_reply"].notna(), events["reply_code"])
    rows = pd.DataFrame({
        "type": [word_for(EventType, e, lang) for e in events["type"]],
        "actor": [actor_word(login, kind, lang) or name
                  for login, kind, name in zip(events["actor"], events["type"],
                                               events["actor_name"])],
        "document_number": events["document_number"],
        "recipient": events["recipient"],
        "reason": [explain_reason(_text(r), lang) for r in events["reason"]],
        "status_code": events["status_code"],
        "server_reply": reply,
        "diagnostic": events["diagnostic"],
        "old_value": moments_by_row(events, "old_value"),   # a send date moved: on its clock
        "new_value": moments_by_row(events, "new_value"),
    })
    clock = on_account_clock(events, ["occurred_at"])
    when = {"when": clock["occurred_at"]}
    if "zone" in clock.columns:
        when["zone"] = clock["zone"]
    return pd.concat([pd.DataFrame(when), rows.map(_text)], axis=1)


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
