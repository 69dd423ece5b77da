"""The Document page's send-date form and marks through AppTest, on a real demo database:
bounded pickers, the repeated hour of a DST change, saving nothing new, and pickers that follow
the stored date after a resend."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.console.conftest import console_app, shared_database
from tests.console.test_pages import counts, failing_document, unsent_relay_document
from tracking.clock import Occurrence, utc_now, zone


def document_row(path, document_id: str) -> tuple:
    return shared_database(path).cursor().execute(
        """SELECT d.issue_date, d.send_date, a.time_zone FROM documents d
           JOIN accounts a ON a.id = d.account_id WHERE d.id = ?""", [document_id]).fetchone()


def paris_document_issued_before(path, day: date) -> str:
    return shared_database(path).cursor().execute(
        """SELECT d.id FROM documents d JOIN accounts a ON a.id = d.account_id
           WHERE a.time_zone = 'Europe/Paris' AND d.issue_date <= ? AND d.status <> 'cancelled'
           ORDER BY d.issue_date DESC, d.id LIMIT 1""", [day]).fetchone()[0]


def errors(app) -> list[str]:
    return [e.value.replace("\\", "") for e in app.error]  # Markdown escapes


def document_page(repo_root, document_id: str):
    return console_app(repo_root, doc=document_id).run().switch_page("views/document.py").run()


def test_the_calendar_runs_from_the_issue_day_to_today(console_db, repo_root):
    document_id = failing_document(console_db)
    issue_date, _, time_zone = document_row(console_db, document_id)
    app = document_page(repo_root, document_id)
    picker = app.date_input(key="date_day")
    assert picker.min == issue_date
    assert picker.max == utc_now().astimezone(zone(time_zone)).date()
    before = counts(console_db)
    for typed, message in (("11/11/1111 11:11", "antérieure à la date du document"),
                           ("01/01/0001 00:00", "antérieure à la date du document"),
                           ("31/12/9999 23:59", "ne peut pas être dans le futur"),
                           ("29/02/2026 10:00", "n'est pas une date"),
                           ("1111111111", "n'est pas une date")):
        app.text_input(key="date_text").input(typed).run()
        assert not app.exception
        assert any(message in e for e in errors(app)), errors(app)
        assert not any(b.key == "save_date" for b in app.button)   # nothing to save
    assert counts(console_db) == before


def test_the_repeated_hour_asks_which_one(console_db, repo_root):
    document_id = paris_document_issued_before(console_db, date(2026, 10, 24))
    app = document_page(repo_root, document_id)
    assert not [r for r in app.radio if r.key == "date_fold"]  # an ordinary time asks nothing
    app.text_input(key="date_text").input("25/10/2026 02:30").run()
    which = app.radio(key="date_fold")
    assert which.options == [
        "la première (25/10/2026 02:30 CEST)", "la seconde (25/10/2026 02:30 CET)"]
    which.set_value(Occurrence.SECOND).run()
    assert any("→ 25/10/2026 02:30 CET" in m.value for m in app.markdown)
    app.button(key="save_date").click().run()
    assert app.success[0].value == "Date d'envoi modifiée."
    stored = document_row(console_db, document_id)[1]
    assert stored == datetime(2026, 10, 25, 1, 30)   # naive UTC in the database
    # The form then shows the stored second occurrence, on the rerun and on a fresh page: it
    # offered "02:30 CET → 02:30 CEST", one click from moving the date an hour back.
    for shown in (app, document_page(repo_root, document_id)):
        assert shown.radio(key="date_fold").value == Occurrence.SECOND
        assert any("02:30 CET → 25/10/2026 02:30 CET" in m.value for m in shown.markdown)
        before = counts(console_db)
        shown.button(key="save_date").click().run()
        assert counts(console_db) == before
        assert document_row(console_db, document_id)[1] == stored


def test_saving_without_a_change_writes_nothing_and_says_so(console_db, repo_root):
    document_id = failing_document(console_db)
    before = counts(console_db)
    app = document_page(repo_root, document_id)
    app.button(key="save_date").click().run()
    assert not app.error and not app.success
    assert any("rien n'a été enregistré" in i.value.replace("\\", "") for i in app.info)
    assert counts(console_db) == before


def test_after_a_resend_the_pickers_show_the_new_send_date(console_db, repo_root):
    document_id = failing_document(console_db)
    app = document_page(repo_root, document_id)
    old_day = app.date_input(key="date_day").value
    app.text_input(key="resend_new").input("fixed@client.example")
    app.button(key="resend_submit").click().run()
    assert not app.error, errors(app)
    _, send_date, time_zone = document_row(console_db, document_id)
    local = send_date.replace(tzinfo=UTC).astimezone(zone(time_zone))
    assert app.date_input(key="date_day").value == local.date() != old_day
    assert app.time_input(key="date_time").value == local.time().replace(second=0,
                                                                         microsecond=0)
    before = counts(console_db)
    app.button(key="save_date").click().run()      # one click more reverts nothing
    assert counts(console_db) == before
    assert document_row(console_db, document_id)[1] == send_date


def test_marking_sent_twice_is_refused_in_french(console_db, repo_root):
    """Two people on the same document: the second one's click, on a form shown before the first
    marked it, writes nothing and the page says who marked it; the core's refusal of a second
    mark reads in French."""
    from tests.actors import support
    from tracking import service
    from tracking.errors import RefusedAction
    from ui.errors import sentence

    document_id = unsent_relay_document(console_db)
    first, second = (document_page(repo_root, document_id) for _ in range(2))
    first.button(key="mark_submit").click().run()
    assert first.success[0].value == "Document marqué envoyé."
    assert "mark_submit" not in [button.key for button in first.button]
    before = counts(console_db)
    second.button(key="mark_submit").click().run()
    assert not second.success and not errors(second)
    assert "mark_submit" not in [button.key for button in second.button]
    assert any("Déjà marqué envoyé le" in c.value for c in second.caption)
    with pytest.raises(RefusedAction) as refused:
        service.mark_sent_manually(shared_database(console_db), document_id, support("support"))
    assert "a déjà été marqué envoyé" in sentence(refused.value, "fr")
    assert counts(console_db) == before
