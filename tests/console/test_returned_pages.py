"""Issue 9 in the console (AppTest, real demo database, real ingestion): the "à vérifier" queue
on the Mailbox page with its evidence as plain text, apply / reject, and attaching by address
with a confirmation naming both addresses when the report is about someone else."""

from __future__ import annotations

import json

from tests.console.conftest import (
    HOSTILE, confirm_box, console_app, make_proposal, make_unmatched, shared_database,
)
from tracking.returned_actions import reported_recipients


def _state(path, send_id: str, idx: int) -> str:
    return shared_database(path).cursor().execute(
        "SELECT state FROM deliveries WHERE send_id = ? AND idx = ?", [send_id, idx]).fetchone()[0]


def _frame_with(app, column: str):
    """The page's dataframe that has `column` (AppTest keeps no dataframe keys)."""
    frames = [frame.value for frame in app.dataframe if column in frame.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def _mailbox(repo_root):
    return console_app(repo_root).run().switch_page("views/mailbox.py").run()


def test_the_queue_shows_the_evidence_and_applying_moves_the_state(console_db, repo_root,
                                                                   tmp_path):
    proposal_id, send_id, idx = make_proposal(console_db, tmp_path / "forged")
    assert _state(console_db, send_id, idx) == "delivered"      # the forgery moved nothing
    app = _mailbox(repo_root)
    assert not app.exception
    table = _frame_with(app, "Trouvé par")
    assert list(table["Trouvé par"]) == ["ENVID (Original-Envelope-Id)"]
    assert list(table["Effet si appliqué"]) == ["Non réceptionné"]
    evidence = "\n".join(text.value for text in app.text)
    assert HOSTILE in evidence                                  # as plain text, never markup
    assert all(HOSTILE not in m.value for m in app.markdown)

    app.button(key="verify_apply").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.success[0].value == "Retour vérifié et appliqué."
    assert _state(console_db, send_id, idx) == "not_delivered"
    actor, details = shared_database(console_db).cursor().execute(
        "SELECT actor, details FROM events WHERE type = 'proposal_applied'").fetchone()
    assert actor == "support" and json.loads(details)["proposal_id"] == proposal_id
    assert app.caption and any(c.value == "Aucun retour à vérifier." for c in app.caption)


def test_rejecting_keeps_the_state_and_is_recorded(console_db, repo_root, tmp_path):
    _proposal_id, send_id, idx = make_proposal(console_db, tmp_path / "forged")
    app = _mailbox(repo_root)
    app.text_input(key="verify_note").input("faux rapport")
    app.button(key="verify_reject").click().run()
    assert app.success[0].value == "Retour rejeté."
    assert _state(console_db, send_id, idx) == "delivered"
    assert shared_database(console_db).cursor().execute(
        "SELECT actor, json_extract_string(details, '$.note') FROM events "
        "WHERE type = 'proposal_rejected'").fetchone() == ("support", "faux rapport")


def test_the_document_page_lists_its_proposals(console_db, repo_root, tmp_path):
    _proposal_id, send_id, _idx = make_proposal(console_db, tmp_path / "forged")
    document_id = shared_database(console_db).cursor().execute(
        "SELECT document_id FROM sends WHERE id = ?", [send_id]).fetchone()[0]
    app = console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()
    assert not app.exception
    shown = _frame_with(app, "Décision")
    assert list(shown["Décision"]) == ["À vérifier"]


def _events(path, event_type: str) -> int:
    return shared_database(path).cursor().execute(
        "SELECT count(*) FROM events WHERE type = ?", [event_type]).fetchone()[0]


def test_attach_on_a_mismatch_needs_the_confirmation(console_db, repo_root):
    first, _second = make_unmatched(console_db)
    cursor = shared_database(console_db).cursor()
    number, send_id, address = cursor.execute(
        """SELECT d.number, s.id, x.address FROM documents d JOIN sends s ON s.document_id = d.id
           JOIN deliveries x ON x.send_id = s.id AND x.idx = 0
           WHERE s.mode = 'relay' AND x.state = 'delivered'
             AND d.number IN (SELECT number FROM documents GROUP BY 1 HAVING count(*) = 1)
             AND s.id = (SELECT id FROM sends s2 WHERE s2.document_id = d.id
                         ORDER BY requested_at DESC, id LIMIT 1)
           ORDER BY s.requested_at DESC LIMIT 1""").fetchone()
    app = _mailbox(repo_root)
    app.selectbox(key="mailbox_message").set_value(first).run()
    app.text_input(key="mailbox_reference").input(number).run()
    assert address in app.text[-1].value or address in app.warning[0].value
    [reported] = reported_recipients(shared_database(console_db), first)
    [warning] = app.warning          # both addresses, as code spans (text, never links)
    assert reported != address
    assert f"` {reported} `" in warning.value and f"` {address} `" in warning.value

    app.button(key="mailbox_submit").click().run()                   # not confirmed: refused
    assert app.error and "confirmation" in app.error[0].value
    assert _events(console_db, "bounce_attached") == 0
    assert _state(console_db, send_id, 0) == "delivered"

    confirm_box(app, "mailbox").check().run()
    assert reported in confirm_box(app, "mailbox").label
    app.button(key="mailbox_submit").click().run()
    assert not app.error, [e.value for e in app.error]
    assert app.success[0].value == "Retour rattaché."
    details = json.loads(cursor.execute(
        "SELECT details FROM events WHERE type = 'bounce_attached'").fetchone()[0])
    assert details["recipient_mismatch_confirmed"] == {"reported": reported, "chosen": address}
    assert _state(console_db, send_id, 0) == "not_delivered"


def test_a_confirmation_does_not_carry_over_to_another_recipient(console_db, repo_root):
    first, _second = make_unmatched(console_db)
    cursor = shared_database(console_db).cursor()
    number = cursor.execute(
        """SELECT d.number FROM documents d JOIN sends s ON s.document_id = d.id
           WHERE s.mode = 'relay'
             AND d.number IN (SELECT number FROM documents GROUP BY 1 HAVING count(*) = 1)
             AND (SELECT count(*) FROM sends s2 WHERE s2.document_id = d.id) = 1
             AND (SELECT count(*) FROM deliveries x WHERE x.send_id = s.id) >= 2
           ORDER BY s.requested_at DESC LIMIT 1""").fetchone()[0]
    app = _mailbox(repo_root)
    app.selectbox(key="mailbox_message").set_value(first).run()
    app.text_input(key="mailbox_reference").input(number).run()
    confirm_box(app, "mailbox").check().run()
    app.selectbox(key="mailbox_recipient").select_index(1).run()
    assert not confirm_box(app, "mailbox").value           # a fresh, unticked confirmation
    app.button(key="mailbox_submit").click().run()
    assert app.error and "confirmation" in app.error[0].value
    assert _events(console_db, "bounce_attached") == 0
