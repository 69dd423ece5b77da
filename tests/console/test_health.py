"""The outbound server's health line, as every page shows it (sidebar, and a banner when down)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def health_page(state: str, fault: str | None, sending: bool = True, lang: str = "fr") -> AppTest:
    def script(state: str, fault: str | None, sending: bool, lang: str) -> None:
        from datetime import UTC, datetime

        import streamlit as st

        from tracking.outbound.health import OutboundHealth
        from ui.widgets import outbound_health

        st.session_state["language"] = lang
        since = datetime(2026, 12, 2, 9, 42, tzinfo=UTC)
        outbound_health(OutboundHealth(state, since, fault, "535 5.7.8 <b>bad</b> credentials",
                                       waiting=6), sending)

    app = AppTest.from_function(script, kwargs={"state": state, "fault": fault,
                                                "sending": sending, "lang": lang})
    return app.run(timeout=30)


def test_down_shows_why_and_since_when_in_the_sidebar_and_a_banner():
    app = health_page("down", "auth")
    [line] = app.sidebar.error
    assert line.value == "Authentification refusée par le serveur d'envoi depuis 10:42 CET"
    [banner] = app.warning
    assert banner.value.startswith(line.value) and "6 envois restent « En cours »" in banner.value
    assert [text.value for text in app.sidebar.text] == ["535 5.7.8 <b>bad</b> credentials"]


def test_unreachable_and_up_and_no_sender():
    assert health_page("down", "unreachable").sidebar.error[0].value == (
        "Serveur d'envoi injoignable depuis 10:42 CET")
    up = health_page("up", None)
    assert not up.warning and up.sidebar.caption[0].value == (
        "Serveur d'envoi joignable depuis 10:42 CET")
    assert health_page("down", "auth", sending=False).sidebar.caption[0].value.startswith(
        "Envoi : aucun expéditeur")


def test_in_english():
    assert health_page("down", "unreachable", lang="en").sidebar.error[0].value == (
        "Outbound server unreachable since 10:42 CET")
