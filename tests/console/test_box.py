"""The tracking box through AppTest on a real demo database: every recipient ever with its
latest state, every send in order, the dot's explanation, the resend suggestion, and the
suppression warning and its explicit, recorded override."""

from __future__ import annotations

import json
import re

import pytest

from tests.actors import support
from tests.console.conftest import console_app, shared_database
from tests.console.story import DELIVERED, TYPO, UNKNOWN, tell
from tracking.service import SendPolicy, SendRequest, request_send

# The box on both stores (issue 11): each test runs on a DuckDB file and on PostgreSQL.
pytestmark = pytest.mark.engines("duckdb", "postgres")


def box_html(app) -> str:
    [box] = [m.value for m in app.markdown if 'data-testid="suivi-box"' in m.value]
    return box


def recipient_rows(box: str) -> dict[str, str]:
    table = box.split('data-testid="suivi-recipients"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</tr>", table)
    return {re.match(r"([^ <]+)", row).group(1): row for row in rows}


def sends_list(box: str) -> list[str]:
    listed = box.split('data-testid="suivi-sends"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r"<li>(.*?)</li>", listed)


def open_document(repo_root, document_id: str):
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    assert not app.exception, app.exception
    return app


def test_the_box_keeps_every_recipient_and_every_send_after_a_resend(console_db, repo_root):
    story = tell(shared_database(console_db))
    app = open_document(repo_root, story.document_id)
    box = box_html(app)
    rows = recipient_rows(box)
    assert list(rows) == [DELIVERED, TYPO, UNKNOWN]
    assert "Réceptionné" in rows[DELIVERED] and "suivi-dot" not in rows[DELIVERED]
    assert "Non réceptionné" in rows[TYPO] and "suivi-dot" in rows[TYPO]
    # the dot says what failed and why, in plain French, on hover (title) and click (details)
    why = re.search(r'<summary title="([^"]+)"', rows[TYPO]).group(1)
    assert why.startswith(f"L&#x27;e-mail n&#x27;a pas pu être délivré à {TYPO}")
    assert "Le domaine de l&#x27;adresse n&#x27;existe pas" in why and "Code : 5.4.4." in why
    assert re.search(r'data-testid="suivi-why">L&#x27;e-mail n&#x27;a pas pu être délivré à '
                     + re.escape(TYPO), rows[TYPO])
    sends = sends_list(box)
    assert len(sends) == 2
    assert sends[0].startswith("<b>Envoi en ligne</b>") and "Marie Lefèvre (m.lefevre)" in sends[0]
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d CET", sends[0])   # the account's zone
    assert "Relais Suivi" in sends[0] and TYPO in sends[0]
    assert sends[1].startswith("<b>Envoi manuel</b>") and "Jacques Dubois" in sends[1]

    # resend: the form offers the correction of the mistyped domain, not the failing address
    app.selectbox(key="resend_wrong").set_value(TYPO).run()
    assert app.text_input(key="resend_new").value == "jean.morel@outlook.com"
    assert any("correction probable" in c.value for c in app.caption)
    app.button(key="resend_submit").click().run()
    assert not app.error, [e.value for e in app.error]
    assert app.success[0].value == "Envoi enregistré, en cours de remise."
    box = box_html(app)
    rows = recipient_rows(box)
    assert list(rows) == [DELIVERED, TYPO, UNKNOWN, "jean.morel@outlook.com"]
    assert "En cours" in rows["jean.morel@outlook.com"]
    assert "Non réceptionné" in rows[UNKNOWN] and "Réceptionné" in rows[DELIVERED]
    # the failed address says where it was corrected to; the send event says it too
    assert re.search(r'data-testid="suivi-corrected">↳ corrigée : renvoyé à '
                     r"jean\.morel@outlook\.com le \d\d/\d\d/\d{4} \d\d:\d\d CET", rows[TYPO])
    assert "suivi-corrected" not in rows[UNKNOWN]
    sends = sends_list(box)
    assert [re.match(r"<b>([^<]+)</b>", s).group(1) for s in sends] == [
        "Envoi en ligne", "Envoi manuel", "Renvoi"]
    assert "Support (démo) (support)" in sends[2]
    [details] = shared_database(console_db).cursor().execute(
        """SELECT details FROM events WHERE document_id = ? AND type = 'send_requested'
           AND recipient = 'jean.morel@outlook.com'""", [story.document_id]).fetchone()
    assert json.loads(details)["corrects"] == TYPO
    # the corrected address is not offered again; the one still to correct is
    assert app.selectbox(key="resend_wrong").options == [UNKNOWN]


def test_no_correction_means_an_empty_field_and_the_same_address_needs_a_tick(console_db,
                                                                             repo_root):
    story = tell(shared_database(console_db))
    app = open_document(repo_root, story.document_id)
    app.selectbox(key="resend_wrong").set_value(UNKNOWN).run()
    assert app.text_input(key="resend_new").value == ""
    assert any("Pas de correction évidente" in c.value for c in app.caption)
    before = _sends(console_db, story.document_id)
    app.button(key="resend_submit").click().run()
    assert app.error[0].value == "Saisissez l'adresse corrigée."
    app.text_input(key="resend_new").input(UNKNOWN.upper()).run()
    app.button(key="resend_submit").click().run()
    assert "C'est l'adresse qui a échoué" in app.error[0].value
    assert _sends(console_db, story.document_id) == before


def test_a_hard_bounced_address_warns_and_goes_only_with_the_recorded_override(console_db,
                                                                              repo_root):
    story = tell(shared_database(console_db))
    app = open_document(repo_root, story.document_id)
    app.selectbox(key="resend_wrong").set_value(UNKNOWN).run()
    app.text_input(key="resend_new").input(UNKNOWN).run()
    app.checkbox(key="resend_same").check().run()
    [warning] = [w.value for w in app.warning]
    assert "rejetée définitivement le" in warning and "CET" in warning
    assert "L'adresse n'existe pas" in warning.replace("\\", "")
    before = _sends(console_db, story.document_id)
    app.button(key="resend_submit").click().run()      # not overridden: the core refuses
    [refusal] = [e.value for e in app.error]
    assert "a déjà été rejetée définitivement le" in refusal
    assert _sends(console_db, story.document_id) == before
    app.checkbox(key="resend_override").check().run()
    app.button(key="resend_submit").click().run()
    assert not app.error, [e.value for e in app.error]
    assert len(_sends(console_db, story.document_id)) == len(before) + 1
    [details] = shared_database(console_db).cursor().execute(
        """SELECT details FROM events WHERE document_id = ? AND type = 'send_requested'
           AND recipient = ? ORDER BY occurred_at DESC LIMIT 1""",
        [story.document_id, UNKNOWN]).fetchone()
    recorded = json.loads(details)
    assert recorded["suppression_overridden"] is True
    assert recorded["suppressed_reason"] == "userunknown"
    assert 'data-testid="suivi-override"' in box_html(app)


def test_the_failures_page_lists_addresses_to_correct_with_an_export(console_db, repo_root):
    tell(shared_database(console_db))
    app = console_app(repo_root).run().switch_page("views/failures.py").run()
    assert not app.exception
    # closed, the section reads nothing (every delivery ever made, on a million documents)
    assert not [frame for frame in app.dataframe if "Correction probable" in frame.value]
    assert not [b for b in app.get("download_button") if "corriger" in b.key]
    app.session_state["suppressed_open"] = True
    app.run()
    assert not app.exception
    [table] = [frame.value for frame in app.dataframe if "Correction probable" in frame.value]
    mine = table[table["Compte"] == "Atelier Dubois"].set_index("Destinataire")
    assert mine.loc[TYPO, "Correction probable"] == "jean.morel@outlook.com"
    assert mine.loc[UNKNOWN, "Correction probable"] == ""
    assert mine.loc[UNKNOWN, "Code"] == "5.1.1"
    assert DELIVERED not in mine.index
    assert "Raison" not in table.columns and "userunknown" not in table.to_string()
    assert mine.loc[UNKNOWN, "Explication"].startswith("L'adresse n'existe pas")
    exports = [b.key for b in app.get("download_button") if "corriger" in b.key]
    assert exports == ["adresses-a-corriger_csv", "adresses-a-corriger_raw_csv",
                       "adresses-a-corriger_parquet"]     # the analyst's formats, as elsewhere


def test_the_list_keeps_the_dot_while_any_recipient_still_failed(console_db, repo_root):
    """The story's latest send is a manual mark and its latest online send went to a corrected
    address: the list row still carries the dot (two recipients still failed), and the
    "failures only" filter (the derived marks) still finds it."""
    from tracking.store.marks import refresh_marks

    db = shared_database(console_db)
    story = tell(db)
    request_send(db, SendRequest(story.document_id, ("jean.morel@outlook.com",),
                                 actor=support("m.lefevre"), force=True, corrects=TYPO),
                 SendPolicy(verp_key=b"k"))
    refresh_marks(db)
    app = console_app(repo_root).run()
    app.text_input(key="doc_search").input(story.number).run()
    [row] = [r for r in _list_rows(app) if story.number in r]
    assert 'class="suivi-dot"' in row
    app.toggle(key="doc_failures").set_value(True).run()
    assert any(story.number in r for r in _list_rows(app))


def _list_rows(app) -> list[str]:
    [table] = [m.value for m in app.html if "suivi-documents" in m.value]
    return table.split("<tbody>")[1].split("<tr>")[1:]


def test_the_documents_list_has_a_legend_for_the_dot(console_db, repo_root):
    app = console_app(repo_root).run()
    assert not app.exception
    [legend] = [m.value for m in app.markdown if 'data-testid="suivi-legend"' in m.value]
    assert "survolez ou cliquez sur le point" in legend and 'class="suivi-dot"' in legend
    [table] = [m.value for m in app.html if "suivi-documents" in m.value]
    if 'class="suivi-dot"' in table:
        assert "L&#x27;e-mail n&#x27;a pas pu être délivré à au moins un destinataire" in table


def _sends(path, document_id: str) -> list[str]:
    return [row[0] for row in shared_database(path).cursor().execute(
        "SELECT id FROM sends WHERE document_id = ? ORDER BY requested_at", [document_id]
    ).fetchall()]


def _override_ticks(app) -> list[str]:
    return [c.key for c in app.checkbox if c.key in ("send_override", "resend_override")]


def test_the_send_form_refuses_a_suppressed_address_until_overridden(console_db, repo_root):
    story = tell(shared_database(console_db))
    app = open_document(repo_root, story.document_id)
    assert _override_ticks(app) == [] and not app.warning   # nothing suppressed in the form
    app.text_area(key="send_to").input(UNKNOWN)
    app.text_area(key="send_cc").input("")
    app.checkbox(key="send_force").check()
    app.button(key="send_submit").click().run()
    [refusal] = [e.value.replace("\\", "").replace("\u2060", "") for e in app.error]  # as shown
    assert f"{UNKNOWN} ` a déjà été rejetée définitivement le" in refusal   # a code span
    assert "L'adresse n'existe pas" in refusal and "CET" in refusal
    assert _override_ticks(app) == ["send_override"]   # offered with the refusal
    app.checkbox(key="send_override").check()
    app.button(key="send_submit").click().run()
    assert not app.error, [e.value for e in app.error]
    assert 'data-testid="suivi-override"' in box_html(app)


def test_a_suppressed_address_already_in_the_send_form_is_named_with_the_tick(console_db,
                                                                             repo_root):
    db = shared_database(console_db)
    story = tell(db)
    db.cursor().execute(
        """UPDATE client_addresses SET address = ? WHERE position = (
               SELECT min(position) FROM client_addresses WHERE client_id = c.id)
             AND client_id = c.id""".replace("c.id", "(SELECT client_id FROM documents "
                                                    "WHERE id = ?)"),
        [UNKNOWN, story.document_id, story.document_id])
    app = open_document(repo_root, story.document_id)
    assert UNKNOWN in app.text_area(key="send_to").value
    [warning] = [w.value.replace("\\", "").replace("\u2060", "") for w in app.warning]
    assert UNKNOWN in warning and "rejetée définitivement le" in warning
    assert _override_ticks(app) == ["send_override"]
    app.selectbox(key="resend_wrong").set_value(TYPO).run()     # a correction: no tick there
    assert _override_ticks(app) == ["send_override"]


def test_the_box_in_english(console_db, repo_root):
    story = tell(shared_database(console_db))
    app = open_document(repo_root, story.document_id)
    app.sidebar.radio[0].set_value("en").run()
    box = box_html(app)
    assert "Sends (2), first to last" in box and "<b>Online send</b>" in box
    assert "<b>Manual send</b>" in box and "Not delivered" in box
    assert f"The email could not be delivered to {TYPO} (returned on" in box
    assert "Code: 5.4.4." in box
    # English joins a label to its value without French's space before the colon
    assert "<b>Sent to the client on</b>: " in box and "<b>Mode</b>: " in box
    assert "</b> :" not in box
    previews = [m.value for m in app.markdown if m.value.startswith("Before → after")]
    assert previews and all(p.startswith("Before → after: **") for p in previews)


def test_the_addresses_export_is_french_and_formula_neutralised(console_db):
    import io

    import pandas as pd

    from tracking.export import SUPPRESSED_COLUMNS, frame_to_french_csv, frame_to_parquet
    from tracking.store.suppressions import suppressed_candidates
    from ui.suppressed import with_suggestions

    tell(shared_database(console_db))
    found = suppressed_candidates(shared_database(console_db).cursor(), account_id="acct-dubois")
    found.loc[found["address"] == UNKNOWN, "address"] = '=HYPERLINK("http://127.0.0.1:9/")@x.fr'
    found = with_suggestions(found).assign(explanation="L'adresse n'existe pas")
    raw = frame_to_french_csv(found, SUPPRESSED_COLUMNS)
    assert raw.startswith("\ufeff".encode("utf-8"))              # the BOM a spreadsheet needs
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header == ("Compte;Destinataire;Correction probable;Rejetée le;Explication;Raison;"
                      "Code raison;Code d'état SMTP étendu;Document")
    assert "'=HYPERLINK" in text and '\n"=HYPERLINK' not in text and ";=HYPERLINK" not in text
    typo = next(line for line in text.splitlines() if TYPO in line)
    assert ";jean.morel@outlook.com;" in typo and ("CET" in typo or "CEST" in typo)
    assert ";hostunknown;" in typo                        # the code, in its own column
    parquet = pd.read_parquet(io.BytesIO(frame_to_parquet(found)))
    assert set(parquet["address"]) == set(found["address"])
    assert "jean.morel@outlook.com" in set(parquet["suggestion"])
