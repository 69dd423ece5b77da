"""Paramètres: each account's time zone and sending mode, editable with an old → new check;
the activity history with the exact reasons (where the seed looks for them); connection status
(no secret shown)."""

from zoneinfo import available_timezones

import streamlit as st

from tracking import service
from tracking.errors import SuiviError
from tracking.labels import word_for
from tracking.models import SendingMode
from ui import data, resources
from ui.activity import activity_history
from ui.actions import done, flash
from ui.i18n import LANGUAGE_NAMES, colon, language, t, tf
from tracking.auth.roles import Action
from ui.layout import error, start_page
from ui.resources import database
from ui.tables import table
from ui.text import markdown_text
from ui.widgets import connection_status

# Region/City names and UTC; tzdata's "localtime", "Factory", "EST5EDT"… mean nothing to a client.
ZONES = sorted(z for z in available_timezones() if "/" in z or z == "UTC")

who = start_page()
lang = language()
st.title(t("settings.heading"))
flash()


def mode_word(mode: str) -> str:
    return word_for(SendingMode, mode, lang)


def edit_account(account) -> None:
    """Zone and mode pickers; the change is shown old → new and saved only when confirmed."""
    zones = ZONES if account.time_zone in ZONES else sorted([*ZONES, account.time_zone])
    with st.expander(f"{markdown_text(account.name)} — {t('settings.edit')}"):
        left, right = st.columns(2)
        zone = left.selectbox(t("settings.zone"), zones, index=zones.index(account.time_zone),
                              key=f"zone_{account.id}")
        mode = right.selectbox(t("settings.mode"), list(SendingMode), format_func=mode_word,
                               index=list(SendingMode).index(account.sending_mode),
                               key=f"mode_{account.id}")
        if (zone, str(mode)) == (account.time_zone, account.sending_mode):
            return
        st.markdown(f"{t('settings.preview')}{colon()}**{markdown_text(account.time_zone)} · "
                    f"{mode_word(account.sending_mode)} → {markdown_text(zone)} · "
                    f"{mode_word(mode)}**")
        st.caption(t("settings.zone_note"))
        if st.button(t("settings.save"), key=f"save_settings_{account.id}", type="primary"):
            try:
                service.change_account_settings(database(), account.id, time_zone=zone,
                                                sending_mode=mode, actor=who)
            except SuiviError as err:
                error(err)
                return
            done(tf("settings.saved", name=markdown_text(account.name)))


st.subheader(t("settings.accounts"))
accounts = data.accounts(data.path(), scope=who.scope)
table(accounts.assign(sending_mode=[mode_word(m) for m in accounts["sending_mode"]],
                     language=[LANGUAGE_NAMES.get(x, x) for x in accounts["language"]]),
      key="accounts", column_config={
                 "language": st.column_config.TextColumn(t("col.language")),
                 "id": None, "name": st.column_config.TextColumn(t("col.account")),
                 "time_zone": st.column_config.TextColumn(t("col.zone")),
                 "sending_mode": st.column_config.TextColumn(t("col.mode")),
                 "sender_address": st.column_config.TextColumn(t("col.sender"))})
if who.may(Action.EDIT_SETTINGS):
    for account in accounts.itertuples():
        edit_account(account)
else:
    st.caption(t("auth.read_only"))

st.subheader(t("settings.activity"))
st.caption(t("settings.activity_note"))
activity_history(who)

st.subheader(t("settings.connection"))
table(connection_status(), key="connections")

st.subheader(t("settings.snapshot"))
if st.button(t("settings.refresh_snapshot"), key="snapshot"):
    st.success(tf("settings.snapshot_done", path=markdown_text(resources.refresh_snapshot())))
