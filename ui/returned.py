"""Returned messages on the Mailbox and Document pages (issue 9): the "à vérifier" queue with
its evidence, and attaching a message to a recipient chosen BY ADDRESS, with an explicit
confirmation naming both addresses when the message reports on someone else.

The decisions are `tracking.returned_actions`; what comes from mail is shown as plain text
(dataframes, `st.text`), never Markdown.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from tracking import returned_actions as act
from tracking.auth.principal import Principal
from tracking.auth.roles import Action
from tracking.errors import NotFound, SuiviError
from tracking.labels import word_for
from tracking.models import EventType, Reason
from tracking.store import queries
from ui import data
from ui.actions import done
from ui.errors import code_span as _md
from ui.i18n import colon, language, t, tf
from ui.inputs import choice
from ui.layout import error
from ui.resources import database
from ui.tables import labelled, on_account_clock, table, vocabulary_words

_EVIDENCE_COLUMNS = {   # queue column -> label key
    "received_at": "col.received_at", "document": "col.document", "recipient": "col.recipient",
    "reported_recipient": "verify.reported", "match_method": "verify.method",
    "event_type": "verify.would", "status_code": "col.code", "reason": "col.reason",
    "diagnostic": "col.diagnostic",
}


def evidence_table(queue: pd.DataFrame) -> pd.DataFrame:
    """The queue as people read it: labelled columns, words for methods, events and reasons."""
    lang = language()
    return labelled(on_account_clock(queue, ["received_at"]), _EVIDENCE_COLUMNS, {
        **vocabulary_words(), "event_type": lambda e: word_for(EventType, e, lang)})


def verify_queue(actor: Principal) -> None:
    """Mailbox page: the open proposals, their evidence, apply or reject."""
    st.subheader(t("verify.heading"))
    st.caption(t("verify.explain"))
    queue = data.proposals_queue(scope=actor.scope)
    if queue.empty:
        st.caption(t("verify.empty"))
        return
    table(evidence_table(queue), key="verify_table")
    rows = queue.set_index("id")
    chosen = choice(
        t("verify.pick"), list(rows.index), key="verify_pick",
        format_func=lambda p: f"{rows.at[p, 'document']} · {rows.at[p, 'recipient']} · "
        f"{t('method.' + str(rows.at[p, 'match_method']))} ({p[:8]})")
    st.text(_evidence_text(rows.loc[chosen]))
    if not actor.may(Action.HANDLE_RETURNED):
        return      # read-only roles see the evidence, the core would refuse the decision anyway
    note = st.text_input(t("verify.note"), key="verify_note")
    apply_column, reject_column = st.columns(2)
    if apply_column.button(t("verify.apply"), key="verify_apply", type="primary"):
        _decide(act.apply_proposal, chosen, actor, note, t("verify.applied"))
    if reject_column.button(t("verify.reject"), key="verify_reject"):
        _decide(act.reject_proposal, chosen, actor, note, t("verify.rejected"))


def document_proposals(document_id: str, actor: Principal) -> None:
    """Document page: the proposals about this document's sends (open first)."""
    found = data.document_proposals(document_id, scope=actor.scope)
    if found.empty:
        return
    st.markdown(f"**{t('verify.document_heading')}**")
    shown = evidence_table(found)
    shown[t("verify.decision")] = found["decision"].map(lambda d: t(f"decision.{d}"))
    table(shown, key="document_proposals")


def attach_form(message_id: str, actor: Principal, *, key: str, document_id: str | None = None) -> None:
    """Tie `message_id` to a recipient, chosen by address, of one of a document's sends (Mailbox:
    the document typed by number or id; Document page: this document)."""
    if document_id is None:
        reference = st.text_input(t("mailbox.document"), key=f"{key}_reference").strip()
        if not reference:
            return
        document_id = queries.find_document_id(database().cursor(), reference)
        if document_id is None:
            error(NotFound(f"no single document {reference!r}", code="no_single_document",
                           reference=reference))
            return
    sends = data.sends_for_attachment(document_id, scope=actor.scope)  # latest send first
    if sends.empty:
        st.caption(t("attach.no_send"))
        return
    several = sends["send_id"].nunique() > 1
    row = choice(
        t("action.recipient"), list(sends.index), key=f"{key}_recipient",
        format_func=lambda i: sends.at[i, "address"] + (
            f" — {sends.at[i, 'requested_at']:%d/%m/%Y %H:%M} UTC" if several else ""))
    address, send_id = str(sends.at[row, "address"]), str(sends.at[row, "send_id"])
    reported = act.reported_recipients(database(), message_id)
    st.text(tf("attach.reported", addresses=", ".join(reported)) if reported
            else t("attach.reported_none"))
    confirmation = None
    if reported and address.lower() not in reported:
        about = reported[0] if len(reported) == 1 else choice(
            t("attach.pick_reported"), list(reported), key=f"{key}_reported")
        st.warning(tf("attach.mismatch", reported=_md(about), chosen=_md(address)))
        # One checkbox per pair of addresses: a tick given for one pair never carries over
        # to another recipient picked afterwards.
        pair = hashlib.sha256(f"{about}\n{address}".encode()).hexdigest()[:12]
        if st.checkbox(tf("attach.confirm", reported=_md(about), chosen=_md(address)),
                       key=f"{key}_confirm_{pair}"):
            confirmation = act.MismatchConfirmation(about, address)
    if st.button(t("action.submit_attach"), key=f"{key}_submit"):
        try:
            act.attach_bounce(database(), message_id, send_id, address, actor,
                              confirmation=confirmation)
        except SuiviError as err:
            error(err)
            return
        done(t("action.attached"))


def unmatched_for_document(box, actor: Principal) -> None:
    """Document page: attach a message of the queue to one of this document's recipients."""
    queue = data.mailbox_queue(scope=actor.scope)
    queue = queue[queue["match_state"].isin(["unmatched", "suspicious"])]
    if queue.empty or data.sends_for_attachment(box.document["id"], scope=actor.scope).empty:
        st.caption(t("action.no_unmatched"))
        return
    subjects = dict(zip(queue["id"], queue["subject"].fillna("")))
    message = choice(t("action.message"), list(subjects), key="attach_message",
                     format_func=lambda m: f"{subjects[m][:80]} ({m[:8]})")
    attach_form(message, actor, key="attach", document_id=box.document["id"])


def _text(value: object) -> str:
    return "—" if value is None or pd.isna(value) or value == "" else str(value)


def _evidence_text(row: pd.Series) -> str:
    lang = language()
    lines = [
        f"{t('verify.method')}{colon()}{t('method.' + str(row['match_method']))}",
        f"{t('col.document')}{colon()}{row['document']}  ·  "
        f"{t('col.recipient')}{colon()}{row['recipient']}",
        f"{t('verify.reported')}{colon()}{_text(row['reported_recipient'])}",
        f"{t('verify.would')}{colon()}{word_for(EventType, row['event_type'], lang)}",
        f"{t('col.code')}{colon()}{_text(row['status_code'])}  ·  "
        f"{t('col.reason')}{colon()}{_text(word_for(Reason, row['reason'], lang))}",
        f"{t('col.diagnostic')}{colon()}{_text(row['diagnostic'])}",
    ]
    return "\n".join(lines)


def _decide(action, proposal_id: str, actor: Principal, note: str, message: str) -> None:
    try:
        action(database(), proposal_id, actor, note)
    except SuiviError as err:
        error(err)
        return
    st.session_state.pop("verify_note", None)
    done(message)
