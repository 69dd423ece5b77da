"""Documents: the filterable list, failure dots, paging that stays fast on a million documents."""

import streamlit as st

from tracking.labels import word_for
from tracking.models import DeliveryState, DocumentKind, DocumentStatus, SendingMode
from tracking.store.console_queries import DocumentFilters
from ui import data
from ui.dot import legend
from ui.i18n import counted, language, t
from ui.inputs import choice, text
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
legend()
top = st.columns([3, 2, 2, 2])
search = text(t("filter.search"), key="doc_search", container=top[0],
              placeholder=t("input.search_example"), bind=IN_URL)
account = choice(t("filter.account"), list(names), key="doc_account", everything=True,
                 format_func=names.get, container=top[1], bind=IN_URL)
kind = choice(t("filter.kind"), list(DocumentKind), key="doc_kind", everything=True,
              format_func=lambda k: word_for(DocumentKind, k, lang), container=top[2],
              bind=IN_URL)
status = choice(t("filter.status"), list(DocumentStatus), key="doc_status", everything=True,
                format_func=lambda s: word_for(DocumentStatus, s, lang), container=top[3],
                bind=IN_URL)
second = st.columns([2, 2, 2, 2, 2])
state = choice(t("filter.state"), list(DeliveryState), key="doc_state", everything=True,
               format_func=lambda s: word_for(DeliveryState, s, lang), container=second[0],
               bind=IN_URL)
mode = choice(t("filter.mode"), list(SendingMode), key="doc_mode", everything=True,
              format_func=lambda m: word_for(SendingMode, m, lang), container=second[1],
              bind=IN_URL)
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
if result.more:   # past the count's cap ("plus de 1 000 documents"): one page further each time
    pages = max(pages, current_page()) + 1
footer = st.columns([2, 1, 5])
shown_count = counted(result.total, "noun.document")
footer[0].markdown(t("documents.more_than").format(count=shown_count) if result.more
                   else shown_count)
footer[1].number_input(t("documents.page"), min_value=1, max_value=pages, step=1,
                       key="doc_page", bind=IN_URL, label_visibility="collapsed")
footer[2].caption(f"/ {pages}{'+' if result.more else ''}")


first_draw = [True]   # the fragment's later runs (timer) read fresh marks, not the cached ones


def rows_part() -> bool:
    """The rows shown, with their live marks; refreshed by itself while one is pending (the
    same documents: the whole page reruns, list and count, once nothing shown is pending)."""
    if first_draw:
        first_draw.clear()
        shown = result
    else:
        shown = data.with_live_marks(data.path(), result)
    if shown.rows.empty:
        st.info(t("documents.none"))
        return False
    st.html(documents_table(shown.rows))   # not st.markdown: see `documents_table`
    return has_pending(shown.rows.get("states", []))


live("documents", has_pending(result.rows.get("states", [])), rows_part)
