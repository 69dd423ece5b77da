"""Every page and every action of the console through Streamlit's AppTest, on a real demo
database file: what support and analysts see, and that refused input writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.console.conftest import (
    HOSTILE, confirm_box, console_app, make_hostile, make_unmatched, shared_database, sign_in,
)
from tracking.clock import format_local
from tracking.store.connection import open_database
from tracking.labels import word_for
from tracking.models import Reason, SendingMode

# The console on both stores (issue 11): each test runs on a DuckDB file and on PostgreSQL.
pytestmark = pytest.mark.engines("duckdb", "postgres")


def documents_html(app) -> str:
    tables = [m.value for m in app.html if "suivi-documents" in m.value]
    assert tables, "the documents table is missing"
    return tables[0]


def box_html(app) -> str:
    boxes = [m.value for m in app.markdown if 'data-testid="suivi-box"' in m.value]
    assert boxes, "the tracking box is missing"
    return boxes[0]


def counts(path) -> dict[str, int]:
    cursor = shared_database(path).cursor()
    return {table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("sends", "deliveries", "events")}


def failing_document(path) -> str:
    cursor = shared_database(path).cursor()
    return cursor.execute(
        """SELECT s.document_id FROM deliveries x JOIN sends s ON s.id = x.send_id
           WHERE x.state = 'not_delivered' AND x.reason = 'userunknown'
           ORDER BY s.requested_at DESC LIMIT 1""").fetchone()[0]


def unsent_relay_document(path) -> str:
    cursor = shared_database(path).cursor()
    return cursor.execute(
        """SELECT d.id FROM documents d JOIN accounts a ON a.id = d.account_id
           WHERE a.sending_mode = 'relay'
             AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.document_id = d.id)
           ORDER BY d.id LIMIT 1""").fetchone()[0]


def test_documents_list_marks_failures_and_filters(console_db, repo_root):
    app = console_app(repo_root).run()
    assert not app.exception
    assert app.title[0].value == "Documents"
    html = documents_html(app)
    assert html.count("<tr>") == 51  # header + one page of 50
    app.toggle(key="doc_failures").set_value(True).run()
    html = documents_html(app)
    rows = html.split("<tbody>")[1].split("<tr>")[1:]
    assert rows and all('class="suivi-dot"' in row and "✉" in row for row in rows)
    shown = re.search(r"([\d\u202f]+) documents", " ".join(m.value for m in app.markdown)).group(1)
    cursor = shared_database(console_db).cursor()
    expected = cursor.execute(   # documents with an address whose latest send failed
        """SELECT count(DISTINCT document_id) FROM (
               SELECT s.document_id, x.state, row_number() OVER (
                          PARTITION BY s.document_id, lower(x.address)
                          ORDER BY s.requested_at DESC, s.id DESC) AS newest
               FROM sends s JOIN deliveries x ON x.send_id = s.id) r
           WHERE newest = 1 AND state IN ('not_sent', 'not_delivered')""").fetchone()[0]
    assert int(shown.replace("\u202f", "")) == expected > 0
    app.sidebar.radio[0].set_value("en").run()
    assert "<th>Number</th>" in documents_html(app)


def test_search_with_quotes_and_sql_finds_nothing_and_breaks_nothing(console_db, repo_root):
    before = counts(console_db)
    app = console_app(repo_root).run()
    for text in ("'; DROP TABLE documents; --", '" OR 1=1 --', "%", "_", "\\'"):
        app.text_input(key="doc_search").input(text).run()
        assert not app.exception
        assert any(i.value == "Aucun document ne correspond." for i in app.info), text
    app.text_input(key="doc_search").input("").run()
    assert documents_html(app).count("<tr>") == 51
    assert counts(console_db) == before


def test_search_finds_a_document_by_number_and_by_address(console_db, repo_root):
    cursor = shared_database(console_db).cursor()
    number, address = cursor.execute(
        """SELECT d.number, x.address FROM documents d JOIN sends s ON s.document_id = d.id
           JOIN deliveries x ON x.send_id = s.id ORDER BY d.id LIMIT 1""").fetchone()
    app = console_app(repo_root).run()
    app.text_input(key="doc_search").input(number).run()
    assert re.escape(number) and number in documents_html(app)
    app.text_input(key="doc_search").input(address.upper()).run()
    assert number in documents_html(app)


def test_a_count_past_the_cap_says_more_than_and_offers_the_next_page(console_db, repo_root,
                                                                      monkeypatch):
    from tracking.store import document_list

    monkeypatch.setattr(document_list, "COUNT_CAP", 20)
    app = console_app(repo_root).run()
    app.text_input(key="doc_search").input("@").run()   # every document sent to anyone
    assert not app.exception
    assert "plus de 20 documents" in [m.value for m in app.markdown]
    assert "/ 2+" in [c.value for c in app.caption]
    assert documents_html(app).count("<tr>") == 51   # the page is full all the same
    app.sidebar.radio[0].set_value("en").run()
    assert "more than 20 documents" in [m.value for m in app.markdown]


def test_document_box_shows_the_reason_in_plain_words_and_the_timeline(console_db, repo_root):
    document_id = failing_document(console_db)
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    assert not app.exception
    box = box_html(app)
    assert "Suivi du document" in box and 'class="suivi-dot"' in box
    assert "L&#x27;adresse n&#x27;existe pas" in box and "5.1.1" in box
    assert "userunknown" not in box   # the reason in words, never its key
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d [A-Z+\-0-9]+", box)  # with its zone
    assert any(chart.proto.spec for chart in app.get("plotly_chart"))
    app.sidebar.radio[0].set_value("en").run()
    assert "The address does not exist" in box_html(app)


def test_hostile_diagnostic_is_shown_as_text(console_db, repo_root):
    document_id = make_hostile(console_db)
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    assert not app.exception
    assert any(HOSTILE in text.value for text in app.text)
    assert all("<script>" not in m.value for m in app.markdown)


def test_send_online_records_a_pending_send(console_db, repo_root):
    document_id = unsent_relay_document(console_db)
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    assert app.text_area(key="send_to").value  # prefilled with the client's addresses
    app.text_area(key="send_to").input("paul@client.example\nmarie@client.example")
    app.text_area(key="send_cc").input("")
    app.button(key="send_submit").click().run()
    assert not app.exception and not app.error
    assert app.success[0].value == "Envoi enregistré, en cours de remise."
    rows = shared_database(console_db).cursor().execute(
        """SELECT x.address, x.state, s.actor FROM sends s JOIN deliveries x ON x.send_id = s.id
           WHERE s.document_id = ? ORDER BY x.idx""", [document_id]).fetchall()
    assert rows == [("paul@client.example", "pending", "support"),
                    ("marie@client.example", "pending", "support")]
    assert "En cours" in box_html(app)


def test_refused_sends_show_a_clear_error_and_write_nothing(console_db, repo_root):
    document_id = unsent_relay_document(console_db)
    before = counts(console_db)
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    for to, message in (("not-an-address", "` not-an-address ` n'est pas une adresse e-mail"),
                        ("", "indiquez au moins un destinataire « À »")):
        app.text_area(key="send_to").input(to)
        app.button(key="send_submit").click().run()
        assert not app.exception
        shown = [e.value.replace("\\", "") for e in app.error]  # Markdown escapes
        assert any(message in e and "rien n'a été enregistré" in e for e in shown), shown
    assert counts(console_db) == before


def test_mark_sent_manually(console_db, repo_root):
    document_id = unsent_relay_document(console_db)
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    app.text_input(key="mark_note").input("remis en main propre")
    app.button(key="mark_submit").click().run()
    assert app.success[0].value == "Document marqué envoyé."
    row = shared_database(console_db).cursor().execute(
        "SELECT actor, details FROM events WHERE document_id = ? AND type = "
        "'marked_sent_manually'", [document_id]).fetchone()
    assert row[0] == "support" and "remis en main propre" in row[1]
    assert "Envoi manuel" in box_html(app)
    # Marked once, the form gives way to who marked it and when (a second mark is refused)
    assert "mark_submit" not in [button.key for button in app.button]
    said = " ".join(c.value.replace("\\", "") for c in app.caption)
    assert "Déjà marqué envoyé le" in said and "(support)" in said, said


def test_a_cancelled_document_offers_no_send_and_no_mark(console_db, repo_root):
    document_id = shared_database(console_db).cursor().execute(
        """SELECT d.id FROM documents d JOIN accounts a ON a.id = d.account_id
           WHERE d.status = 'cancelled' AND a.sending_mode = 'relay'
           ORDER BY d.id LIMIT 1""").fetchone()[0]
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    assert not app.exception
    shown = [button.key for button in app.button]
    assert "send_submit" not in shown and "mark_submit" not in shown, shown
    assert "resend_submit" not in shown and "save_date" in shown, shown
    assert any("Document annulé" in info.value for info in app.info)


def test_edit_send_date_shows_old_and_new_then_history_has_it(console_db, repo_root,
                                                              monkeypatch):
    document_id = failing_document(console_db)
    sign_in(monkeypatch, console_db, "admin")
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    old = re.search(r'suivi-send-date">([^<]+)<', box_html(app)).group(1)
    issued = shared_database(console_db).cursor().execute(
        "SELECT issue_date FROM documents WHERE id = ?", [document_id]).fetchone()[0]
    day = issued + timedelta(days=1)   # a send date must follow the issue date
    app.text_input(key="date_text").input(f"{day:%d/%m/%Y} 09:15").run()
    preview = [m.value for m in app.markdown if "→" in m.value]
    assert preview, [e.value for e in app.error]
    assert old in preview[0] and f"{day:%d/%m/%Y} 09:15" in preview[0]
    app.button(key="save_date").click().run()
    assert app.success[0].value == "Date d'envoi modifiée."
    assert f"{day:%d/%m/%Y} 09:15" in re.search(r'suivi-send-date">([^<]+)<', box_html(app)).group(1)
    app.switch_page("views/history.py").run()
    app.multiselect(key="history_types").set_value(["send_date_changed"]).run()
    app.text_input(key="history_document").input(document_id).run()
    history = app.dataframe[0].value
    assert len(history) == 1
    assert history.iloc[0]["Acteur"].endswith("(admin)")  # the signed-in login, nothing typed
    assert history.iloc[0]["Nouvelle valeur"].startswith(f"{day:%d/%m/%Y} 09:15 ")  # its clock
    assert history.iloc[0]["Ancienne valeur"] is not None


def test_malformed_or_impossible_dates_write_nothing(console_db, repo_root):
    document_id = failing_document(console_db)
    before = counts(console_db)
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    for text, message in (("31/02/2026 25:99", "n'est pas une date : écrivez JJ/MM/AAAA HH:MM"),
                          ("01/01/2099 10:00", "ne peut pas être dans le futur")):
        app.text_input(key="date_text").input(text).run()
        if any(button.key == "save_date" for button in app.button):  # parsed, so try saving
            app.button(key="save_date").click().run()
        shown = [e.value.replace("\\", "") for e in app.error]  # Markdown escapes
        assert any(message in e for e in shown), shown
    assert counts(console_db) == before


def test_resend_to_a_corrected_address(console_db, repo_root):
    document_id = failing_document(console_db)
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    wrong = app.selectbox(key="resend_wrong").value
    assert app.text_input(key="resend_new").value != wrong  # never the failing one, silently
    app.text_input(key="resend_new").input("fixed@client.example")
    app.button(key="resend_submit").click().run()
    assert not app.error, [e.value for e in app.error]
    latest = shared_database(console_db).cursor().execute(
        """SELECT x.address, x.state FROM sends s JOIN deliveries x ON x.send_id = s.id
           WHERE s.document_id = ? ORDER BY s.requested_at DESC LIMIT 1""",
        [document_id]).fetchall()
    assert latest == [("fixed@client.example", "pending")]
    box = box_html(app)   # the new address is going; the failed one stays, with its dot
    assert "fixed@client.example" in box and wrong in box and 'class="suivi-dot"' in box


def test_failures_page_aggregates_drills_down_and_exports(console_db, repo_root):
    app = console_app(repo_root).run().switch_page("views/failures.py").run()
    assert not app.exception
    caption = next(c.value for c in app.caption
                   if " sur " in c.value and "destinataire" in c.value)
    failures = int(re.match(r"([\d\u202f]+) échec", caption).group(1).replace("\u202f", ""))
    assert failures > 0
    app.selectbox(key="drill_reason").set_value("userunknown").run()
    drill = next(d.value for d in app.dataframe if "Destinataire" in d.value.columns)
    assert len(drill) > 0 and set(drill["Raison"]) == {word_for(Reason, "userunknown", "fr")}
    assert set(drill["Raison"]) == {"Destinataire inconnu"}       # a short name, not the code
    # French CSV, technical CSV, Parquet; then the same three for the addresses to correct
    # (their section read once opened)
    app.session_state["suppressed_open"] = True
    app.run()
    keys = [b.key for b in app.get("download_button")]
    assert keys == ["failures_csv", "failures_raw_csv", "failures_parquet",
                    "adresses-a-corriger_csv", "adresses-a-corriger_raw_csv",
                    "adresses-a-corriger_parquet"]


def test_history_page_filters_and_charts(console_db, repo_root):
    app = console_app(repo_root).run().switch_page("views/history.py").run()
    assert not app.exception
    app.multiselect(key="history_types").set_value(["dsn_failed"]).run()
    events = app.dataframe[0].value
    assert len(events) > 0 and set(events["Type"]) == {"Non réceptionné"}
    assert events["Raison"].notna().all()
    assert set(events["Acteur"]) == {"Système (lecture des retours)"}   # not "system"
    assert not app.get("plotly_chart")           # the charts are drawn once opened
    app.session_state["history_charts"] = True
    assert len(app.run().get("plotly_chart")) == 1   # only the open tab's chart (ui/drawn.py)
    actor = app.selectbox(key="history_actor")
    assert "Système" in actor.options and "system" not in actor.options
    actor.set_value("system").run()          # the choice still filters on the stored login
    assert set(app.dataframe[0].value["Acteur"]) == {"Système (lecture des retours)"}
    app.multiselect(key="history_types").set_value(["recipient_accepted"]).run()
    assert set(app.dataframe[0].value["Acteur"]) == {"Système (envoi automatique)"}


def test_mailbox_page_lists_what_needs_a_person(console_db, repo_root):
    app = console_app(repo_root).run().switch_page("views/mailbox.py").run()
    assert not app.exception
    assert app.title[0].value == "Boîte des retours"
    assert len(app.dataframe) >= 1


def test_attach_an_unmatched_bounce_from_the_document_page(console_db, repo_root):
    make_unmatched(console_db)
    document_id = unsent_relay_document(console_db)
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    app.text_area(key="send_to").input("lost@client.example")
    app.button(key="send_submit").click().run()
    message = app.selectbox(key="attach_message").value
    assert "lost@client.example" in app.warning[0].value
    app.button(key="attach_submit").click().run()     # the report is about someone else
    assert app.error and "confirmation" in app.error[0].value
    confirm_box(app, "attach").check().run()
    app.button(key="attach_submit").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.success[0].value == "Retour rattaché."
    cursor = shared_database(console_db).cursor()
    assert cursor.execute("SELECT match_state, match_method, document_id FROM returned_messages "
                          "WHERE id = ?", [message]).fetchone() == ("matched", "manual",
                                                                    document_id)
    assert cursor.execute("SELECT actor, recipient FROM events WHERE type = 'bounce_attached' "
                          "AND document_id = ?", [document_id]).fetchone() == (
        "support", "lost@client.example")


def test_mailbox_attach_by_number_and_dismiss(console_db, repo_root):
    first, second = make_unmatched(console_db)
    cursor = shared_database(console_db).cursor()
    number = cursor.execute(
        """SELECT d.number FROM documents d JOIN sends s ON s.document_id = d.id
           WHERE s.mode = 'relay' AND d.number IN (SELECT number FROM documents GROUP BY 1
                                                   HAVING count(*) = 1)
           ORDER BY s.requested_at DESC LIMIT 1""").fetchone()[0]
    app = console_app(repo_root).run().switch_page("views/mailbox.py").run()
    app.selectbox(key="mailbox_message").set_value(first).run()
    app.text_input(key="mailbox_reference").input(number).run()
    confirm_box(app, "mailbox").check().run()   # the demo bounce names another address
    app.button(key="mailbox_submit").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert cursor.execute("SELECT match_state FROM returned_messages WHERE id = ?",
                          [first]).fetchone() == ("matched",)
    app.selectbox(key="mailbox_message").set_value(second).run()
    app.button(key="dismiss").click().run()
    assert app.success[0].value == "Message écarté."
    assert cursor.execute("SELECT match_state FROM returned_messages WHERE id = ?",
                          [second]).fetchone() == ("ignored",)


def test_settings_show_zones_and_modes_but_never_secrets(console_db, repo_root, monkeypatch):
    monkeypatch.setenv("SUIVI_SMTP_PASSWORD", "hunter2-very-secret")
    app = console_app(repo_root).run().switch_page("views/settings.py").run()
    assert not app.exception
    accounts = app.dataframe[0].value
    assert {"time_zone", "sending_mode"} <= set(accounts.columns)
    everything = " ".join(str(frame.value.to_dict()) for frame in app.dataframe)
    assert "hunter2-very-secret" not in everything
    assert "défini (masqué)" in everything


def test_streamlit_secrets_configure_the_console_without_being_shown(console_db, repo_root,
                                                                    monkeypatch):
    for name in ("SUIVI_IMAP_PASSWORD", "SUIVI_IMAP_USER", "SUIVI_IMAP_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("os.environ", dict(__import__("os").environ))  # restored after the test
    app = console_app(repo_root)
    app.secrets["SUIVI_IMAP_HOST"] = "imap.example.test"
    app.secrets["SUIVI_IMAP_USER"] = "bounces"
    app.secrets["SUIVI_IMAP_PASSWORD"] = "s3cr3t-from-secrets"
    app.run().switch_page("views/settings.py").run()
    assert not app.exception
    everything = " ".join(str(frame.value.to_dict()) for frame in app.dataframe)
    assert "imap.example.test" in everything and "bounces" in everything
    assert "s3cr3t-from-secrets" not in everything


def sent_document_of(path, account_id: str):
    cursor = shared_database(path).cursor()
    return cursor.execute(
        """SELECT number, send_date FROM documents WHERE account_id = ? AND send_date IS NOT NULL
           ORDER BY id LIMIT 1""", [account_id]).fetchone()


def test_changing_an_account_zone_changes_how_documents_show_send_dates(console_db, repo_root,
                                                                       monkeypatch):
    sign_in(monkeypatch, console_db, "admin")  # Réglages edits are an admin's
    number, stored = sent_document_of(console_db, "acct-dubois")
    paris, tokyo = (format_local(stored, zone) for zone in ("Europe/Paris", "Asia/Tokyo"))
    assert paris != tokyo
    app = console_app(repo_root).run()
    app.text_input(key="doc_search").input(number).run()
    assert paris in documents_html(app)

    app.switch_page("views/settings.py").run()
    assert not app.exception
    assert not any(b.key == "save_settings_acct-dubois" for b in app.button)  # nothing changed
    app.selectbox(key="zone_acct-dubois").set_value("Asia/Tokyo").run()
    app.selectbox(key="mode_acct-dubois").set_value(SendingMode.MANUAL).run()
    preview = [m.value.replace("\\", "") for m in app.markdown if "→" in m.value]
    assert preview == ["Avant → après : **Europe/Paris · Relais Suivi → Asia/Tokyo · "
                       "Envoi manuel**"]
    assert sent_document_of(console_db, "acct-dubois")[1] == stored  # not saved before confirm
    app.button(key="save_settings_acct-dubois").click().run()
    assert app.success[0].value == "Réglages de « Atelier Dubois » modifiés."
    accounts = app.dataframe[0].value.set_index("id")  # the table itself (labels: column_config)
    assert accounts.at["acct-dubois", "time_zone"] == "Asia/Tokyo"
    assert accounts.at["acct-dubois", "sending_mode"] == "Envoi manuel"
    assert sent_document_of(console_db, "acct-dubois")[1] == stored  # UTC value untouched

    app.switch_page("views/documents.py").run()
    app.text_input(key="doc_search").input(number).run()
    html = documents_html(app)
    assert tokyo in html and paris not in html

    app.switch_page("views/history.py").run()
    app.multiselect(key="history_types").set_value(["account_settings_changed"]).run()
    history = app.dataframe[0].value
    assert list(history["Type"]) == ["Réglages du compte modifiés"]
    assert history.iloc[0]["Acteur"].endswith("(admin)")
    assert "Asia/Tokyo" in history.iloc[0]["Nouvelle valeur"]
    assert "Europe/Paris" in history.iloc[0]["Ancienne valeur"]


def test_account_settings_offer_only_known_zones_and_modes_and_refuse_the_rest(
        console_db, repo_root, monkeypatch):
    from tests.actors import support
    from tracking import service
    from tracking.errors import Forbidden

    sign_in(monkeypatch, console_db, "admin")
    app = console_app(repo_root).run().switch_page("views/settings.py").run()
    zones = app.selectbox(key="zone_acct-kiwi").options
    assert "Pacific/Auckland" in zones and "Mars/Olympus_Mons" not in zones
    assert "localtime" not in zones
    assert app.selectbox(key="mode_acct-kiwi").options == [
        "Relais Suivi", "Relais Suivi, adresse du client", "Serveur SMTP du client",
        "Envoi manuel"]
    before = counts(console_db)
    # Support gets no edit controls, and the core refuses the call anyway.
    sign_in(monkeypatch, console_db, "support")
    app = console_app(repo_root).run().switch_page("views/settings.py").run()
    assert not app.get("expander")
    assert not [s for s in app.selectbox if s.key.startswith(("zone_", "mode_"))]
    with pytest.raises(Forbidden):
        service.change_account_settings(shared_database(console_db), "acct-kiwi",
                                        time_zone="Europe/Paris", sending_mode="relay",
                                        actor=support("support"))
    assert counts(console_db) == before
    zone = shared_database(console_db).cursor().execute(
        "SELECT time_zone FROM accounts WHERE id = 'acct-kiwi'").fetchone()[0]
    assert zone == "Pacific/Auckland"


def test_failure_without_a_reason_says_so_and_shows_what_the_server_said(console_db, repo_root):
    """Issue 9: no failure without words — "the server gave no reason" and its exact reply."""
    with open_database(console_db) as db:
        cursor = db.cursor()
        send_id, idx, document_id = cursor.execute(
            """SELECT x.send_id, x.idx, s.document_id FROM deliveries x
               JOIN sends s ON s.id = x.send_id
               WHERE x.state = 'not_sent' AND s.requested_at = (
                   SELECT max(requested_at) FROM sends t WHERE t.document_id = s.document_id)
               ORDER BY s.requested_at DESC LIMIT 1""").fetchall()[0]
        cursor.execute("UPDATE deliveries SET reason = NULL, status_code = NULL, "
                       "smtp_reply = ? WHERE send_id = ? AND idx = ?",
                       ["550 nope <b>bold</b>", send_id, idx])
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    assert not app.exception
    box = box_html(app)
    assert "Le serveur n&#x27;a pas donné de raison." in box
    assert "550 nope &lt;b&gt;bold&lt;/b&gt;" in box and "<b>bold</b>" not in box
    app.sidebar.radio[0].set_value("en").run()
    assert "The server gave no reason." in box_html(app)
