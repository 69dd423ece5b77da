"""Documents: the filterable list, failure dots, paging that stays fast on a million documents."""

import streamlit as st

from tracking.labels import word_for
from tracking.models import DeliveryState, DocumentKind, DocumentStatus, SendingMode
from tracking.store.console_queries import DocumentFilters
from ui import data
from ui.i18n import language, t, tf
from ui.layout import start_page
from ui.list_state import IN_URL, current_page
from ui.live import has_pending, live
from ui.widgets import documents_table

PAGE_SIZE = 50

who = start_page()
lang = language()
accounts = data.accounts(data.path(), scope=who.scope)
names = dict(zip(accounts["id"], accounts["name"]))

st.title(t("page.documents"))
top = st.columns([3, 2, 2, 2])
search = top[0].text_input(t("filter.search"), key="doc_search", bind=IN_URL)
account = top[1].selectbox(t("filter.account"), [None, *names], key="doc_account", bind=IN_URL,
                           format_func=lambda a: t("all") if a is None else names[a])
kind = top[2].selectbox(t("filter.kind"), [None, *DocumentKind], key="doc_kind", bind=IN_URL,
                        format_func=lambda k: t("all") if k is None else word_for(
                            DocumentKind, k, lang))
status = top[3].selectbox(t("filter.status"), [None, *DocumentStatus], key="doc_status",
                          bind=IN_URL,
                          format_func=lambda s: t("all") if s is None else word_for(
                              DocumentStatus, s, lang))
second = st.columns([2, 2, 2, 2, 2])
state = second[0].selectbox(t("filter.state"), [None, *DeliveryState], key="doc_state",
                            bind=IN_URL,
                            format_func=lambda s: t("all") if s is None else word_for(
                                DeliveryState, s, lang))
mode = second[1].selectbox(t("filter.mode"), [None, *SendingMode], key="doc_mode", bind=IN_URL,
                           format_func=lambda m: t("all") if m is None else word_for(
                               SendingMode, m, lang))
issued_from = second[2].date_input(t("filter.since"), value=None, key="doc_from", bind=IN_URL,
                                   format="DD/MM/YYYY")
issued_until = second[3].date_input(t("filter.until"), value=None, key="doc_until", bind=IN_URL,
                                    format="DD/MM/YYYY")
failures_only = second[4].toggle(t("filter.failures"), key="doc_failures", bind=IN_URL)

filters = DocumentFilters(
    account_id=account, kind=kind and str(kind), status=status and str(status),
    state=state and str(state), mode=mode and str(mode), issued_from=issued_from,
    issued_until=issued_until, failures_only=failures_only, search=search)
if st.session_state.get("doc_filters", filters) != filters:  # a link's page stays as given
    st.session_state["doc_page"] = 1
st.session_state["doc_filters"] = filters

result = data.documents_page(data.path(), filters, current_page() - 1, PAGE_SIZE,
                             scope=who.scope)
pages = max(1, -(-result.total // PAGE_SIZE))
footer = st.columns([2, 1, 5])
footer[0].markdown(tf("documents.count", n=f"{result.total:,}".replace(",", " ")))
footer[1].number_input(t("documents.page"), min_value=1, max_value=pages, step=1,
                       key="doc_page", bind=IN_URL, label_visibility="collapsed")
footer[2].caption(f"/ {pages}")


first_draw = [True]   # the fragment's later runs (timer) read fresh rows, not the cached ones


def rows_part() -> bool:
    """The rows shown, with their live marks; refreshed by itself while one is pending."""
    if first_draw:
        first_draw.clear()
        shown = result
    else:
        shown = data.documents_page_live(data.path(), filters, current_page() - 1, PAGE_SIZE)
    if shown.rows.empty:
        st.info(t("documents.none"))
        return False
    st.markdown(documents_table(shown.rows), unsafe_allow_html=True)
    return has_pending(shown.rows.get("states", []))


live("documents", has_pending(result.rows.get("states", [])), rows_part)
