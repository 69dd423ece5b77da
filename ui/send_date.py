"""The Document page's send-date form: day and time pickers in the account's zone, bounded by
the document's life (its issue day to now), a choice when a DST change repeats the hour, and
old → new shown before saving.

The rules live in the core (`tracking.clock`, `tracking.service.set_send_date`); this form only
offers what they accept and words their refusals.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from tracking import service
from tracking.auth.principal import Principal
from tracking.clock import (
    Occurrence, SendDateBounds, format_local, occurrences, parse_local, send_date_bounds,
    send_date_to_utc, utc_now, zone as time_zone,
)
from tracking.errors import RefusedDate, SuiviError
from ui import errors
from ui.actions import done
from ui.i18n import colon, language, t
from ui.layout import error
from ui.resources import database

# The widgets' keys; their values follow the stored send date (see `_follow_stored`).
DAY, TIME, TYPED, WHICH, SHOWN_FOR = "date_day", "date_time", "date_text", "date_fold", "date_for"


def edit_send_date(box, actor: Principal) -> None:
    """The form; saving goes through `service.set_send_date`, which checks everything again."""
    document = box.document
    zone = document["time_zone"]
    stored = _aware(document["send_date"])
    bounds = send_date_bounds(_day(document["issue_date"]), zone, utc_now())
    first_day, last_day = bounds.local_days(zone)
    _follow_stored(document["id"], stored, zone, first_day, last_day)
    # Day and hour side by side, the typed form under them: in three columns of the document
    # page's right-hand pane the day showed "03/12/2" (its year cut) and the typed field's
    # label took three lines.
    columns = st.columns([3, 2])
    day = columns[0].date_input(t("action.date_day"), key=DAY, format="DD/MM/YYYY",
                                min_value=first_day, max_value=last_day)
    moment = columns[1].time_input(t("action.date_time"), key=TIME, step=60)
    typed = st.text_input(t("action.date_text"), key=TYPED)
    try:
        wanted = parse_local(typed) if typed.strip() else dt.datetime.combine(day, moment)
        new_utc = _to_utc(wanted, zone, bounds)
    except SuiviError as err:
        error(err)
        return
    old_text = format_local(stored, zone) if stored else "—"
    st.markdown(f"{t('action.date_preview')}{colon()}"
                f"**{old_text} → {format_local(new_utc, zone)}**")
    if st.button(t("action.submit_date"), key="save_date"):
        _save(document["id"], new_utc, actor)


def _save(document_id: str, new_utc: dt.datetime, actor: Principal) -> None:
    try:
        service.set_send_date(database(), document_id, new_utc, actor)
    except RefusedDate as refusal:
        if refusal.code != "send_date_unchanged":
            error(refusal)
            return
        st.info(errors.sentence(refusal, language()) or str(refusal))
        return
    except SuiviError as err:
        error(err)
        return
    st.session_state.pop(SHOWN_FOR, None)   # the pickers take the saved value on the rerun
    done(t("action.date_saved"))


def _to_utc(wanted: dt.datetime, zone: str, bounds: SendDateBounds) -> dt.datetime:
    """The chosen instant; when the wall-clock time happens twice (clocks going back), the
    core refuses to guess and this asks which one is meant."""
    try:
        return send_date_to_utc(wanted, zone, bounds)
    except RefusedDate as refusal:
        if refusal.code != "ambiguous_local_time":
            raise
    return send_date_to_utc(wanted, zone, bounds, _which(occurrences(wanted, zone), zone))


def _which(choices: tuple[dt.datetime, ...], zone: str) -> Occurrence:
    labels = dict(zip(Occurrence, (format_local(choice, zone) for choice in choices)))
    return st.radio(t("action.date_which"), list(Occurrence), key=WHICH, horizontal=True,
                    format_func=lambda which: f"{t('action.date_' + which)} ({labels[which]})")


def _follow_stored(document_id: str, stored: dt.datetime | None, zone: str,
                   first_day: dt.date, last_day: dt.date) -> None:
    """Set the pickers to the stored send date whenever it changes (another document, a resend,
    a mark, a save): a picker keeping an older value would revert the date one click away."""
    marker = (document_id, stored.isoformat() if stored else None)
    if st.session_state.get(SHOWN_FOR) == marker:
        return
    local = (stored or utc_now()).astimezone(time_zone(zone))
    # A stored value outside today's bounds (an old typing accident) still opens the picker.
    st.session_state[DAY] = min(max(local.date(), first_day), last_day)
    st.session_state[TIME] = local.time().replace(second=0, microsecond=0, tzinfo=None, fold=0)
    st.session_state[TYPED] = ""
    # A date stored in the second of a repeated hour (01:30 GMT, after 01:30 BST) brings the
    # question back on load: it starts on the stored one, or "first" would be one click away.
    if local.fold:
        st.session_state[WHICH] = Occurrence.SECOND
    else:
        st.session_state.pop(WHICH, None)
    st.session_state[SHOWN_FOR] = marker


def _aware(value) -> dt.datetime | None:
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime().replace(tzinfo=dt.UTC)


def _day(value) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()
