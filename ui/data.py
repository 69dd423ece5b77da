"""Cached reads for the pages: `st.cache_data` keyed on plain values (the database path, the
filters, the signed-in user's `scope`), never on a connection. Actions call `forget()` so the
next run reads fresh data.

Every read takes `scope` (a frozenset of account ids, None: every account) and is part of the
cache key, so one user's cached rows are never served to a user with another scope."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from tracking.runtime import database_path
from tracking.store import console_queries as q
from tracking.store import box as box_reads
from tracking.store import proposals
from tracking.store import suppressions as suppression_reads
from tracking.store.console_queries import Scope
from tracking.suppression import Suppression, blocking, still_suppressed
from ui.resources import _database


def path() -> str:
    return str(database_path())


def _cursor(db_path: str):
    return _database(db_path).cursor()


@st.cache_data(ttl=20, show_spinner=False)
def documents_page(db_path: str, filters: q.DocumentFilters, page: int,
                   page_size: int, *, scope: Scope = None) -> q.DocumentPage:
    # The marks the filters use are kept up to date by the owner's marks worker (a read
    # never writes); the rows shown get their marks computed live anyway.
    return q.documents_page(_cursor(db_path), filters, page=page, page_size=page_size,
                            scope=scope)


def with_live_marks(db_path: str, shown: q.DocumentPage) -> q.DocumentPage:
    """Not cached: the list's self-refresh while a shown delivery is pending — the same rows,
    their marks read now (the documents were listed under the reader's scope)."""
    return q.with_live_marks(_cursor(db_path), shown)


@st.cache_data(ttl=300, show_spinner=False)
def accounts(db_path: str, *, scope: Scope = None) -> pd.DataFrame:
    return q.accounts(_cursor(db_path), scope=scope)


@st.cache_data(ttl=300, show_spinner=False)
def actors(db_path: str, *, scope: Scope = None) -> list[str]:
    return q.actors(_cursor(db_path), scope=scope)


@st.cache_data(ttl=120, show_spinner=False)
def failure_summary(db_path: str, since: datetime, until: datetime,
                    account_id: str | None, *, scope: Scope = None) -> q.FailureSummary:
    return q.failure_summary(_cursor(db_path), since, until, account_id, scope=scope)


@st.cache_data(ttl=60, show_spinner=False)
def failing_deliveries(db_path: str, since: datetime, until: datetime, account_id: str | None,
                       reasons: tuple[str, ...] | None, domain: str | None,
                       mode: str | None, *, scope: Scope = None) -> pd.DataFrame:
    return q.failing_deliveries(_cursor(db_path), since, until, account_id=account_id,
                                reasons=list(reasons) if reasons else None, domain=domain,
                                mode=mode, scope=scope)


@st.cache_data(ttl=30, show_spinner=False)
def history_page(db_path: str, since: datetime, until: datetime,
                 event_types: tuple[str, ...], actor: str | None, account_id: str | None,
                 document: str | None, *, scope: Scope = None) -> pd.DataFrame:
    return q.history_page(_cursor(db_path), since=since, until=until,
                          event_types=list(event_types) or None, actor=actor,
                          account_id=account_id, document=document, scope=scope)


@st.cache_data(ttl=120, show_spinner=False)
def history_charts(db_path: str, since: datetime, until: datetime,
                   account_id: str | None, *, scope: Scope = None) -> q.HistoryCharts:
    return q.history_charts(_cursor(db_path), since, until, account_id, scope=scope)


def document_box(document_id: str, *, scope: Scope = None) -> q.DocumentBox | None:
    """Not cached: the box must show the outbox's and the mailbox's latest word (≈ms)."""
    return q.document_box(_cursor(path()), document_id, scope=scope)


def timeline(document_id: str, *, scope: Scope = None) -> pd.DataFrame:
    return q.timeline(_cursor(path()), document_id, scope=scope)


def returned_messages(document_id: str, *, scope: Scope = None) -> pd.DataFrame:
    return q.returned_messages_of_document(_cursor(path()), document_id, scope=scope)


def raw_message(message_id: str, *, scope: Scope = None) -> str | None:
    return q.raw_message(_cursor(path()), message_id, scope=scope)


def mailbox_counts(*, scope: Scope = None) -> pd.DataFrame:
    return q.mailbox_counts(_cursor(path()), scope=scope)


def mailbox_queue(*, scope: Scope = None) -> pd.DataFrame:
    return q.mailbox_queue(_cursor(path()), scope=scope)


def sends_for_attachment(document_id: str, *, scope: Scope = None) -> pd.DataFrame:
    return q.sends_for_attachment(_cursor(path()), document_id, scope=scope)


def proposals_queue(*, scope: Scope = None) -> pd.DataFrame:
    """Not cached: the "à vérifier" queue must show a decision at once."""
    return proposals.open_queue(_cursor(path()), scope=scope)


def document_proposals(document_id: str, *, scope: Scope = None) -> pd.DataFrame:
    return proposals.of_document(_cursor(path()), document_id, scope=scope)


# --- issue 12: the resend form's and the Failures page's suppression reads -----------------

@st.cache_data(ttl=300, show_spinner=False)
def delivered_domains(db_path: str, account_id: str) -> list[str]:
    return box_reads.delivered_domains(_cursor(db_path), account_id)


@st.cache_data(ttl=300, show_spinner=False)
def delivered_domains_by_account(db_path: str,
                                 account_ids: tuple[str, ...]) -> dict[str, list[str]]:
    return box_reads.delivered_domains_by_account(_cursor(db_path), list(account_ids))


@st.cache_data(ttl=30, show_spinner=False)
def suppressions_of(db_path: str, account_id: str,
                    addresses: tuple[str, ...]) -> list[Suppression]:
    """Cached briefly (it reads the whole address column): the resend form asks on each run,
    and the service checks again when the send is recorded, so a stale answer sends nothing."""
    outcomes = suppression_reads.latest_outcomes(_cursor(db_path), account_id, list(addresses))
    return blocking(addresses, outcomes)


@st.cache_data(ttl=60, show_spinner=False)
def addresses_to_correct(db_path: str, account_id: str | None, *,
                         scope: Scope = None) -> pd.DataFrame:
    candidates = suppression_reads.suppressed_candidates(_cursor(db_path), account_id=account_id,
                                                         scope=scope)
    return still_suppressed(candidates)


def forget() -> None:
    """After an action: every cached read is stale, and every figure drawn from one."""
    from ui import drawn   # imported here: it reads through this module

    st.cache_data.clear()
    drawn.forget()
