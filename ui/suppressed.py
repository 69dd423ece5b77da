"""The Failures page's "Adresses à corriger": per account, the addresses whose latest send
bounced for good (`tracking.suppression`), with the likely correction when there is one, so a
customer can be asked to fix them in one go; and their CSV export (formula-neutralised by
`tracking.export`, like every export). Also the send forms' warning about such an address and
their "send anyway" tick, offered only when it can matter."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tracking.clock import format_local
from tracking.export import SUPPRESSED_COLUMNS
from tracking.labels import failure_explanation
from tracking.suggest import suggest_addresses
from ui import analysis, data
from ui.i18n import language, t, tf, tn
from ui.inputs import section
from ui.tables import on_account_clock, table
from ui.widgets import document_links


def offered_key(tick_key: str) -> str:
    """Where a form remembers the document its send was just refused for as suppressed: the
    tick stays offered even when the cached look-up (ui.data.suppressions_of) missed it."""
    return f"{tick_key}_offered_for"


def suppression_warning(found, zone: str) -> str:
    """"« a@b » a été rejetée définitivement le … (document) : why" — plain text."""
    return tf("suppressed.warning", address=found.address,
              when=format_local(found.bounced_at, zone), document=found.document_number or "",
              why=failure_explanation(found.reason, language()))


def override_tick(document_id: str, blocked: list, *, key: str) -> bool:
    """The "Envoyer quand même" tick, shown only when an address of the form hard-bounced
    before or the service just refused one; never shown, never ticked."""
    if not blocked and st.session_state.get(offered_key(key)) != document_id:
        return False
    return st.checkbox(t("suppressed.override"), key=key)


def addresses_to_correct(account_id: str | None, *, scope) -> None:
    """The section: the table (one row per account and address) and its export, in an expander
    read and drawn only once opened (and on each run while it stays open).

    Finding the addresses reads every delivery ever made, and their likely corrections are
    computed in Python: on the 1M demo ≈2 s of the Failures page's ≈3.5–5 s (load ~10), for a
    list asked for now and then — a customer to write to — not at every look at the rates."""
    opened = section(t("suppressed.heading"), key="suppressed_open")
    with opened:
        st.caption(t("suppressed.caption"))
        if opened.open:
            _section(account_id, scope)


def _section(account_id: str | None, scope) -> None:
    found, rows = _drawn(data.path(), account_id, language(), scope=scope)
    if found.empty:
        st.info(t("suppressed.none"))
        return
    st.markdown(tn("suppressed.count", len(found)))
    # on the page the reason in words; its code goes to the export, in a column of its own
    shown = rows.drop(columns=[t("col.reason")])
    table(shown.assign(link=found["document_id"].map(document_links())), key="suppressed_table",
          column_config={"link": st.column_config.LinkColumn(t("col.open"), display_text="↗")})
    # the analyst's formats, like the other exports (French CSV `;` with BOM, codes, Parquet)
    exported = found.assign(explanation=[failure_explanation(r, "fr") for r in found["reason"]])
    analysis.export_buttons(exported, SUPPRESSED_COLUMNS, "adresses-a-corriger")


@st.cache_data(ttl=60, show_spinner=False)   # as ui.data.addresses_to_correct
def _drawn(db_path: str, account_id: str | None, lang: str, *,
           scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows with their likely corrections, and the table shown in `lang` (the reader's):
    kept as long as the read (the suggestions and the local times took 0.1–0.2 s a run);
    forgotten with every cached read after an action (`ui.data.forget`)."""
    found = data.addresses_to_correct(db_path, account_id, scope=scope)
    if found.empty:
        return found, found
    found = with_suggestions(found)
    return found, readable(found, lang)


def with_suggestions(found: pd.DataFrame) -> pd.DataFrame:
    """The rows with each address's likely correction (`suggestion`, "" when none), against
    the domains its account already reached."""
    suggestion = pd.Series("", index=found.index, dtype=object)
    reached = data.delivered_domains_by_account(
        data.path(), tuple(sorted(found["account_id"].unique())))
    for account, rows in found.groupby("account_id", sort=False):
        # one account's addresses at once: its candidates prepared once, each domain tried once
        known = reached[account]
        suggestion[rows.index] = [corrected or "" for corrected in
                                  suggest_addresses(rows["address"].tolist(), known)]
    return found.assign(suggestion=suggestion)


def readable(found: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rows with labelled columns: account, address, likely correction, when (account's
    zone), the reason in words and its code, the document."""
    if "suggestion" not in found.columns:
        found = with_suggestions(found)
    clock = on_account_clock(found, ["state_at"])
    zone = {t("col.zone"): clock["zone"]} if "zone" in clock.columns else {}
    return pd.DataFrame({
        t("col.account"): found["account"],
        t("col.recipient"): found["address"],
        t("col.suggestion"): found["suggestion"],
        t("col.bounced_on"): clock["state_at"],
        **zone,
        t("col.explanation"): [failure_explanation(r, lang) for r in found["reason"]],
        t("col.reason"): found["reason"],
        t("col.code"): found["status_code"].fillna(""),
        t("col.document"): found["document_number"],
    })
